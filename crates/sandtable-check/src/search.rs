//! The Wing–Gong–Lowe search over one partition: iterative depth-first
//! search for a linearization, memoising visited configurations.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::bitset::Bitset;
use crate::entries::Interval;
use crate::frontier::{Frontier, Key};
use crate::memo::{zobrist_key, Memo};
use crate::Model;

/// Limits for one search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits<'a> {
    /// Maximum number of search steps (deterministic).
    pub(crate) max_steps: Option<u64>,
    /// Maximum memo size in bytes (deterministic).
    pub(crate) max_memory: Option<usize>,
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
    /// The linearization found (local op indices, in order) when `found` is
    /// [`Found::Linearizable`] by search; empty otherwise.
    pub(crate) witness: Vec<u32>,
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
    fn pushed<S>(&mut self, stack: &[(u32, S, Key)]) {
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
    let intervals = &problem.intervals;
    let mut remaining = Frontier::new(problem);
    let mut ok_left = intervals.iter().filter(|iv| iv.ret.is_some()).count();
    // Hash of the `ok` set only: the memo keys on it and subsumes `info` sets.
    let zob: Vec<u64> = (0..n)
        .map(|i| {
            if intervals[i].ret.is_some() {
                zobrist_key(i)
            } else {
                0
            }
        })
        .collect();
    // Each op's bit: `ok` ops and `info` ops are numbered separately.
    let slot = slots(intervals);
    let mut bits = [Bitset::new(n), Bitset::new(n)];
    let mut hash = 0u64;
    let mut memo = Memo::new();
    let mut state = problem.model.init();
    let mut stack: Vec<(u32, M::State, Key)> = Vec::new();
    let mut deepest = Deepest {
        best: Vec::new(),
        common: 0,
    };
    let mut steps = 0u64;
    // Candidates ranked at or below `tried` were already tried at this level.
    let mut tried: Key = (0, 0);
    let outcome = |found, steps, memo: &Memo<M::State>| Outcome {
        found,
        steps,
        memo_entries: memo.len(),
        witness: Vec::new(),
    };
    loop {
        if ok_left == 0 {
            return Outcome {
                witness: stack.iter().map(|e| e.0).collect(),
                ..outcome(Found::Linearizable, steps, &memo)
            };
        }
        steps += 1;
        if out_of_budget(steps, &limits, &memo) {
            return outcome(Found::Unknown, steps, &memo);
        }
        if let Some((op, key)) = remaining.pick(problem, &state, tried) {
            let i = op as usize;
            if let Some(next) = problem.model.step(&state, problem.inputs[i]) {
                let (set, bit) = slot[i];
                bits[set].insert(bit);
                if memo.insert(&bits[0], &bits[1], hash ^ zob[i], &next) {
                    hash ^= zob[i];
                    stack.push((op, std::mem::replace(&mut state, next), key));
                    deepest.pushed(&stack);
                    remaining.lift(op);
                    ok_left -= usize::from(intervals[i].ret.is_some());
                    tried = (0, 0);
                    continue;
                }
                bits[set].remove(bit);
            }
            tried = key;
        } else {
            // Nothing can come next: undo the last choice and try the next one.
            let Some((op, prev, key)) = stack.pop() else {
                return outcome(Found::NotLinearizable(deepest.best), steps, &memo);
            };
            let i = op as usize;
            deepest.popped(stack.len());
            state = prev;
            bits[slot[i].0].remove(slot[i].1);
            hash ^= zob[i];
            remaining.unlift(op);
            ok_left += usize::from(intervals[i].ret.is_some());
            tried = key;
        }
    }
}

/// For each op, which bitset holds it (0: `ok`, 1: `info`) and its bit.
fn slots(intervals: &[Interval]) -> Vec<(usize, usize)> {
    let mut next = [0, 0];
    intervals
        .iter()
        .map(|iv| {
            let set = usize::from(iv.ret.is_none());
            next[set] += 1;
            (set, next[set] - 1)
        })
        .collect()
}

fn out_of_budget<S: Eq + std::hash::Hash + Clone>(
    steps: u64,
    limits: &Limits<'_>,
    memo: &Memo<S>,
) -> bool {
    if limits.max_steps.is_some_and(|max| steps > max) {
        return true;
    }
    if steps & 1023 != 0 {
        return false;
    }
    limits.max_memory.is_some_and(|max| memo.bytes() > max)
        || limits.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
        || limits.deadline.is_some_and(|d| Instant::now() >= d)
}
