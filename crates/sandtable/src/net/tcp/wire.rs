//! The life of a segment: transmission (the link's verdict, or a retransmission after a seeded,
//! doubling backoff), arrival (partition and crash checked again, then the receiving end's
//! state machine), connection timeouts, and what a crash does to a node's connections.

use std::io::ErrorKind;
use std::mem;

use rand::Rng;

use super::config::TcpConfig;
use super::state::{Conn, Kind, Segment, Wakes, CLIENT, SERVER};
use crate::events::Due;
use crate::fingerprint::EventKind;
use crate::net::network::{Network, Verdict};
use crate::net::stats::DropCause;
use crate::node::{NodeId, NodeState};
use crate::world::World;

/// What happens to a segment that reached the receiving node's side of the link.
enum Arrival {
    /// Processed by the receiving end.
    Accept,
    /// Lost on the way (partition, crashed host, full backlog): retransmitted if reliable.
    Lost(DropCause),
    /// The host has no such connection (any more): dropped, answered with a RST.
    Refuse(DropCause),
    /// Dropped without an answer.
    Ignore(DropCause),
}

impl World {
    /// Creates a segment sent by side `from` of connection `conn` and transmits it now.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn tcp_send(
        &self,
        net: &mut Network,
        conn: (u32, u64),
        from: usize,
        kind: Kind,
        seq: u64,
        payload: Vec<u8>,
        deadline: u64,
        wakes: &mut Wakes,
    ) {
        let id = net.next_id();
        if !payload.is_empty() {
            // Data is in the fingerprint, as for datagrams.
            self.mix(
                crate::fingerprint::EventKind::Payload,
                crate::fingerprint::hash_bytes(&payload),
            );
        }
        let ends = &net.tcp.conns[conn.0 as usize].ends;
        let link = (ends[from].node, ends[1 - from].node);
        let key = net.tcp.segments.insert(Segment {
            id,
            conn: conn.0,
            conn_id: conn.1,
            from,
            link,
            kind,
            seq,
            payload,
            arriving: false,
            copy: false,
            attempts: 0,
            rto_ns: 0,
            deadline,
        }) as u32;
        self.tcp_transmit(net, key, wakes);
    }

    /// Carries out a due segment event: an arrival or a retransmission.
    pub(crate) fn tcp_segment_due(&self, key: u32) {
        let mut wakes = Wakes::default();
        {
            let mut net = self.net.borrow_mut();
            let seg = &net.tcp.segments[key as usize];
            let arriving = seg.arriving;
            let side = if arriving { 1 - seg.from } else { seg.from };
            let (conn, id) = (seg.conn, seg.conn_id);
            // Log lines are stamped with the node that acts: the receiver or the sender.
            let node = net.tcp.conn(conn, id).map(|c| c.ends[side].node);
            self.current.set(node);
            if arriving {
                self.tcp_arrive(&mut net, key, &mut wakes);
            } else {
                self.tcp_transmit(&mut net, key, &mut wakes);
            }
        }
        self.current.set(None);
        wakes.wake_all();
    }

    /// One transmission of a segment: the link decides; a loss schedules a retransmission.
    fn tcp_transmit(&self, net: &mut Network, key: u32, wakes: &mut Wakes) {
        let now = self.now.get();
        let seg = &net.tcp.segments[key as usize];
        let (conn_key, conn_id, from, kind) = (seg.conn, seg.conn_id, seg.from, seg.kind);
        let (attempts, deadline, id) = (seg.attempts, seg.deadline, seg.id);
        let Some(conn) = net.tcp.conn(conn_key, conn_id) else {
            return self.tcp_forget(net, key);
        };
        if kind.reliable() && conn.ends[from].dead() {
            return self.tcp_forget(net, key);
        }
        if attempts > 0 && now >= deadline {
            self.tcp_forget(net, key);
            return self.tcp_abort(net, conn_key, conn_id, ErrorKind::TimedOut, wakes);
        }
        let (src, dst) = (conn.ends[from].node, conn.ends[1 - from].node);
        let watermark = conn.ends[from].watermark;
        let verdict = net.decide_counting(src, dst, now, |s| {
            s.tcp_segments += 1;
            s.tcp_retransmits += u64::from(attempts > 0);
        });
        net.tcp.segments[key as usize].attempts += 1;
        match verdict {
            Verdict::Drop(cause) => {
                net.count(src, dst, |s| s.count_drop(cause));
                self.mix(EventKind::Drop, id);
                tracing::debug!(target: "sandtable::net", segment = id, conn = conn_id, ?kind, ?cause, attempt = attempts + 1, "tcp segment lost at send");
                self.tcp_retry(net, key);
            }
            Verdict::Deliver { at, copy_at } => {
                let at = at.max(watermark);
                net.tcp.conns[conn_key as usize].ends[from].watermark = at;
                let seg = &mut net.tcp.segments[key as usize];
                seg.arriving = true;
                let (seq, len) = (seg.seq, seg.payload.len());
                self.mix(EventKind::Send, id);
                tracing::debug!(target: "sandtable::net", segment = id, conn = conn_id, ?kind, seq, len, attempt = attempts + 1, "tcp send");
                self.events.borrow_mut().push(at, Due::Segment(key));
                if let Some(t) = copy_at {
                    net.count(src, dst, |s| s.duplicated += 1);
                    self.tcp_copy(net, key, t);
                }
            }
        }
    }

    /// A duplicate of segment `key` made by the link, arriving at `at`.
    fn tcp_copy(&self, net: &mut Network, key: u32, at: u64) {
        let seg = &net.tcp.segments[key as usize];
        let copy = Segment {
            payload: self.buffer_with(&seg.payload),
            copy: true,
            ..*seg
        };
        let copy_key = net.tcp.segments.insert(copy) as u32;
        self.events.borrow_mut().push(at, Due::Segment(copy_key));
    }

    /// Schedules the next transmission of a lost segment (a RST or a duplicate is forgotten).
    fn tcp_retry(&self, net: &mut Network, key: u32) {
        let now = self.now.get();
        let seg = &net.tcp.segments[key as usize];
        if !seg.kind.reliable() || seg.copy {
            return self.tcp_forget(net, key);
        }
        let initial = TcpConfig::ns(net.tcp.config.rto_initial);
        let max = TcpConfig::ns(net.tcp.config.rto_max);
        let rto = match seg.rto_ns {
            0 => (initial + net.tcp.rng.random_range(0..=initial / 4)).min(max),
            rto => rto.saturating_mul(2).min(max),
        };
        let seg = &mut net.tcp.segments[key as usize];
        seg.rto_ns = rto;
        seg.arriving = false;
        let at = now.saturating_add(rto).min(seg.deadline).max(now);
        self.events.borrow_mut().push(at, Due::Segment(key));
    }

    /// Takes a segment off the wire for good, keeping its buffer.
    fn tcp_forget(&self, net: &mut Network, key: u32) {
        let seg = net.tcp.segments.remove(key as usize);
        self.recycle_buffer(seg.payload);
    }

    /// A segment reached the receiving host: decide its fate, then let the end process it.
    fn tcp_arrive(&self, net: &mut Network, key: u32, wakes: &mut Wakes) {
        let seg = &net.tcp.segments[key as usize];
        let (conn_key, conn_id, from, kind, id) =
            (seg.conn, seg.conn_id, seg.from, seg.kind, seg.id);
        let (src, dst) = seg.link;
        let to = 1 - from;
        let Some(conn) = net
            .tcp
            .conns
            .get(conn_key as usize)
            .filter(|c| c.id == conn_id)
        else {
            // Both ends were closed: nothing is bound to that connection any more.
            net.count(src, dst, |s| s.count_drop(DropCause::Unbound));
            self.mix(EventKind::Drop, id);
            return self.tcp_forget(net, key);
        };
        let arrival = self.tcp_arrival(net, conn, kind, to, src, dst);
        match arrival {
            Arrival::Accept => {
                net.count(src, dst, |s| s.delivered += 1);
                self.mix(EventKind::Deliver, id);
                let seg = net.tcp.segments.remove(key as usize);
                tracing::debug!(target: "sandtable::net", segment = id, conn = conn_id, ?kind, seq = seg.seq, len = seg.payload.len(), from = %self.name_of(src), to = %self.name_of(dst), "tcp deliver");
                self.tcp_process(net, seg, wakes);
            }
            Arrival::Lost(cause) | Arrival::Refuse(cause) | Arrival::Ignore(cause) => {
                net.count(src, dst, |s| s.count_drop(cause));
                self.mix(EventKind::Drop, id);
                tracing::debug!(target: "sandtable::net", segment = id, conn = conn_id, ?kind, ?cause, from = %self.name_of(src), to = %self.name_of(dst), "tcp segment dropped in flight");
                match arrival {
                    Arrival::Lost(_) => self.tcp_retry(net, key),
                    Arrival::Refuse(_) => {
                        self.tcp_forget(net, key);
                        self.tcp_reset_peer(net, (conn_key, conn_id), to, wakes);
                    }
                    _ => self.tcp_forget(net, key),
                }
            }
        }
    }

    /// The fate of a segment of `kind` arriving on `src → dst` at the receiving end.
    fn tcp_arrival(
        &self,
        net: &Network,
        conn: &Conn,
        kind: Kind,
        to: usize,
        src: NodeId,
        dst: NodeId,
    ) -> Arrival {
        let receiver = &conn.ends[to];
        if net.is_blocked(src, dst) {
            return Arrival::Lost(DropCause::Partition);
        }
        if self.nodes.borrow()[dst.index()].state == NodeState::Crashed {
            return Arrival::Lost(DropCause::Crash);
        }
        match kind {
            Kind::Rst => Arrival::Accept,
            Kind::Syn if conn.ends[CLIENT].dead() => Arrival::Ignore(DropCause::Unbound),
            Kind::Syn if receiver.established => Arrival::Accept,
            Kind::Syn => {
                let backlog = net.tcp.config.backlog;
                let listener = net.tcp.listeners.get(&(dst, receiver.addr.port()));
                match listener {
                    Some(l) if l.queue.len() >= backlog => Arrival::Lost(DropCause::Overflow),
                    _ => Arrival::Accept,
                }
            }
            // A restarted node knows nothing of its former connections.
            _ if receiver.crashed => Arrival::Refuse(DropCause::Crash),
            _ if receiver.error.is_some() => Arrival::Refuse(DropCause::Unbound),
            Kind::Fin => Arrival::Accept,
            _ if !receiver.owned() => Arrival::Refuse(DropCause::Unbound),
            _ => Arrival::Accept,
        }
    }

    /// The receiving end takes in a segment that arrived.
    fn tcp_process(&self, net: &mut Network, seg: Segment, wakes: &mut Wakes) {
        let (conn_key, conn_id, to) = (seg.conn, seg.conn_id, 1 - seg.from);
        match seg.kind {
            Kind::Syn => self.tcp_on_syn(net, (conn_key, conn_id), wakes),
            Kind::Data => self.tcp_on_data(net, seg, wakes),
            _ => {
                let conn = &mut net.tcp.conns[conn_key as usize];
                let end = &mut conn.ends[to];
                match seg.kind {
                    Kind::SynAck => end.established = true,
                    Kind::Fin => end.fin_at = Some(seg.seq),
                    _ if end.dead() => {}
                    _ => {
                        let refused = to == CLIENT && !end.established;
                        end.error = Some(if refused {
                            ErrorKind::ConnectionRefused
                        } else {
                            ErrorKind::ConnectionReset
                        });
                        wakes.push(end.write_waker.take());
                        tracing::debug!(target: "sandtable::net", conn = conn_id, refused, "tcp reset");
                    }
                }
                wakes.push(end.read_waker.take());
                self.recycle_buffer(seg.payload);
            }
        }
    }

    /// A SYN reached the server's node: queue the connection on the listener and answer, or
    /// refuse it when nothing listens on the port.
    fn tcp_on_syn(&self, net: &mut Network, conn: (u32, u64), wakes: &mut Wakes) {
        let tcp = &mut net.tcp;
        let c = &mut tcp.conns[conn.0 as usize];
        let server = &mut c.ends[SERVER];
        if server.established {
            return; // a duplicate
        }
        let deadline = c.connect_deadline;
        let Some(listener) = tcp.listeners.get_mut(&(server.node, server.addr.port())) else {
            tracing::debug!(target: "sandtable::net", conn = conn.1, addr = %server.addr, "tcp connection refused");
            return self.tcp_reset_peer(net, conn, SERVER, wakes);
        };
        server.established = true;
        server.queued = true;
        listener.queue.push_back(conn);
        listener.waiters.drain(..).for_each(|w| wakes.push(Some(w)));
        self.tcp_send(
            net,
            conn,
            SERVER,
            Kind::SynAck,
            0,
            Vec::new(),
            deadline,
            wakes,
        );
    }

    /// Data reached the receiving end: in order it joins the stream, ahead of a missing
    /// segment it waits, and a duplicate is dropped.
    fn tcp_on_data(&self, net: &mut Network, seg: Segment, wakes: &mut Wakes) {
        let to = 1 - seg.from;
        let conn = &mut net.tcp.conns[seg.conn as usize];
        let end = &mut conn.ends[to];
        let len = seg.payload.len() as u64;
        if seg.seq + len <= end.recv_next || end.out_of_order.contains_key(&seg.seq) {
            return self.recycle_buffer(seg.payload);
        }
        if seg.seq > end.recv_next {
            end.out_of_order.insert(seg.seq, seg.payload);
            return;
        }
        assert_eq!(
            seg.seq, end.recv_next,
            "sandtable bug: segments of a connection never overlap"
        );
        let mut payload = seg.payload;
        let mut bytes = 0u64;
        let mut discarded = 0usize;
        loop {
            bytes += payload.len() as u64;
            end.recv_next += payload.len() as u64;
            // A connection waiting in the listener's queue buffers what arrives, as a real
            // accept backlog does: its reader has not been handed out yet.
            if end.read_open || end.queued {
                end.recv.extend(payload.iter());
            } else {
                discarded += payload.len();
            }
            self.recycle_buffer(payload);
            let next = end.recv_next;
            match end.out_of_order.first_entry() {
                Some(e) if *e.key() == next => payload = e.remove(),
                _ => break,
            }
        }
        wakes.push(end.read_waker.take());
        if discarded > 0 {
            // Nobody will read these: they leave the window at once.
            let sender = &mut conn.ends[seg.from];
            sender.unread = sender
                .unread
                .checked_sub(discarded)
                .expect("sandtable bug: the window counts every byte in flight");
            wakes.push(sender.write_waker.take());
        }
        let (src, dst) = (conn.ends[seg.from].node, conn.ends[to].node);
        net.count(src, dst, |s| s.tcp_bytes += bytes);
    }

    /// Sends a RST from side `from` to the other end, unless that end is already gone.
    pub(crate) fn tcp_reset_peer(
        &self,
        net: &mut Network,
        conn: (u32, u64),
        from: usize,
        wakes: &mut Wakes,
    ) {
        let Some(c) = net.tcp.conn(conn.0, conn.1) else {
            return;
        };
        let peer = &c.ends[1 - from];
        if peer.dead() || (1 - from == SERVER && !peer.established) {
            return;
        }
        self.tcp_send(net, conn, from, Kind::Rst, 0, Vec::new(), u64::MAX, wakes);
    }

    /// Breaks a connection: every end that exists and is not already broken fails with `kind`.
    fn tcp_abort(
        &self,
        net: &mut Network,
        conn_key: u32,
        conn_id: u64,
        kind: ErrorKind,
        wakes: &mut Wakes,
    ) {
        let Some(conn) = net.tcp.conn(conn_key, conn_id) else {
            return;
        };
        tracing::debug!(target: "sandtable::net", conn = conn_id, ?kind, "tcp connection broken");
        for (side, end) in conn.ends.iter_mut().enumerate() {
            if end.dead() || (side == SERVER && !end.established) {
                continue;
            }
            end.error = Some(kind);
            wakes.push(end.read_waker.take());
            wakes.push(end.write_waker.take());
        }
    }

    /// A node crashed: its listeners and connection ends are gone; each peer is sent a RST.
    pub(crate) fn tcp_crash(&self, node: NodeId) {
        let mut wakes = Wakes::default();
        let mut net = self.net.borrow_mut();
        let tcp = &mut net.tcp;
        let listeners: Vec<u16> = tcp
            .listeners
            .range((node, 0)..=(node, u16::MAX))
            .map(|(k, _)| k.1)
            .collect();
        for port in listeners {
            tcp.listeners.remove(&(node, port));
        }
        tcp.ports.retain(|&(n, _)| n != node);
        let mut resets = Vec::new();
        let mut touched = Vec::new();
        for (key, conn) in tcp.conns.iter_mut() {
            for side in [CLIENT, SERVER] {
                let end = &mut conn.ends[side];
                if end.node != node || end.crashed || (side == SERVER && !end.established) {
                    continue;
                }
                end.crashed = true;
                (end.read_open, end.write_open, end.queued) = (false, false, false);
                drop((end.read_waker.take(), end.write_waker.take()));
                resets.push(((key as u32, conn.id), side));
                touched.push(key as u32);
            }
        }
        for (conn, side) in resets {
            self.tcp_reset_peer(&mut net, conn, side, &mut wakes);
        }
        touched.dedup();
        for key in touched {
            self.tcp_free(&mut net, key);
        }
        drop(net);
        wakes.wake_all();
    }

    /// Frees connection `key` if neither end is held any more, keeping its buffers.
    pub(crate) fn tcp_free(&self, net: &mut Network, key: u32) {
        if let Some(mut conn) = net.tcp.free_if_unowned(key) {
            for end in &mut conn.ends {
                for (_, buf) in mem::take(&mut end.out_of_order) {
                    self.recycle_buffer(buf);
                }
            }
        }
    }
}
