//! Message counters, per run and per link.

use std::ops::AddAssign;

/// What happened to messages: sent, delivered, duplicated, and dropped by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetStats {
    /// Messages handed to the network by a sender.
    pub sent: u64,
    /// Copies put into a receiving socket.
    pub delivered: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Lost to the link's loss probability.
    pub dropped_loss: u64,
    /// Lost to a partition, at send or in flight.
    pub dropped_partition: u64,
    /// Lost because the receiver crashed (or was not up) before delivery.
    pub dropped_crash: u64,
    /// Lost because nothing was bound to the destination port.
    pub dropped_unbound: u64,
    /// Lost because the receiving socket's buffer (or a listener's backlog) was full.
    pub dropped_overflow: u64,
    /// TCP segments put on the wire (handshake, data, FIN, RST), retransmissions included.
    /// Each also counts in `sent`, and its fate in `delivered` or a `dropped_*` counter.
    pub tcp_segments: u64,
    /// TCP transmissions that repeated a segment lost to the link, a partition or a crash.
    pub tcp_retransmits: u64,
    /// Stream bytes that reached a TCP receiver in order: each byte once, however often its
    /// segment was duplicated or retransmitted.
    pub tcp_bytes: u64,
}

impl NetStats {
    /// Total dropped copies, all causes.
    pub fn dropped(&self) -> u64 {
        self.dropped_loss
            + self.dropped_partition
            + self.dropped_crash
            + self.dropped_unbound
            + self.dropped_overflow
    }

    /// Copies still in flight: every copy is eventually delivered or dropped.
    pub fn in_flight(&self) -> u64 {
        (self.sent + self.duplicated).saturating_sub(self.delivered + self.dropped())
    }
}

impl AddAssign for NetStats {
    fn add_assign(&mut self, o: NetStats) {
        self.sent += o.sent;
        self.delivered += o.delivered;
        self.duplicated += o.duplicated;
        self.dropped_loss += o.dropped_loss;
        self.dropped_partition += o.dropped_partition;
        self.dropped_crash += o.dropped_crash;
        self.dropped_unbound += o.dropped_unbound;
        self.dropped_overflow += o.dropped_overflow;
        self.tcp_segments += o.tcp_segments;
        self.tcp_retransmits += o.tcp_retransmits;
        self.tcp_bytes += o.tcp_bytes;
    }
}

/// Why a copy was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DropCause {
    Loss,
    Partition,
    Crash,
    Unbound,
    Overflow,
}

impl NetStats {
    pub(crate) fn count_drop(&mut self, cause: DropCause) {
        match cause {
            DropCause::Loss => self.dropped_loss += 1,
            DropCause::Partition => self.dropped_partition += 1,
            DropCause::Crash => self.dropped_crash += 1,
            DropCause::Unbound => self.dropped_unbound += 1,
            DropCause::Overflow => self.dropped_overflow += 1,
        }
    }
}
