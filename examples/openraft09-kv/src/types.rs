//! The cluster's openraft 0.9 type configuration and the application's requests and replies
//! (the same operations as `openraft-kv`'s).

use std::io::Cursor;

use crate::invariants::EntryId;
pub use crate::kv::{Op, OpResult};

openraft::declare_raft_types!(
    /// The openraft types of the example: `u64` node ids, `BasicNode`, `Op` in the log, and
    /// Sandtable's runtime.
    pub TypeConfig:
        D = Op,
        R = OpResult,
        AsyncRuntime = sandtable_openraft09::SimRuntime,
);

/// The invariant checker's name for a log id: its term and index.
pub fn entry_id(log_id: &typ::LogId) -> EntryId {
    EntryId::new(log_id.leader_id.term, log_id.index)
}

/// A snapshot's bytes.
pub type SnapshotData = Cursor<Vec<u8>>;

/// The type parameter of openraft's vote request and of its replies (`wire.rs`, shared with
/// `openraft-kv`): the node id on this line (0.10 takes the type configuration there).
pub type VoteParam = u64;

/// Short names for openraft 0.9's generic types on [`TypeConfig`].
pub mod typ {
    use openraft::BasicNode;

    use super::TypeConfig as C;

    /// A log id.
    pub type LogId = openraft::LogId<u64>;
    /// A vote.
    pub type Vote = openraft::Vote<u64>;
    /// A log entry.
    pub type Entry = openraft::Entry<C>;
    /// A snapshot's metadata.
    pub type SnapshotMeta = openraft::SnapshotMeta<u64, BasicNode>;
    /// A snapshot.
    pub type Snapshot = openraft::Snapshot<C>;
    /// The membership last applied.
    pub type StoredMembership = openraft::StoredMembership<u64, BasicNode>;
    /// A storage error.
    pub type StorageError = openraft::StorageError<u64>;
    /// The Raft handle.
    pub type Raft = openraft::Raft<C>;
}
