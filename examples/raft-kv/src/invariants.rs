//! Raft's safety properties (§5.4, Figure 3), checked while a simulated run goes.
//!
//! Every node's [`Probe`] reports its changes here; the checker keeps a mirror of each node's
//! log as a chain of hashes (an entry's hash covers the whole prefix before it, so comparing
//! one hash compares two prefixes), and the committed prefix of the cluster. A violation is
//! detected at the event that causes it and reported with [`Handle::violation`], so the run
//! stops right after the step that broke it, naming the property, the node, the virtual time
//! and the seed. (Checks that look at state rather than events register with
//! [`Handle::invariant`] instead; the liveness check after the heal does.)

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::time::Duration;

use sandtable::Handle;

use crate::kv::KvStore;
use crate::message::{Entry, NodeIdx};
use crate::probe::{Event, Persistent, Probe};

/// Election Safety: at most one leader can be elected in a given term.
pub const ELECTION_SAFETY: &str = "election safety";
/// Log Matching: if two logs contain an entry with the same index and term, then the logs are
/// identical in all entries up through the given index.
pub const LOG_MATCHING: &str = "log matching";
/// Leader Completeness: if a log entry is committed in a given term, then that entry will be
/// present in the logs of the leaders for all higher-numbered terms.
pub const LEADER_COMPLETENESS: &str = "leader completeness";
/// State Machine Safety: if a server has applied a log entry at a given index to its state
/// machine, no other server will ever apply a different log entry for the same index. Checked
/// on the state too: servers that applied the same entries up to an index hold the same state
/// machine there (a snapshot or a restart that loses part of it, such as the client sessions,
/// breaks this before any client sees it).
pub const STATE_MACHINE_SAFETY: &str = "state machine safety";
/// A node's current term never decreases, across restarts too (it is durable).
pub const TERM_MONOTONIC: &str = "term never decreases";
/// Within one run of a node, its commit index never decreases and never passes its log's end,
/// and no committed entry is removed from its log.
pub const COMMIT_BOUNDS: &str = "commit index within bounds";

/// Durability before a reply: every message a node sends depends only on a term, vote and log
/// that are already on its disk (§5: "updated on stable storage before responding to RPCs"). A
/// message sent ahead of its sync lets a crash in between undo a vote or an acknowledged entry
/// that others already counted.
pub const DURABLE_BEFORE_SEND: &str = "durable before send";

/// Once the network heals and nothing fails, the cluster settles on one leader: within
/// [`SETTLE`] of the heal, elections stop (at most [`SETTLED_ELECTIONS_MAX`] more until the
/// run ends). A follower that a healthy leader's heartbeats do not hold back deposes it again
/// and again; clients still make progress between elections, so the liveness check alone
/// misses it.
pub const STABLE_LEADER: &str = "stable leader";

/// How long after the heal the cluster may still be electing (a node cut off until the heal
/// returns with a higher term and forces one more election).
pub const SETTLE: Duration = Duration::from_secs(2);

/// Elections allowed after [`SETTLE`] (the correct protocol holds 0 in the sweeps).
pub const SETTLED_ELECTIONS_MAX: usize = 1;

/// Every safety property, in the order they are registered.
pub const PROPERTIES: [&str; 7] = [
    ELECTION_SAFETY,
    LOG_MATCHING,
    LEADER_COMPLETENESS,
    STATE_MACHINE_SAFETY,
    TERM_MONOTONIC,
    COMMIT_BOUNDS,
    DURABLE_BEFORE_SEND,
];

/// One mirrored entry: its term, the hash of its command, the chain hash of the prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    term: u64,
    cmd: u64,
    chain: u64,
}

const ROOT: Link = Link {
    term: 0,
    cmd: 0,
    chain: 0,
};

fn chain(prev: u64, term: u64, cmd: u64) -> u64 {
    let mut h = std::hash::DefaultHasher::new(); // SipHash with fixed keys: deterministic
    (prev, term, cmd).hash(&mut h);
    h.finish()
}

fn command_hash(entry: &Entry) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    entry.command.hash(&mut h);
    h.finish()
}

