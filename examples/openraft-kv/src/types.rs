//! The cluster's openraft type configuration and the application's requests and replies.

use std::io::Cursor;

use crate::invariants::EntryId;
pub use crate::kv::{Op, OpResult};

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

/// The invariant checker's name for a log id: its term and index.
pub fn entry_id(log_id: &typ::LogId) -> EntryId {
    EntryId::new(log_id.leader_id.term, log_id.index)
}

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
