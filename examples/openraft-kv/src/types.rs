//! The cluster's openraft type configuration and the application's requests and replies.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

/// A key-value operation, as clients send it and as the log carries writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Read a key (served by a ReadIndex linearizable read, never logged).
    Get(u64),
    /// Write a value.
    Put(u64, i64),
    /// Compare-and-set: `Cas(key, from, to)`.
    Cas(u64, i64, i64),
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What applying an operation gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpResult {
    /// A read's value.
    Value(Option<i64>),
    /// A put was applied.
    Written,
    /// A cas was applied; whether it swapped.
    Swapped(bool),
}

openraft::declare_raft_types!(
    /// The openraft types of the example: `u64` node ids, `BasicNode`, `Op` in the log, the
    /// standard leader id (one leader per term, so Election Safety holds as the paper states
    /// it) and Sandtable's runtime.
    pub TypeConfig:
        D = Op,
        R = OpResult,
        LeaderId = openraft::impls::leader_id_std::LeaderId<u64, u64>,
        AsyncRuntime = sandtable_openraft::SimRuntime,
);

/// A snapshot's bytes.
pub type SnapshotData = Cursor<Vec<u8>>;

/// The type parameter of openraft's vote request and of its replies (`wire.rs`): the type
/// configuration on this line (0.9 takes the node id there).
pub type VoteParam = TypeConfig;

/// Short names for openraft's generic types on [`TypeConfig`].
pub mod typ {
    use openraft::alias;

    use super::TypeConfig as C;

    /// A log id.
    pub type LogId = alias::LogIdOf<C>;
    /// A vote.
    pub type Vote = alias::VoteOf<C>;
    /// A log entry.
    pub type Entry = alias::EntryOf<C>;
    /// A snapshot's metadata.
    pub type SnapshotMeta = alias::SnapshotMetaOf<C>;
    /// A snapshot.
    pub type Snapshot = alias::SnapshotOf<C, super::SnapshotData>;
    /// The membership last applied.
    pub type StoredMembership = alias::StoredMembershipOf<C>;
    /// The Raft handle.
    pub type Raft = openraft::Raft<C, crate::state_machine::StateMachine>;
}
