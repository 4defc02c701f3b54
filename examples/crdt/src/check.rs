//! From the clients' records and the replicas' final states to the convergence checks of
//! `sandtable::lin` (the checker crate, which knows nothing of the runtime).

use std::collections::BTreeSet;

use sandtable::lin::{
    check_counter, check_register, check_set, replicas_agree, ConvergenceError, CounterBounds,
    CounterHistory, Outcome, RegisterWrite, SetAdd, SetHistory, SetRemove, SetSummary,
};

use crate::store::{Element, Op, Reply, Store};
use crate::workload::Record;

/// The clients' operations, split per data type, in the checker's terms.
#[derive(Clone, Debug, Default)]
pub struct Histories {
    /// G-Counter increments.
    pub gcounter: CounterHistory,
    /// PN-Counter changes.
    pub pncounter: CounterHistory,
    /// OR-Set adds and removes.
    pub set: SetHistory<Element>,
    /// LWW register writes.
    pub register: Vec<RegisterWrite<u64>>,
}

fn describe(r: &Record) -> String {
    let at = r.invoked_ns as f64 / 1e9;
    let what = match &r.op {
        Op::Increment(n) => format!("increment by {n}"),
        Op::Change(d) => format!("change by {d}"),
        Op::Add(e, _) => format!("add of {e}"),
        Op::Remove(e) => format!("remove of {e}"),
        Op::Write(v) => format!("write of {v}"),
    };
    let when = match r.acknowledged_ns {
        Some(ack) => format!("acknowledged at {:.3}s", ack as f64 / 1e9),
        None => "unanswered".to_string(),
    };
    format!(
        "{what} by client {} via {} at {at:.3}s ({when})",
        r.client, r.node
    )
}

impl Histories {
    /// Splits the clients' records.
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a Record>) -> Histories {
        let mut h = Histories::default();
        for r in records {
            let o = r.outcome;
            match (&r.op, &r.reply) {
                (Op::Increment(n), _) => h.gcounter.record(*n as i64, o),
                (Op::Change(d), _) => h.pncounter.record(*d, o),
                (Op::Add(e, tag), _) => h.set.adds.push(SetAdd {
                    element: *e,
                    tag: *tag,
                    outcome: o,
                    description: describe(r),
                }),
                (Op::Remove(e), reply) => h.set.removes.push(SetRemove {
                    element: *e,
                    observed: match reply {
                        Some(Reply::Removed(tags)) => tags.clone(),
                        _ => BTreeSet::new(),
                    },
                    outcome: o,
                    description: describe(r),
                }),
                (Op::Write(v), _) => h.register.push(RegisterWrite {
                    value: *v,
                    outcome: o,
                    invoked_ns: r.invoked_ns,
                    acknowledged_ns: r.acknowledged_ns,
                    description: describe(r),
                }),
            }
        }
        h
    }
}

/// What the checks found on a run that converged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdicts {
    /// The G-Counter's value and what its history allowed.
    pub gcounter: (i64, CounterBounds),
    /// The PN-Counter's value and what its history allowed.
    pub pncounter: (i64, CounterBounds),
    /// The OR-Set's size and its check's counts.
    pub set: (usize, SetSummary),
    /// The register's real-time check: `Err` is a lost write, which skewed clocks cause
    /// in a correct LWW register (reported, not failed, unless the scenario asks).
    pub register: Result<(), ConvergenceError>,
}

/// A convergence check that failed, and on which data type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckError {
    /// The data type: "G-Counter", "PN-Counter", "OR-Set", "LWW register", or "store".
    pub what: &'static str,
    /// What the checker found.
    pub error: Box<ConvergenceError>,
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.error)
    }
}

impl std::error::Error for CheckError {}

/// Tags a checker's error with the data type it is about.
fn on<T>(what: &'static str, r: Result<T, ConvergenceError>) -> Result<T, CheckError> {
    r.map_err(|error| CheckError {
        what,
        error: Box::new(error),
    })
}

/// Every replica's `part` of the state, named.
fn parts<'a, T>(states: &'a [(String, Store)], part: impl Fn(&'a Store) -> T) -> Vec<(&'a str, T)> {
    states.iter().map(|(n, s)| (n.as_str(), part(s))).collect()
}

/// Checks the final states: every replica equal — type by type, so a report shows only the
/// part that differs — then each data type against its history. A register whose value no
/// write wrote is an error; a lost write is returned in [`Verdicts::register`].
pub fn check(states: &[(String, Store)], h: &Histories) -> Result<Verdicts, CheckError> {
    on("G-Counter", replicas_agree(&parts(states, |s| &s.gcounter)))?;
    on(
        "PN-Counter",
        replicas_agree(&parts(states, |s| &s.pncounter)),
    )?;
    on("OR-Set", replicas_agree(&parts(states, |s| &s.set)))?;
    on(
        "LWW register",
        replicas_agree(&parts(states, |s| &s.register)),
    )?;
    on("store", replicas_agree(states))?;
    let store = &states[0].1;
    let g = i64::try_from(store.gcounter.value()).unwrap_or(i64::MAX);
    let pn = store.pncounter.value();
    let set = store.set.value();
    let register = check_register(store.register.value(), &h.register);
    if let Err(e @ ConvergenceError::UnwrittenValue { .. }) = register {
        return on("LWW register", Err(e));
    }
    Ok(Verdicts {
        gcounter: (g, on("G-Counter", check_counter(g, &h.gcounter))?),
        pncounter: (pn, on("PN-Counter", check_counter(pn, &h.pncounter))?),
        set: (set.len(), on("OR-Set", check_set(&set, &h.set))?),
        register,
    })
}

/// Counts of a run's operations: (acknowledged, unknown).
pub fn outcomes<'a>(records: impl IntoIterator<Item = &'a Record>) -> (usize, usize) {
    records
        .into_iter()
        .fold((0, 0), |(a, u), r| match r.outcome {
            Outcome::Acknowledged => (a + 1, u),
            _ => (a, u + 1),
        })
}
