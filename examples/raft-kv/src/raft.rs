//! The Raft core: state, roles and the dispatch of every input. It decides and never does I/O:
//! inputs are messages and clock ticks (`now` is the node's monotonic time since it started),
//! outputs are a [`Ready`] batch — what to persist, then what to send. The shell
//! ([`crate::node`]) persists a batch before it sends it, so no reply ever depends on state
//! that a crash could take back.
//!
//! Election is in `election.rs`, replication in `replication.rs`, snapshots in `snapshot.rs`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::bug::Bug;
use crate::kv::KvStore;
use crate::log::Log;
use crate::message::{Msg, NodeIdx, Op, Refusal};
use crate::probe::{Event, Persistent, Probe};
use crate::settings::Settings;
use crate::storage::Recovered;

/// A node's role (§5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Answers leaders and candidates.
    Follower,
    /// Asking for votes.
    Candidate,
    /// Replicates its log to the others.
    Leader,
}

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    /// Another node, by index.
    Peer(NodeIdx),
    /// A client, by the address its request came from.
    Client(SocketAddr),
}

/// What one step produced: persist these, then send those.
#[derive(Debug, Default)]
pub struct Ready {
    /// The term or vote changed: persist them.
    pub hard_state: bool,
    /// Log entries from this index on changed: persist them (truncating what followed).
    pub log_from: Option<u64>,
    /// A new snapshot (taken or installed): persist it before the log.
    pub snapshot: Option<Rc<Vec<u8>>>,
    /// Messages, to send once the above is durable.
    pub messages: Vec<(Dest, Msg)>,
}

impl Ready {
    /// True when nothing needs doing.
    pub fn is_empty(&self) -> bool {
        !self.hard_state
            && self.log_from.is_none()
            && self.snapshot.is_none()
            && self.messages.is_empty()
    }
}

/// A snapshot being received in chunks.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub last_index: u64,
    pub last_term: u64,
    pub data: Vec<u8>,
}

/// One Raft node's state.
pub struct Raft {
    pub(crate) me: NodeIdx,
    pub(crate) n: usize,
    pub(crate) s: Settings,
    // Persistent state (§5 Figure 2), saved before any reply that depends on it.
    pub(crate) term: u64,
    pub(crate) voted_for: Option<NodeIdx>,
    pub(crate) log: Log,
    /// The latest snapshot's bytes (the state machine at `log.base_index()`).
    pub(crate) snapshot: Rc<Vec<u8>>,
    // Volatile state.
    pub(crate) role: Role,
    pub(crate) leader: Option<NodeIdx>,
    pub(crate) commit: u64,
    pub(crate) applied: u64,
    pub(crate) kv: KvStore,
    pub(crate) votes: Vec<bool>,
    pub(crate) next: Vec<u64>,
    pub(crate) matched: Vec<u64>,
    /// Per peer: the snapshot chunk offset being sent.
    pub(crate) snap_offset: Vec<u64>,
    pub(crate) incoming: Option<Incoming>,
    pub(crate) election_at: Duration,
    pub(crate) heartbeat_at: Duration,
    /// Client requests this leader appended and still owes an answer: client -> (seq, address).
    pub(crate) pending: BTreeMap<u64, (u64, SocketAddr)>,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) ready: Ready,
    pub(crate) probe: Probe,
}

impl Raft {
    /// A node `me` of a cluster of `n`, from its recovered durable state, at time `now`.
    pub fn new(
        me: NodeIdx,
        n: usize,
        s: Settings,
        rec: Recovered,
        seed: u64,
        probe: Probe,
        now: Duration,
    ) -> Result<Raft, bincode::error::DecodeError> {
        let kv = match &rec.snapshot {
            Some(bytes) => KvStore::from_bytes(bytes)?,
            None => KvStore::default(),
        };
        let base = rec.log.base_index();
        let mut raft = Raft {
            me,
            n,
            s,
            term: rec.term,
            voted_for: rec.voted_for,
            log: rec.log,
            snapshot: Rc::new(rec.snapshot.unwrap_or_default()),
            role: Role::Follower,
            leader: None,
            commit: base,
            applied: base,
            kv,
            votes: vec![false; n],
            next: vec![1; n],
            matched: vec![0; n],
            snap_offset: vec![0; n],
            incoming: None,
            election_at: Duration::ZERO,
            heartbeat_at: Duration::ZERO,
            pending: BTreeMap::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            ready: Ready::default(),
            probe,
        };
        raft.reset_election_timer(now);
        raft.report_recovery();
        Ok(raft)
    }

