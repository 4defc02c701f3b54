//! The one operation every state-based CRDT shares: merge, a join of two states.

use crate::bug::Bug;

/// A replica's id: its node's index in the cluster (stable across restarts, since a node
/// recovers its state from disk).
pub type ReplicaId = u32;

/// A state-based CRDT: states form a join-semilattice and [`merge`](Crdt::merge) is the join —
/// commutative, associative and idempotent — so replicas that have seen the same updates, in
/// any order and any number of times, hold the same state.
pub trait Crdt {
    /// Joins `other` into `self`, with `bug` planted (see [`Bug`]).
    fn join(&mut self, other: &Self, bug: Bug);

    /// Joins `other` into `self`: the correct merge.
    fn merge(&mut self, other: &Self) {
        self.join(other, Bug::None);
    }
}
