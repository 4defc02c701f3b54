//! A polynomial decision procedure for registers whose written values are unique: the zone
//! analysis of Gibbons and Korach (1997), as used by Anderson et al., "What consistency does
//! your key-value store actually provide?" (2010).
//!
//! When every operation of a partition is a read or a blind write of a register
//! ([`Model::register_access`]) and no two writes write the same value (nor the initial one),
//! each read has exactly one write it can have read from. A value's *cluster* is its write and
//! the reads that returned it; the initial value's cluster has a virtual write invoked and
//! completed at −∞. `info` reads are already dropped; an `info` write returns at +∞, and one
//! whose value nobody read is dropped too (it may never have taken effect, and leaving it out
//! never hurts). In any linearization a cluster takes effect in one *stretch*: from its write
//! to its last read the register holds its value and nothing else is written (the value can
//! never come back). The stretch starts no later than `f` (the earliest return in the cluster)
//! and ends no earlier than `s` (the latest invocation). If `f < s` the cluster has the
//! *forward zone* `[f, s]`, which its stretch covers; otherwise the *backward zone* `[s, f]`,
//! which every one of its operations spans.
//!
//! The history is linearizable iff
//! 1. every read returns the initial value or a value some operation writes, and no read returns
//!    before the write of its value is invoked;
//! 2. no two forward zones overlap (their stretches would overlap);
//! 3. no backward zone lies inside a forward zone (its stretch reaches past its `s` and starts
//!    before its `f`, so it could lie neither wholly before nor wholly after the other stretch).
//!
//! These are necessary by the stretch argument above. They are sufficient: place each forward
//! cluster's write just before its `f` and its reads between `f` and `s` within their intervals,
//! and each backward cluster as a block at a point of its zone outside every (open) forward
//! zone, which exists because the forward zones are disjoint and none contains the backward
//! zone. Times are event positions, all distinct, so there are no ties.
//!
//! The property tests compare this against an independent brute force.

use rustc_hash::FxHashMap;

use crate::explanation::{Blocked, Context, Explanation};
use crate::{Model, RegisterAccess};

/// What the zone analysis concluded about a partition.
#[derive(Debug)]
pub(crate) enum Zones {
    /// Some operation is not a plain read or write, or a value is written twice (or the initial
    /// value is written): the analysis does not apply.
    NotApplicable,
    /// A linearization exists.
    Linearizable,
    /// None exists, for this reason.
    Violation(Conflict),
}

/// Why no linearization exists: a paragraph, and the operations involved (local indices),
/// each with its part.
#[derive(Debug, Clone)]
pub(crate) struct Conflict {
    pub(crate) text: String,
    pub(crate) involved: Vec<(usize, String)>,
}

const NEG: i64 = i64::MIN;
const POS: i64 = i64::MAX;

/// A value's write and the reads that returned it.
#[derive(Debug)]
struct Cluster<S> {
    value: S,
    /// The write (local op); `None` for the initial value.
    write: Option<usize>,
    reads: Vec<usize>,
    /// Earliest return in the cluster, and the op returning then (`None`: the virtual write).
    f: (i64, Option<usize>),
    /// Latest invocation in the cluster, and the op invoked then.
    s: (i64, Option<usize>),
}

impl<S> Cluster<S> {
    fn forward(&self) -> bool {
        self.f.0 < self.s.0
    }
}

