//! Raft's safety properties, checked while the simulated openraft cluster runs.
//!
//! openraft is not modified, so the checker sees it from two sides only: the example's own
//! storage (the log store reports each durable vote, each append, truncation and purge, each
//! committed log id it saves, and at start the vote and the log it recovered; the state
//! machine reports each entry it applies) and openraft's metrics (`Raft::metrics()`, watched by
//! a task per node: term, server state, committed and applied ids). Each observation is checked
//! when it arrives; a violation is reported with [`Handle::violation`], so the run stops right
//! after that step, naming the property, the node and the seed. Storage hooks fire at the step
//! itself; metrics arrive one scheduler step after openraft publishes them.
//!
//! The checker mirrors each node's log as its log store reported it: an append is reported
//! once synced, a truncation once durable, and a restart replaces the mirror with the log
//! replayed from the disk, so the mirror never holds an entry the node could lose. Entries up
//! to the last purged id are in the snapshot, not the log; no property asks for them.
//!
//! The cluster uses openraft's *standard* leader id (one leader per term, as in the paper);
//! with its default *advanced* leader id several leaders may share a term by design, and
//! [`ELECTION_SAFETY`] would not hold as stated.

use std::collections::btree_map::Entry as Slot;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use sandtable::Handle;

/// Election Safety: at most one leader can be elected in a given term (from each node's
/// metrics in the `Leader` state, and from every committed — quorum-granted — vote saved).
pub const ELECTION_SAFETY: &str = "election safety";
/// A node's current term never decreases: within an incarnation (metrics and saved votes),
/// and across a restart (the vote it recovers is at least the last one it made durable).
pub const TERM_MONOTONIC: &str = "term never decreases";
/// Within an incarnation, a node's committed and applied indexes never decrease (metrics), and
/// its state machine applies strictly increasing indexes.
pub const INDEX_MONOTONIC: &str = "committed/applied index never decreases";
/// Log Matching: if two logs contain an entry with the same index and term, then the logs are
/// identical in all entries up through the given index. Checked incrementally on every log
/// change and on the log a node recovers: an (index, term) pair names one entry (a hash of its
/// encoding) on every node, and the entry before it has one term on every node that holds
/// the pair (by induction, the logs are identical up to it).
pub const LOG_MATCHING: &str = "log matching";
/// Leader Completeness: if a log entry is committed in a given term, then that entry will be
/// present in the logs of the leaders for all higher-numbered terms. Checked whenever a node
/// is seen leading a term (its metrics, or a committed vote naming it): every entry known
/// committed (a saved committed log id, an applied entry, the metrics' committed id) by a term
/// below it is in its log or below its purge point. An entry is known committed "by" the term
/// of the node that reported it, an upper bound of the term it was committed in.
pub const LEADER_COMPLETENESS: &str = "leader completeness";
/// State Machine Safety: if a server has applied a log entry at a given index to its state
/// machine, no other server will ever apply a different log entry for the same index.
pub const STATE_MACHINE_SAFETY: &str = "state machine safety";

/// Every property.
pub const PROPERTIES: [&str; 6] = [
    ELECTION_SAFETY,
    TERM_MONOTONIC,
    INDEX_MONOTONIC,
    LOG_MATCHING,
    LEADER_COMPLETENESS,
    STATE_MACHINE_SAFETY,
];

/// A log entry's id: the term of the leader that created it and its index (openraft's `LogId`
/// with the standard leader id, reduced to numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct EntryId {
    /// The term it was created in.
    pub term: u64,
    /// Its index.
    pub index: u64,
}

impl EntryId {
    /// The entry at `index` created in `term`.
    pub fn new(term: u64, index: u64) -> EntryId {
        EntryId { term, index }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "index {} (term {})", self.index, self.term)
    }
}

/// A log entry as a log store reports it: its id and a hash of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logged {
    id: EntryId,
    hash: u64,
}

impl Logged {
    /// The entry `id`, encoded as `encoding` (any stable encoding of the whole entry).
    pub fn new(id: EntryId, encoding: &[u8]) -> Logged {
        Logged {
            id,
            hash: hash(encoding),
        }
    }
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new(); // SipHash, fixed keys: deterministic
    bytes.hash(&mut h);
    h.finish()
}

