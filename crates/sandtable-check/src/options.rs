//! [`CheckOptions`]: budgets and parallelism for a check.

use std::time::Duration;

/// How long a check may run and how many threads it may use.
///
/// When a budget runs out the verdict is [`Verdict::Unknown`](crate::Verdict),
/// never a hang. The step budget is deterministic and applies to each
/// partition (key) separately; the wall-clock budget applies to the whole
/// check. A definite verdict never depends on timing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// Maximum search steps per partition (`None`: unlimited).
    pub max_steps: Option<u64>,
    /// Maximum wall-clock time for the whole check (`None`: unlimited).
    pub max_time: Option<Duration>,
    /// Maximum memory for the searches' caches of visited configurations (states included),
    /// in bytes, for the whole check (`None`: unlimited): the searches alive at once (the keys
    /// not yet decided, searched side by side in rounds) share it equally, with at least
    /// `threads` shares, and a key whose cache would pass its share is `unknown`.
    /// Deterministic for given options.
    pub max_memory: Option<usize>,
    /// Worker threads for checking partitions in parallel (at least 1).
    pub threads: usize,
    /// Decide register partitions whose written values are unique by the zone analysis
    /// (polynomial, no search) when the model supports it
    /// ([`Model::register_access`](crate::Model::register_access)). On by default; turning it
    /// off leaves every partition to the search (for testing and benchmarking the search).
    pub zones: bool,
    /// Decide every key, even after one is found not linearizable (whose verdict then settles
    /// the file's). Off by default: the first key proved non-linearizable stops the others'
    /// work, and those are reported as not decided.
    pub all_keys: bool,
}

impl CheckOptions {
    /// The default step budget per partition: a few seconds to a minute of
    /// search, depending on the model.
    pub const DEFAULT_MAX_STEPS: u64 = 200_000_000;

    /// The default memory budget for the searches of a check: 2 GiB, which a laptop with two
    /// cores and 8 GB survives (the parsed history comes on top).
    pub const DEFAULT_MAX_MEMORY: usize = 2 << 30;

    /// Sets the per-partition step budget.
    pub fn budget_steps(mut self, steps: u64) -> CheckOptions {
        self.max_steps = Some(steps);
        self
    }

    /// Sets the wall-clock budget.
    pub fn budget(mut self, time: Duration) -> CheckOptions {
        self.max_time = Some(time);
        self
    }

    /// Sets the memory budget of the searches in bytes (see [`CheckOptions::max_memory`]).
    pub fn budget_memory(mut self, bytes: usize) -> CheckOptions {
        self.max_memory = Some(bytes);
        self
    }

    /// Decides every key even after one fails (see [`CheckOptions::all_keys`]).
    pub fn all_keys(mut self, on: bool) -> CheckOptions {
        self.all_keys = on;
        self
    }

    /// Removes all budgets.
    pub fn unlimited(mut self) -> CheckOptions {
        self.max_steps = None;
        self.max_time = None;
        self.max_memory = None;
        self
    }

    /// Enables or disables the zone analysis of registers (see [`CheckOptions::zones`]).
    pub fn zones(mut self, on: bool) -> CheckOptions {
        self.zones = on;
        self
    }

    /// Sets the number of worker threads (1 = check partitions in order on
    /// the calling thread).
    pub fn threads(mut self, threads: usize) -> CheckOptions {
        self.threads = threads.max(1);
        self
    }
}

impl Default for CheckOptions {
    /// [`DEFAULT_MAX_STEPS`](Self::DEFAULT_MAX_STEPS),
    /// [`DEFAULT_MAX_MEMORY`](Self::DEFAULT_MAX_MEMORY), no time limit, and
    /// one thread per core (at most 8), zone analysis on, stop at the first failing key.
    fn default() -> CheckOptions {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        CheckOptions {
            max_steps: Some(CheckOptions::DEFAULT_MAX_STEPS),
            max_time: None,
            max_memory: Some(CheckOptions::DEFAULT_MAX_MEMORY),
            threads: cores.min(8),
            zones: true,
            all_keys: false,
        }
    }
}