    fn report_recovery(&self) {
        let (me, p) = (self.me, &self.probe);
        p.emit_ref(
            me,
            Event::Recovered {
                term: self.term,
                base_index: self.log.base_index(),
            },
        );
        for (i, entry) in self.log.entries().iter().enumerate() {
            let index = self.log.base_index() + 1 + i as u64;
            p.emit_ref(
                me,
                Event::Appended {
                    index,
                    entry,
                    kept_suffix: false,
                },
            );
        }
        p.emit_ref(me, Event::Commit(self.commit));
    }

    /// This node's index.
    pub fn id(&self) -> NodeIdx {
        self.me
    }

    /// The current term.
    pub fn term(&self) -> u64 {
        self.term
    }

    /// The vote cast in the current term.
    pub fn voted_for(&self) -> Option<NodeIdx> {
        self.voted_for
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The leader this node believes in.
    pub fn leader(&self) -> Option<NodeIdx> {
        self.leader
    }

    /// The commit index.
    pub fn commit_index(&self) -> u64 {
        self.commit
    }

    /// The log.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// The latest snapshot's bytes.
    pub fn snapshot_bytes(&self) -> &Rc<Vec<u8>> {
        &self.snapshot
    }

    /// What this node's messages depend on (see [`Persistent`]).
    pub fn persistent(&self) -> Persistent {
        Persistent {
            term: self.term,
            voted_for: self.voted_for,
            last: (self.log.last_index(), self.log.last_term()),
        }
    }

    /// The state machine.
    pub fn kv(&self) -> &KvStore {
        &self.kv
    }

    /// The bug this node runs with.
    pub fn bug(&self) -> Bug {
        self.s.bug
    }

    /// When the node next needs a [`tick`](Raft::tick), in its own monotonic time.
    pub fn next_deadline(&self) -> Duration {
        match self.role {
            Role::Leader => self.heartbeat_at,
            _ => self.election_at,
        }
    }

    /// A batch the shell could not make durable: its writes are owed again with the next batch
    /// (its messages are dropped, as a lossy network may drop them). After a failed sync the
    /// file's unsynced pages are unknown, so the log is rewritten from the same index.
    pub fn persist_failed(&mut self, failed: Ready) {
        self.ready.hard_state |= failed.hard_state;
        if let Some(from) = failed.log_from {
            self.mark_log_dirty(from);
        }
        if failed.snapshot.is_some() {
            self.ready.snapshot = Some(self.snapshot.clone());
        }
    }

    /// Takes what the last steps produced.
    pub fn take_ready(&mut self) -> Ready {
        std::mem::take(&mut self.ready)
    }

    /// Handles the passing of time: heartbeats, election timeouts.
    pub fn tick(&mut self, now: Duration) {
        match self.role {
            Role::Leader if now >= self.heartbeat_at => {
                self.heartbeat_at = now + self.s.heartbeat;
                self.broadcast_append();
            }
            Role::Follower | Role::Candidate if now >= self.election_at => {
                self.start_election(now);
            }
            _ => {}
        }
    }

    /// Handles one message that arrived from `from`.
    pub fn step(&mut self, now: Duration, from: SocketAddr, msg: Msg) {
        if let Some(term) = rpc_term(&msg) {
            if term > self.term {
                self.become_follower(term, None);
            }
        }
        match msg {
            Msg::Vote {
                term,
                from,
                last_index,
                last_term,
            } => self.on_vote(now, term, from, last_index, last_term),
            Msg::VoteReply {
                term,
                from,
                granted,
            } => self.on_vote_reply(now, term, from, granted),
            Msg::Append {
                term,
                from,
                prev_index,
                prev_term,
                entries,
                commit,
            } => self.on_append(now, term, from, prev_index, prev_term, entries, commit),
            Msg::AppendReply {
                term,
                from,
                success,
                index,
            } => self.on_append_reply(term, from, success, index),
            Msg::Snapshot {
                term,
                from,
                last_index,
                last_term,
                offset,
                data,
                done,
            } => self.on_snapshot(now, term, from, (last_index, last_term), offset, data, done),
            Msg::SnapshotReply {
                term,
                from,
                last_index,
                next_offset,
            } => self.on_snapshot_reply(term, from, last_index, next_offset),
            Msg::Request { client, seq, op } => self.on_request(from, client, seq, op),
            Msg::Reply { .. } => {}
        }
    }

    /// A client's request: appended to the log if this node leads; refused otherwise.
    fn on_request(&mut self, addr: SocketAddr, client: u64, seq: u64, op: Op) {
        let reply = |result| Msg::Reply {
            client,
            seq,
            result,
        };
        if self.role != Role::Leader {
            let refusal = Refusal::NotLeader { hint: self.leader };
            self.send(Dest::Client(addr), reply(Err(refusal)));
            return;
        }
        if let Op::Get(key) = op {
            if self.s.bug == Bug::StaleLocalReads {
                // BUG: a deposed leader that has not heard of its successor answers stale data.
                let answer = reply(Ok(self.kv.read_local(key)));
                self.send(Dest::Client(addr), answer);
                return;
            }
        }
        self.pending.insert(client, (seq, addr));
        self.append_new(crate::message::Command::Client { client, seq, op });
        self.broadcast_append();
    }

    pub(crate) fn send(&mut self, to: Dest, msg: Msg) {
        self.ready.messages.push((to, msg));
    }

    /// Steps down to follower of `term` (persisting the new term and the cleared vote).
    pub(crate) fn become_follower(&mut self, term: u64, leader: Option<NodeIdx>) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            self.ready.hard_state = true;
            self.probe.emit_ref(self.me, Event::Term(term));
        }
        if self.role == Role::Leader {
            self.pending.clear();
        }
        self.role = Role::Follower;
        self.leader = leader;
    }

    /// Draws the next election timeout from now (§5.2: randomized in [min, max)).
    pub(crate) fn reset_election_timer(&mut self, now: Duration) {
        let (lo, hi) = self.s.election_timeout;
        let timeout = if self.s.bug == Bug::FixedElectionTimeout {
            lo // BUG: every node times out together; split votes repeat forever
        } else {
            self.rng.random_range(lo..hi)
        };
        self.election_at = now + timeout;
    }

    pub(crate) fn majority(&self) -> usize {
        self.n / 2 + 1
    }

    /// Applies committed entries to the state machine and answers the clients waiting on them.
    pub(crate) fn apply_committed(&mut self) {
        let dedup = self.s.bug != Bug::NoDedup;
        while self.applied < self.commit {
            let index = self.applied + 1;
            let entry = self
                .log
                .get(index)
                .expect("committed entries after the snapshot are in the log");
            let answer = self.kv.apply(&entry.command, dedup);
            self.applied = index;
            let state = &self.kv;
            self.probe
                .emit_ref(self.me, Event::Applied { index, state });
            if let Some((client, seq, result)) = answer {
                if self.pending.get(&client).is_some_and(|p| p.0 == seq) {
                    let (_, addr) = self.pending.remove(&client).expect("just seen");
                    let result = Ok(result);
                    self.send(
                        Dest::Client(addr),
                        Msg::Reply {
                            client,
                            seq,
                            result,
                        },
                    );
                }
            }
        }
        self.maybe_snapshot();
    }
}

/// The term an RPC carries (not client messages).
fn rpc_term(msg: &Msg) -> Option<u64> {
    match msg {
        Msg::Vote { term, .. }
        | Msg::VoteReply { term, .. }
        | Msg::Append { term, .. }
        | Msg::AppendReply { term, .. }
        | Msg::Snapshot { term, .. }
        | Msg::SnapshotReply { term, .. } => Some(*term),
        Msg::Request { .. } | Msg::Reply { .. } => None,
    }
}
