//! The private state of simulated TCP: connections and their two ends, listeners, and the
//! segments on the wire. Pure bookkeeping; what moves segments is in `wire.rs`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::task::Waker;

use rand_chacha::ChaCha8Rng;
use slab::Slab;

use super::config::TcpConfig;
use crate::node::NodeId;

/// The end that called `connect`.
pub(crate) const CLIENT: usize = 0;
/// The end that a listener accepted.
pub(crate) const SERVER: usize = 1;

/// What a segment carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Syn,
    SynAck,
    Data,
    Fin,
    Rst,
}

impl Kind {
    /// Whether the segment is retransmitted until it arrives (a RST is sent once).
    pub(crate) fn reliable(self) -> bool {
        self != Kind::Rst
    }
}

/// One segment, in flight or waiting to be transmitted again.
pub(crate) struct Segment {
    /// Fingerprint and trace id (shared with datagram ids).
    pub id: u64,
    pub conn: u32,
    pub conn_id: u64,
    /// The side that sent it.
    pub from: usize,
    /// The sending and the receiving node.
    pub link: (NodeId, NodeId),
    pub kind: Kind,
    /// Stream offset of the first payload byte (of the end of stream for a FIN).
    pub seq: u64,
    pub payload: Vec<u8>,
    /// Its next event is an arrival (else a transmission).
    pub arriving: bool,
    /// A duplicate made by the link: never retransmitted.
    pub copy: bool,
    /// Transmissions so far.
    pub attempts: u32,
    /// Wait before the next retransmission (ns); 0 until the first loss.
    pub rto_ns: u64,
    /// True time from which the connection gives up on this segment.
    pub deadline: u64,
}

/// One end of a connection: its receive buffer, its send counters, its user handles.
pub(crate) struct End {
    pub node: NodeId,
    pub addr: SocketAddr,
    /// Client: the SYN-ACK arrived. Server: the SYN arrived (the end exists on its node).
    pub established: bool,
    /// Its node crashed: the end is gone.
    pub crashed: bool,
    /// A reset, a refusal or a timeout; reads return it once buffered data is consumed.
    pub error: Option<io::ErrorKind>,
    /// User handles alive: the read half, the write half (both during `connect`).
    pub read_open: bool,
    pub write_open: bool,
    /// Waiting in a listener's accept queue.
    pub queued: bool,
    /// In-order bytes not yet read.
    pub recv: VecDeque<u8>,
    /// Stream offset of the next byte expected in order.
    pub recv_next: u64,
    /// Segments that overtook a retransmitted one, by offset.
    pub out_of_order: BTreeMap<u64, Vec<u8>>,
    /// Where the peer's stream ends, once its FIN arrived.
    pub fin_at: Option<u64>,
    /// The reader (or the connecting task).
    pub read_waker: Option<Waker>,
    /// Stream offset of the next byte written.
    pub send_next: u64,
    pub fin_sent: bool,
    /// Bytes written that the peer's reader has not consumed: at most the window.
    pub unread: usize,
    pub write_waker: Option<Waker>,
    /// The latest arrival time given to a segment of this end: segments arrive in order.
    pub watermark: u64,
}

impl End {
    pub(crate) fn new(node: NodeId, addr: SocketAddr, open: bool) -> End {
        End {
            node,
            addr,
            established: false,
            crashed: false,
            error: None,
            read_open: open,
            write_open: open,
            queued: false,
            recv: VecDeque::new(),
            recv_next: 0,
            out_of_order: BTreeMap::new(),
            fin_at: None,
            read_waker: None,
            send_next: 0,
            fin_sent: false,
            unread: 0,
            write_waker: None,
            watermark: 0,
        }
    }

    /// Someone (a handle or an accept queue) still holds this end.
    pub(crate) fn owned(&self) -> bool {
        self.read_open || self.write_open || self.queued
    }

    /// The end can neither send nor receive any more.
    pub(crate) fn dead(&self) -> bool {
        self.crashed || self.error.is_some()
    }

    /// End of stream: the peer's FIN arrived and every byte before it was read.
    pub(crate) fn at_eof(&self) -> bool {
        self.recv.is_empty() && self.fin_at == Some(self.recv_next)
    }
}

