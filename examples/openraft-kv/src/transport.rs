//! The node's transport: one UDP socket, request ids, chunked messages reassembled, replies
//! routed to their callers. Independent of openraft's version: `openraft09-kv` compiles this
//! file too.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use sandtable::net::{ToSocketAddr, UdpSocket};
use sandtable::sync::{mpsc, oneshot};

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
