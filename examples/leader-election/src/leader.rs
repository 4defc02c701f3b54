//! What a leader does with its lease: first it recovers the register (reads a majority of
//! copies, takes the newest, and writes it back under its own epoch, so that no older write
//! can resurface later); then it serves reads from its own committed copy without a round
//! trip, and writes one at a time, each acknowledged once a majority stores it.
//!
//! Every method assumes the caller has checked that the lease is held right now
//! ([`crate::core::Core`] does, before each call).

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use crate::lease::Lease;
use crate::message::{Msg, NodeIdx, OpResult, Refusal, Stored, Version};
use crate::Dest;

/// A client request waiting for its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Asker {
    pub(crate) addr: SocketAddr,
    pub(crate) id: u64,
}

/// A write on its way to a majority.
#[derive(Clone, Copy, Debug)]
struct Write {
    stored: Stored,
    /// Bit `i`: node `i` stores it.
    acks: u64,
    /// Who to answer (none for the recovery's write-back).
    asker: Option<Asker>,
}

/// What a replica's answer to a write did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WriteProgress {
    /// Nothing visible yet.
    Pending,
    /// The write is on a majority: answer `asker` (if a client's).
    Committed(Option<Asker>),
    /// A replica holds a newer version: a newer leader has written, this one must go.
    Superseded(Version),
}

/// A leader's state, alongside its [`Lease`].
#[derive(Debug)]
pub(crate) struct Leader {
    pub(crate) lease: Lease,
    me: NodeIdx,
    nodes: usize,
    max_queued: usize,
    /// The copies read so far, while recovering.
    recovery: Option<BTreeMap<NodeIdx, Stored>>,
    /// The value reads return; none until the write-back is on a majority.
    committed: Option<Stored>,
    in_flight: Option<Write>,
    queue: VecDeque<(Asker, i64)>,
    next_seq: u64,
}

impl Leader {
    /// A new leader under `lease`: asks every node for its copy.
    pub(crate) fn new(
        me: NodeIdx,
        nodes: usize,
        lease: Lease,
        max_queued: usize,
        out: &mut Vec<(Dest, Msg)>,
    ) -> Leader {
        let leader = Leader {
            lease,
            me,
            nodes,
            max_queued,
            recovery: Some(BTreeMap::new()),
            committed: None,
            in_flight: None,
            queue: VecDeque::new(),
            next_seq: 0,
        };
        leader.ask_state(out);
        leader
    }

    fn majority(&self, count: usize) -> bool {
        count * 2 > self.nodes
    }

    fn ask_state(&self, out: &mut Vec<(Dest, Msg)>) {
        let Some(replies) = &self.recovery else {
            return;
        };
        let epoch = self.lease.epoch();
        for node in (0..self.nodes).filter(|n| !replies.contains_key(n)) {
            let msg = Msg::ReadState {
                from: self.me,
                epoch,
            };
            out.push((Dest::Node(node), msg));
        }
    }

    fn send_write(&self, out: &mut Vec<(Dest, Msg)>) {
        let Some(w) = &self.in_flight else {
            return;
        };
        for node in (0..self.nodes).filter(|n| w.acks & (1 << n) == 0) {
            let msg = Msg::Store {
                from: self.me,
                stored: w.stored,
            };
            out.push((Dest::Node(node), msg));
        }
    }

    /// Sends again what has not been answered (a message may have been lost to a partition).
    pub(crate) fn resend(&self, out: &mut Vec<(Dest, Msg)>) {
        self.ask_state(out);
        self.send_write(out);
    }

    /// A lease read: the committed value, no round trip.
    pub(crate) fn read(&self) -> Result<OpResult, Refusal> {
        match self.committed {
            Some(stored) => Ok(OpResult::Value(stored.value)),
            None => Err(Refusal::NotReady),
        }
    }

    /// Queues a client's write (answered once a majority stores it).
    pub(crate) fn write(
        &mut self,
        asker: Asker,
        value: i64,
        out: &mut Vec<(Dest, Msg)>,
    ) -> Result<(), Refusal> {
        if self.queue.len() >= self.max_queued {
            return Err(Refusal::Busy);
        }
        self.queue.push_back((asker, value));
        self.pump(out);
        Ok(())
    }

    /// Starts the next queued write, if none is in flight and recovery is done.
    fn pump(&mut self, out: &mut Vec<(Dest, Msg)>) {
        if self.committed.is_none() || self.in_flight.is_some() {
            return;
        }
        let Some((asker, value)) = self.queue.pop_front() else {
            return;
        };
        self.next_seq += 1;
        self.start_write(Some(value), Some(asker), out);
    }

    fn start_write(
        &mut self,
        value: Option<i64>,
        asker: Option<Asker>,
        out: &mut Vec<(Dest, Msg)>,
    ) {
        let version = Version {
            epoch: self.lease.epoch(),
            seq: self.next_seq,
        };
        self.in_flight = Some(Write {
            stored: Stored { version, value },
            acks: 0,
            asker,
        });
        self.send_write(out);
    }