/// A connection: two ends and the handshake deadline.
pub(crate) struct Conn {
    pub id: u64,
    pub ends: [End; 2],
    /// True time at which an unfinished handshake fails.
    pub connect_deadline: u64,
}

/// A listening port: connections whose SYN arrived, in arrival order.
pub(crate) struct Listener {
    pub id: u64,
    pub queue: VecDeque<(u32, u64)>,
    /// Tasks waiting in `accept`.
    pub waiters: Vec<Waker>,
}

const EPHEMERAL_FIRST: u16 = 49_152;

/// Every connection, listener and segment of the run.
pub(crate) struct Tcp {
    pub config: TcpConfig,
    pub conns: Slab<Conn>,
    pub segments: Slab<Segment>,
    pub listeners: BTreeMap<(NodeId, u16), Listener>,
    /// Local ports of client ends still held by their users.
    pub ports: BTreeSet<(NodeId, u16)>,
    next_ephemeral: BTreeMap<NodeId, u16>,
    next_id: u64,
    /// Retransmission backoff jitter.
    pub rng: ChaCha8Rng,
}

impl Tcp {
    pub(crate) fn new(config: TcpConfig, rng: ChaCha8Rng) -> Tcp {
        Tcp {
            config,
            conns: Slab::new(),
            segments: Slab::new(),
            listeners: BTreeMap::new(),
            ports: BTreeSet::new(),
            next_ephemeral: BTreeMap::new(),
            next_id: 0,
            rng,
        }
    }

    /// A fresh id for a connection or a listener.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The connection in slot `key`, if it is still the one with `id`.
    pub(crate) fn conn(&mut self, key: u32, id: u64) -> Option<&mut Conn> {
        self.conns.get_mut(key as usize).filter(|c| c.id == id)
    }

    fn in_use(&self, node: NodeId, port: u16) -> bool {
        self.ports.contains(&(node, port)) || self.listeners.contains_key(&(node, port))
    }

    /// Reserves `port` on `node` for a listener (0: a free ephemeral port).
    pub(crate) fn listen_port(&mut self, node: NodeId, port: u16) -> io::Result<u16> {
        if port == 0 {
            return self.ephemeral(node);
        }
        if self.in_use(node, port) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("TCP port {port} is already in use on this node"),
            ));
        }
        Ok(port)
    }

    /// A free ephemeral port of `node`.
    pub(crate) fn ephemeral(&mut self, node: NodeId) -> io::Result<u16> {
        let next = self.next_ephemeral.entry(node).or_insert(EPHEMERAL_FIRST);
        let mut candidate = *next;
        for _ in 0..=(u16::MAX - EPHEMERAL_FIRST) {
            let after = candidate.checked_add(1).unwrap_or(EPHEMERAL_FIRST);
            if !self.in_use(node, candidate) {
                self.next_ephemeral.insert(node, after);
                return Ok(candidate);
            }
            candidate = after;
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "no free ephemeral TCP port on this node",
        ))
    }

    /// Frees the connection if no end is held any more; returns it so buffers can be reused.
    pub(crate) fn free_if_unowned(&mut self, key: u32) -> Option<Conn> {
        let conn = self.conns.get(key as usize)?;
        if conn.ends.iter().any(End::owned) {
            return None;
        }
        let client = &conn.ends[CLIENT];
        self.ports.remove(&(client.node, client.addr.port()));
        Some(self.conns.remove(key as usize))
    }

    /// Lets go of an end's port once its user no longer holds it.
    pub(crate) fn release_port(&mut self, key: u32) {
        let client = &self.conns[key as usize].ends[CLIENT];
        if !client.owned() {
            let port = (client.node, client.addr.port());
            self.ports.remove(&port);
        }
    }
}

/// Wakers gathered under a borrow and woken after it is released (no allocation for a few).
#[derive(Default)]
pub(crate) struct Wakes {
    few: [Option<Waker>; 4],
    more: Vec<Waker>,
}

impl Wakes {
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        match self.few.iter_mut().find(|w| w.is_none()) {
            Some(slot) => *slot = Some(waker),
            None => self.more.push(waker),
        }
    }

    pub(crate) fn wake_all(self) {
        self.few.into_iter().flatten().for_each(Waker::wake);
        self.more.into_iter().for_each(Waker::wake);
    }
}