#[derive(Default)]
struct State {
    names: Vec<String>,
    /// Per node: its log as links, index 0 a root.
    mirrors: Vec<Vec<Link>>,
    terms: Vec<u64>,
    /// Per node: the state its storage last synced (or recovered), and the term of the last
    /// one (kept across a restart, to compare with what the restart finds).
    synced: Vec<Option<Persistent>>,
    durable: Vec<u64>,
    persist_failures: u64,
    /// Per node: its commit index in this incarnation.
    commits: Vec<u64>,
    leaders: BTreeMap<u64, NodeIdx>,
    /// Every election, in order: (virtual time, term, leader).
    elected_at: Vec<(Duration, u64, NodeIdx)>,
    /// When elections must stop (see [`ClusterChecker::require_stable_leader_after`]).
    settled: Option<Duration>,
    /// (index, term) -> (chain, first node seen with it).
    by_index_term: BTreeMap<(u64, u64), (u64, NodeIdx)>,
    /// The cluster's committed prefix, index 0 a root.
    committed: Vec<Link>,
    /// Per committed index: the term of the node that first committed it (the term in which
    /// it was committed, as Leader Completeness counts).
    commit_terms: Vec<u64>,
    /// Per applied index: the state machine's hash after it, and the first node that reached it.
    states: Vec<Option<(u64, NodeIdx)>>,
    violation: Option<(&'static str, String)>,
    events: u64,
}

/// The cluster-wide checker: give each node [`ClusterChecker::probe`]; violations stop the
/// simulation the probe runs in.
#[derive(Clone)]
pub struct ClusterChecker(Rc<RefCell<State>>);

impl ClusterChecker {
    /// A checker for the nodes `names` (in index order).
    pub fn new(names: &[String]) -> ClusterChecker {
        let n = names.len();
        ClusterChecker(Rc::new(RefCell::new(State {
            names: names.to_vec(),
            mirrors: vec![vec![ROOT]; n],
            terms: vec![0; n],
            durable: vec![0; n],
            synced: vec![None; n],
            persist_failures: 0,
            settled: None,
            commits: vec![0; n],
            committed: vec![ROOT],
            commit_terms: vec![0],
            ..State::default()
        })))
    }

    /// The probe to give every node.
    pub fn probe(&self) -> Probe {
        let state = self.0.clone();
        Probe::new(move |node, event| state.borrow_mut().observe(node, event))
    }

    /// The first violation seen, if any: (property, what happened).
    pub fn violation(&self) -> Option<(&'static str, String)> {
        self.0.borrow().violation.clone()
    }

    /// Batches the nodes could not make durable so far.
    pub fn persist_failures(&self) -> u64 {
        self.0.borrow().persist_failures
    }

    /// Probe events seen.
    pub fn events(&self) -> u64 {
        self.0.borrow().events
    }

    /// The leader of the highest term elected so far (it may have crashed or stepped down
    /// since): the target of the nemesis's protocol-aware faults.
    pub fn latest_leader(&self) -> Option<NodeIdx> {
        self.0.borrow().leaders.last_key_value().map(|(_, &n)| n)
    }

    /// From virtual time `settled` on (the heal plus [`SETTLE`]), at most
    /// [`SETTLED_ELECTIONS_MAX`] elections ([`STABLE_LEADER`]), checked at each election.
    pub fn require_stable_leader_after(&self, settled: Duration) {
        self.0.borrow_mut().settled = Some(settled);
    }

    /// Highest index committed anywhere in the cluster.
    pub fn committed_index(&self) -> u64 {
        self.0.borrow().committed.len() as u64 - 1
    }
}

impl State {
    fn fail(&mut self, property: &'static str, message: String) {
        if self.violation.is_none() {
            // In a simulation, the run stops right after this step with the violation.
            if let Some(handle) = Handle::try_current() {
                handle.violation(property, message.clone());
            }
            self.violation = Some((property, message));
        }
    }

    fn observe(&mut self, node: NodeIdx, event: Event<'_>) {
        self.events += 1;
        if self.violation.is_some() {
            return;
        }
        match event {
            Event::Recovered { term, base_index } => self.recovered(node, term, base_index),
            Event::Term(term) => self.term(node, term),
            Event::Synced(state) => {
                self.synced[node] = Some(state);
                self.durable[node] = state.term;
            }
            Event::Sending(state) => self.sending(node, state),
            Event::PersistFailed => self.persist_failures += 1,
            Event::Leader(term) => self.leader(node, term),
            Event::Appended {
                index,
                entry,
                kept_suffix,
            } => self.appended(node, index, entry, kept_suffix),
            Event::SnapshotInstalled {
                index,
                term,
                kept_suffix,
            } => self.snapshot(node, index, term, kept_suffix),
            Event::Commit(index) => self.commit(node, index),
            Event::Applied { index, state } => self.applied(node, index, state),
        }
    }

