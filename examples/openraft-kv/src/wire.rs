//! The wire (compiled by `openraft-kv` and `openraft09-kv`, each with its own `types`):
//! requests and replies between nodes and from clients, as JSON split into
//! datagrams of at most [`CHUNK_BYTES`] and reassembled at the receiver. A message with a lost
//! chunk is lost (the caller times out and openraft retries), as over a lossy network.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::types::typ::{SnapshotMeta, Vote};
use crate::types::{Op, OpResult, TypeConfig, VoteParam};

/// Bytes of message per datagram (small, so that batches of entries and snapshots take
/// several).
pub const CHUNK_BYTES: usize = 1024;
/// Partly received messages kept per node; the oldest is dropped beyond this.
pub const PARTIAL_MAX: usize = 64;

/// A request.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// openraft's AppendEntries.
    Append(openraft::raft::AppendEntriesRequest<TypeConfig>),
    /// openraft's RequestVote.
    Vote(openraft::raft::VoteRequest<VoteParam>),
    /// A whole snapshot (openraft's network v2 `full_snapshot`).
    Snapshot(Vote, SnapshotMeta, Vec<u8>),
    /// A client's operation.
    Client(Op),
}

/// A reply. `None` in a Raft reply: the receiving node could not handle it (it is shutting
/// down); the caller takes it as unreachable.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// To `Append`.
    Append(Option<openraft::raft::AppendEntriesResponse<VoteParam>>),
    /// To `Vote`.
    Vote(Option<openraft::raft::VoteResponse<VoteParam>>),
    /// To `Snapshot`.
    Snapshot(Option<openraft::raft::SnapshotResponse<VoteParam>>),
    /// To `Client`.
    Client(ClientReply),
}

/// The answer to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientReply {
    /// Done: the operation took effect (or, for a read, was served linearizably).
    Done(OpResult),
    /// Not the leader; the leader it knows of, if any. The operation did not take effect.
    NotLeader(Option<u64>),
    /// The node failed before knowing the outcome (e.g. leadership lost after appending).
    Unknown,
}

/// A message: a request or the reply to one, by the sender's request id.
#[derive(Debug, Serialize, Deserialize)]
pub enum Message {
    /// A request expecting a reply with the same id.
    Request(u64, Request),
    /// The reply to request `id`.
    Reply(u64, Reply),
}

/// The datagrams carrying `msg` as message `msg_id` of its sender.
pub fn chunks(msg_id: u64, msg: &Message) -> Vec<Vec<u8>> {
    chunks_of(msg_id, msg, CHUNK_BYTES)
}

fn chunks_of(msg_id: u64, msg: &Message, size: usize) -> Vec<Vec<u8>> {
    let bytes = serde_json::to_vec(msg).expect("wire messages encode");
    let parts: Vec<&[u8]> = bytes.chunks(size).collect();
    let count = u32::try_from(parts.len()).expect("fewer than 2^32 chunks");
    (0..count)
        .map(|i| {
            let mut d = Vec::with_capacity(16 + size);
            d.extend_from_slice(&msg_id.to_le_bytes());
            d.extend_from_slice(&i.to_le_bytes());
            d.extend_from_slice(&count.to_le_bytes());
            d.extend_from_slice(parts[i as usize]);
            d
        })
        .collect()
}

/// Messages being reassembled, by (sender, message id), oldest first by arrival order.
#[derive(Default)]
pub struct Reassembly {
    partial: BTreeMap<(SocketAddr, u64), Partial>,
    arrivals: u64,
}

struct Partial {
    first_arrival: u64,
    parts: Vec<Option<Vec<u8>>>,
    missing: usize,
}

impl Reassembly {
    /// Takes one datagram; returns the message it completes, if any. Malformed or duplicate
    /// datagrams are ignored.
    pub fn receive(&mut self, from: SocketAddr, datagram: &[u8]) -> Option<Message> {
        let header = datagram.get(..16)?;
        let msg_id = u64::from_le_bytes(header[..8].try_into().ok()?);
        let index = u32::from_le_bytes(header[8..12].try_into().ok()?) as usize;
        let count = u32::from_le_bytes(header[12..16].try_into().ok()?) as usize;
        let body = &datagram[16..];
        if count == 1 {
            return serde_json::from_slice(body).ok();
        }
        if index >= count {
            return None;
        }
        self.arrivals += 1;
        let arrival = self.arrivals;
        let partial = self
            .partial
            .entry((from, msg_id))
            .or_insert_with(|| Partial {
                first_arrival: arrival,
                parts: vec![None; count],
                missing: count,
            });
        if partial.parts.len() != count || partial.parts[index].is_some() {
            return None;
        }
        partial.parts[index] = Some(body.to_vec());
        partial.missing -= 1;
        if partial.missing > 0 {
            self.bound();
            return None;
        }
        let done = self.partial.remove(&(from, msg_id)).expect("just updated");
        let bytes: Vec<u8> = done.parts.into_iter().flatten().flatten().collect();
        serde_json::from_slice(&bytes).ok()
    }

    /// Drops the oldest partial message while there are too many.
    fn bound(&mut self) {
        while self.partial.len() > PARTIAL_MAX {
            let oldest = self
                .partial
                .iter()
                .min_by_key(|(_, p)| p.first_arrival)
                .map(|(k, _)| *k)
                .expect("not empty");
            self.partial.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_message_goes_in_chunks_and_comes_back_whole() {
        let msg = Message::Request(7, Request::Client(crate::types::Op::Cas(1, 2, 3)));
        let datagrams = chunks_of(1, &msg, 4);
        assert!(datagrams.len() > 4);
        let from: SocketAddr = "10.0.0.1:7000".parse().unwrap();
        let mut r = Reassembly::default();
        let mut out = None;
        for d in datagrams.iter().rev() {
            out = r.receive(from, d);
        }
        match out {
            Some(Message::Request(7, Request::Client(op))) => {
                assert_eq!(op, crate::types::Op::Cas(1, 2, 3))
            }
            other => panic!("{other:?}"),
        }
    }
}
