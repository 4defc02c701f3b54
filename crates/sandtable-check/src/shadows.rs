//! [`Shadows`]: `ok` writes that a later `ok` read cannot see, so that something must overwrite
//! them in between ([`Model::hides`], [`Model::resets`]).
//!
//! Lowe's just-in-time order places an operation as late as it can. A string append that only
//! took effect to be overwritten by a put, and that returned long after the put, is then placed
//! after the put, where the next get to return shows that it is in the wrong place; by then the
//! search has tried every order of the operations in between. Here such a branch is dropped
//! as soon as no reset is left that could come between the append and a get that does not see
//! it.

use crate::search::Problem;
use crate::Model;

/// How many later readers are compared with each write when its deadline is computed: a bound
/// on the set-up's cost (a later deadline only prunes less).
const READERS_SCANNED: usize = 16;

/// No deadline.
const NEVER: usize = usize::MAX;

/// For each `ok` write: by when a reset must have been invoked to come between it and a later
/// `ok` operation that does not see it.
pub(crate) struct Shadows {
    /// Per op: the earliest return of an `ok` operation invoked after this one returned (which
    /// must therefore follow it) that [`Model::hides`] from it; [`NEVER`] for none.
    deadline: Vec<usize>,
    /// The operations for which [`Model::resets`] holds, by invocation: (call, op).
    resets: Vec<(usize, u32)>,
}

impl Shadows {
    /// The deadlines of `p`'s operations; `None` if no operation resets (the check could
    /// never help) or none has a deadline.
    pub(crate) fn new<M: Model>(p: &Problem<'_, M>) -> Option<Shadows> {
        let n = p.inputs.len();
        let intervals = &p.intervals;
        let mut resets: Vec<(usize, u32)> = (0..n)
            .filter(|&op| p.model.resets(p.inputs[op]))
            .map(|op| (intervals[op].call, op as u32))
            .collect();
        if resets.is_empty() {
            return None;
        }
        resets.sort_unstable();
        // The `ok` operations by return, to find each write's first hidden reader.
        let mut readers: Vec<(usize, usize)> = (0..n)
            .filter_map(|op| intervals[op].ret.map(|r| (r, op)))
            .filter(|&(_, op)| p.model.is_read_only(p.inputs[op]))
            .collect();
        readers.sort_unstable();
        let deadline: Vec<usize> = (0..n)
            .map(|op| {
                let Some(ret) = intervals[op].ret else {
                    return NEVER;
                };
                if p.model.is_read_only(p.inputs[op]) {
                    return NEVER;
                }
                let from = readers.partition_point(|&(r, _)| r <= ret);
                readers[from..]
                    .iter()
                    .filter(|&&(_, g)| intervals[g].call > ret)
                    .take(READERS_SCANNED)
                    .find(|&&(_, g)| p.model.hides(p.inputs[op], p.inputs[g]))
                    .map_or(NEVER, |&(r, _)| r)
            })
            .collect();
        deadline
            .iter()
            .any(|&d| d != NEVER)
            .then_some(Shadows { deadline, resets })
    }

    /// Whether a candidate other than `placing` (which is being placed now) can no longer be
    /// placed: it has a deadline, and no reset other than it and `placing` is left unplaced
    /// that was invoked before the deadline.
    pub(crate) fn dead(
        &self,
        candidates: &[u32],
        placing: u32,
        placed: impl Fn(u32) -> bool,
    ) -> bool {
        let mut left = self
            .resets
            .iter()
            .filter(|&&(_, r)| r != placing && !placed(r));
        let (first, second) = (left.next().copied(), left.next().copied());
        candidates.iter().any(|&a| {
            let deadline = self.deadline[a as usize];
            if a == placing || deadline == NEVER {
                return false;
            }
            let earliest = match first {
                Some((_, r)) if r == a => second,
                other => other,
            };
            earliest.is_none_or(|(call, _)| call >= deadline)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::entries::Interval;
    use crate::models::{KvAppend, KvAppendOp};

    fn problem(inputs: &[KvAppendOp], times: &[(usize, usize)]) -> Problem<'static, KvAppend> {
        let inputs: &'static [KvAppendOp] = Vec::leak(inputs.to_vec());
        Problem {
            model: &KvAppend,
            inputs: inputs.iter().collect(),
            intervals: times
                .iter()
                .map(|&(call, ret)| Interval {
                    call,
                    ret: Some(ret),
                })
                .collect(),
        }
    }

    #[test]
    fn an_append_left_behind_a_put_is_dead_unless_another_put_may_follow() {
        let s = |t: &str| Arc::<str>::from(t);
        // An append of "a" (0-10) and a put of "p" (1-2); a get invoked after the append
        // returned reads "p", which does not contain "a": the put must follow the append.
        let mut inputs = vec![
            KvAppendOp::Append(s("a")),
            KvAppendOp::Put(s("p")),
            KvAppendOp::Get(s("p")),
        ];
        let mut times = vec![(0, 10), (1, 2), (11, 12)];
        let p = problem(&inputs, &times);
        let shadows = Shadows::new(&p).expect("the append has a deadline");
        assert_eq!(shadows.deadline, [12, NEVER, NEVER]);
        let nothing_placed = |_| false;
        assert!(shadows.dead(&[0, 1], 1, nothing_placed), "the put first");
        assert!(
            !shadows.dead(&[0, 1], 0, nothing_placed),
            "the append first"
        );
        // A second put of "p" (5-13), invoked before the get returned, can still come after it.
        inputs.push(KvAppendOp::Put(s("p")));
        times.push((5, 13));
        let p = problem(&inputs, &times);
        let shadows = Shadows::new(&p).unwrap();
        assert!(!shadows.dead(&[0, 1, 3], 1, nothing_placed));
        assert!(
            shadows.dead(&[0, 1, 3], 1, |op| op == 3),
            "unless it is placed"
        );
    }

    #[test]
    fn nothing_to_check_without_resets() {
        let s = |t: &str| Arc::<str>::from(t);
        let inputs = [KvAppendOp::Append(s("a")), KvAppendOp::Get(s("b"))];
        assert!(Shadows::new(&problem(&inputs, &[(0, 1), (2, 3)])).is_none());
    }
}
