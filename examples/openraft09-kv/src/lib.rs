//! The `openraft-kv` cluster on the stable openraft line: unmodified openraft 0.9 (from
//! crates.io) as Sandtable nodes, its runtime `sandtable_openraft09::SimRuntime`, its network
//! Sandtable's UDP (chunked), its log and state machine snapshots on the simulated disk; a
//! recorded client workload under the same nemesis is checked for linearizability with the
//! `kv` model.
//!
//! The client workload ([`workload`]), the record framing ([`record`]), the Raft invariant
//! checker ([`invariants`]), the operations and their state ([`kv`]), the UDP transport ([`transport`]) and the wire format ([`wire`])
//! are `openraft-kv`'s own files, compiled here unchanged; the modules that speak openraft's
//! API are this line's.
//!
//! Where to start reading: [`scenario`] (the test), [`node`] (one server), [`network`] and
//! [`wire`] (the RPCs), [`log_store`] and [`state_machine`] (storage), [`workload`] (clients).

#![warn(missing_docs)]

#[path = "../../openraft-kv/src/invariants.rs"]
pub mod invariants;
#[path = "../../openraft-kv/src/kv.rs"]
pub mod kv;
#[path = "../../openraft-kv/src/log_bug.rs"]
mod log_bug;
pub mod log_store;
pub mod network;
pub mod node;
#[path = "../../openraft-kv/src/record.rs"]
pub mod record;
pub mod scenario;
pub mod state_machine;
#[path = "../../openraft-kv/src/transport.rs"]
pub mod transport;
pub mod types;
#[path = "../../openraft-kv/src/wire.rs"]
pub mod wire;
#[path = "../../openraft-kv/src/workload.rs"]
pub mod workload;
