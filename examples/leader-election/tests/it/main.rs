//! The simulation tests of lease-based leader election: both directions of its clock
//! assumption, and determinism.

mod beyond_bound;
mod determinism;
mod restarts;
mod within_bound;