/// What one node's metrics said, reduced to what the checks need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricsView {
    /// `current_term`.
    pub term: u64,
    /// `state == ServerState::Leader`.
    pub leader: bool,
    /// The committed log id.
    pub committed: Option<EntryId>,
    /// `last_applied` index.
    pub applied: Option<u64>,
}

/// One node's state in its current incarnation.
#[derive(Clone, Copy, Debug, Default)]
struct Incarnation {
    /// Highest term its metrics reported.
    term: u64,
    /// Highest term of a vote it saved.
    vote_term: u64,
    committed: Option<u64>,
    applied: Option<u64>,
    /// Last index its state machine applied.
    sm_applied: Option<u64>,
}

/// One node's log, as its log store reported it.
#[derive(Debug, Default)]
struct Log {
    /// index -> (term, hash of the entry).
    entries: BTreeMap<u64, (u64, u64)>,
    /// The last purged id: entries up to it are in the snapshot.
    purged: Option<EntryId>,
}

impl Log {
    /// The term of the entry at `index`, from the log or from the purged id.
    fn term_at(&self, index: u64) -> Option<u64> {
        match self.entries.get(&index) {
            Some(&(term, _)) => Some(term),
            None => self.purged.filter(|p| p.index == index).map(|p| p.term),
        }
    }

    /// Whether the node holds `entry`: in its log, or in its snapshot.
    fn holds(&self, entry: EntryId) -> bool {
        let purged_past = self.purged.is_some_and(|p| entry.index < p.index);
        purged_past || self.term_at(entry.index) == Some(entry.term)
    }
}

/// The first node that held an (index, term) pair, and what it held.
#[derive(Clone, Copy, Debug)]
struct Named {
    hash: u64,
    /// The term of the entry before it, once a node that holds the pair knows it.
    prev: Option<u64>,
    node: u64,
}

/// An entry known committed.
#[derive(Clone, Copy, Debug)]
struct Committed {
    term: u64,
    /// It was committed in this term or an earlier one.
    by: u64,
    /// The node that reported it so.
    node: u64,
}

/// The node that led a term, and how much of [`State::news`] its log was checked against.
#[derive(Clone, Copy, Debug)]
struct Led {
    node: u64,
    seen: Option<usize>,
}

#[derive(Default)]
struct State {
    /// term -> the node that led it.
    leaders: BTreeMap<u64, Led>,
    /// Per node: its current incarnation.
    nodes: BTreeMap<u64, Incarnation>,
    /// Per node: the highest term of a vote it made durable.
    durable: BTreeMap<u64, u64>,
    /// Per node: its log.
    logs: BTreeMap<u64, Log>,
    /// Every (index, term) pair any log held.
    named: BTreeMap<EntryId, Named>,
    /// index -> the entry known committed there.
    committed: BTreeMap<u64, Committed>,
    /// Indexes of `committed`, in the order they were added (or their `by` lowered).
    news: Vec<u64>,
    /// index -> (hash of the applied entry, first node that applied it).
    applied: BTreeMap<u64, (u64, u64)>,
    violation: Option<(&'static str, String)>,
    observations: u64,
}

/// The cluster-wide checker; each node gets its [`Probe`]. Violations stop the simulation
/// the probe runs in. (`Arc<Mutex>` because openraft's default mode wants `Send` storage.)
#[derive(Clone, Default)]
pub struct Checker(Arc<Mutex<State>>);

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("observations", &self.observations())
            .finish()
    }
}

impl Checker {
    /// A checker with nothing observed.
    pub fn new() -> Checker {
        Checker::default()
    }

    /// Node `id`'s probe.
    pub fn probe(&self, id: u64) -> Probe {
        Probe {
            id,
            checker: self.clone(),
        }
    }

    /// The first violation seen, if any: (property, what happened).
    pub fn violation(&self) -> Option<(&'static str, String)> {
        self.state().violation.clone()
    }

    /// Observations checked so far.
    pub fn observations(&self) -> u64 {
        self.state().observations
    }

    /// Terms that had a leader.
    pub fn terms_led(&self) -> usize {
        self.state().leaders.len()
    }

    /// Indexes known committed.
    pub fn entries_committed(&self) -> usize {
        self.state().committed.len()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().expect("no panic while the checker is locked")
    }
}

