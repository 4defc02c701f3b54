//! Raft's safety properties, checked while the simulated openraft cluster runs.
//!
//! openraft is not modified, so the checker sees it from two sides only: the example's own
//! storage (the log store reports each durable vote and the vote it recovers at start; the
//! state machine reports each entry it applies) and openraft's metrics (`Raft::metrics()`,
//! watched by a task per node: term, server state, committed and applied ids). Each
//! observation is checked when it arrives; a violation is reported with
//! [`Handle::violation`], so the run stops right after that step, naming the property, the node
//! and the seed. Storage hooks fire at the step itself; metrics arrive one scheduler step after
//! openraft publishes them.
//!
//! The cluster uses openraft's *standard* leader id (one leader per term, as in the paper);
//! with its default *advanced* leader id several leaders may share a term by design, and
//! [`ELECTION_SAFETY`] would not hold as stated.

use std::collections::BTreeMap;
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
/// State Machine Safety: if a server has applied a log entry at a given index to its state
/// machine, no other server will ever apply a different log entry for the same index.
pub const STATE_MACHINE_SAFETY: &str = "state machine safety";

/// Every property.
pub const PROPERTIES: [&str; 4] = [
    ELECTION_SAFETY,
    TERM_MONOTONIC,
    INDEX_MONOTONIC,
    STATE_MACHINE_SAFETY,
];

/// What one node's metrics said, reduced to what the checks need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricsView {
    /// `current_term`.
    pub term: u64,
    /// `state == ServerState::Leader`.
    pub leader: bool,
    /// `committed` index.
    pub committed: Option<u64>,
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

#[derive(Default)]
struct State {
    /// term -> the node that led it.
    leaders: BTreeMap<u64, u64>,
    /// Per node: its current incarnation.
    nodes: BTreeMap<u64, Incarnation>,
    /// Per node: the highest term of a vote it made durable.
    durable: BTreeMap<u64, u64>,
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

    /// The node made a vote durable (`committed`: granted by a quorum, naming the leader).
    pub fn vote_saved(&self, term: u64, leader: u64, committed: bool) {
        self.with(|s, id| s.vote_saved(id, term, leader, committed));
    }

    /// openraft's metrics of the node changed.
    pub fn metrics(&self, view: MetricsView) {
        self.with(|s, id| s.metrics(id, view));
    }

    /// The state machine applied the entry at `index`; `entry` identifies it (any stable
    /// encoding of its log id and payload).
    pub fn applied(&self, index: u64, entry: &[u8]) {
        let mut h = std::hash::DefaultHasher::new(); // SipHash, fixed keys: deterministic
        entry.hash(&mut h);
        let hash = h.finish();
        self.with(|s, id| s.sm_applied(id, index, hash));
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
        if view.leader {
            self.leader(view.term, id, "metrics");
        }
        let node = self.nodes.entry(id).or_default();
        let committed = (node.committed, view.committed);
        let applied = (node.applied, view.applied);
        node.committed = node.committed.max(view.committed);
        node.applied = node.applied.max(view.applied);
        for (what, (was, now)) in [("committed", committed), ("applied", applied)] {
            if now < was {
                let msg = format!("n{id}'s {what} index went from {was:?} back to {now:?}");
                self.fail(INDEX_MONOTONIC, msg);
            }
        }
    }

    fn leader(&mut self, term: u64, id: u64, source: &str) {
        let first = *self.leaders.entry(term).or_insert(id);
        if first != id {
            let msg = format!("n{id} and n{first} both led term {term} ({source})");
            self.fail(ELECTION_SAFETY, msg);
        }
    }

    fn sm_applied(&mut self, id: u64, index: u64, hash: u64) {
        let node = self.nodes.entry(id).or_default();
        let was = node.sm_applied.replace(index);
        if was.is_some_and(|was| index <= was) {
            let msg = format!("n{id}'s state machine applied index {index} after {was:?}");
            self.fail(INDEX_MONOTONIC, msg);
        }
        let (first_hash, first) = *self.applied.entry(index).or_insert((hash, id));
        if first_hash != hash {
            let msg = format!("n{id} applied a different entry at index {index} than n{first}");
            self.fail(STATE_MACHINE_SAFETY, msg);
        }
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
                committed: (!applied).then_some(i),
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
        c.probe(0).applied(1, b"a");
        c.probe(0).snapshot_installed(Some(40));
        c.probe(0).applied(41, b"b");
        assert_eq!(c.violation(), None);
        c.probe(0).applied(41, b"b");
        assert_eq!(broken(&c), INDEX_MONOTONIC);
    }

    #[test]
    fn different_entries_applied_at_one_index_are_reported() {
        let c = Checker::new();
        c.probe(0).applied(1, b"put 1");
        c.probe(1).applied(1, b"put 1");
        c.probe(2).applied(2, b"put 2");
        assert_eq!(c.violation(), None);
        c.probe(1).applied(2, b"put 3");
        assert_eq!(broken(&c), STATE_MACHINE_SAFETY);
    }
}
