//! A Raft key-value store written as ordinary async Rust against Sandtable's tokio-shaped APIs
//! (`sandtable::{net, time, disk, rand}`), so the same node code runs in simulation and, with a
//! real backend, as a process.
//!
//! - Raft as in the paper (§5, §7): randomized election timeouts, RequestVote with the log
//!   up-to-date check, AppendEntries with the consistency check and conflict truncation,
//!   commitment of current-term entries by counting, term/vote/log synced to disk before the
//!   reply that depends on them, recovery after restart, snapshots sent in chunks.
//! - A key-value state machine with client sessions (a retried request is applied once).
//!   Reads go through the log: a `get` is answered when its entry is applied, so it is
//!   linearizable without leases or a ReadIndex round.
//! - [`Bug`]: planted bugs, one knob, chosen at run time.
//!
//! Where to start reading: [`raft`] (the core: state and dispatch), then `election.rs`,
//! `replication.rs`, `snapshot.rs`; [`node`] (the I/O shell); [`invariants`] (the safety
//! properties checked during a simulated run); [`scenario`] (the simulation test).
//!
//! ```
//! use raft_kv::{scenario::Scenario, Bug};
//! use std::time::Duration;
//!
//! let sim = sandtable::Sim::new(3);
//! let report = Scenario::default()
//!     .size(3, 2)
//!     .faults_for(Duration::from_secs(5))
//!     .run(&sim)
//!     .expect("the correct protocol passes");
//! assert!(report.committed > 0);
//! ```

#![warn(missing_docs)]

mod bug;
pub use bug::{Bug, UnknownBug};

pub mod client;

pub mod cluster;

mod election;

pub mod invariants;

mod kv;
pub use kv::KvStore;

mod log;
pub use log::Log;

pub mod message;

pub mod node;

pub mod probe;

pub mod raft;

mod replication;

pub mod scenario;

mod settings;
pub use settings::Settings;

mod snapshot;

pub mod storage;

pub mod workload;

#[cfg(test)]
mod tests;