/// What one node reports to the [`Checker`].
#[derive(Clone, Debug)]
pub struct Probe {
    id: u64,
    checker: Checker,
}

impl Probe {
    /// The node started (a new incarnation) and recovered `vote_term` from its disk.
    pub fn started(&self, vote_term: Option<u64>) {
        self.with(|s, id| s.started(id, vote_term.unwrap_or(0)));
    }

    /// The node's log store recovered this log from its disk at start: the last purged id and
    /// the entries after it, in index order.
    pub fn log_recovered(&self, purged: Option<EntryId>, entries: &[Logged]) {
        self.with(|s, id| s.log_recovered(id, purged, entries));
    }

    /// The node made a vote durable (`committed`: granted by a quorum, naming the leader).
    pub fn vote_saved(&self, term: u64, leader: u64, committed: bool) {
        self.with(|s, id| s.vote_saved(id, term, leader, committed));
    }

    /// The node's log store made `entries` durable (in index order).
    pub fn appended(&self, entries: &[Logged]) {
        self.with(|s, id| s.appended(id, entries));
    }

    /// The node's log store durably removed the entries from `index` on.
    pub fn truncated(&self, index: u64) {
        self.with(|s, id| {
            s.logs.entry(id).or_default().entries.split_off(&index);
        });
    }

    /// The node's log store removed the entries up to `upto` (its snapshot covers them).
    pub fn purged(&self, upto: EntryId) {
        self.with(|s, id| s.purged(id, upto));
    }

    /// The node's log store saved `entry` as committed.
    pub fn committed(&self, entry: EntryId) {
        self.with(|s, id| {
            let by = s.nodes.get(&id).map_or(0, |n| n.vote_term);
            s.commit(id, entry, by);
        });
    }

    /// openraft's metrics of the node changed.
    pub fn metrics(&self, view: MetricsView) {
        self.with(|s, id| s.metrics(id, view));
    }

    /// The state machine applied the entry `entry`; `encoding` identifies it (any stable
    /// encoding of its log id and payload).
    pub fn applied(&self, entry: EntryId, encoding: &[u8]) {
        let hash = hash(encoding);
        self.with(|s, id| s.sm_applied(id, entry, hash));
    }

    /// The state machine installed a snapshot up to `index` (its next apply is after it).
    pub fn snapshot_installed(&self, index: Option<u64>) {
        self.with(|s, id| {
            let node = s.nodes.entry(id).or_default();
            node.sm_applied = node.sm_applied.max(index);
        });
    }

    fn with(&self, f: impl FnOnce(&mut State, u64)) {
        let mut state = self.checker.state();
        state.observations += 1;
        if state.violation.is_none() {
            f(&mut state, self.id);
        }
    }
}

impl State {
    fn fail(&mut self, property: &'static str, message: String) {
        if self.violation.is_none() {
            if let Some(handle) = Handle::try_current() {
                handle.violation(property, message.clone());
            }
            self.violation = Some((property, message));
        }
    }

    fn started(&mut self, id: u64, vote_term: u64) {
        let durable = self.durable.get(&id).copied().unwrap_or(0);
        if vote_term < durable {
            let msg =
                format!("n{id} restarted with term {vote_term} after making {durable} durable");
            self.fail(TERM_MONOTONIC, msg);
        }
        // Its metrics start from openraft's initial value (term 0) before the vote is loaded.
        let incarnation = Incarnation {
            vote_term,
            ..Incarnation::default()
        };
        self.nodes.insert(id, incarnation);
    }

    fn vote_saved(&mut self, id: u64, term: u64, leader: u64, committed: bool) {
        let node = self.nodes.entry(id).or_default();
        let was = node.vote_term;
        node.vote_term = was.max(term);
        if term < was {
            let msg = format!("n{id} saved a vote of term {term} after one of term {was}");
            self.fail(TERM_MONOTONIC, msg);
        }
        let durable = self.durable.entry(id).or_insert(0);
        *durable = (*durable).max(term);
        if committed {
            self.leader(term, leader, &format!("n{id} saved a committed vote"));
        }
    }