    /// A replica's copy, while recovering. Once a majority answered, the newest copy is
    /// written back under this epoch (sequence 0).
    pub(crate) fn on_state(&mut self, from: NodeIdx, stored: Stored, out: &mut Vec<(Dest, Msg)>) {
        let Some(replies) = &mut self.recovery else {
            return;
        };
        replies.insert(from, stored);
        let answered = replies.len();
        if !self.majority(answered) {
            return;
        }
        let newest = self
            .recovery
            .iter()
            .flat_map(|r| r.values())
            .max_by_key(|s| s.version)
            .copied()
            .expect("a majority is not empty");
        self.recovery = None;
        self.start_write(newest.value, None, out);
    }

    /// A replica's answer to a write.
    pub(crate) fn on_store_reply(
        &mut self,
        from: NodeIdx,
        version: Version,
        accepted: bool,
        holds: Version,
        out: &mut Vec<(Dest, Msg)>,
    ) -> WriteProgress {
        if !accepted && holds > version {
            return WriteProgress::Superseded(holds);
        }
        let Some(w) = &mut self.in_flight else {
            return WriteProgress::Pending;
        };
        if w.stored.version != version {
            return WriteProgress::Pending;
        }
        w.acks |= 1 << from;
        let acks = w.acks.count_ones() as usize;
        if !self.majority(acks) {
            return WriteProgress::Pending;
        }
        let done = self.in_flight.take().expect("checked above");
        self.committed = Some(done.stored);
        self.pump(out);
        WriteProgress::Committed(done.asker)
    }

    /// Steps down: the write in flight may or may not take effect; the queued ones were
    /// never sent. Returns the answers owed to clients.
    pub(crate) fn abandon(self) -> Vec<(Asker, Refusal)> {
        let in_flight = self
            .in_flight
            .and_then(|w| w.asker)
            .map(|a| (a, Refusal::Indeterminate));
        let queued = self
            .queue
            .into_iter()
            .map(|(a, _)| (a, Refusal::NotLeader { hint: None }));
        in_flight.into_iter().chain(queued).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn asker(id: u64) -> Asker {
        Asker {
            addr: "10.0.0.9:1000".parse().expect("an address"),
            id,
        }
    }

    fn leader(out: &mut Vec<(Dest, Msg)>) -> Leader {
        Leader::new(0, 3, Lease::new(7, 3, Duration::from_millis(450)), 1, out)
    }

    fn stored(epoch: u64, seq: u64, value: i64) -> Stored {
        Stored {
            version: Version { epoch, seq },
            value: Some(value),
        }
    }

    #[test]
    fn recovery_writes_back_the_newest_copy_before_serving() {
        let mut out = Vec::new();
        let mut l = leader(&mut out);
        assert_eq!(out.len(), 3, "asks every node");
        assert_eq!(l.read(), Err(Refusal::NotReady));
        out.clear();
        l.on_state(1, stored(3, 4, 10), &mut out);
        assert!(out.is_empty());
        l.on_state(2, stored(5, 1, 20), &mut out);
        let back = stored(7, 0, 20);
        assert!(out.contains(&(
            Dest::Node(1),
            Msg::Store {
                from: 0,
                stored: back
            }
        )));
        assert_eq!(
            l.read(),
            Err(Refusal::NotReady),
            "not before the write-back"
        );
        out.clear();
        let v = back.version;
        assert_eq!(
            l.on_store_reply(0, v, true, v, &mut out),
            WriteProgress::Pending
        );
        assert_eq!(
            l.on_store_reply(2, v, true, v, &mut out),
            WriteProgress::Committed(None)
        );
        assert_eq!(l.read(), Ok(OpResult::Value(Some(20))));
    }

    #[test]
    fn writes_go_one_at_a_time_and_commit_on_a_majority() {
        let mut out = Vec::new();
        let mut l = leader(&mut out);
        l.on_state(0, Stored::default(), &mut out);
        l.on_state(1, Stored::default(), &mut out);
        let wb = Version { epoch: 7, seq: 0 };
        l.on_store_reply(0, wb, true, wb, &mut out);
        l.on_store_reply(1, wb, true, wb, &mut out);
        assert_eq!(l.read(), Ok(OpResult::Value(None)));
        out.clear();
        l.write(asker(1), 5, &mut out).expect("queued");
        l.write(asker(2), 6, &mut out).expect("queued");
        assert_eq!(out.len(), 3, "only the first is sent");
        assert_eq!(l.write(asker(3), 7, &mut out), Err(Refusal::Busy));
        let v1 = Version { epoch: 7, seq: 1 };
        l.on_store_reply(2, v1, true, v1, &mut out);
        assert_eq!(l.read(), Ok(OpResult::Value(None)), "not committed yet");
        out.clear();
        assert_eq!(
            l.on_store_reply(0, v1, true, v1, &mut out),
            WriteProgress::Committed(Some(asker(1)))
        );
        assert_eq!(l.read(), Ok(OpResult::Value(Some(5))));
        assert_eq!(out.len(), 3, "the second is sent");
        let newer = Version { epoch: 8, seq: 0 };
        let v2 = Version { epoch: 7, seq: 2 };
        assert_eq!(
            l.on_store_reply(1, v2, false, newer, &mut out),
            WriteProgress::Superseded(newer)
        );
        assert_eq!(l.abandon(), vec![(asker(2), Refusal::Indeterminate)]);
    }
}
