//! The network's private state and the two moments of a message's life: send and delivery.
//! Partitions are checked at both, so a message in flight into a new partition is lost.

use std::net::SocketAddr;

use hashbrown::HashMap;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxBuildHasher;
use slab::Slab;

use super::link::LinkConfig;
use super::stats::{DropCause, NetStats};
use super::tcp::Tcp;
use crate::config::Config;
use crate::events::Due;
use crate::fingerprint::{hash_bytes, EventKind};
use crate::node::{NodeId, NodeState};
use crate::world::World;

/// A message on the wire.
pub(crate) struct Packet {
    pub id: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub from: NodeId,
    pub to: NodeId,
    /// The receiver's incarnation at send time; a crash in between loses the packet.
    pub incarnation: u32,
    pub payload: Vec<u8>,
}

/// Per directed link: override, partition flag, counters, FIFO watermark.
#[derive(Default)]
struct Link {
    config: Option<LinkConfig>,
    blocked: bool,
    stats: NetStats,
    last_delivery: u64,
}

pub(crate) struct Network {
    default: LinkConfig,
    links: HashMap<(NodeId, NodeId), Link, FxBuildHasher>,
    blocked_links: usize,
    pub packets: Slab<Packet>,
    next_packet: u64,
    pub stats: NetStats,
    rng: ChaCha8Rng,
    /// Connections, listeners and segments of simulated TCP.
    pub tcp: Tcp,
}

/// The outcome of sending one message: up to two delivery times, or why it was dropped.
pub(crate) enum Verdict {
    Deliver { at: u64, copy_at: Option<u64> },
    Drop(DropCause),
}

impl Network {
    pub(crate) fn new(config: &Config) -> Self {
        let rng = crate::rand::stream(config.seed, "net", "");
        let tcp_rng = crate::rand::stream(config.seed, "tcp", "");
        Network {
            default: config.link.clone(),
            links: HashMap::with_hasher(FxBuildHasher),
            blocked_links: 0,
            packets: Slab::new(),
            next_packet: 0,
            stats: NetStats::default(),
            rng,
            tcp: Tcp::new(config.tcp.clone(), tcp_rng),
        }
    }

    fn link(&mut self, from: NodeId, to: NodeId) -> &mut Link {
        self.links.entry((from, to)).or_default()
    }

    pub(crate) fn is_blocked(&self, from: NodeId, to: NodeId) -> bool {
        self.blocked_links > 0 && self.links.get(&(from, to)).is_some_and(|l| l.blocked)
    }

    pub(crate) fn set_blocked(&mut self, from: NodeId, to: NodeId, blocked: bool) {
        let link = self.link(from, to);
        if link.blocked != blocked {
            link.blocked = blocked;
            if blocked {
                self.blocked_links += 1;
            } else {
                self.blocked_links -= 1;
            }
        }
    }

    pub(crate) fn heal_all(&mut self) {
        self.links.values_mut().for_each(|l| l.blocked = false);
        self.blocked_links = 0;
    }

    pub(crate) fn set_link(&mut self, from: NodeId, to: NodeId, config: Option<LinkConfig>) {
        self.link(from, to).config = config;
    }

    pub(crate) fn set_default(&mut self, config: LinkConfig) {
        self.default = config;
    }

    pub(crate) fn link_config(&self, from: NodeId, to: NodeId) -> LinkConfig {
        self.links
            .get(&(from, to))
            .and_then(|l| l.config.clone())
            .unwrap_or_else(|| self.default.clone())
    }

    pub(crate) fn link_stats(&self, from: NodeId, to: NodeId) -> NetStats {
        self.links
            .get(&(from, to))
            .map(|l| l.stats)
            .unwrap_or_default()
    }

    /// Every link that has counters, sorted, so reports are deterministic.
    pub(crate) fn all_link_stats(&self) -> Vec<((NodeId, NodeId), NetStats)> {
        let mut v: Vec<_> = self.links.iter().map(|(k, l)| (*k, l.stats)).collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }

    pub(crate) fn count(&mut self, from: NodeId, to: NodeId, f: impl Fn(&mut NetStats)) {
        f(&mut self.stats);
        f(&mut self.link(from, to).stats);
    }

    /// Counts a message sent now on `from → to` and decides its fate.
    pub(crate) fn decide(&mut self, from: NodeId, to: NodeId, now: u64) -> Verdict {
        self.decide_counting(from, to, now, |_| {})
    }

