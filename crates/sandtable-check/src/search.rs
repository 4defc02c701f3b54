//! The Wing–Gong–Lowe search over one partition: iterative depth-first
//! search for a linearization, memoising visited configurations.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::bitset::Bitset;
use crate::entries::{Entries, Interval, NIL};
use crate::memo::{zobrist_key, Memo};
use crate::Model;

/// Limits for one search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits<'a> {
    /// Maximum number of search steps (deterministic).
    pub(crate) max_steps: Option<u64>,
    /// Wall-clock deadline.
    pub(crate) deadline: Option<Instant>,
    /// Set by another thread to abandon the search.
    pub(crate) cancel: Option<&'a AtomicBool>,
}

/// What one partition search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// A linearization exists.
    Linearizable,
    /// None exists; the deepest partial linearization reached (local op
    /// indices, in linearization order).
    NotLinearizable(Vec<u32>),
    /// The budget ran out (or the search was cancelled).
    Unknown,
}

/// The result of a search and what it cost.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) found: Found,
    pub(crate) steps: u64,
    pub(crate) memo_entries: usize,
}

/// The partition to search: operations in invocation order.
pub(crate) struct Problem<'a, M: Model> {
    pub(crate) model: &'a M,
    pub(crate) inputs: Vec<&'a M::Input>,
    pub(crate) intervals: Vec<Interval>,
}

/// Tracks the deepest stack seen, copying only what changed.
struct Deepest {
    best: Vec<u32>,
    common: usize,
}

impl Deepest {
    fn pushed<S>(&mut self, stack: &[(u32, S)]) {
        if stack.len() > self.best.len() {
            self.best.truncate(self.common);
            self.best.extend(stack[self.common..].iter().map(|e| e.0));
            self.common = stack.len();
        }
    }

    fn popped(&mut self, depth: usize) {
        self.common = self.common.min(depth);
    }
}

/// Searches for a linearization of `problem`.
pub(crate) fn search<M: Model>(problem: &Problem<'_, M>, limits: Limits<'_>) -> Outcome {
    let n = problem.inputs.len();
    let mut entries = Entries::new(&problem.intervals);
    let mut ok_left = problem.intervals.iter().filter(|iv| iv.ret.is_some()).count();
    let zob: Vec<u64> = (0..n).map(zobrist_key).collect();
    let mut bits = Bitset::new(n);
    let mut hash = 0u64;
    let mut memo = Memo::new();
    let mut state = problem.model.init();
    let mut stack: Vec<(u32, M::State)> = Vec::new();
    let mut deepest = Deepest { best: Vec::new(), common: 0 };
    let mut steps = 0u64;
    let mut node = entries.first();
    let outcome = |found, steps, memo: &Memo<M::State>| Outcome { found, steps, memo_entries: memo.len() };
    loop {
        if ok_left == 0 {
            return outcome(Found::Linearizable, steps, &memo);
        }
        steps += 1;
        if out_of_budget(steps, &limits) {
            return outcome(Found::Unknown, steps, &memo);
        }
        debug_assert_ne!(node, NIL, "an ok operation's return node always remains");
        let (op, is_call) = entries.get(node);
        if is_call {
            if let Some(next) = problem.model.step(&state, problem.inputs[op as usize]) {
                bits.insert(op as usize);
                if memo.insert(&bits, hash ^ zob[op as usize], &next) {
                    hash ^= zob[op as usize];
                    stack.push((op, std::mem::replace(&mut state, next)));
                    deepest.pushed(&stack);
                    entries.lift(op);
                    ok_left -= usize::from(problem.intervals[op as usize].ret.is_some());
                    node = entries.first();
                    continue;
                }
                bits.remove(op as usize);
            }
            node = entries.next(node);
        } else {
            // An operation must take effect before this return: backtrack.
            let Some((op, prev)) = stack.pop() else {
                return outcome(Found::NotLinearizable(deepest.best), steps, &memo);
            };
            deepest.popped(stack.len());
            state = prev;
            bits.remove(op as usize);
            hash ^= zob[op as usize];
            entries.unlift(op);
            ok_left += usize::from(problem.intervals[op as usize].ret.is_some());
            node = entries.next(entries.call_of(op));
        }
    }
}

fn out_of_budget(steps: u64, limits: &Limits<'_>) -> bool {
    if limits.max_steps.is_some_and(|max| steps > max) {
        return true;
    }
    if steps % 1024 != 0 {
        return false;
    }
    limits.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
        || limits.deadline.is_some_and(|d| Instant::now() >= d)
}
