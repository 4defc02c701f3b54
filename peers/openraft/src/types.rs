//! The cluster's openraft type configuration, generic over the runtime, and its one operation.

use std::cmp::Ordering;
use std::fmt;
use std::marker::PhantomData;

use openraft::impls::{BasicNode, BoxedErrorSource, InlineBatch, ProgressResponder};
use openraft::vote::RaftLeaderId;
use openraft::{AsyncRuntime, OptionalSend, RaftTypeConfig};
use serde::{Deserialize, Serialize};

/// openraft's types for the cluster on runtime `Rt`: `u64` ids, `BasicNode`, [`Op`] in the log,
/// the standard leader id (as in `examples/openraft-kv`). Everything but the runtime is the same
/// on both runtimes. (`declare_raft_types!` cannot take a type parameter, hence the hand-written
/// impls; `fn() -> Rt` keeps the marker `Send + Sync` whatever `Rt` is.)
pub struct Cfg<Rt>(PhantomData<fn() -> Rt>);

impl<Rt> Clone for Cfg<Rt> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Rt> Copy for Cfg<Rt> {}
impl<Rt> Default for Cfg<Rt> {
    fn default() -> Self {
        Cfg(PhantomData)
    }
}
impl<Rt> fmt::Debug for Cfg<Rt> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cfg")
    }
}
impl<Rt> PartialEq for Cfg<Rt> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<Rt> Eq for Cfg<Rt> {}
impl<Rt> PartialOrd for Cfg<Rt> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<Rt> Ord for Cfg<Rt> {
    fn cmp(&self, _: &Self) -> Ordering {
        Ordering::Equal
    }
}

type LeaderId = openraft::impls::leader_id_std::LeaderId<u64, u64>;
type Payload = openraft::EntryPayload<Op, u64, BasicNode>;

impl<Rt: AsyncRuntime> RaftTypeConfig for Cfg<Rt> {
    type D = Op;
    type R = u64;
    type NodeId = u64;
    type Node = BasicNode;
    type Term = u64;
    type LeaderId = LeaderId;
    type Vote = Vote;
    type Payload = Payload;
    type Entry = Entry;
    type AsyncRuntime = Rt;
    type Responder<T>
        = ProgressResponder<Self, T>
    where
        T: OptionalSend + 'static;
    type Batch<T>
        = InlineBatch<T>
    where
        T: OptionalSend + 'static;
    type ErrorSource = BoxedErrorSource;
}

/// A client write: set `key` to `value`. The reply is the log index it was applied at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// The key (a few keys, so writes overwrite each other).
    pub key: u64,
    /// The value: the client in the high 32 bits, its write number in the low ones.
    pub value: u64,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "set {}={:#x}", self.key, self.value)
    }
}

/// The committed leader id: what a log id names (a term, with the standard leader id).
pub type CommittedLeaderId = <LeaderId as RaftLeaderId>::Committed;
/// A log id.
pub type LogId = openraft::LogId<CommittedLeaderId>;
/// A vote.
pub type Vote = openraft::impls::Vote<LeaderId>;
/// A log entry.
pub type Entry = openraft::Entry<CommittedLeaderId, Payload>;
/// A snapshot's bytes.
pub type SnapshotData = std::io::Cursor<Vec<u8>>;
/// A snapshot's metadata.
pub type SnapshotMeta = openraft::SnapshotMeta<CommittedLeaderId, u64, BasicNode>;
/// A snapshot.
pub type Snapshot = openraft::Snapshot<CommittedLeaderId, u64, BasicNode, SnapshotData>;
/// The membership last applied.
pub type StoredMembership = openraft::StoredMembership<CommittedLeaderId, u64, BasicNode>;
/// A node's Raft handle on runtime `Rt`.
pub type Raft<Rt> = openraft::Raft<Cfg<Rt>, crate::state_machine::StateMachine>;