    fn term(&mut self, node: NodeIdx, term: u64) {
        if term < self.terms[node] {
            let name = &self.names[node];
            let msg = format!(
                "{name} went from term {} back to term {term}",
                self.terms[node]
            );
            self.fail(TERM_MONOTONIC, msg);
        }
        self.terms[node] = term;
    }

    fn sending(&mut self, node: NodeIdx, state: Persistent) {
        let on_disk = self.synced[node];
        if on_disk != Some(state) {
            let on_disk = on_disk.map_or("nothing synced".to_string(), |s| s.to_string());
            let msg = format!(
                "{} sends messages of {state} while its disk holds {on_disk}",
                self.names[node]
            );
            self.fail(DURABLE_BEFORE_SEND, msg);
        }
    }

    fn recovered(&mut self, node: NodeIdx, term: u64, base_index: u64) {
        if term < self.durable[node] {
            let name = &self.names[node];
            let msg = format!(
                "{name} restarted with term {term} after having made term {} durable",
                self.durable[node]
            );
            self.fail(TERM_MONOTONIC, msg);
        }
        self.terms[node] = term;
        self.synced[node] = None; // until the shell confirms what it recovered
        self.commits[node] = base_index;
        self.reset_mirror(node, base_index);
    }

    /// The node's log now starts after a snapshot of `base`: its prefix is the committed one.
    fn reset_mirror(&mut self, node: NodeIdx, base: u64) {
        if base as usize >= self.committed.len() {
            let name = &self.names[node];
            let msg = format!(
                "{name} holds a snapshot up to index {base}, past the committed index {}",
                self.committed.len() - 1
            );
            self.fail(STATE_MACHINE_SAFETY, msg);
            return;
        }
        self.mirrors[node] = self.committed[..=base as usize].to_vec();
    }

    /// After `settled`, at most [`SETTLED_ELECTIONS_MAX`] elections.
    fn stable_leader(&mut self) {
        let Some(settled) = self.settled else {
            return;
        };
        let since = self.elected_at.partition_point(|&(at, _, _)| at < settled);
        let elections = &self.elected_at[since..];
        if elections.len() <= SETTLED_ELECTIONS_MAX {
            return;
        }
        let list: Vec<String> = elections
            .iter()
            .map(|&(at, term, node)| format!("{} (term {term}) at {at:.3?}", self.names[node]))
            .collect();
        let msg = format!(
            "{} elections since {settled:?} ({SETTLE:?} after the heal, nothing failing): {}",
            list.len(),
            list.join(", ")
        );
        self.fail(STABLE_LEADER, msg);
    }

    fn leader(&mut self, node: NodeIdx, term: u64) {
        if let Some(&other) = self.leaders.get(&term) {
            if other != node {
                let msg = format!(
                    "{} and {} were both elected leader of term {term}",
                    self.names[other], self.names[node]
                );
                self.fail(ELECTION_SAFETY, msg);
                return;
            }
        }
        self.leaders.insert(term, node);
        if let Some(handle) = Handle::try_current() {
            self.elected_at.push((handle.elapsed(), term, node));
            self.stable_leader();
        }
        // The highest entry committed in an earlier term (a leader elected late, say after a
        // pause, may lack entries committed since in later terms: that is allowed).
        let Some(c) = (0..self.committed.len())
            .rev()
            .find(|&i| self.commit_terms[i] < term)
        else {
            return;
        };
        let mirror = &self.mirrors[node];
        if mirror.get(c).map(|l| l.chain) != Some(self.committed[c].chain) {
            let has = match mirror.get(c) {
                Some(l) => format!("a different entry (term {}) there", l.term),
                None => format!("a log ending at index {}", mirror.len() - 1),
            };
            let msg = format!(
                "{} became leader of term {term} without the committed entry at index {c} (term {}): it has {has}",
                self.names[node], self.committed[c].term
            );
            self.fail(LEADER_COMPLETENESS, msg);
        }
    }

