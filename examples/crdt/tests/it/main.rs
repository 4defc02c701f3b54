//! The CRDT example under the simulator: the merge laws (property tests); the correct
//! replicas converge under the full nemesis on many seeds; skewed clocks lose LWW writes (a
//! targeted run and a sweep); every planted bug is caught by the convergence checker within a
//! stated number of seeds; a seed reruns identically.

mod bugs;
mod determinism;
mod laws;
mod lww;
mod sweep;
mod third_party;
