//! How a node's simulated disk behaves: latencies, crash semantics, storage faults.

use std::time::Duration;

/// What a crash does to writes that were not synced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CrashBehavior {
    /// Every unsynced write is lost.
    LoseUnsynced,
    /// Seeded: a prefix of the unsynced writes survives, the last of them possibly torn (only a
    /// prefix of its bytes written). Zero surviving writes is one of the outcomes.
    #[default]
    Torn,
}

/// A node's disk model. Storage faults are off by default.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DiskConfig {
    /// Time a read takes.
    pub read_latency: Duration,
    /// Time a write (or truncate) takes.
    pub write_latency: Duration,
    /// Time a `sync` takes.
    pub sync_latency: Duration,
    /// What a crash does to unsynced writes.
    pub crash: CrashBehavior,
    /// Probability that a read fails with an I/O error.
    pub read_error: f64,
    /// Probability that a read returns data with one corrupted byte (the stored data is intact).
    pub corrupt_read: f64,
    /// Probability that a `sync` fails (the data stays unsynced).
    pub sync_error: f64,
    /// Probability that a write is slowed by `latency_spike`.
    pub latency_spike_probability: f64,
    /// Extra time a slowed write takes.
    pub latency_spike: Duration,
}

impl Default for DiskConfig {
    fn default() -> Self {
        DiskConfig {
            read_latency: Duration::from_micros(20),
            write_latency: Duration::from_micros(20),
            sync_latency: Duration::from_millis(1),
            crash: CrashBehavior::Torn,
            read_error: 0.0,
            corrupt_read: 0.0,
            sync_error: 0.0,
            latency_spike_probability: 0.0,
            latency_spike: Duration::from_millis(100),
        }
    }
}

impl DiskConfig {
    /// Latencies of reads, writes and syncs.
    pub fn latency(mut self, read: Duration, write: Duration, sync: Duration) -> Self {
        (self.read_latency, self.write_latency, self.sync_latency) = (read, write, sync);
        self
    }

    /// Crash semantics for unsynced writes.
    pub fn crash(mut self, crash: CrashBehavior) -> Self {
        self.crash = crash;
        self
    }

    /// Probability of a failed read. Panics unless `0 <= p <= 1`.
    #[track_caller]
    pub fn read_errors(mut self, p: f64) -> Self {
        self.read_error = probability("read error", p);
        self
    }

    /// Probability of a read returning a corrupted byte. Panics unless `0 <= p <= 1`.
    #[track_caller]
    pub fn corrupt_reads(mut self, p: f64) -> Self {
        self.corrupt_read = probability("corrupt read", p);
        self
    }

    /// Probability of a failed sync. Panics unless `0 <= p <= 1`.
    #[track_caller]
    pub fn sync_errors(mut self, p: f64) -> Self {
        self.sync_error = probability("sync error", p);
        self
    }

    /// Writes slowed by `extra` with probability `p`. Panics unless `0 <= p <= 1`.
    #[track_caller]
    pub fn latency_spikes(mut self, p: f64, extra: Duration) -> Self {
        self.latency_spike_probability = probability("latency spike", p);
        self.latency_spike = extra;
        self
    }
}

#[track_caller]
fn probability(what: &str, p: f64) -> f64 {
    assert!(
        (0.0..=1.0).contains(&p),
        "disk {what} probability must be within [0, 1], got {p}"
    );
    p
}