    fn appended(&mut self, node: NodeIdx, index: u64, entry: &Entry, kept_suffix: bool) {
        let i = index as usize;
        let len = self.mirrors[node].len();
        if i > len || i == 0 {
            let msg = format!(
                "{} stored an entry at index {index} with its log ending at {}",
                self.names[node],
                len - 1
            );
            self.fail(LOG_MATCHING, msg);
            return;
        }
        if i < len && !kept_suffix && self.commits[node] >= index {
            let msg = format!(
                "{} removed entries from index {index} on, below its commit index {}",
                self.names[node], self.commits[node]
            );
            self.fail(COMMIT_BOUNDS, msg);
            return;
        }
        let mirror = &mut self.mirrors[node];
        let cmd = command_hash(entry);
        let link = Link {
            term: entry.term,
            cmd,
            chain: chain(mirror[i - 1].chain, entry.term, cmd),
        };
        if kept_suffix {
            mirror[i] = link;
            // The entries kept after it now follow another prefix: re-chain them.
            for j in i + 1..mirror.len() {
                mirror[j].chain = chain(mirror[j - 1].chain, mirror[j].term, mirror[j].cmd);
            }
            for j in i..self.mirrors[node].len() {
                let l = self.mirrors[node][j];
                self.check_matching(node, j as u64, l);
            }
        } else {
            mirror.truncate(i);
            mirror.push(link);
            self.check_matching(node, index, link);
        }
    }

    fn check_matching(&mut self, node: NodeIdx, index: u64, link: Link) {
        let seen = *self
            .by_index_term
            .entry((index, link.term))
            .or_insert((link.chain, node));
        if seen.0 != link.chain {
            let msg = if seen.1 == node {
                format!(
                    "{} holds an entry of term {} at index {index} after a prefix that differs from the one it was first stored after",
                    self.names[node], link.term
                )
            } else {
                format!(
                    "{} and {} both hold an entry of term {} at index {index}, but their logs differ up to it",
                    self.names[seen.1], self.names[node], link.term
                )
            };
            self.fail(LOG_MATCHING, msg);
        }
    }

    fn snapshot(&mut self, node: NodeIdx, index: u64, term: u64, kept_suffix: bool) {
        let i = index as usize;
        let keeps = kept_suffix && self.mirrors[node].get(i).is_some_and(|l| l.term == term);
        if keeps && self.committed.get(i).map(|l| l.chain) == Some(self.mirrors[node][i].chain) {
            return; // the log after the snapshot stays
        }
        let suffix = if keeps {
            self.mirrors[node][i + 1..].to_vec()
        } else {
            Vec::new()
        };
        self.reset_mirror(node, index);
        if self.violation.is_none() && self.committed[i].term != term {
            let msg = format!(
                "{} installed a snapshot ending at index {index} of term {term}, but the entry committed there is of term {}",
                self.names[node], self.committed[i].term
            );
            self.fail(STATE_MACHINE_SAFETY, msg);
        }
        self.mirrors[node].extend(suffix);
    }

    fn commit(&mut self, node: NodeIdx, index: u64) {
        let name = &self.names[node];
        if index < self.commits[node] {
            let msg = format!(
                "{name}'s commit index went from {} back to {index}",
                self.commits[node]
            );
            return self.fail(COMMIT_BOUNDS, msg);
        }
        let last = self.mirrors[node].len() as u64 - 1;
        if index > last {
            let msg = format!("{name} committed index {index} past its log's end at {last}");
            return self.fail(COMMIT_BOUNDS, msg);
        }
        self.commits[node] = index;
        let i = index as usize;
        while self.committed.len() <= i {
            let next = self.mirrors[node][self.committed.len()];
            self.committed.push(next);
            self.commit_terms.push(self.terms[node]);
        }
        let mine = self.mirrors[node][i];
        if self.committed[i].chain != mine.chain {
            let msg = format!(
                "{name} committed index {index} (term {}) with a log that differs from the entries already committed up to it (term {} there)",
                mine.term, self.committed[i].term
            );
            self.fail(STATE_MACHINE_SAFETY, msg);
        }
    }

