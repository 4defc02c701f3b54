//! Lease-based leader election with lease reads, written as ordinary async Rust against
//! Sandtable's tokio-shaped APIs (`sandtable::{net, time, disk, rand}`), so the same node code
//! runs in simulation and, with a real backend, as a process.
//!
//! - A candidate asks every node for a lease of length `L` under a fresh epoch. A voter grants
//!   one lease at a time and no other until the one it granted has expired by its own clock
//!   plus the drift bound, `L·(1 + δ)` from when it granted ([`Voter`]). With a majority the
//!   candidate leads until `L·(1 − δ)` after it *sent* the request, by its own clock
//!   ([`Lease`]), and renews well before that. So while every clock runs within `1 ± δ` of
//!   true time, two nodes never lead at once.
//! - The register: a new leader reads a majority of copies, writes the newest back under its
//!   epoch, then serves reads from its lease (no round trip) and writes one at a time, each
//!   acknowledged once a majority stores it.
//! - [`scenario`]: the simulation test. [`invariants`] checks "at most one leader" in true
//!   virtual time at every step; the clients' history is checked for linearizability; the
//!   faults are random ([`faults`]: the environment's, and every clock's) or aimed at the
//!   leader ([`strike`]).
//!
//! Where to start reading: [`voter`] and [`lease`] (the two halves of the lease), `leader.rs`
//! (the register), [`core`] (the node's state machine), [`node`] (the I/O shell),
//! [`invariants`] and [`scenario`] (the test). The README has the protocol's argument and the
//! measured results, both within the drift bound and beyond it.
//!
//! ```
//! use leader_election::scenario::Scenario;
//!
//! let sim = sandtable::Sim::new(3);
//! let report = Scenario::within_bound(0.9)
//!     .run(&sim)
//!     .expect("within the drift bound the protocol passes");
//! assert!(report.elections > 0);
//! ```

#![warn(missing_docs)]

pub mod client;

pub mod core;
pub use crate::core::{Core, Dest, Durable, Ready};

pub mod faults;

pub mod invariants;

mod leader;

pub mod lease;
pub use lease::Lease;

pub mod message;

pub mod node;

pub mod probe;

pub mod replica;

pub mod scenario;

mod settings;
pub use settings::Settings;

pub mod storage;

pub mod strike;

pub mod voter;
pub use voter::Voter;

pub mod workload;
