//! [`Frontier`]: the operations not yet linearized, and which one to try next.

use rustc_hash::FxHashMap;

use crate::entries::{Entries, Interval, NIL};
use crate::search::Problem;
use crate::Model;

/// Try order of a candidate: (group, rank).
pub(crate) type Key = (u8, u64);

/// The key of a free (read-only) placement: nothing else is tried at its level.
pub(crate) const FREE: Key = (u8::MAX, u64::MAX);

/// Rank of `info` ops: after every `ok` op, in invocation order.
const INFO_RANK: u64 = 1 << 62;

/// The remaining operations, split so that candidates are cheap to find:
/// `ok` operations (calls and returns) in one list, `info` calls in another.
pub(crate) struct Frontier {
    ok: Entries,
    info: Entries,
    /// Try order: `ok` ops by return position, then `info` ops by call.
    rank: Vec<u64>,
    /// For `info` ops: a class id shared by ops with equal inputs.
    class: Vec<u32>,
    /// Scratch: the pick in which a class was last seen.
    seen: Vec<u64>,
    epoch: u64,
    /// Scratch: the current candidates.
    buf: Vec<u32>,
}

impl Frontier {
    pub(crate) fn new<M: Model>(p: &Problem<'_, M>) -> Frontier {
        let intervals = &p.intervals;
        let is_ok = |op: usize| intervals[op].ret.is_some();
        let rank = intervals
            .iter()
            .enumerate()
            .map(|(op, iv)| iv.ret.map_or(INFO_RANK + op as u64, |r| r as u64 + 1))
            .collect();
        let mut classes: FxHashMap<&M::Input, u32> = FxHashMap::default();
        let class = (0..intervals.len())
            .map(|op| {
                let next = classes.len() as u32;
                if is_ok(op) {
                    u32::MAX
                } else {
                    *classes.entry(p.inputs[op]).or_insert(next)
                }
            })
            .collect();
        Frontier {
            ok: Entries::new(intervals, is_ok),
            info: Entries::new(intervals, |op| !is_ok(op)),
            rank,
            class,
            seen: vec![0; classes.len()],
            epoch: 0,
            buf: Vec::new(),
        }
    }

    /// The next candidate to try after those ordered at or below `above`.
    ///
    /// Candidates are the operations invoked before the first remaining
    /// return; the operation returning there ("forced") must be placed
    /// before it. Following Lowe's just-in-time linearization, the order is:
    /// the forced operation itself, then candidates after which it becomes
    /// possible, then the rest; each group by earliest return, `info` last.
    ///
    /// A read-only candidate that fits the current state is placed first and
    /// alone ([`FREE`]): if a linearization exists, one exists that places it
    /// now, since it changes nothing and everything that must precede it is
    /// already placed.
    pub(crate) fn pick<M: Model>(
        &mut self,
        p: &Problem<'_, M>,
        state: &M::State,
        above: Key,
    ) -> Option<(u32, Key)> {
        let forced = self.collect(&p.intervals);
        let step = |op: u32| p.model.step(state, p.inputs[op as usize]);
        if above == (0, 0) {
            let read_only =
                |op: &&u32| p.model.is_read_only(p.inputs[**op as usize]) && step(**op).is_some();
            if let Some(&op) = self.buf.iter().find(read_only) {
                return Some((op, FREE));
            }
        }
        let key = |op: u32| -> Key {
            let rank = self.rank[op as usize];
            match forced {
                Some(f) if f == op => (0, rank),
                Some(f)
                    if step(op)
                        .is_some_and(|s| p.model.step(&s, p.inputs[f as usize]).is_some()) =>
                {
                    (1, rank)
                }
                _ => (2, rank),
            }
        };
        // An `info` operation that only sets a state (a write, a cas) is worth placing only just
        // before a candidate that needs that state and does not fit now: in any linearization
        // such an operation can be moved there, or dropped (it may never take effect) when
        // nothing observes it before the next change. Skipping it elsewhere is complete, and it
        // keeps crashed writes from multiplying the configurations.
        let needed: Vec<M::State> = self
            .buf
            .iter()
            .filter_map(|&op| p.model.needs(p.inputs[op as usize]))
            .filter(|s| s != state)
            .collect();
        let useless_info = |op: u32| {
            self.rank[op as usize] >= INFO_RANK
                && p.model
                    .sets(p.inputs[op as usize])
                    .is_some_and(|v| v == *state || !needed.contains(&v))
        };
        let mut best: Option<(u32, Key)> = None;
        for &op in &self.buf {
            if useless_info(op) {
                continue;
            }
            let k = key(op);
            if k > above && !matches!(best, Some((_, b)) if k >= b) {
                best = Some((op, k));
            }
        }
        best
    }

    /// Fills `buf` with the candidates and returns the forced operation.
    ///
    /// Of several pending `info` operations with equal inputs only the first
    /// is a candidate: they are interchangeable from here on (each may take
    /// effect at any later point), so trying the others repeats work.
    fn collect(&mut self, intervals: &[Interval]) -> Option<u32> {
        self.buf.clear();
        let mut forced = None;
        let mut node = self.ok.first();
        while node != NIL {
            let (op, is_call) = self.ok.get(node);
            if !is_call {
                forced = Some(op);
                break;
            }
            self.buf.push(op);
            node = self.ok.next(node);
        }
        let bound = forced
            .and_then(|f| intervals[f as usize].ret)
            .unwrap_or(usize::MAX);
        self.epoch += 1;
        let mut node = self.info.first();
        while node != NIL {
            let (op, _) = self.info.get(node);
            if intervals[op as usize].call > bound {
                break;
            }
            let class = self.class[op as usize] as usize;
            if self.seen[class] != self.epoch {
                self.seen[class] = self.epoch;
                self.buf.push(op);
            }
            node = self.info.next(node);
        }
        forced
    }

    /// Removes `op` (it was linearized).
    pub(crate) fn lift(&mut self, op: u32) {
        if self.rank[op as usize] < INFO_RANK {
            self.ok.lift(op);
        } else {
            self.info.lift(op);
        }
    }

    /// Restores `op`; undoes the latest [`lift`](Self::lift).
    pub(crate) fn unlift(&mut self, op: u32) {
        if self.rank[op as usize] < INFO_RANK {
            self.ok.unlift(op);
        } else {
            self.info.unlift(op);
        }
    }
}
