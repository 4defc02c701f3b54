//! What crosses the wire: Raft's RPCs and the client protocol, one enum, encoded with bincode.

use serde::{Deserialize, Serialize};

/// A node's index in the cluster (its position in the peer list).
pub type NodeIdx = usize;

/// A key-value operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// Read a key.
    Get(u64),
    /// Write a key.
    Put(u64, i64),
    /// Set the key to `.2` if it holds `.1`.
    Cas(u64, i64, i64),
}

/// The result of an applied operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpResult {
    /// A read's value (`None`: never written).
    Value(Option<i64>),
    /// A write took effect.
    Written,
    /// A cas swapped (`true`) or found another value (`false`).
    Swapped(bool),
}

/// What a log entry asks the state machine to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Command {
    /// A new leader's first entry (commits the entries of earlier terms, §5.4.2 / §8).
    Noop,
    /// A client operation, with its session (client id, sequence number).
    Client {
        /// The client's session id.
        client: u64,
        /// The operation's number in the session (from 1, one at a time).
        seq: u64,
        /// The operation.
        op: Op,
    },
}

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The term in which a leader created it.
    pub term: u64,
    /// What it does.
    pub command: Command,
}

/// Why a node did not run a client's request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Not the leader; try `hint` (the leader this node believes in), if any.
    NotLeader {
        /// The believed leader.
        hint: Option<NodeIdx>,
    },
}

/// A message between nodes, or between a client and a node.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    /// RequestVote (§5.2).
    Vote {
        /// The candidate's term.
        term: u64,
        /// The candidate.
        from: NodeIdx,
        /// Index of the candidate's last log entry.
        last_index: u64,
        /// Term of the candidate's last log entry.
        last_term: u64,
    },
    /// RequestVote's answer.
    VoteReply {
        /// The voter's term.
        term: u64,
        /// The voter.
        from: NodeIdx,
        /// Whether the vote was granted.
        granted: bool,
    },
    /// AppendEntries (§5.3); a heartbeat when `entries` is empty.
    Append {
        /// The leader's term.
        term: u64,
        /// The leader.
        from: NodeIdx,
        /// Index of the entry before `entries`.
        prev_index: u64,
        /// Its term.
        prev_term: u64,
        /// Entries to store, from `prev_index + 1`.
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: u64,
    },
    /// AppendEntries' answer.
    AppendReply {
        /// The follower's term.
        term: u64,
        /// The follower.
        from: NodeIdx,
        /// Whether the entries matched and were stored.
        success: bool,
        /// On success the last index known to match; on failure the index to retry from.
        index: u64,
    },
    /// InstallSnapshot (§7), one chunk.
    Snapshot {
        /// The leader's term.
        term: u64,
        /// The leader.
        from: NodeIdx,
        /// The last index the snapshot covers.
        last_index: u64,
        /// Its term.
        last_term: u64,
        /// Byte offset of this chunk.
        offset: u64,
        /// The chunk.
        data: Vec<u8>,
        /// True on the last chunk.
        done: bool,
    },
    /// InstallSnapshot's answer: the offset the follower expects next (or the snapshot's end).
    SnapshotReply {
        /// The follower's term.
        term: u64,
        /// The follower.
        from: NodeIdx,
        /// The snapshot's last index.
        last_index: u64,
        /// The next byte the follower expects; `u64::MAX` once installed.
        next_offset: u64,
    },
    /// A client's request.
    Request {
        /// Session id.
        client: u64,
        /// Sequence number in the session.
        seq: u64,
        /// The operation.
        op: Op,
    },
    /// The answer to a request.
    Reply {
        /// Session id.
        client: u64,
        /// Sequence number answered.
        seq: u64,
        /// The result, or why the node would not run it.
        result: Result<OpResult, Refusal>,
    },
}
