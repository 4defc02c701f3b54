//! The node's transport (one UDP socket, request ids, reassembly; the same as `openraft-kv`'s)
//! and openraft 0.9's network on it.
//!
//! openraft's side is `Send` (its default mode): [`Network`] only holds a channel to the
//! node's transport task, which owns the socket. Replies find their caller by request id; a
//! caller that gave up (timeout) leaves a closed reply slot that the next request clears.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use openraft::error::{Fatal, RPCError, RaftError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{BasicNode, OptionalSend};
use sandtable::net::{ToSocketAddr, UdpSocket};
use sandtable::sync::{mpsc, oneshot};

use crate::types::typ::{Snapshot, Vote};
use crate::types::TypeConfig;
use crate::wire::{self, Message, Reassembly, Reply, Request};

/// A request on its way out, with where its reply goes.
pub struct Outgoing {
    /// The destination (`name:port`).
    pub to: String,
    /// The request.
    pub request: Request,
    /// The reply's slot.
    pub reply: oneshot::Sender<Reply>,
}

/// The node's socket and its bookkeeping (node-local: lives in the node's tasks).
pub struct Transport {
    socket: UdpSocket,
    next_msg: Cell<u64>,
    next_request: Cell<u64>,
    pending: RefCell<BTreeMap<u64, oneshot::Sender<Reply>>>,
    reassembly: RefCell<Reassembly>,
}

impl Transport {
    /// Binds `addr` on the current node.
    pub async fn bind(addr: &str) -> std::io::Result<Rc<Transport>> {
        // Message ids start at a random point, so that a restarted node's datagrams are not
        // taken for parts of its previous incarnation's.
        let first: u64 = sandtable::rand::random::<u64>() >> 16;
        Ok(Rc::new(Transport {
            socket: UdpSocket::bind(addr).await?,
            next_msg: Cell::new(first),
            next_request: Cell::new(first),
            pending: RefCell::default(),
            reassembly: RefCell::default(),
        }))
    }

    /// Sends `msg` to `to` in chunks (send errors are losses).
    pub async fn send(&self, to: SocketAddr, msg: &Message) {
        let id = self.next_msg.get();
        self.next_msg.set(id + 1);
        for d in wire::chunks(id, msg) {
            let _ = self.socket.send_to(&d, to).await;
        }
    }

    /// Sends a request and registers where its reply goes.
    pub async fn request(&self, out: Outgoing) {
        let Ok(to) = out.to.as_str().to_socket_addr() else {
            return;
        };
        let id = self.next_request.get();
        self.next_request.set(id + 1);
        {
            let mut pending = self.pending.borrow_mut();
            pending.retain(|_, slot| !slot.is_canceled());
            pending.insert(id, out.reply);
        }
        self.send(to, &Message::Request(id, out.request)).await;
    }

    /// The next whole request (replies are routed to their callers on the way).
    pub async fn next_request(&self) -> std::io::Result<(SocketAddr, u64, Request)> {
        let mut buf = vec![0u8; sandtable::net::MAX_DATAGRAM];
        loop {
            let (n, from) = self.socket.recv_from(&mut buf).await?;
            let msg = self.reassembly.borrow_mut().receive(from, &buf[..n]);
            match msg {
                Some(Message::Request(id, req)) => return Ok((from, id, req)),
                Some(Message::Reply(id, reply)) => {
                    if let Some(slot) = self.pending.borrow_mut().remove(&id) {
                        let _ = slot.send(reply);
                    }
                }
                None => {}
            }
        }
    }

    /// Feeds every request from `outgoing` to the network until the channel closes.
    pub async fn send_loop(self: Rc<Self>, mut outgoing: mpsc::UnboundedReceiver<Outgoing>) {
        while let Some(out) = outgoing.recv().await {
            self.request(out).await;
        }
    }
}

/// A request's round trip over the transport, bounded by `ttl`.
pub async fn call(
    out: &mpsc::UnboundedSender<Outgoing>,
    to: &str,
    request: Request,
    ttl: Duration,
) -> Option<Reply> {
    let (reply, rx) = oneshot::channel();
    let outgoing = Outgoing {
        to: to.to_string(),
        request,
        reply,
    };
    out.send(outgoing).ok()?;
    sandtable::time::timeout(ttl, rx).await.ok()?.ok()
}

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

fn unreachable(what: &str) -> Unreachable {
    Unreachable::new(&std::io::Error::other(what.to_string()))
}

/// An RPC's failure: no reply in time, or the receiver could not handle it.
type RpcFailure = RPCError<u64, BasicNode, RaftError<u64>>;

impl Network {
    async fn call(&self, request: Request, option: &RPCOption) -> Option<Reply> {
        call(&self.out, &self.to, request, option.soft_ttl()).await
    }
}

impl RaftNetwork<TypeConfig> for Network {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RpcFailure> {
        match self.call(Request::Append(rpc), &option).await {
            Some(Reply::Append(Some(r))) => Ok(r),
            _ => Err(RPCError::Unreachable(unreachable("append: no reply"))),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RpcFailure> {
        match self.call(Request::Vote(rpc), &option).await {
            Some(Reply::Vote(Some(r))) => Ok(r),
            _ => Err(RPCError::Unreachable(unreachable("vote: no reply"))),
        }
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: Snapshot,
        _cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<u64>, StreamingError<TypeConfig, Fatal<u64>>> {
        let request = Request::Snapshot(vote, snapshot.meta, snapshot.snapshot.into_inner());
        match self.call(request, &option).await {
            Some(Reply::Snapshot(Some(r))) => Ok(r),
            _ => Err(StreamingError::Unreachable(unreachable(
                "snapshot: no reply",
            ))),
        }
    }
}
