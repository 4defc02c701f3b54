//! The node's transport (one UDP socket, request ids, reassembly) and openraft's network on it.
//!
//! openraft's side is `Send` (its default mode): [`Network`] only holds a channel to the
//! node's transport task, which owns the socket. Replies find their caller by request id; a
//! caller that gave up (timeout) leaves a closed reply slot that the next request clears.

use std::future::Future;

use openraft::errors::{RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::v2::RaftNetworkV2;
use openraft::network::{RPCOption, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{BasicNode, OptionalSend};
use sandtable::sync::mpsc;

use crate::types::typ::{Snapshot, Vote};
use crate::types::{SnapshotData, TypeConfig};
use crate::wire::{Reply, Request};

pub use crate::transport::{call, Outgoing, Transport};

/// openraft's network factory: one [`Network`] per target node.
#[derive(Clone)]
pub struct NetworkFactory {
    /// The node's outgoing requests.
    pub out: mpsc::UnboundedSender<Outgoing>,
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = Network;

    async fn new_client(&mut self, _target: u64, node: &BasicNode) -> Network {
        Network {
            out: self.out.clone(),
            to: node.addr.clone(),
        }
    }
}

/// The connection to one peer.
pub struct Network {
    out: mpsc::UnboundedSender<Outgoing>,
    to: String,
}

fn unreachable<E: std::error::Error>(what: &str) -> RPCError<TypeConfig, E> {
    RPCError::Unreachable(Unreachable::from_string(what))
}

impl Network {
    async fn call(&self, request: Request, option: &RPCOption) -> Option<Reply> {
        call(&self.out, &self.to, request, option.soft_ttl()).await
    }
}

impl RaftNetworkV2<TypeConfig> for Network {
    type SnapshotData = SnapshotData;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        match self.call(Request::Append(rpc), &option).await {
            Some(Reply::Append(Some(r))) => Ok(r),
            _ => Err(unreachable("append: no reply")),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        match self.call(Request::Vote(rpc), &option).await {
            Some(Reply::Vote(Some(r))) => Ok(r),
            _ => Err(unreachable("vote: no reply")),
        }
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: Snapshot,
        _cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let request = Request::Snapshot(vote, snapshot.meta, snapshot.snapshot.into_inner());
        match self.call(request, &option).await {
            Some(Reply::Snapshot(Some(r))) => Ok(r),
            _ => Err(StreamingError::Unreachable(Unreachable::from_string(
                "snapshot: no reply",
            ))),
        }
    }
}