    fn applied(&mut self, node: NodeIdx, index: u64, state: &KvStore) {
        let i = index as usize;
        let mine = self.mirrors[node].get(i).copied();
        let committed = self.committed.get(i).copied();
        if mine.is_none() || mine.map(|l| l.chain) != committed.map(|l| l.chain) {
            let msg = format!(
                "{} applied index {index} (term {:?}), which is not the entry committed there (term {:?})",
                self.names[node],
                mine.map(|l| l.term),
                committed.map(|l| l.term)
            );
            self.fail(STATE_MACHINE_SAFETY, msg);
            return;
        }
        self.same_state(node, index, state);
    }

    /// Every replica that applied the entries up to `index` holds the same state there.
    fn same_state(&mut self, node: NodeIdx, index: u64, state: &KvStore) {
        let mut h = FastHash(0);
        state.hash(&mut h);
        let hash = h.finish();
        let i = index as usize;
        if self.states.len() <= i {
            self.states.resize(i + 1, None);
        }
        let (seen, first) = *self.states[i].get_or_insert((hash, node));
        if seen != hash {
            let msg = format!(
                "{} and {} applied the same entries up to index {index} but hold different state machines there",
                self.names[first], self.names[node]
            );
            self.fail(STATE_MACHINE_SAFETY, msg);
        }
    }
}

/// A multiply-rotate hasher (FxHash's step): deterministic, and several times cheaper than
/// SipHash on the few integers of a state machine, which is hashed at every applied index.
struct FastHash(u64);

impl Hasher for FastHash {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Command, Op};

    #[test]
    fn replicas_that_applied_the_same_entries_hold_the_same_state() {
        let names = ["n0".to_string(), "n1".to_string(), "n2".to_string()];
        let checker = ClusterChecker::new(&names);
        let probe = checker.probe();
        let put = Command::Client {
            client: 1,
            seq: 1,
            op: Op::Put(0, 7),
        };
        let entry = Entry {
            term: 1,
            command: put.clone(),
        };
        let mut kv = KvStore::default();
        kv.apply(&put, true);
        // n2 applies the same entry but ends elsewhere (as a replica restored from a snapshot
        // that lost part of the state machine does).
        let mut forgetful = KvStore::default();
        forgetful.apply(&put, true);
        let other_client = Command::Client {
            client: 2,
            seq: 1,
            op: Op::Get(0),
        };
        forgetful.apply(&other_client, true);
        for (node, state) in [(0, &kv), (1, &kv), (2, &forgetful)] {
            let appended = Event::Appended {
                index: 1,
                entry: &entry,
                kept_suffix: false,
            };
            probe.emit_ref(node, appended);
            probe.emit_ref(node, Event::Commit(1));
            probe.emit_ref(node, Event::Applied { index: 1, state });
            let expected = node < 2;
            assert_eq!(checker.violation().is_none(), expected, "{node}");
        }
        let (property, message) = checker.violation().unwrap();
        assert_eq!(property, STATE_MACHINE_SAFETY);
        assert!(message.contains("n0 and n2"), "{message}");
    }

    #[test]
    fn messages_may_depend_only_on_what_is_on_disk() {
        let names = ["n0".to_string(), "n1".to_string()];
        let checker = ClusterChecker::new(&names);
        let probe = checker.probe();
        let recovered = Persistent {
            term: 3,
            voted_for: None,
            last: (5, 3),
        };
        probe.emit_ref(0, Event::Synced(recovered));
        probe.emit_ref(0, Event::Sending(recovered));
        assert!(checker.violation().is_none());
        // A vote granted in term 4, sent before the storage saved it.
        let voted = Persistent {
            term: 4,
            voted_for: Some(1),
            ..recovered
        };
        probe.emit_ref(0, Event::Sending(voted));
        let (property, message) = checker.violation().expect("a violation");
        assert_eq!(property, DURABLE_BEFORE_SEND);
        assert!(
            message.contains("term 4, vote n1") && message.contains("term 3, vote none"),
            "{message}"
        );
        // A node that never said what it recovered may not send either.
        let checker = ClusterChecker::new(&names);
        checker.probe().emit_ref(1, Event::Sending(recovered));
        assert!(checker.violation().unwrap().1.contains("nothing synced"));
    }
}
