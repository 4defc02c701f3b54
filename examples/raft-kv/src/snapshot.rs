//! Log compaction (§7): snapshots of the state machine, and InstallSnapshot sent in chunks so
//! every message fits a datagram.

use std::rc::Rc;
use std::time::Duration;

use crate::bug::Bug;
use crate::kv::KvStore;
use crate::message::{Msg, NodeIdx};
use crate::probe::Event;
use crate::raft::{Dest, Incoming, Raft, Role};

impl Raft {
    /// Takes a snapshot once enough applied entries follow the last one.
    pub(crate) fn maybe_snapshot(&mut self) {
        if self.applied < self.log.base_index() + self.s.snapshot_every {
            return;
        }
        let term = self
            .log
            .term_at(self.applied)
            .expect("applied entries are in the log until compacted");
        self.snapshot = Rc::new(if self.s.bug == Bug::SnapshotWithoutSessions {
            self.kv.without_sessions().to_bytes()
        } else {
            self.kv.to_bytes()
        });
        self.log.compact_to(self.applied, term);
        self.ready.snapshot = Some(self.snapshot.clone());
        self.mark_log_dirty(self.log.base_index() + 1);
    }

    /// Sends `peer` the next chunk of the current snapshot.
    pub(crate) fn send_snapshot_chunk(&mut self, peer: NodeIdx) {
        let total = self.snapshot.len() as u64;
        let offset = self.snap_offset[peer].min(total);
        let end = (offset + self.s.snapshot_chunk_bytes as u64).min(total);
        let msg = Msg::Snapshot {
            term: self.term,
            from: self.me,
            last_index: self.log.base_index(),
            last_term: self.log.base_term(),
            offset,
            data: self.snapshot[offset as usize..end as usize].to_vec(),
            done: end == total,
        };
        self.send(Dest::Peer(peer), msg);
    }

    /// InstallSnapshot on a follower: collect chunks in order; install on the last.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_snapshot(
        &mut self,
        now: Duration,
        term: u64,
        from: NodeIdx,
        (last_index, last_term): (u64, u64),
        offset: u64,
        data: Vec<u8>,
        done: bool,
    ) {
        if term < self.term {
            self.reply_snapshot(from, last_index, 0);
            return;
        }
        self.become_follower(term, Some(from));
        self.reset_election_timer(now);
        if last_index <= self.applied {
            // We already have everything it covers.
            self.reply_snapshot(from, last_index, u64::MAX);
            return;
        }
        if offset == 0 {
            self.incoming = Some(Incoming {
                last_index,
                last_term,
                data: Vec::new(),
            });
        }
        let next = match &mut self.incoming {
            Some(inc)
                if (inc.last_index, inc.last_term) == (last_index, last_term)
                    && inc.data.len() as u64 == offset =>
            {
                inc.data.extend_from_slice(&data);
                inc.data.len() as u64
            }
            Some(inc) if (inc.last_index, inc.last_term) == (last_index, last_term) => {
                inc.data.len() as u64
            }
            _ => 0,
        };
        if !done || next != offset + data.len() as u64 {
            self.reply_snapshot(from, last_index, next);
            return;
        }
        let incoming = self.incoming.take().expect("matched above");
        let installed = self.install_snapshot(incoming);
        self.reply_snapshot(from, last_index, if installed { u64::MAX } else { 0 });
    }

    /// Replaces the state machine with a received snapshot; keeps the log after it if the log
    /// holds the snapshot's last entry, else discards it (§7).
    fn install_snapshot(&mut self, inc: Incoming) -> bool {
        let Ok(kv) = KvStore::from_bytes(&inc.data) else {
            tracing::warn!("discarding a snapshot that does not decode");
            return false;
        };
        let kept_suffix = self.log.term_at(inc.last_index) == Some(inc.last_term);
        if kept_suffix {
            self.log.compact_to(inc.last_index, inc.last_term);
        } else {
            self.log.reset_to(inc.last_index, inc.last_term);
        }
        self.kv = kv;
        self.snapshot = Rc::new(inc.data);
        self.ready.snapshot = Some(self.snapshot.clone());
        self.mark_log_dirty(self.log.base_index() + 1);
        self.probe.emit_ref(
            self.me,
            Event::SnapshotInstalled {
                index: inc.last_index,
                term: inc.last_term,
                kept_suffix,
            },
        );
        self.applied = inc.last_index;
        if inc.last_index > self.commit {
            self.commit = inc.last_index;
            self.probe.emit_ref(self.me, Event::Commit(self.commit));
        }
        self.apply_committed();
        true
    }

    fn reply_snapshot(&mut self, to: NodeIdx, last_index: u64, next_offset: u64) {
        let reply = Msg::SnapshotReply {
            term: self.term,
            from: self.me,
            last_index,
            next_offset,
        };
        self.send(Dest::Peer(to), reply);
    }

    /// InstallSnapshot's answer on the leader: the next chunk, or replication after it.
    pub(crate) fn on_snapshot_reply(
        &mut self,
        term: u64,
        from: NodeIdx,
        last_index: u64,
        next_offset: u64,
    ) {
        if self.role != Role::Leader || term != self.term {
            return;
        }
        if next_offset == u64::MAX {
            self.matched[from] = self.matched[from].max(last_index);
            self.next[from] = self.next[from].max(last_index + 1);
            self.snap_offset[from] = 0;
            self.advance_commit();
            self.send_append(from);
        } else if last_index == self.log.base_index() {
            self.snap_offset[from] = next_offset;
            self.send_snapshot_chunk(from);
        } else {
            // A reply about an older snapshot: start the current one over.
            self.snap_offset[from] = 0;
            self.send_snapshot_chunk(from);
        }
    }
}
