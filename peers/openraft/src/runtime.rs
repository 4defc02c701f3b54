//! The two runtimes behind one small trait: make one for a seed, count what it did (the
//! cluster runs in `AsyncRuntime::block_on`).

use openraft::AsyncRuntime;

/// Which runtime, and how it schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Sandtable (`sandtable_openraft::SimRuntime`), seeded random choice among ready tasks
    /// (its default).
    Sandtable,
    /// Sandtable with oldest-first scheduling, as rt-sim schedules.
    SandtableFifo,
    /// openraft's own `openraft_rt_sim::SimRuntime` (FIFO).
    RtSim,
}

impl Choice {
    /// Parses a `--runtime` value.
    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "sandtable" => Some(Choice::Sandtable),
            "sandtable-fifo" => Some(Choice::SandtableFifo),
            "rt-sim" => Some(Choice::RtSim),
            _ => None,
        }
    }
}

/// What a runtime counted during one run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    /// Task polls.
    pub polls: u64,
    /// The runtime's own event count: Sandtable's fingerprinted events (polls, timer firings,
    /// ...); rt-sim's timer firings (from its trace).
    pub events: u64,
    /// Tasks spawned (rt-sim's trace; Sandtable does not count them).
    pub spawns: Option<u64>,
}

/// A deterministic runtime the cluster can run on, one per seed.
pub trait Runtime: AsyncRuntime + Sized {
    /// A fresh runtime for `seed`. With `count`, rt-sim records its trace (to count; slower).
    fn make(seed: u64, choice: Choice, count: bool) -> Self;

    /// What the runtime counted so far.
    fn counts(&self) -> Counts;
}

impl Runtime for sandtable_openraft::SimRuntime {
    fn make(seed: u64, choice: Choice, _count: bool) -> Self {
        let builder = sandtable::Sim::builder().seed(seed);
        let builder = match choice {
            Choice::SandtableFifo => builder.fifo(),
            _ => builder,
        };
        sandtable_openraft::SimRuntime::from_sim(builder.build())
    }

    fn counts(&self) -> Counts {
        Counts {
            polls: self.sim().polls(),
            events: self.sim().event_count(),
            spawns: None,
        }
    }
}

impl Runtime for openraft_rt_sim::SimRuntime {
    fn make(seed: u64, _choice: Choice, count: bool) -> Self {
        let mut rt = openraft_rt_sim::SimRuntime::with_seed(seed);
        rt.record_trace(count);
        rt
    }

    fn counts(&self) -> Counts {
        let trace = self.take_trace();
        let count = |prefix: &str| trace.iter().filter(|e| e.starts_with(prefix)).count() as u64;
        Counts {
            polls: count("poll "),
            events: count("fire "),
            spawns: Some(count("spawn ")),
        }
    }
}
