//! What crosses the wire: the lease protocol, the register's replication, and the client
//! protocol — one enum, encoded with bincode by `sandtable::net::Endpoint`.

use serde::{Deserialize, Serialize};

/// A node's index in the cluster (its position in the node list).
pub type NodeIdx = usize;

/// The version of a register value: the epoch of the leader that wrote it, then the write's
/// number within that epoch (0 is the new leader's write-back of the value it recovered).
/// Leaders' epochs increase in the order they lead, so a higher version is a later write.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Version {
    /// The writing leader's epoch.
    pub epoch: u64,
    /// The write's number in that epoch.
    pub seq: u64,
}

/// A replica's copy of the register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// Which write it is.
    pub version: Version,
    /// The value (`None`: never written).
    pub value: Option<i64>,
}

/// A client operation on the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Read the value.
    Read,
    /// Write a value.
    Write(i64),
}

/// The result of an operation that took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpResult {
    /// What a read saw (`None`: never written).
    Value(Option<i64>),
    /// The write is on a majority.
    Written,
}

/// Why a node did not run a client's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Not the leader (nothing was done); try `hint`, the node it granted its lease to, if any.
    NotLeader {
        /// The believed leader.
        hint: Option<NodeIdx>,
    },
    /// The leader is still recovering the register's value (nothing was done); retry soon.
    NotReady,
    /// The leader's write queue is full (nothing was done); retry soon.
    Busy,
    /// The leader lost its lease while the write was on its way to a majority: it may or may
    /// not take effect.
    Indeterminate,
}

/// Every message of the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// A candidate (or, with `renew`, a leader) asks for a lease under `epoch`.
    LeaseRequest {
        /// The sender.
        from: NodeIdx,
        /// The epoch the lease is for.
        epoch: u64,
        /// The sender's number for this request (its lease counts from when it sent it).
        round: u64,
        /// A renewal by the current holder (same epoch) rather than a fresh candidacy.
        renew: bool,
    },
    /// A voter's answer.
    LeaseReply {
        /// The voter.
        from: NodeIdx,
        /// The epoch asked for.
        epoch: u64,
        /// The request's round.
        round: u64,
        /// Whether the lease was granted.
        granted: bool,
        /// The highest epoch the voter has granted (so a refused candidate can catch up).
        promised: u64,
    },
    /// A candidate that gave up, or a leader that stepped down, will not act on its lease
    /// under `epoch` again: its voters may grant another candidate at once.
    Release {
        /// The former candidate or leader.
        from: NodeIdx,
        /// The epoch it gives up.
        epoch: u64,
    },
    /// A new leader asks for a replica's copy of the register.
    ReadState {
        /// The leader.
        from: NodeIdx,
        /// Its epoch.
        epoch: u64,
    },
    /// A replica's copy.
    ReadStateReply {
        /// The replica.
        from: NodeIdx,
        /// The epoch that asked.
        epoch: u64,
        /// Its copy.
        stored: Stored,
    },
    /// A leader replicates a write.
    Store {
        /// The leader.
        from: NodeIdx,
        /// The write.
        stored: Stored,
    },
    /// A replica's answer to a write.
    StoreReply {
        /// The replica.
        from: NodeIdx,
        /// The write's version.
        version: Version,
        /// True when the replica holds this version now; false when it holds a newer one.
        accepted: bool,
        /// The version the replica holds.
        holds: Version,
    },
    /// A client's request.
    Request {
        /// The client's number for it (answers carry it back).
        id: u64,
        /// The operation.
        op: Op,
    },
    /// The answer to a client.
    Reply {
        /// The request's number.
        id: u64,
        /// What happened.
        result: Result<OpResult, Refusal>,
    },
}
