//! [`Frontier`]: the operations not yet linearized, and which one to try next.

use std::collections::BTreeSet;

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
/// `ok` operations (calls and returns) in one list, and `info` operations by class.
///
/// Pending `info` operations with equal inputs are interchangeable from here on (each may take
/// effect at any later point), so only the first remaining one of each class (its *head*) is a
/// candidate, and only heads are ever linearized; lifting and unlifting move a class's head
/// (last in, first out). The heads are kept ordered by invocation, so finding the candidates
/// costs the number of classes invoked in time, not the number of crashed operations pending
/// (a million-operation history has thousands, in a handful of classes).
pub(crate) struct Frontier {
    ok: Entries,
    /// Try order: `ok` ops by return position, then `info` ops by call.
    rank: Vec<u64>,
    /// For `info` ops: a class id shared by ops with equal inputs.
    class: Vec<u32>,
    /// Each class's `info` ops, in invocation order.
    members: Vec<Vec<u32>>,
    /// Each class's head: the index in `members` of its first remaining op.
    head: Vec<usize>,
    /// (invocation, class) of every class with a remaining op.
    heads: BTreeSet<(usize, u32)>,
    /// Each op's invocation.
    call: Vec<usize>,
    /// Scratch: the current candidates.
    buf: Vec<u32>,
    /// The `ok` operation returning first among the current candidates, if any.
    forced: Option<u32>,
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
        let mut members: Vec<Vec<u32>> = Vec::new();
        let class = (0..intervals.len())
            .map(|op| {
                if is_ok(op) {
                    return u32::MAX;
                }
                let next = classes.len() as u32;
                let c = *classes.entry(p.inputs[op]).or_insert(next);
                if c == next {
                    members.push(Vec::new());
                }
                members[c as usize].push(op as u32);
                c
            })
            .collect();
        let call: Vec<usize> = intervals.iter().map(|iv| iv.call).collect();
        let heads = members
            .iter()
            .enumerate()
            .map(|(c, ops)| (call[ops[0] as usize], c as u32))
            .collect();
        Frontier {
            ok: Entries::new(intervals, is_ok),
            rank,
            class,
            head: vec![0; members.len()],
            members,
            heads,
            call,
            buf: Vec::new(),
            forced: None,
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
        needed: &mut Vec<M::State>,
    ) -> Option<(u32, Key)> {
        let forced = self.collect(&p.intervals);
        self.forced = forced;
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
                    if p.model
                        .enables(state, p.inputs[op as usize], p.inputs[f as usize]) =>
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
        // (`needed` is the caller's scratch buffer, so a step allocates nothing.)
        needed.clear();
        needed.extend(
            self.buf
                .iter()
                .filter_map(|&op| p.model.needs(p.inputs[op as usize]))
                .filter(|s| s != state),
        );
        let needed = &*needed;
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

    /// The candidates of the latest [`pick`](Self::pick).
    pub(crate) fn candidates(&self) -> &[u32] {
        &self.buf
    }

    /// Whether the operation that must come next (see [`pick`](Self::pick)) may still take
    /// effect after candidate `op` led to `next` ([`Model::may_enable`]).
    pub(crate) fn viable<M: Model>(&self, p: &Problem<'_, M>, next: &M::State, op: u32) -> bool {
        let Some(f) = self.forced.filter(|&f| f != op) else {
            return true;
        };
        let between = self
            .buf
            .iter()
            .filter(|&&o| o != op && o != f)
            .map(|&o| p.inputs[o as usize]);
        p.model.may_enable(next, p.inputs[f as usize], between)
    }

    /// Fills `buf` with the candidates and returns the forced operation: the `ok` operations
    /// invoked before the first remaining return, and the head of each `info` class invoked
    /// by then.
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
        for &(_, c) in self.heads.range(..=(bound, u32::MAX)) {
            let c = c as usize;
            self.buf.push(self.members[c][self.head[c]]);
        }
        forced
    }

    /// Removes `op` (it was linearized).
    pub(crate) fn lift(&mut self, op: u32) {
        if self.rank[op as usize] < INFO_RANK {
            self.ok.lift(op);
            return;
        }
        let c = self.class[op as usize] as usize;
        let members = &self.members[c];
        assert_eq!(
            members[self.head[c]], op,
            "only a class's head is linearized"
        );
        self.heads.remove(&(self.call[op as usize], c as u32));
        self.head[c] += 1;
        if let Some(&next) = members.get(self.head[c]) {
            self.heads.insert((self.call[next as usize], c as u32));
        }
    }

    /// Restores `op`; undoes the latest [`lift`](Self::lift).
    pub(crate) fn unlift(&mut self, op: u32) {
        if self.rank[op as usize] < INFO_RANK {
            self.ok.unlift(op);
            return;
        }
        let c = self.class[op as usize] as usize;
        let members = &self.members[c];
        if let Some(&next) = members.get(self.head[c]) {
            self.heads.remove(&(self.call[next as usize], c as u32));
        }
        self.head[c] -= 1;
        assert_eq!(members[self.head[c]], op, "unlift undoes the latest lift");
        self.heads.insert((self.call[op as usize], c as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{CasRegister, RegisterOp};

    #[test]
    fn only_the_head_of_each_info_class_is_a_candidate() {
        // An ok read [0, 9]; info writes of 1, 2, 1, 1 invoked at 1, 2, 3, 4; one at 20.
        let inputs = [
            RegisterOp::Read(0),
            RegisterOp::Write(1),
            RegisterOp::Write(2),
            RegisterOp::Write(1),
            RegisterOp::Write(1),
            RegisterOp::Write(3),
        ];
        let calls = [0, 1, 2, 3, 4, 20];
        let p = Problem {
            model: &CasRegister,
            inputs: inputs.iter().collect(),
            intervals: calls
                .iter()
                .enumerate()
                .map(|(i, &call)| Interval {
                    call,
                    ret: (i == 0).then_some(9),
                })
                .collect(),
        };
        let mut f = Frontier::new(&p);
        let candidates = |f: &mut Frontier| {
            let forced = f.collect(&p.intervals);
            (forced, f.buf.clone())
        };
        assert_eq!(candidates(&mut f), (Some(0), vec![0, 1, 2]));
        f.lift(1);
        assert_eq!(candidates(&mut f), (Some(0), vec![0, 2, 3]));
        f.lift(3);
        assert_eq!(candidates(&mut f), (Some(0), vec![0, 2, 4]));
        f.lift(0);
        assert_eq!(candidates(&mut f), (None, vec![2, 4, 5]));
        f.unlift(0);
        f.unlift(3);
        f.unlift(1);
        assert_eq!(candidates(&mut f), (Some(0), vec![0, 1, 2]));
    }
}
