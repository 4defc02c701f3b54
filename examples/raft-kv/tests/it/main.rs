//! The Raft key-value store under the simulator: the correct protocol passes a sweep under the
//! full nemesis; every planted bug is found within a stated number of seeds, by the check
//! that should find it.

mod bugs;
mod real_cluster;
mod sweep;