    fn metrics(&mut self, id: u64, view: MetricsView) {
        let node = self.nodes.entry(id).or_default();
        let was = node.term;
        node.term = was.max(view.term);
        if view.term < was {
            let msg = format!("n{id}'s metrics report term {} after term {was}", view.term);
            self.fail(TERM_MONOTONIC, msg);
        }
        let node = self.nodes.entry(id).or_default();
        let committed_index = view.committed.map(|c| c.index);
        let committed = (node.committed, committed_index);
        let applied = (node.applied, view.applied);
        node.committed = node.committed.max(committed_index);
        node.applied = node.applied.max(view.applied);
        for (what, (was, now)) in [("committed", committed), ("applied", applied)] {
            if now < was {
                let msg = format!("n{id}'s {what} index went from {was:?} back to {now:?}");
                self.fail(INDEX_MONOTONIC, msg);
            }
        }
        if let Some(entry) = view.committed {
            self.commit(id, entry, view.term);
        }
        if view.leader {
            self.leader(view.term, id, "metrics");
        }
    }

    fn leader(&mut self, term: u64, id: u64, source: &str) {
        let led = *self.leaders.entry(term).or_insert(Led {
            node: id,
            seen: None,
        });
        if led.node != id {
            let msg = format!("n{id} and n{} both led term {term} ({source})", led.node);
            self.fail(ELECTION_SAFETY, msg);
            return;
        }
        self.complete(term, led);
    }

    /// Leader Completeness for `led`, the leader of `term`: every entry known committed by an
    /// earlier term, and not yet checked against it, is in its log.
    fn complete(&mut self, term: u64, led: Led) {
        let empty = Log::default();
        let log = self.logs.get(&led.node).unwrap_or(&empty);
        let missing = |&index: &u64| {
            let c = self.committed[&index];
            let entry = EntryId::new(c.term, index);
            (c.by < term && !log.holds(entry)).then_some((entry, c))
        };
        let found = match led.seen {
            // First seen leading: everything committed past its purge point.
            None => {
                let from = log.purged.map_or(0, |p| p.index);
                self.committed.range(from..).find_map(|(i, _)| missing(i))
            }
            Some(seen) => self.news[seen..].iter().find_map(missing),
        };
        let seen = Some(self.news.len());
        self.leaders.insert(term, Led { seen, ..led });
        if let Some((entry, c)) = found {
            let msg = format!(
                "n{} leads term {term} without the entry at {entry}, committed in term {} or \
                 before (n{} reported it)",
                led.node, c.by, c.node
            );
            self.fail(LEADER_COMPLETENESS, msg);
        }
    }

    /// Node `id` knows `entry` committed, in term `by` or earlier.
    fn commit(&mut self, id: u64, entry: EntryId, by: u64) {
        let c = Committed {
            term: entry.term,
            by,
            node: id,
        };
        let conflict = match self.committed.entry(entry.index) {
            Slot::Vacant(slot) => {
                slot.insert(c);
                self.news.push(entry.index);
                None
            }
            Slot::Occupied(slot) if slot.get().term != entry.term => Some(*slot.get()),
            Slot::Occupied(mut slot) => {
                if by < slot.get().by {
                    slot.insert(c);
                    self.news.push(entry.index);
                }
                None
            }
        };
        if let Some(was) = conflict {
            let msg = format!(
                "n{id} knows {entry} committed, n{} the entry of term {} there",
                was.node, was.term
            );
            self.fail(LEADER_COMPLETENESS, msg);
        }
    }

    fn log_recovered(&mut self, id: u64, purged: Option<EntryId>, entries: &[Logged]) {
        let log = Log {
            entries: entries
                .iter()
                .map(|e| (e.id.index, (e.id.term, e.hash)))
                .collect(),
            purged,
        };
        self.logs.insert(id, log);
        for e in entries {
            self.match_entry(id, e.id.index);
        }
    }

    fn appended(&mut self, id: u64, entries: &[Logged]) {
        let log = self.logs.entry(id).or_default();
        for e in entries {
            log.entries.insert(e.id.index, (e.id.term, e.hash));
        }
        for e in entries {
            self.match_entry(id, e.id.index);
        }
        // An entry kept after the last one written must still follow it.
        if let Some(last) = entries.last() {
            self.match_entry(id, last.id.index + 1);
        }
    }

    fn purged(&mut self, id: u64, upto: EntryId) {
        let log = self.logs.entry(id).or_default();
        log.entries = log.entries.split_off(&(upto.index + 1));
        log.purged = Some(upto);
        self.match_entry(id, upto.index + 1);
    }

