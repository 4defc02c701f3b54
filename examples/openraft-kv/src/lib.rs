//! An unmodified openraft cluster (0.10 line, from crates.io) as Sandtable nodes: its runtime
//! is `sandtable_openraft::SimRuntime`, its network Sandtable's UDP (chunked), its log and
//! state machine snapshots on the simulated disk; a recorded client workload under the nemesis
//! is checked for linearizability with the `kv` model.
//!
//! Raft's invariants are checked during the run ([`invariants`]).
//!
//! Where to start reading: [`scenario`] (the test), [`node`] (one server), [`network`] and
//! [`wire`] (the RPCs), [`log_store`] and [`state_machine`] (storage), [`workload`] (clients).

#![warn(missing_docs)]

pub mod invariants;
pub mod kv;
mod log_bug;
pub mod log_store;
pub mod network;
pub mod node;
pub mod record;
pub mod scenario;
pub mod state_machine;
pub mod transport;
pub mod types;
pub mod wire;
pub mod workload;

/// openraft's mode this build runs in: `default` (`Send` bounds) or `single-threaded` (the
/// crate's feature of that name).
pub const MODE: &str = if cfg!(feature = "single-threaded") {
    "single-threaded"
} else {
    "default"
};