    /// [`Network::decide`], also counting `count` on the run's and the link's stats (one
    /// lookup of the link for both).
    pub(crate) fn decide_counting(
        &mut self,
        from: NodeId,
        to: NodeId,
        now: u64,
        count: impl Fn(&mut NetStats),
    ) -> Verdict {
        let link = self.links.entry((from, to)).or_default();
        link.stats.sent += 1;
        self.stats.sent += 1;
        count(&mut link.stats);
        count(&mut self.stats);
        if link.blocked {
            return Verdict::Drop(DropCause::Partition);
        }
        let config = link.config.as_ref().unwrap_or(&self.default);
        let (min, max) = config.latency.bounds_ns();
        let (loss, dup, fifo) = (config.loss, config.duplicate, config.fifo);
        let rng = &mut self.rng;
        if loss > 0.0 && rng.random_bool(loss) {
            return Verdict::Drop(DropCause::Loss);
        }
        let sample = |rng: &mut ChaCha8Rng| {
            now + if min == max {
                min
            } else {
                rng.random_range(min..=max)
            }
        };
        let mut at = sample(rng);
        let copy_at = (dup > 0.0 && rng.random_bool(dup)).then(|| sample(rng));
        if fifo {
            at = at.max(link.last_delivery);
            link.last_delivery = at;
        }
        let copy_at = copy_at.map(|c| {
            if fifo {
                let c = c.max(link.last_delivery);
                link.last_delivery = c;
                c
            } else {
                c
            }
        });
        Verdict::Deliver { at, copy_at }
    }

    fn insert(&mut self, packet: Packet) -> u32 {
        self.packets.insert(packet) as u32
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_packet += 1;
        self.next_packet
    }

    /// Takes out all in-flight packets and TCP state (the simulation is going away), for the
    /// caller to drop outside the borrow.
    pub(crate) fn clear(&mut self) -> (Vec<Packet>, Tcp) {
        let tcp = Tcp::new(self.tcp.config.clone(), self.tcp.rng.clone());
        (
            self.packets.drain().collect(),
            std::mem::replace(&mut self.tcp, tcp),
        )
    }
}

impl World {
    /// Puts a message on the wire from the current node. The caller resolved `to` from `dst`.
    pub(crate) fn send_packet(
        &self,
        from: NodeId,
        src: SocketAddr,
        to: NodeId,
        dst: SocketAddr,
        payload: Vec<u8>,
    ) {
        let now = self.now.get();
        let incarnation = self.nodes.borrow()[to.index()].incarnation;
        // The bytes are part of the run: two runs that send different data must differ.
        let digest = hash_bytes(&payload);
        let mut net = self.net.borrow_mut();
        let id = net.next_id();
        match net.decide(from, to, now) {
            Verdict::Drop(cause) => {
                net.count(from, to, |s| s.count_drop(cause));
                drop(net);
                self.mix(EventKind::Drop, id);
                self.mix(EventKind::Payload, digest);
                tracing::debug!(target: "sandtable::net", packet = id, %src, %dst, ?cause, "dropped at send");
            }
            Verdict::Deliver { at, copy_at } => {
                let packet = |payload| Packet {
                    id,
                    src,
                    dst,
                    from,
                    to,
                    incarnation,
                    payload,
                };
                let copy = copy_at.map(|t| {
                    net.count(from, to, |s| s.duplicated += 1);
                    (t, net.insert(packet(payload.clone())))
                });
                let key = net.insert(packet(payload));
                drop(net);
                self.mix(EventKind::Send, id);
                self.mix(EventKind::Payload, digest);
                let mut events = self.events.borrow_mut();
                events.push(at, Due::Deliver(key));
                if let Some((t, k)) = copy {
                    events.push(t, Due::Deliver(k));
                }
            }
        }
    }

    /// Carries out a due delivery: the receiver must be the same incarnation, the link open,
    /// and a socket bound with room in its buffer.
    pub(crate) fn deliver(&self, key: u32) {
        let packet = self.net.borrow_mut().packets.remove(key as usize);
        let (from, to, id) = (packet.from, packet.to, packet.id);
        let (src, dst, len) = (packet.src, packet.dst, packet.payload.len());
        // Log lines about this delivery are stamped with the receiving node.
        self.current.set(Some(to));
        let outcome = self.try_deliver(packet);
        match outcome {
            Ok(()) => {
                self.net.borrow_mut().count(from, to, |s| s.delivered += 1);
                self.mix(EventKind::Deliver, id);
                tracing::debug!(target: "sandtable::net", packet = id, from = %self.name_of(from), to = %self.name_of(to), %src, %dst, len, "deliver");
            }
            Err(cause) => {
                self.net
                    .borrow_mut()
                    .count(from, to, |s| s.count_drop(cause));
                self.mix(EventKind::Drop, id);
                tracing::debug!(target: "sandtable::net", packet = id, from = %self.name_of(from), to = %self.name_of(to), ?cause, "dropped in flight");
            }
        }
        self.current.set(None);
    }

    fn try_deliver(&self, packet: Packet) -> Result<(), DropCause> {
        if self.net.borrow().is_blocked(packet.from, packet.to) {
            return Err(DropCause::Partition);
        }
        let waker = {
            let mut nodes = self.nodes.borrow_mut();
            let node = &mut nodes[packet.to.index()];
            if node.state == NodeState::Crashed || node.incarnation != packet.incarnation {
                return Err(DropCause::Crash);
            }
            let capacity = self.config.socket_capacity;
            node.bindings
                .push(packet.dst.port(), packet.payload, packet.src, capacity)?
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}
