//! Convergence of replicated data types (CRDTs): after the faults heal and gossip settles, do
//! all replicas hold the same state, and does that state respect what clients were told?
//!
//! The checker knows nothing of the runtime: it takes the replicas' final states as comparable
//! values and the operations clients issued, each with its [`Outcome`] — acknowledged, unknown
//! (no answer: it may or may not have been applied) or failed (certainly not applied).
//!
//! - [`replicas_agree`]: every replica equals the first; else which one differs, and how.
//! - [`check_counter`]: the counter's value lies between the sum of acknowledged deltas plus
//!   every unknown decrement and the same plus every unknown increment.
//! - [`check_set`]: an observed-remove set holds every element whose acknowledged add no
//!   acknowledged remove observed (and no unknown remove might have), holds no element that was
//!   never added, and holds no element all of whose adds were observed by acknowledged removes.
//! - [`check_register`]: a register holds a value whose write no acknowledged write followed
//!   in real time; else the later acknowledged write is reported lost.
//!
//! ```
//! use sandtable_check::{check_counter, replicas_agree, CounterHistory, Outcome};
//!
//! let mut h = CounterHistory::default();
//! h.record(5, Outcome::Acknowledged);
//! h.record(2, Outcome::Unknown);
//! assert!(check_counter(6, &h).is_ok()); // 5 acknowledged, the unknown 2 maybe: 5..=7
//! assert!(check_counter(4, &h).unwrap_err().to_string().contains("below"));
//! let states = [("n0", 6), ("n1", 6), ("n2", 5)];
//! let err = replicas_agree(&states).unwrap_err();
//! assert!(err.to_string().contains("replica n2 differs from n0"));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

/// What a client learned of one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// A replica answered: the operation was applied (and made durable, if the system says so).
    Acknowledged,
    /// No answer: the operation may have been applied, now or later, or never.
    Unknown,
    /// A definite refusal: the operation was not applied.
    Failed,
}

/// A violation found by one of the convergence checks, worded for a human.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvergenceError {
    /// No replica state was given.
    #[error("no replicas to compare")]
    NoReplicas,
    /// Two replicas hold different states after the settle period.
    #[error("replicas did not converge: replica {other} differs from {first}\n  {first}: {first_state}\n  {other}: {other_state}\n  ({differing} of {replicas} replicas differ from {first})")]
    Diverged {
        /// The reference replica (the first given).
        first: String,
        /// Its state, `Debug`-formatted.
        first_state: String,
        /// The first replica that differs from it.
        other: String,
        /// That replica's state.
        other_state: String,
        /// How many replicas differ from the first.
        differing: usize,
        /// How many replicas there are.
        replicas: usize,
    },
    /// A counter's value is outside what the acknowledged and unknown operations allow.
    #[error("counter value {value} is {side} the allowed range {min}..={max}: {acknowledged} acknowledged operation(s) sum to {acknowledged_sum}; {unknown} unknown operation(s) could add {unknown_down}..={unknown_up}")]
    CounterOutOfRange {
        /// The final value.
        value: i64,
        /// `"below"` or `"above"`.
        side: &'static str,
        /// The smallest allowed value.
        min: i64,
        /// The largest allowed value.
        max: i64,
        /// How many operations were acknowledged.
        acknowledged: usize,
        /// Their sum.
        acknowledged_sum: i64,
        /// How many operations had no answer.
        unknown: usize,
        /// The sum of unknown decrements (at most 0).
        unknown_down: i64,
        /// The sum of unknown increments (at least 0).
        unknown_up: i64,
    },
    /// An element that must be in the set is not.
    #[error("element {element} is missing: {add} was acknowledged, and no acknowledged remove observed its tag {tag} (nor could an unknown remove of {element} have)")]
    MissingElement {
        /// The element, `Debug`-formatted.
        element: String,
        /// The acknowledged add that put it there (its description).
        add: String,
        /// That add's unique tag.
        tag: u64,
    },
    /// An element is in the set though no add of it can have taken effect.
    #[error("element {element} is present but was never added{failed}")]
    NeverAdded {
        /// The element, `Debug`-formatted.
        element: String,
        /// Mentions the failed adds of it, if any.
        failed: String,
    },
    /// An element is in the set though acknowledged removes observed every add of it.
    #[error("element {element} is present but every add of it was observed by an acknowledged remove: {removed}")]
    Resurrected {
        /// The element, `Debug`-formatted.
        element: String,
        /// Which remove observed which add.
        removed: String,
    },
    /// The register holds a value no surviving write can explain: a later acknowledged write
    /// was lost.
    #[error("lost write: the register holds {value}, from the {from}; but the {lost} began at {}, after that write was acknowledged at {} — the later acknowledged write is lost", secs(*.lost_invoked_ns), secs(*.acknowledged_ns))]
    LostWrite {
        /// The final value, `Debug`-formatted.
        value: String,
        /// Which write put it there.
        from: String,
        /// The later acknowledged write that should have replaced it.
        lost: String,
        /// When the lost write was invoked (true time, ns).
        lost_invoked_ns: u64,
        /// When the surviving write was acknowledged (true time, ns).
        acknowledged_ns: u64,
    },
    /// The register holds a value no write wrote (or only a failed one), or is empty though a
    /// write was acknowledged.
    #[error("the register holds {value}, which no acknowledged or unknown write wrote{expected}")]
    UnwrittenValue {
        /// The final value, `Debug`-formatted (`None` for an empty register).
        value: String,
        /// What it should hold instead, if a single candidate.
        expected: String,
    },
}

