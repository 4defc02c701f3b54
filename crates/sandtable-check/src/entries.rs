//! [`Entries`]: the call/return events of a partition as a doubly linked
//! list over a `Vec`, with Porcupine-style lift/unlift.

/// "No node".
pub(crate) const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node {
    prev: u32,
    next: u32,
    op: u32,
    is_call: bool,
}

/// The remaining events in history order. Node 0 is a sentinel head.
/// Operations with unknown outcome have a call node but no return node: their
/// return point is +infinity. An operation not kept has neither.
#[derive(Debug, Clone)]
pub(crate) struct Entries {
    nodes: Vec<Node>,
    call: Vec<u32>,
    ret: Vec<u32>,
}

/// One operation's interval, in history event positions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interval {
    /// Event index of the invocation.
    pub(crate) call: usize,
    /// Event index of the `ok` completion; `None` for unknown outcome.
    pub(crate) ret: Option<usize>,
}

impl Entries {
    /// Builds the list for the operations `keep` selects among
    /// `0..intervals.len()`.
    pub(crate) fn new(intervals: &[Interval], keep: impl Fn(usize) -> bool) -> Entries {
        let mut events: Vec<(usize, u32, bool)> = Vec::with_capacity(intervals.len() * 2);
        for (op, iv) in intervals.iter().enumerate().filter(|(op, _)| keep(*op)) {
            events.push((iv.call, op as u32, true));
            if let Some(r) = iv.ret {
                events.push((r, op as u32, false));
            }
        }
        events.sort_unstable_by_key(|e| e.0);
        let n = events.len();
        let mut nodes = Vec::with_capacity(n + 1);
        nodes.push(Node {
            prev: NIL,
            next: if n == 0 { NIL } else { 1 },
            op: NIL,
            is_call: false,
        });
        let mut call = vec![NIL; intervals.len()];
        let mut ret = vec![NIL; intervals.len()];
        for (i, &(_, op, is_call)) in events.iter().enumerate() {
            let id = i as u32 + 1;
            let next = if i + 1 == n { NIL } else { id + 1 };
            nodes.push(Node {
                prev: id - 1,
                next,
                op,
                is_call,
            });
            if is_call {
                call[op as usize] = id;
            } else {
                ret[op as usize] = id;
            }
        }
        Entries { nodes, call, ret }
    }

    /// The first remaining node.
    #[inline]
    pub(crate) fn first(&self) -> u32 {
        self.nodes[0].next
    }

    /// The node after `node`.
    #[inline]
    pub(crate) fn next(&self, node: u32) -> u32 {
        self.nodes[node as usize].next
    }

    /// The operation of `node` and whether it is its call.
    #[inline]
    pub(crate) fn get(&self, node: u32) -> (u32, bool) {
        let n = &self.nodes[node as usize];
        (n.op, n.is_call)
    }

    /// Removes `op`'s call and return nodes.
    #[inline]
    pub(crate) fn lift(&mut self, op: u32) {
        self.unlink(self.call[op as usize]);
        let r = self.ret[op as usize];
        if r != NIL {
            self.unlink(r);
        }
    }

    /// Restores `op`'s nodes; must undo the most recent [`lift`](Self::lift).
    #[inline]
    pub(crate) fn unlift(&mut self, op: u32) {
        let r = self.ret[op as usize];
        if r != NIL {
            self.relink(r);
        }
        self.relink(self.call[op as usize]);
    }

    fn unlink(&mut self, id: u32) {
        let Node { prev, next, .. } = self.nodes[id as usize];
        self.nodes[prev as usize].next = next;
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
    }

    fn relink(&mut self, id: u32) {
        let Node { prev, next, .. } = self.nodes[id as usize];
        self.nodes[prev as usize].next = id;
        if next != NIL {
            self.nodes[next as usize].prev = id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(e: &Entries) -> Vec<(u32, bool)> {
        let mut out = vec![];
        let mut n = e.first();
        while n != NIL {
            out.push(e.get(n));
            n = e.next(n);
        }
        out
    }

    #[test]
    fn lift_and_unlift() {
        let ivs = [
            Interval {
                call: 0,
                ret: Some(2),
            },
            Interval { call: 1, ret: None },
            Interval {
                call: 3,
                ret: Some(4),
            },
        ];
        let mut e = Entries::new(&ivs, |_| true);
        let all = walk(&e);
        assert_eq!(
            all,
            vec![(0, true), (1, true), (0, false), (2, true), (2, false)]
        );
        e.lift(0);
        assert_eq!(walk(&e), vec![(1, true), (2, true), (2, false)]);
        e.lift(1);
        e.lift(2);
        assert_eq!(walk(&e), vec![]);
        e.unlift(2);
        e.unlift(1);
        e.unlift(0);
        assert_eq!(walk(&e), all);
    }
}