/// Runs the zone analysis on one partition.
pub(crate) fn analyse<M: Model>(cx: &Context<'_, M>) -> Zones {
    let p = cx.problem;
    let model = p.model;
    let init = model.init();
    let time = |pos: usize| pos as i64;
    let mut clusters: Vec<Cluster<M::State>> = vec![Cluster {
        value: init.clone(),
        write: None,
        reads: Vec::new(),
        f: (NEG, None),
        s: (NEG, None),
    }];
    let mut by_value: FxHashMap<M::State, usize> = FxHashMap::default();
    let mut reads: Vec<(usize, M::State)> = Vec::new();
    for (local, input) in p.inputs.iter().enumerate() {
        if model.is_noop(input) {
            continue;
        }
        let iv = &p.intervals[local];
        match model.register_access(input) {
            None => return Zones::NotApplicable,
            Some(RegisterAccess::Write(v)) => {
                if v == init || by_value.contains_key(&v) {
                    return Zones::NotApplicable;
                }
                by_value.insert(v.clone(), clusters.len());
                clusters.push(Cluster {
                    value: v,
                    write: Some(local),
                    reads: Vec::new(),
                    f: (iv.ret.map_or(POS, time), Some(local)),
                    s: (time(iv.call), Some(local)),
                });
            }
            // A read with unknown outcome constrains nothing.
            Some(RegisterAccess::Read(v)) if iv.ret.is_some() => reads.push((local, v)),
            Some(RegisterAccess::Read(_)) => {}
        }
    }
    // Condition 1, reported for the read that returns first.
    let mut first_bad: Option<(usize, Conflict)> = None;
    for (local, v) in reads {
        let iv = &p.intervals[local];
        let ret = iv.ret.expect("only ok reads are kept");
        let c = if v == init {
            0
        } else if let Some(&c) = by_value.get(&v) {
            c
        } else {
            if first_bad.as_ref().is_none_or(|(r, _)| ret < *r) {
                first_bad = Some((ret, unwritten(cx, local)));
            }
            continue;
        };
        let cluster = &mut clusters[c];
        if let Some(w) = cluster.write {
            if ret < p.intervals[w].call && first_bad.as_ref().is_none_or(|(r, _)| ret < *r) {
                first_bad = Some((ret, too_early(cx, local, w)));
            }
        }
        cluster.reads.push(local);
        if time(ret) < cluster.f.0 {
            cluster.f = (time(ret), Some(local));
        }
        if time(iv.call) > cluster.s.0 {
            cluster.s = (time(iv.call), Some(local));
        }
    }
    if let Some((_, conflict)) = first_bad {
        return Zones::Violation(conflict);
    }
    // An unread `info` write may never have happened; the initial value unread needs nothing.
    let live: Vec<&Cluster<M::State>> = clusters
        .iter()
        .filter(|c| !c.reads.is_empty() || c.write.is_some_and(|w| p.intervals[w].ret.is_some()))
        .collect();
    // Condition 2: forward zones by start; each must start after every earlier one ended. Of
    // the first zone that is overlapped, report the overlapping zone starting last, nearest the
    // end of the first: a stale read is the late end of a long zone, and so is named next to
    // the values written and read before it.
    let mut forward: Vec<&Cluster<M::State>> =
        live.iter().copied().filter(|c| c.forward()).collect();
    forward.sort_by_key(|c| c.f.0);
    for pair in forward.windows(2) {
        // Until the first overlap the zones are disjoint, so the previous one reaches furthest.
        let (r, c) = (pair[0], pair[1]);
        if c.f.0 < r.s.0 {
            let last = forward.partition_point(|z| z.f.0 < r.s.0) - 1;
            return Zones::Violation(overlap(cx, r, forward[last]));
        }
    }
    // Condition 3: the forward zones are now disjoint and sorted, so only the last one starting
    // before a backward zone can contain it. Report the first forward zone containing one, and
    // of the backward zones inside it the one invoked last (nearest its end, as above).
    let mut worst: Option<(usize, i64, &Cluster<M::State>)> = None;
    for &c in live.iter().filter(|c| !c.forward()) {
        let (start, end) = (c.s.0, c.f.0);
        let Some(z) = forward.partition_point(|z| z.f.0 < start).checked_sub(1) else {
            continue;
        };
        if end < forward[z].s.0 && worst.is_none_or(|(wz, ws, _)| (z, -start) < (wz, -ws)) {
            worst = Some((z, start, c));
        }
    }
    if let Some((z, _, c)) = worst {
        return Zones::Violation(inside(cx, c, forward[z]));
    }
    Zones::Linearizable
}

fn value<M: Model>(cx: &Context<'_, M>, v: &M::State) -> String {
    cx.problem.model.describe(v, cx.values)
}

fn op_ref<M: Model>(cx: &Context<'_, M>, local: usize) -> String {
    format!("op #{}", cx.ids[local])
}

fn invoke_line<M: Model>(cx: &Context<'_, M>, local: usize) -> usize {
    cx.ops[cx.ids[local]].invoke_line
}

fn return_line<M: Model>(cx: &Context<'_, M>, local: usize) -> usize {
    let op = &cx.ops[cx.ids[local]];
    op.complete_line.unwrap_or(op.invoke_line)
}

const PREAMBLE: &str = "Each value is written at most once, so its write and its reads take effect in one stretch in which the register holds it and nothing else is written.";

fn unwritten<M: Model>(cx: &Context<'_, M>, read: usize) -> Conflict {
    let v = read_value(cx, read);
    Conflict {
        text: format!(
            "{} read {v}, but no operation writes {v}.",
            op_ref(cx, read)
        ),
        involved: vec![(read, format!("it read {v}, which nothing writes"))],
    }
}

fn too_early<M: Model>(cx: &Context<'_, M>, read: usize, write: usize) -> Conflict {
    let v = read_value(cx, read);
    Conflict {
        text: format!(
            "{} read {v} and returned at line {}, but the only write of {v}, {}, was invoked later, at line {}.",
            op_ref(cx, read),
            return_line(cx, read),
            op_ref(cx, write),
            invoke_line(cx, write)
        ),
        involved: vec![
            (
                read,
                format!("it read {v} and returned at line {}", return_line(cx, read)),
            ),
            (
                write,
                format!(
                    "the only write of {v}, invoked at line {}",
                    invoke_line(cx, write)
                ),
            ),
        ],
    }
}

fn read_value<M: Model>(cx: &Context<'_, M>, read: usize) -> String {
    let p = cx.problem;
    match p.model.register_access(p.inputs[read]) {
        Some(RegisterAccess::Read(v)) => value(cx, &v),
        _ => unreachable!("a read"),
    }
}