/// Checks that every replica's final state equals the first's. `replicas` holds
/// `(name, state)` pairs; the error names the first replica that differs, with both states.
pub fn replicas_agree<N: AsRef<str>, S: PartialEq + Debug>(
    replicas: &[(N, S)],
) -> Result<(), ConvergenceError> {
    let ((first, reference), rest) = replicas.split_first().ok_or(ConvergenceError::NoReplicas)?;
    let mut differing = rest.iter().filter(|(_, s)| s != reference);
    let Some((other, state)) = differing.next() else {
        return Ok(());
    };
    Err(ConvergenceError::Diverged {
        first: first.as_ref().to_string(),
        first_state: format!("{reference:?}"),
        other: other.as_ref().to_string(),
        other_state: format!("{state:?}"),
        differing: 1 + differing.count(),
        replicas: replicas.len(),
    })
}

/// The operations on one counter: each a signed delta (increments positive, decrements
/// negative) and its outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CounterHistory {
    ops: Vec<(i64, Outcome)>,
}

/// What a counter's history allows: `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterBounds {
    /// Acknowledged deltas plus every unknown decrement.
    pub min: i64,
    /// Acknowledged deltas plus every unknown increment.
    pub max: i64,
}

impl CounterHistory {
    /// Records one operation adding `delta` (negative for a decrement).
    pub fn record(&mut self, delta: i64, outcome: Outcome) {
        self.ops.push((delta, outcome));
    }

    /// Every operation recorded, in order.
    pub fn ops(&self) -> &[(i64, Outcome)] {
        &self.ops
    }

    /// The range of values the history allows.
    pub fn bounds(&self) -> CounterBounds {
        let s = self.sums();
        CounterBounds {
            min: s.acknowledged + s.down,
            max: s.acknowledged + s.up,
        }
    }

    fn sums(&self) -> Sums {
        let mut s = Sums::default();
        for &(delta, outcome) in &self.ops {
            match outcome {
                Outcome::Acknowledged => {
                    s.acknowledged += delta;
                    s.acked_ops += 1;
                }
                Outcome::Unknown if delta < 0 => s.down += delta,
                Outcome::Unknown => s.up += delta,
                Outcome::Failed => {}
            }
            s.unknown_ops += usize::from(outcome == Outcome::Unknown);
        }
        s
    }
}

#[derive(Default)]
struct Sums {
    acknowledged: i64,
    acked_ops: usize,
    unknown_ops: usize,
    down: i64,
    up: i64,
}

