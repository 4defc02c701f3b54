//! Why a simulated run stopped early. Every variant carries the seed and names the rerun command.

use std::fmt;
use std::time::Duration;

use crate::node::NodeState;

/// A task that was still alive when a run stalled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTask {
    /// Name of the node the task belongs to.
    pub node: String,
    /// State of that node when the run stalled.
    pub node_state: NodeState,
    /// Run-unique task id.
    pub task: u64,
    /// Source location of the `spawn` call (or of the node's creation for its init task).
    pub spawned_at: String,
}

impl fmt::Display for PendingTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {} on {} ({:?}), spawned at {}",
            self.task, self.node, self.node_state, self.spawned_at
        )
    }
}

/// A simulated run that failed: a panic in user code, a stall, or a runaway.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A task panicked.
    #[error("seed {seed}: node `{node}` panicked at virtual time {time:?}: {message}\n  task spawned at {spawned_at}\n  rerun: SANDTABLE_SEED={seed}")]
    Panic {
        /// The run's seed.
        seed: u64,
        /// The node whose task panicked.
        node: String,
        /// True virtual time of the panic.
        time: Duration,
        /// The panic message.
        message: String,
        /// Where the panicking task was spawned.
        spawned_at: String,
    },
    /// Nothing could run and no timer or delivery was pending, but the run was not finished.
    #[error("seed {seed}: deadlock at virtual time {time:?}: nothing is runnable and no timer is pending, but {waiting_for}\n  pending tasks ({}):\n{}\n  rerun: SANDTABLE_SEED={seed}", pending.len(), list(pending))]
    Deadlock {
        /// The run's seed.
        seed: u64,
        /// True virtual time at the stall.
        time: Duration,
        /// What the run was waiting for.
        waiting_for: String,
        /// Every live task, per node, with where it was spawned.
        pending: Vec<PendingTask>,
    },
    /// Tasks kept running without virtual time advancing.
    #[error("seed {seed}: livelock at virtual time {time:?}: {polls} polls without time advancing (limit {limit}); a task is probably waking itself in a loop\n  busiest recent task: {suspect}\n  rerun: SANDTABLE_SEED={seed}")]
    Livelock {
        /// The run's seed.
        seed: u64,
        /// True virtual time at which time stopped advancing.
        time: Duration,
        /// Polls done at that instant.
        polls: u64,
        /// The configured limit.
        limit: u64,
        /// The task polled last, as a hint.
        suspect: String,
    },
    /// The run polled more tasks in all than [`SimBuilder::max_polls`](crate::SimBuilder::max_polls)
    /// allows: time advanced, but the run did far more work than it should.
    #[error("seed {seed}: runaway: {polls} polls by virtual time {time:?} (limit {limit}); a message storm or a retry loop without backoff?\n  task polled last: {suspect}\n  rerun: SANDTABLE_SEED={seed}")]
    PollLimit {
        /// The run's seed.
        seed: u64,
        /// True virtual time when the limit was passed.
        time: Duration,
        /// Polls done.
        polls: u64,
        /// The configured limit.
        limit: u64,
        /// The task polled last, as a hint.
        suspect: String,
    },
    /// The run went past its virtual time limit before finishing.
    #[error("seed {seed}: the run reached its virtual time limit of {limit:?} before {waiting_for}\n  rerun: SANDTABLE_SEED={seed}")]
    TimeLimit {
        /// The run's seed.
        seed: u64,
        /// The configured limit.
        limit: Duration,
        /// What had not finished.
        waiting_for: String,
    },
    /// A cluster-wide invariant registered with [`Handle::invariant`](crate::Handle::invariant)
    /// (or reported with [`Handle::violation`](crate::Handle::violation)) did not hold.
    #[error("seed {seed}: invariant `{name}` violated at virtual time {time:?} (after a step of {after}): {message}\n  rerun: SANDTABLE_SEED={seed}")]
    Invariant {
        /// The run's seed.
        seed: u64,
        /// The invariant's name.
        name: String,
        /// What the check said.
        message: String,
        /// True virtual time of the step after which it failed.
        time: Duration,
        /// The node whose task had just run (or "a scheduled action").
        after: String,
    },
    /// A simulated task read the OS clock, drew OS randomness or started an OS thread, in a
    /// simulation built with [`OsCalls::Report`](crate::OsCalls::Report) (or a thread under
    /// [`OsCalls::Simulate`](crate::OsCalls::Simulate)): a source of nondeterminism.
    #[error("{0}")]
    OsCall(Box<crate::OsCallReport>),
}

impl SimError {
    /// The seed of the failed run.
    pub fn seed(&self) -> u64 {
        match self {
            SimError::Panic { seed, .. }
            | SimError::Deadlock { seed, .. }
            | SimError::Livelock { seed, .. }
            | SimError::PollLimit { seed, .. }
            | SimError::TimeLimit { seed, .. }
            | SimError::Invariant { seed, .. } => *seed,
            SimError::OsCall(report) => report.seed,
        }
    }
}

fn list(pending: &[PendingTask]) -> String {
    pending
        .iter()
        .map(|p| format!("    - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