    /// Log Matching for node `id`'s entry at `index`, if it holds one: every node holding the
    /// same (index, term) holds the same entry, after an entry of the same term.
    fn match_entry(&mut self, id: u64, index: u64) {
        let Some(log) = self.logs.get(&id) else {
            return;
        };
        let Some(&(term, hash)) = log.entries.get(&index) else {
            return;
        };
        let prev = index.checked_sub(1).and_then(|i| log.term_at(i));
        let entry = EntryId::new(term, index);
        let named = self.named.entry(entry).or_insert(Named {
            hash,
            prev,
            node: id,
        });
        let first = named.node;
        let differs = match (named.prev, prev) {
            (Some(a), Some(b)) => (a != b).then_some((a, b)),
            (None, Some(_)) => {
                named.prev = prev;
                None
            }
            _ => None,
        };
        if named.hash != hash {
            let msg = format!("n{id} holds a different entry at {entry} than n{first} did");
            self.fail(LOG_MATCHING, msg);
        } else if let Some((theirs, ours)) = differs {
            let msg = format!(
                "n{id}'s entry at {entry} follows one of term {ours}, n{first}'s one of term {theirs}"
            );
            self.fail(LOG_MATCHING, msg);
        }
    }

    fn sm_applied(&mut self, id: u64, entry: EntryId, hash: u64) {
        let index = entry.index;
        let node = self.nodes.entry(id).or_default();
        let was = node.sm_applied.replace(index);
        let by = node.vote_term;
        if was.is_some_and(|was| index <= was) {
            let msg = format!("n{id}'s state machine applied index {index} after {was:?}");
            self.fail(INDEX_MONOTONIC, msg);
        }
        let (first_hash, first) = *self.applied.entry(index).or_insert((hash, id));
        if first_hash != hash {
            let msg = format!("n{id} applied a different entry at index {index} than n{first}");
            self.fail(STATE_MACHINE_SAFETY, msg);
        }
        self.commit(id, entry, by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(term: u64, leader: bool) -> MetricsView {
        MetricsView {
            term,
            leader,
            ..MetricsView::default()
        }
    }

    fn broken(checker: &Checker) -> &'static str {
        checker.violation().expect("a violation").0
    }

    fn id(term: u64, index: u64) -> EntryId {
        EntryId::new(term, index)
    }

    /// Entries `(term, index, payload)`, as a log store reports them.
    fn entries(list: &[(u64, u64, &str)]) -> Vec<Logged> {
        list.iter()
            .map(|&(term, index, payload)| Logged::new(id(term, index), payload.as_bytes()))
            .collect()
    }

    /// Asserts that `property` broke, in a message naming each of `names`.
    fn broke(checker: &Checker, property: &str, names: &[&str]) {
        let (broken, msg) = checker.violation().expect("a violation");
        assert_eq!(broken, property, "{msg}");
        for name in names {
            assert!(msg.contains(name), "{name:?} not in {msg:?}");
        }
    }

    #[test]
    fn a_second_leader_in_a_term_is_reported() {
        let c = Checker::new();
        c.probe(0).metrics(view(3, true));
        c.probe(1).metrics(view(3, false));
        c.probe(0).metrics(view(3, true)); // the same leader again is fine
        c.probe(2).metrics(view(4, true));
        assert_eq!(c.violation(), None);
        c.probe(1).metrics(view(3, true));
        assert_eq!(broken(&c), ELECTION_SAFETY);
    }

    #[test]
    fn two_committed_votes_for_different_leaders_in_a_term_are_reported() {
        let c = Checker::new();
        c.probe(0).vote_saved(5, 2, true);
        c.probe(1).vote_saved(5, 1, false); // a candidate's uncommitted vote for itself
        assert_eq!(c.violation(), None);
        c.probe(1).vote_saved(5, 1, true);
        assert_eq!(broken(&c), ELECTION_SAFETY);
    }

    #[test]
    fn a_decreasing_term_is_reported() {
        let c = Checker::new();
        c.probe(0).started(None);
        c.probe(0).metrics(view(4, false));
        c.probe(0).metrics(view(3, false));
        assert_eq!(broken(&c), TERM_MONOTONIC);
    }

    #[test]
    fn a_restart_that_lost_a_durable_vote_is_reported() {
        let c = Checker::new();
        c.probe(1).started(None);
        c.probe(1).vote_saved(7, 1, false);
        c.probe(1).started(Some(7)); // a restart recovering what it saved is fine
        c.probe(1).metrics(view(7, false));
        assert_eq!(c.violation(), None);
        c.probe(1).started(Some(6));
        assert_eq!(broken(&c), TERM_MONOTONIC);
    }

    #[test]
    fn a_decreasing_committed_or_applied_index_is_reported() {
        for applied in [false, true] {
            let c = Checker::new();
            let at = |i| MetricsView {
                committed: (!applied).then_some(id(1, i)),
                applied: applied.then_some(i),
                ..view(1, false)
            };
            c.probe(0).started(None);
            c.probe(0).metrics(at(9));
            c.probe(0).started(None); // a restart starts a new incarnation
            c.probe(0).metrics(at(2));
            assert_eq!(c.violation(), None);
            c.probe(0).metrics(at(1));
            assert_eq!(broken(&c), INDEX_MONOTONIC);
        }
    }

    #[test]
    fn a_state_machine_applying_an_index_twice_is_reported() {
        let c = Checker::new();
        c.probe(0).applied(id(1, 1), b"a");
        c.probe(0).snapshot_installed(Some(40));
        c.probe(0).applied(id(1, 41), b"b");
        assert_eq!(c.violation(), None);
        c.probe(0).applied(id(1, 41), b"b");
        assert_eq!(broken(&c), INDEX_MONOTONIC);
    }

    #[test]
    fn different_entries_applied_at_one_index_are_reported() {
        let c = Checker::new();
        c.probe(0).applied(id(1, 1), b"put 1");
        c.probe(1).applied(id(1, 1), b"put 1");
        c.probe(2).applied(id(1, 2), b"put 2");
        assert_eq!(c.violation(), None);
        c.probe(1).applied(id(1, 2), b"put 3");
        assert_eq!(broken(&c), STATE_MACHINE_SAFETY);
    }

    /// A cluster's logs through an election, a truncation, a purge and a restart: nothing to
    /// report.
    #[test]
    fn logs_that_agree_pass_log_matching_and_leader_completeness() {
        let c = Checker::new();
        let (n0, n1, n2) = (c.probe(0), c.probe(1), c.probe(2));
        for n in [&n0, &n1, &n2] {
            n.started(None);
            n.log_recovered(None, &[]);
        }
        n0.vote_saved(1, 0, true);
        n0.metrics(view(1, true));
        let term1 = entries(&[
            (0, 0, "init"),
            (1, 1, "blank"),
            (1, 2, "put x"),
            (1, 3, "put y"),
        ]);
        n0.appended(&term1);
        n1.vote_saved(1, 0, true);
        n1.appended(&term1[..3]);
        n0.committed(id(1, 2));
        // n1 and n2 elect n1 in term 2; n0's uncommitted (1, 3) is replaced.
        n1.vote_saved(2, 1, true);
        n2.vote_saved(2, 1, true);
        n2.appended(&term1[..3]);
        n1.metrics(view(2, true));
        let term2 = entries(&[(2, 3, "blank"), (2, 4, "put z")]);
        n1.appended(&term2);
        n2.appended(&term2);
        n1.committed(id(2, 4));
        n0.truncated(3);
        n0.appended(&term2);
        n0.applied(id(1, 2), b"put x");
        // n2 keeps a snapshot up to 3, restarts, and leads term 3.
        n2.purged(id(2, 3));
        n2.started(Some(2));
        n2.log_recovered(Some(id(2, 3)), &term2[1..]);
        n2.vote_saved(3, 2, true);
        n2.metrics(view(3, true));
        n2.appended(&entries(&[(3, 5, "blank")]));
        n0.appended(&entries(&[(3, 5, "blank")]));
        assert_eq!(c.violation(), None);
        assert_eq!(c.entries_committed(), 2);
    }

    #[test]
    fn two_entries_with_one_index_and_term_break_log_matching() {
        let c = Checker::new();
        c.probe(0).appended(&entries(&[(1, 1, "put x")]));
        c.probe(1).appended(&entries(&[(1, 1, "put x")]));
        assert_eq!(c.violation(), None);
        c.probe(2).appended(&entries(&[(1, 1, "put y")]));
        broke(&c, LOG_MATCHING, &["n2", "index 1", "n0"]);
    }

    /// A truncation the log store never made durable: after a restart the truncated entry (1, 3)
    /// is back, behind (2, 2) that replaced its predecessor.
    #[test]
    fn a_pair_after_different_predecessors_breaks_log_matching() {
        let c = Checker::new();
        let stale = entries(&[(1, 1, "a"), (1, 2, "b"), (1, 3, "c")]);
        c.probe(0).appended(&stale);
        c.probe(1).appended(&stale);
        c.probe(1).truncated(2);
        c.probe(1).appended(&entries(&[(2, 2, "d")]));
        assert_eq!(c.violation(), None);
        let recovered = entries(&[(1, 1, "a"), (2, 2, "d"), (1, 3, "c")]);
        c.probe(1).log_recovered(None, &recovered);
        broke(&c, LOG_MATCHING, &["n1", "index 3", "term 2", "n0"]);
    }

    /// The entry after a purge follows the purged id: a purge whose id is not the entry it
    /// replaces, or an append after a purged id of another history, breaks Log Matching.
    #[test]
    fn a_pair_after_a_different_purged_id_breaks_log_matching() {
        for append_after_purge in [false, true] {
            let c = Checker::new();
            c.probe(0).appended(&entries(&[(1, 5, "a"), (2, 6, "b")]));
            c.probe(1).purged(id(1, 5));
            c.probe(1).appended(&entries(&[(2, 6, "b")]));
            assert_eq!(c.violation(), None);
            if append_after_purge {
                c.probe(2).purged(id(3, 5));
                c.probe(2).appended(&entries(&[(2, 6, "b")]));
            } else {
                c.probe(2).appended(&entries(&[(1, 5, "a"), (2, 6, "b")]));
                c.probe(2).purged(id(3, 5));
            }
            broke(&c, LOG_MATCHING, &["n2", "index 6", "term 3", "n0"]);
        }
    }

    #[test]
    fn a_leader_without_a_committed_entry_breaks_leader_completeness() {
        let c = Checker::new();
        let (n0, n1) = (c.probe(0), c.probe(1));
        n0.started(Some(2));
        n0.appended(&entries(&[(1, 1, "a"), (2, 2, "b")]));
        n0.committed(id(2, 2));
        n1.started(Some(2));
        n1.log_recovered(None, &entries(&[(1, 1, "a")]));
        n1.metrics(view(2, true)); // a leader of the term it was committed in: not checked
        assert_eq!(c.violation(), None);
        n1.metrics(view(3, true));
        broke(&c, LEADER_COMPLETENESS, &["n1", "term 3", "index 2", "n0"]);
    }

    /// An entry learned committed after the leader was first seen is checked at the next
    /// sighting (here a follower's committed vote naming it); entries under its purge point are
    /// in its snapshot.
    #[test]
    fn a_committed_entry_learned_late_is_checked_against_the_leader() {
        let c = Checker::new();
        let (n0, n1, n2) = (c.probe(0), c.probe(1), c.probe(2));
        n1.log_recovered(Some(id(1, 4)), &entries(&[(1, 5, "a")]));
        n1.vote_saved(3, 1, true);
        n0.started(Some(2));
        n0.applied(id(1, 3), b"x");
        n0.applied(id(1, 5), b"a");
        n2.vote_saved(3, 1, true);
        assert_eq!(c.violation(), None);
        n0.applied(id(2, 6), b"y");
        n2.vote_saved(3, 1, true);
        broke(&c, LEADER_COMPLETENESS, &["n1", "term 3", "index 6", "n0"]);
    }

    #[test]
    fn two_entries_committed_at_one_index_break_leader_completeness() {
        let c = Checker::new();
        c.probe(0).committed(id(1, 7));
        c.probe(1).metrics(MetricsView {
            committed: Some(id(1, 7)),
            ..view(2, false)
        });
        assert_eq!(c.violation(), None);
        c.probe(2).committed(id(2, 7));
        broke(&c, LEADER_COMPLETENESS, &["n2", "index 7", "n0"]);
    }
}
