//! The simulation tests of lease-based leader election: both directions of its clock
//! assumption, and determinism.

mod beyond_bound;
mod determinism;
mod restarts;
mod split_brain;
mod within_bound;
