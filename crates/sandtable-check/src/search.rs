//! The Wing–Gong–Lowe search over one partition: iterative depth-first
//! search for a linearization, memoising visited configurations.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::bitset::Bitset;
use crate::entries::Interval;
use crate::frontier::{Frontier, Key, FREE};
use crate::memo::{zobrist_key, Memo};
use crate::shadows::Shadows;
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
    Search::new(problem)
        .run(limits, u64::MAX)
        .expect("a search without a pause point ends")
}

/// A search in progress: it can pause after a number of steps and resume where it stopped.
pub(crate) struct Search<'p, 'a, M: Model> {
    problem: &'p Problem<'a, M>,
    remaining: Frontier,
    ok_left: usize,
    /// Hash keys of the `ok` ops (0 for `info` ones): the memo keys on the `ok` set only and
    /// subsumes `info` sets.
    zob: Vec<u64>,
    /// Each op's bit: `ok` ops and `info` ops are numbered separately.
    slot: Vec<(usize, usize)>,
    bits: [Bitset; 2],
    hash: u64,
    memo: Memo<M::State>,
    state: M::State,
    stack: Vec<(u32, M::State, Key)>,
    deepest: Deepest,
    steps: u64,
    /// Candidates ranked at or below `tried` were already tried at this level.
    tried: Key,
    /// Scratch for [`Frontier::pick`].
    needed: Vec<M::State>,
    /// Writes a later read cannot see, if the model knows of any.
    shadows: Option<Shadows>,
}

impl<'p, 'a, M: Model> Search<'p, 'a, M> {
    pub(crate) fn new(problem: &'p Problem<'a, M>) -> Search<'p, 'a, M> {
        let n = problem.inputs.len();
        let intervals = &problem.intervals;
        let zob = (0..n)
            .map(|i| intervals[i].ret.map_or(0, |_| zobrist_key(i)))
            .collect();
        Search {
            problem,
            remaining: Frontier::new(problem),
            ok_left: intervals.iter().filter(|iv| iv.ret.is_some()).count(),
            zob,
            slot: slots(intervals),
            bits: [Bitset::new(n), Bitset::new(n)],
            hash: 0,
            memo: Memo::new(),
            state: problem.model.init(),
            stack: Vec::new(),
            deepest: Deepest {
                best: Vec::new(),
                common: 0,
            },
            steps: 0,
            tried: (0, 0),
            needed: Vec::new(),
            shadows: Shadows::new(problem),
        }
    }

    /// Searches until decided or out of budget (`Some`), or until `pause_at` steps in all
    /// (`None`: call again to go on).
    pub(crate) fn run(&mut self, limits: Limits<'_>, pause_at: u64) -> Option<Outcome> {
        let problem = self.problem;
        let intervals = &problem.intervals;
        loop {
            if self.ok_left == 0 {
                let witness = self.stack.iter().map(|e| e.0).collect();
                return Some(self.outcome(Found::Linearizable, witness));
            }
            if self.steps >= pause_at {
                return None;
            }
            self.steps += 1;
            if out_of_budget(self.steps, &limits, &self.memo) {
                return Some(self.outcome(Found::Unknown, Vec::new()));
            }
            if let Some((op, key)) =
                self.remaining
                    .pick(problem, &self.state, self.tried, &mut self.needed)
            {
                let i = op as usize;
                if let Some(next) = problem
                    .model
                    .step(&self.state, problem.inputs[i])
                    .filter(|next| self.remaining.viable(problem, next, op))
                    .filter(|_| !self.shadowed(op))
                {
                    let (set, bit) = self.slot[i];
                    self.bits[set].insert(bit);
                    let heap = |s: &M::State| problem.model.heap_bytes(s);
                    let h = self.hash ^ self.zob[i];
                    // A read-only placement is forced (nothing else is tried at its level)
                    // and leaves the state as it was: not worth remembering.
                    if key == FREE
                        || self
                            .memo
                            .insert(&self.bits[0], &self.bits[1], h, &next, heap)
                    {
                        self.hash = h;
                        let prev = std::mem::replace(&mut self.state, next);
                        self.stack.push((op, prev, key));
                        self.deepest.pushed(&self.stack);
                        self.remaining.lift(op);
                        self.ok_left -= usize::from(intervals[i].ret.is_some());
                        self.tried = (0, 0);
                        continue;
                    }
                    self.bits[set].remove(bit);
                }
                self.tried = key;
            } else {
                // Nothing can come next: undo the last choice and try the next one.
                let Some((op, prev, key)) = self.stack.pop() else {
                    let deepest = std::mem::take(&mut self.deepest.best);
                    return Some(self.outcome(Found::NotLinearizable(deepest), Vec::new()));
                };
                let i = op as usize;
                self.deepest.popped(self.stack.len());
                self.state = prev;
                self.bits[self.slot[i].0].remove(self.slot[i].1);
                self.hash ^= self.zob[i];
                self.remaining.unlift(op);
                self.ok_left += usize::from(intervals[i].ret.is_some());
                self.tried = key;
            }
        }
    }

    /// Whether placing `op` now leaves a candidate that can no longer be placed
    /// ([`Shadows::dead`]).
    fn shadowed(&self, op: u32) -> bool {
        let Some(shadows) = &self.shadows else {
            return false;
        };
        let placed = |o: u32| {
            let (set, bit) = self.slot[o as usize];
            self.bits[set].contains(bit)
        };
        shadows.dead(self.remaining.candidates(), op, placed)
    }

    fn outcome(&self, found: Found, witness: Vec<u32>) -> Outcome {
        Outcome {
            found,
            steps: self.steps,
            memo_entries: self.memo.len(),
            witness,
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
