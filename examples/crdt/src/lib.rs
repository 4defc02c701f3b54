//! State-based CRDTs replicated by anti-entropy gossip, written as ordinary async Rust against
//! Sandtable's APIs (`sandtable::{net, time, rand, disk}`), and checked for convergence after
//! partitions, crashes and clock faults.
//!
//! - [`GCounter`], [`PnCounter`], [`OrSet`] (observed-remove, a unique tag per add) and
//!   [`LwwRegister`] (timestamps from each node's wall clock): merge is a join, every
//!   collection a `BTreeMap`/`BTreeSet` so iteration is deterministic.
//! - [`node`]: a replica gossips its full state to a random peer every interval (push-pull),
//!   and makes each client operation durable on its disk before acknowledging it.
//! - [`workload`]: clients send operations to random replicas and record what they learned.
//! - [`check`]: the final states against the convergence checks of `sandtable::lin`.
//! - [`Bug`]: planted bugs, one knob.
//! - [`third_party`]: the same store built from the `crdts` crate (unmodified), gossiped and
//!   checked the same way; its std `HashMap`s make gossip bytes differ between runs, which the
//!   determinism check catches, and its tests show how to make that deterministic.
//!
//! Where to start reading: [`lattice`] (the `Crdt` trait), the four types, [`node`] (the
//! shell), [`scenario`] (the simulation test).
//!
//! ```
//! use crdt::scenario::Scenario;
//! use std::time::Duration;
//!
//! let sim = sandtable::Sim::new(3);
//! let report = Scenario::default()
//!     .faults_for(Duration::from_secs(3))
//!     .run(&sim)
//!     .expect("the correct replicas converge");
//! assert!(report.acknowledged > 0);
//! ```

#![warn(missing_docs)]

mod bug;
pub use bug::{Bug, UnknownBug};

pub mod check;

mod gcounter;
pub use gcounter::GCounter;

pub mod lattice;
pub use lattice::{Crdt, ReplicaId};

mod lww;
pub use lww::{LwwRegister, Stamp};

pub mod message;

pub mod node;

mod orset;
pub use orset::{OrSet, Tag};

mod pncounter;
pub use pncounter::PnCounter;

pub mod scenario;

pub mod storage;

pub mod store;

pub mod third_party;

pub mod workload;
