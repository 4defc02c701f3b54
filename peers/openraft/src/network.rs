//! The in-memory network between the nodes: each leg of an RPC sleeps a latency drawn from the
//! runtime's seeded `thread_rng`, with the runtime's `sleep`, so both runtimes do the same work.
//! The one fault is a user-level one both runtimes can express: while a node is isolated, a
//! message to or from it is lost (its sender waits out openraft's soft TTL, then sees
//! `Unreachable`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::errors::{RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::v2::RaftNetworkV2;
use openraft::network::{RPCOption, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{AsyncRuntime, BasicNode, OptionalSend};
use rand::RngExt;

use crate::types::{Cfg, Raft, Snapshot, SnapshotData, Vote};

/// One-way latency of a message, in microseconds (drawn uniformly).
const LATENCY_MIN_US: u64 = 500;
/// The upper end of the one-way latency.
const LATENCY_MAX_US: u64 = 5_000;

/// Every node's Raft handle, and the isolated node if any.
pub struct Router<Rt: AsyncRuntime> {
    rafts: Mutex<BTreeMap<u64, Raft<Rt>>>,
    isolated: Mutex<Option<u64>>,
    /// Messages sent (requests and replies).
    pub sent: AtomicU64,
    /// Messages lost to the isolation.
    pub lost: AtomicU64,
}

impl<Rt: AsyncRuntime> Default for Router<Rt> {
    fn default() -> Self {
        Router {
            rafts: Mutex::default(),
            isolated: Mutex::default(),
            sent: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        }
    }
}

/// Sleeps one message latency (also the client's legs to a node).
pub async fn latency<Rt: AsyncRuntime>() {
    let us = Rt::thread_rng().random_range(LATENCY_MIN_US..=LATENCY_MAX_US);
    Rt::sleep(Duration::from_micros(us)).await;
}

impl<Rt: AsyncRuntime> Router<Rt> {
    /// Makes `raft` reachable as node `id`.
    pub fn add(&self, id: u64, raft: Raft<Rt>) {
        self.rafts.lock().expect("unpoisoned").insert(id, raft);
    }

    /// Forgets every node (a Raft handle holds its network, which holds this router).
    pub fn clear(&self) {
        self.rafts.lock().expect("unpoisoned").clear();
    }

    /// Isolates `node` (or, with `None`, heals).
    pub fn isolate(&self, node: Option<u64>) {
        *self.isolated.lock().expect("unpoisoned") = node;
    }

    fn raft(&self, id: u64) -> Option<Raft<Rt>> {
        self.rafts.lock().expect("unpoisoned").get(&id).cloned()
    }

    /// Carries one message from `from` to `to`: sleeps its latency, then says whether it
    /// arrives (neither end isolated at arrival).
    async fn hop(&self, from: u64, to: u64) -> bool {
        self.sent.fetch_add(1, Relaxed);
        latency::<Rt>().await;
        let isolated = *self.isolated.lock().expect("unpoisoned");
        let arrives = isolated != Some(from) && isolated != Some(to);
        if !arrives {
            self.lost.fetch_add(1, Relaxed);
        }
        arrives
    }
}

/// openraft's network factory for node `from`.
pub struct NetworkFactory<Rt: AsyncRuntime> {
    /// The node whose connections these are.
    pub from: u64,
    /// The cluster's router.
    pub router: Arc<Router<Rt>>,
}

impl<Rt: AsyncRuntime> RaftNetworkFactory<Cfg<Rt>> for NetworkFactory<Rt> {
    type Network = Network<Rt>;

    async fn new_client(&mut self, target: u64, _node: &BasicNode) -> Network<Rt> {
        Network {
            from: self.from,
            to: target,
            router: self.router.clone(),
        }
    }
}

/// The connection from one node to another.
pub struct Network<Rt: AsyncRuntime> {
    from: u64,
    to: u64,
    router: Arc<Router<Rt>>,
}

impl<Rt: AsyncRuntime> Network<Rt> {
    /// The request leg, `call` on the target, the reply leg; `None` if a leg was lost (after
    /// waiting `ttl`, as a real caller would) or the target refused.
    async fn rpc<T, E, Fut>(&self, ttl: Duration, call: impl FnOnce(Raft<Rt>) -> Fut) -> Option<T>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let reply = match self.router.hop(self.from, self.to).await {
            true => self.router.raft(self.to).map(call),
            false => None,
        };
        let reply = match reply {
            Some(fut) => fut.await.ok(),
            None => None,
        };
        if reply.is_some() && self.router.hop(self.to, self.from).await {
            return reply;
        }
        Rt::sleep(ttl).await;
        None
    }
}

fn unreachable<Rt: AsyncRuntime, E: std::error::Error>(what: &str) -> RPCError<Cfg<Rt>, E> {
    RPCError::Unreachable(Unreachable::from_string(what))
}

impl<Rt: AsyncRuntime> RaftNetworkV2<Cfg<Rt>> for Network<Rt> {
    type SnapshotData = SnapshotData;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<Cfg<Rt>>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<Cfg<Rt>>, RPCError<Cfg<Rt>>> {
        let call = |raft: Raft<Rt>| async move { raft.append_entries(rpc).await };
        match self.rpc(option.soft_ttl(), call).await {
            Some(r) => Ok(r),
            None => Err(unreachable("append: lost")),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<Cfg<Rt>>,
        option: RPCOption,
    ) -> Result<VoteResponse<Cfg<Rt>>, RPCError<Cfg<Rt>>> {
        let call = |raft: Raft<Rt>| async move { raft.vote(rpc).await };
        match self.rpc(option.soft_ttl(), call).await {
            Some(r) => Ok(r),
            None => Err(unreachable("vote: lost")),
        }
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: Snapshot,
        _cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<Cfg<Rt>>, StreamingError<Cfg<Rt>>> {
        let call = |raft: Raft<Rt>| async move { raft.install_full_snapshot(vote, snapshot).await };
        match self.rpc(option.soft_ttl(), call).await {
            Some(r) => Ok(r),
            None => Err(StreamingError::Unreachable(Unreachable::from_string(
                "snapshot: lost",
            ))),
        }
    }
}