/// Checks a counter's final `value` against its history: it must lie in
/// [`CounterHistory::bounds`]. Returns the bounds.
pub fn check_counter(
    value: i64,
    history: &CounterHistory,
) -> Result<CounterBounds, ConvergenceError> {
    let bounds = history.bounds();
    if (bounds.min..=bounds.max).contains(&value) {
        return Ok(bounds);
    }
    let s = history.sums();
    Err(ConvergenceError::CounterOutOfRange {
        value,
        side: if value < bounds.min { "below" } else { "above" },
        min: bounds.min,
        max: bounds.max,
        acknowledged: s.acked_ops,
        acknowledged_sum: s.acknowledged,
        unknown: s.unknown_ops,
        unknown_down: s.down,
        unknown_up: s.up,
    })
}

/// One add to an observed-remove set: the element, the unique tag the add carried, its
/// outcome, and a description for reports (who, when).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetAdd<E> {
    /// The element added.
    pub element: E,
    /// The add's unique tag.
    pub tag: u64,
    /// What the client learned.
    pub outcome: Outcome,
    /// For reports, e.g. "add of 3 by client 1 at 2.1 s".
    pub description: String,
}

/// One remove from an observed-remove set: the element and, when acknowledged, the tags the
/// replica observed (and so removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetRemove<E> {
    /// The element removed.
    pub element: E,
    /// The tags removed; meaningful only when `outcome` is acknowledged (an unknown remove
    /// may have observed any tag of its element).
    pub observed: BTreeSet<u64>,
    /// What the client learned.
    pub outcome: Outcome,
    /// For reports.
    pub description: String,
}

/// The operations on one observed-remove set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetHistory<E> {
    /// Every add, in invocation order.
    pub adds: Vec<SetAdd<E>>,
    /// Every remove, in invocation order.
    pub removes: Vec<SetRemove<E>>,
}

impl<E> Default for SetHistory<E> {
    fn default() -> Self {
        SetHistory {
            adds: Vec::new(),
            removes: Vec::new(),
        }
    }
}

/// Counts from a passing set check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetSummary {
    /// Elements that had to be present (and were).
    pub required: usize,
    /// Elements present on the strength of an unknown add or an add no remove observed.
    pub present: usize,
}

/// Checks an observed-remove set's final `value` against its history, element by element
/// (in order, so the first violation reported is the smallest element's):
///
/// 1. an element with an acknowledged add whose tag no acknowledged remove observed, and of
///    which no remove is unknown, must be present;
/// 2. a present element must have an add that is acknowledged or unknown;
/// 3. a present element must have such an add whose tag no acknowledged remove observed.
pub fn check_set<E: Ord + Debug>(
    value: &BTreeSet<E>,
    history: &SetHistory<E>,
) -> Result<SetSummary, ConvergenceError> {
    let removed: BTreeMap<u64, &SetRemove<E>> = history
        .removes
        .iter()
        .filter(|r| r.outcome == Outcome::Acknowledged)
        .flat_map(|r| r.observed.iter().map(move |&t| (t, r)))
        .collect();
    let maybe_removed: BTreeSet<&E> = history
        .removes
        .iter()
        .filter(|r| r.outcome == Outcome::Unknown)
        .map(|r| &r.element)
        .collect();
    let mut adds: BTreeMap<&E, Vec<&SetAdd<E>>> = BTreeMap::new();
    for add in &history.adds {
        adds.entry(&add.element).or_default().push(add);
    }
    let mut summary = SetSummary::default();
    let elements: BTreeSet<&E> = adds.keys().copied().chain(value.iter()).collect();
    for e in elements {
        let of_e = adds.get(e).map_or(&[][..], |v| &v[..]);
        let live = |a: &&&SetAdd<E>| a.outcome != Outcome::Failed && !removed.contains_key(&a.tag);
        if value.contains(e) {
            check_present(e, of_e, &removed)?;
            summary.present += 1;
        } else if !maybe_removed.contains(e) {
            if let Some(add) = of_e
                .iter()
                .filter(live)
                .find(|a| a.outcome == Outcome::Acknowledged)
            {
                return Err(ConvergenceError::MissingElement {
                    element: format!("{e:?}"),
                    add: add.description.clone(),
                    tag: add.tag,
                });
            }
        }
        let required = !maybe_removed.contains(e)
            && of_e
                .iter()
                .filter(live)
                .any(|a| a.outcome == Outcome::Acknowledged);
        summary.required += usize::from(required);
    }
    Ok(summary)
}

