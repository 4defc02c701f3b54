//! A node's tunables, and the bug it runs with.

use std::time::Duration;

use crate::bug::Bug;

/// Timing and sizes of one node. The defaults suit a LAN (and the simulator's default links).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// Election timeouts are drawn uniformly from `[min, max)` of the node's own clock.
    pub election_timeout: (Duration, Duration),
    /// A leader's heartbeat period.
    pub heartbeat: Duration,
    /// Entries per AppendEntries message at most.
    pub max_entries_per_append: usize,
    /// Take a snapshot once this many applied entries follow the previous one.
    pub snapshot_every: u64,
    /// Snapshot bytes per InstallSnapshot message (well under a UDP datagram's 64 KiB).
    pub snapshot_chunk_bytes: usize,
    /// The planted bug, if any.
    pub bug: Bug,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            election_timeout: (Duration::from_millis(300), Duration::from_millis(600)),
            heartbeat: Duration::from_millis(50),
            max_entries_per_append: 64,
            snapshot_every: 100,
            snapshot_chunk_bytes: 8 * 1024,
            bug: Bug::None,
        }
    }
}

impl Settings {
    /// These settings with `bug` planted.
    pub fn with_bug(mut self, bug: Bug) -> Self {
        self.bug = bug;
        self
    }

    /// These settings with snapshots every `entries` applied entries, sent in `chunk` bytes.
    pub fn with_snapshots(mut self, entries: u64, chunk: usize) -> Self {
        assert!(entries > 0, "snapshot_every must be positive");
        assert!(chunk > 0, "snapshot_chunk_bytes must be positive");
        self.snapshot_every = entries;
        self.snapshot_chunk_bytes = chunk;
        self
    }
}