/// "value 3 must be held from line 12 at the latest (when op #4 returned) until line 40 at the
/// earliest (when op #9, which read it, was invoked)".
fn stretch<M: Model>(cx: &Context<'_, M>, c: &Cluster<M::State>) -> String {
    let v = value(cx, &c.value);
    let last = c.s.1.expect("a forward zone ends at a real invocation");
    let until = format!(
        "until line {} at the earliest (when {}, which read it, was invoked)",
        invoke_line(cx, last),
        op_ref(cx, last)
    );
    match c.f.1 {
        None => format!("the initial value {v} must be held from the start {until}"),
        Some(first) => {
            let who = if Some(first) == c.write {
                "which writes it"
            } else {
                "which read it"
            };
            format!(
                "value {v} must be held from line {} at the latest (when {}, {who}, returned) {until}",
                return_line(cx, first),
                op_ref(cx, first)
            )
        }
    }
}

/// The parts the operations of a cluster's zone play.
fn roles<M: Model>(cx: &Context<'_, M>, c: &Cluster<M::State>, out: &mut Vec<(usize, String)>) {
    let v = value(cx, &c.value);
    if let (Some(w), true) = (c.write, c.reads.is_empty()) {
        out.push((
            w,
            format!(
                "it writes {v}, invoked at line {} and returned at line {}",
                invoke_line(cx, w),
                return_line(cx, w)
            ),
        ));
        return;
    }
    if let Some(first) = c.f.1 {
        let what = if Some(first) == c.write {
            format!("it writes {v}")
        } else {
            format!("it read {v}")
        };
        out.push((
            first,
            format!(
                "{what} and returned at line {}, so {v} was in place by then",
                return_line(cx, first)
            ),
        ));
    }
    if let Some(last) = c.s.1 {
        let what = if Some(last) == c.write {
            format!("it writes {v}")
        } else {
            format!("it read {v}")
        };
        out.push((
            last,
            format!(
                "{what} and was invoked at line {}, so {v} was still in place after that",
                invoke_line(cx, last)
            ),
        ));
    }
    if let Some(w) = c.write {
        out.push((w, format!("the only write of {v}")));
    }
}

fn involved<M: Model>(
    cx: &Context<'_, M>,
    a: &Cluster<M::State>,
    b: &Cluster<M::State>,
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    roles(cx, a, &mut out);
    roles(cx, b, &mut out);
    // One entry per operation (its first part), in operation order.
    let mut seen = Vec::new();
    out.retain(|(l, _)| {
        let new = !seen.contains(l);
        seen.push(*l);
        new
    });
    out.sort_by_key(|(l, _)| cx.ids[*l]);
    out
}

fn overlap<M: Model>(
    cx: &Context<'_, M>,
    a: &Cluster<M::State>,
    b: &Cluster<M::State>,
) -> Conflict {
    let text = format!(
        "{PREAMBLE} Here {}, and {}: these stretches overlap.",
        stretch(cx, a),
        stretch(cx, b)
    );
    Conflict {
        text,
        involved: involved(cx, a, b),
    }
}

/// Backward zone `c` inside forward zone `z`.
fn inside<M: Model>(cx: &Context<'_, M>, c: &Cluster<M::State>, z: &Cluster<M::State>) -> Conflict {
    let u = value(cx, &c.value);
    let last = c.s.1.expect("a backward zone ends at a real invocation");
    let first = c.f.1.expect("a backward zone starts at a real return");
    let why = if c.reads.is_empty() {
        format!(
            "but {}, which writes {u}, was invoked at line {} and returned at line {}, inside that stretch",
            op_ref(cx, last),
            invoke_line(cx, last),
            return_line(cx, first)
        )
    } else {
        format!(
            "but the stretch of {u} (its write and the reads that returned it) must reach past line {} (when {} was invoked) and begin before line {} (when {} returned), so it can lie neither wholly before nor wholly after that stretch",
            invoke_line(cx, last),
            op_ref(cx, last),
            return_line(cx, first),
            op_ref(cx, first)
        )
    };
    let text = format!("{PREAMBLE} Here {}, {why}.", stretch(cx, z));
    Conflict {
        text,
        involved: involved(cx, z, c),
    }
}

impl Conflict {
    /// The explanation when nothing better is available (the search did not finish).
    pub(crate) fn explain<M: Model>(&self, cx: &Context<'_, M>) -> Explanation {
        let op = |l: usize| cx.ops[cx.ids[l]].clone();
        // The involved operation that returns last closes the window.
        let deadline = self
            .involved
            .iter()
            .map(|(l, _)| *l)
            .max_by_key(|&l| {
                (
                    cx.problem.intervals[l].ret.is_some(),
                    cx.problem.intervals[l].ret,
                )
            })
            .map_or_else(|| cx.ops[cx.ids[0]].clone(), op);
        let blocked = self
            .involved
            .iter()
            .map(|(l, reason)| Blocked {
                op: op(*l),
                reason: reason.clone(),
            })
            .collect();
        cx.impossible(deadline, blocked, Some(self.text.clone()))
    }
}