/// How many adds a report lists before it says "and N more".
const MAX_SHOWN: usize = 3;

/// `ns` as seconds, to the microsecond.
fn secs(ns: u64) -> String {
    format!("{:.6}s", ns as f64 / 1e9)
}

/// Rules 2 and 3 for an element that is present.
fn check_present<E: Debug>(
    e: &E,
    adds: &[&SetAdd<E>],
    removed: &BTreeMap<u64, &SetRemove<E>>,
) -> Result<(), ConvergenceError> {
    let effective: Vec<&&SetAdd<E>> = adds
        .iter()
        .filter(|a| a.outcome != Outcome::Failed)
        .collect();
    if effective.is_empty() {
        let failed = if adds.is_empty() {
            String::new()
        } else {
            format!(" (its {} add(s) all failed)", adds.len())
        };
        return Err(ConvergenceError::NeverAdded {
            element: format!("{e:?}"),
            failed,
        });
    }
    if effective.iter().any(|a| !removed.contains_key(&a.tag)) {
        return Ok(());
    }
    let shown = effective
        .iter()
        .take(MAX_SHOWN)
        .map(|a| {
            format!(
                "{} (tag {}) observed by {}",
                a.description, a.tag, removed[&a.tag].description
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let removed = match effective.len().saturating_sub(MAX_SHOWN) {
        0 => shown,
        more => format!("{shown}; and {more} more"),
    };
    Err(ConvergenceError::Resurrected {
        element: format!("{e:?}"),
        removed,
    })
}

/// One write to a register, with the true times (ns) of its invocation and acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterWrite<V> {
    /// The value written.
    pub value: V,
    /// What the client learned.
    pub outcome: Outcome,
    /// When the client sent it (true time, ns).
    pub invoked_ns: u64,
    /// When the acknowledgement arrived (for an acknowledged write).
    pub acknowledged_ns: Option<u64>,
    /// For reports, e.g. "write of 7 by client 2 via n1".
    pub description: String,
}

/// Checks a register's final `value` (None: never written) against its writes, in real-time
/// order: the value must be that of an acknowledged or unknown write that no acknowledged
/// write followed — one invoked after it was acknowledged. A last-writer-wins register whose
/// timestamps come from skewed clocks breaks this (see the CRDT example's README).
pub fn check_register<V: PartialEq + Debug>(
    value: Option<&V>,
    writes: &[RegisterWrite<V>],
) -> Result<(), ConvergenceError> {
    let effective = || writes.iter().filter(|w| w.outcome != Outcome::Failed);
    // The latest invocation of an acknowledged write: it follows every write acknowledged
    // before it began.
    let latest = writes
        .iter()
        .filter(|w| w.outcome == Outcome::Acknowledged)
        .max_by_key(|w| w.invoked_ns);
    let superseded = |w: &RegisterWrite<V>| match (w.acknowledged_ns, latest) {
        (Some(acked), Some(l)) => w.outcome == Outcome::Acknowledged && l.invoked_ns > acked,
        _ => false,
    };
    let Some(value) = value else {
        return match latest {
            None => Ok(()),
            Some(l) => Err(ConvergenceError::UnwrittenValue {
                value: "None".into(),
                expected: format!(" (expected the value of {}, or a later one)", l.description),
            }),
        };
    };
    let mut same = effective().filter(|w| &w.value == value).peekable();
    if same.peek().is_none() {
        return Err(ConvergenceError::UnwrittenValue {
            value: format!("{value:?}"),
            expected: latest.map_or(String::new(), |l| {
                format!(" (expected the value of {}, or a later one)", l.description)
            }),
        });
    }
    let mut lost = None;
    for w in same {
        if !superseded(w) {
            return Ok(());
        }
        lost.get_or_insert(w);
    }
    let (w, l) = (
        lost.expect("a write of the value exists"),
        latest.expect("a superseded write implies a later one"),
    );
    Err(ConvergenceError::LostWrite {
        value: format!("{value:?}"),
        from: w.description.clone(),
        lost: l.description.clone(),
        lost_invoked_ns: l.invoked_ns,
        acknowledged_ns: w
            .acknowledged_ns
            .expect("superseded writes were acknowledged"),
    })
}
