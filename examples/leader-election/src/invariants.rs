//! The cluster-wide properties of lease-based election, checked while a simulated run goes.
//!
//! Every node's [`Probe`] reports here, and each report is stamped with *true* virtual time
//! (`Handle::try_current().elapsed()`), the clock no node can read. A node's leadership is the
//! interval from its election to the last instant it relied on its lease (a lease read, an
//! acknowledged write, a tick that found the lease running): "I am leader from t1 until t2".
//! Each property is registered with [`Handle::invariant`], so a run stops right after the step
//! that broke it, naming the property, the node, the virtual time and the seed.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sandtable::Handle;

use crate::message::NodeIdx;
use crate::probe::{Event, Probe};

/// At most one leader at a time: the leadership intervals of two different nodes never
/// overlap in true time. What the lease buys, as long as clocks keep to the drift bound.
pub const AT_MOST_ONE_LEADER: &str = "at most one leader";
/// Leaders' epochs increase in the order they are elected, and a node relies only on a lease
/// it was elected with. The register's versions rest on this; it holds whatever the clocks do.
pub const EPOCHS_INCREASE: &str = "leader epochs increase";

/// Every property, in the order they are registered.
pub const PROPERTIES: [&str; 2] = [AT_MOST_ONE_LEADER, EPOCHS_INCREASE];

/// One node's latest leadership, in true time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leadership {
    /// The node.
    pub node: NodeIdx,
    /// Its lease's epoch.
    pub epoch: u64,
    /// When it was elected.
    pub from: Duration,
    /// The last instant it relied on the lease.
    pub until: Duration,
}

#[derive(Default)]
struct State {
    names: Vec<String>,
    /// Per node: its latest leadership and whether it is still open.
    current: Vec<Option<(Leadership, bool)>>,
    max_epoch: u64,
    elections: u64,
    events: u64,
    violation: Option<(&'static str, String)>,
}

/// The cluster-wide checker: give each node [`LeaderChecker::probe`], then
/// [`LeaderChecker::install`] it on the simulation.
#[derive(Clone)]
pub struct LeaderChecker(Rc<RefCell<State>>);

fn true_now() -> Duration {
    Handle::try_current().map_or(Duration::ZERO, |h| h.elapsed())
}

impl LeaderChecker {
    /// A checker for the nodes `names` (in index order).
    pub fn new(names: &[String]) -> LeaderChecker {
        LeaderChecker(Rc::new(RefCell::new(State {
            names: names.to_vec(),
            current: vec![None; names.len()],
            ..State::default()
        })))
    }

    /// The probe to give every node: it stamps each event with true virtual time.
    pub fn probe(&self) -> Probe {
        let state = self.0.clone();
        Probe::new(move |node, event| state.borrow_mut().observe(node, event, true_now()))
    }

    /// Registers `properties` (a subset of [`PROPERTIES`]) as invariants of the simulation.
    pub fn install(&self, handle: &Handle, properties: &[&'static str]) {
        for &property in properties {
            assert!(
                PROPERTIES.contains(&property),
                "unknown property {property:?}"
            );
            let state = self.0.clone();
            handle.invariant(property, move || match &state.borrow().violation {
                Some((p, message)) if *p == property => Err(message.clone()),
                _ => Ok(()),
            });
        }
    }

    /// The first violation seen, if any: (property, what happened).
    pub fn violation(&self) -> Option<(&'static str, String)> {
        self.0.borrow().violation.clone()
    }

    /// The node leading most recently elected, if its leadership is still open (it has not
    /// stepped down; it may have crashed).
    pub fn leader(&self) -> Option<NodeIdx> {
        let state = self.0.borrow();
        state
            .current
            .iter()
            .flatten()
            .filter(|(_, open)| *open)
            .max_by_key(|(l, _)| l.from)
            .map(|(l, _)| l.node)
    }

    /// Elections seen.
    pub fn elections(&self) -> u64 {
        self.0.borrow().elections
    }

    /// Events seen.
    pub fn events(&self) -> u64 {
        self.0.borrow().events
    }

    /// Reports `event` of `node` at true time `now` (what the probe does; public for tests).
    pub fn observe(&self, node: NodeIdx, event: Event, now: Duration) {
        self.0.borrow_mut().observe(node, event, now);
    }
}

impl State {
    fn fail(&mut self, property: &'static str, message: String) {
        if self.violation.is_none() {
            self.violation = Some((property, message));
        }
    }

    fn observe(&mut self, node: NodeIdx, event: Event, now: Duration) {
        self.events += 1;
        match event {
            Event::Elected { epoch } => self.elected(node, epoch, now),
            Event::Holding { epoch } => self.holding(node, epoch, now),
            Event::SteppedDown { epoch } => {
                if let Some((l, open)) = &mut self.current[node] {
                    if l.epoch == epoch {
                        *open = false;
                    }
                }
            }
        }
    }

    fn elected(&mut self, node: NodeIdx, epoch: u64, now: Duration) {
        self.elections += 1;
        if epoch <= self.max_epoch {
            let msg = format!(
                "{} was elected under epoch {epoch} at {now:?}, after a leader of epoch {}",
                self.names[node], self.max_epoch
            );
            self.fail(EPOCHS_INCREASE, msg);
        }
        self.max_epoch = self.max_epoch.max(epoch);
        let leadership = Leadership {
            node,
            epoch,
            from: now,
            until: now,
        };
        self.current[node] = Some((leadership, true));
        self.check_overlap(leadership);
    }

    fn holding(&mut self, node: NodeIdx, epoch: u64, now: Duration) {
        match &mut self.current[node] {
            Some((l, true)) if l.epoch == epoch => {
                l.until = now;
                let l = *l;
                self.check_overlap(l);
            }
            _ => {
                let msg = format!(
                    "{} relied at {now:?} on a lease of epoch {epoch} it was not elected with",
                    self.names[node]
                );
                self.fail(EPOCHS_INCREASE, msg);
            }
        }
    }

    /// `mine` just grew to end now; every other node's leadership ends at or before now, so
    /// the two overlap exactly when the other's last instant is not before `mine` began.
    fn check_overlap(&mut self, mine: Leadership) {
        let clash = self
            .current
            .iter()
            .flatten()
            .map(|(l, _)| *l)
            .find(|o| o.node != mine.node && o.until >= mine.from);
        if let Some(o) = clash {
            let (first, second) = if o.from <= mine.from {
                (o, mine)
            } else {
                (mine, o)
            };
            let msg = format!(
                "{} led under epoch {} from {:?} until at least {:?}, and {} led under epoch {} from {:?} until at least {:?}: both led at {:?}",
                self.names[first.node],
                first.epoch,
                first.from,
                first.until,
                self.names[second.node],
                second.epoch,
                second.from,
                second.until,
                second.from
            );
            self.fail(AT_MOST_ONE_LEADER, msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn checker() -> LeaderChecker {
        LeaderChecker::new(&["n0".into(), "n1".into(), "n2".into()])
    }

    #[test]
    fn successive_leaderships_pass() {
        let c = checker();
        c.observe(0, Event::Elected { epoch: 1 }, ms(0));
        c.observe(0, Event::Holding { epoch: 1 }, ms(400));
        c.observe(1, Event::Elected { epoch: 2 }, ms(401));
        c.observe(1, Event::Holding { epoch: 2 }, ms(500));
        c.observe(0, Event::Elected { epoch: 3 }, ms(900));
        assert_eq!(c.violation(), None);
        assert_eq!(c.elections(), 3);
    }

    #[test]
    fn an_old_leader_acting_after_a_new_election_is_caught() {
        let c = checker();
        c.observe(0, Event::Elected { epoch: 1 }, ms(0));
        c.observe(1, Event::Elected { epoch: 2 }, ms(401));
        assert_eq!(c.violation(), None, "n0 may have stopped before 401 ms");
        c.observe(0, Event::Holding { epoch: 1 }, ms(420));
        let (property, message) = c.violation().expect("two leaders");
        assert_eq!(property, AT_MOST_ONE_LEADER);
        assert!(message.contains("both led at 401ms"), "{message}");
    }

    #[test]
    fn a_new_leader_elected_while_the_old_one_acts_is_caught() {
        let c = checker();
        c.observe(0, Event::Elected { epoch: 1 }, ms(0));
        c.observe(0, Event::Holding { epoch: 1 }, ms(401));
        c.observe(1, Event::Elected { epoch: 2 }, ms(401));
        assert_eq!(c.violation().map(|v| v.0), Some(AT_MOST_ONE_LEADER));
    }

    #[test]
    fn epochs_must_increase() {
        let c = checker();
        c.observe(0, Event::Elected { epoch: 2 }, ms(0));
        c.observe(1, Event::Elected { epoch: 2 }, ms(900));
        assert_eq!(c.violation().map(|v| v.0), Some(EPOCHS_INCREASE));
    }

    #[test]
    fn holding_a_lease_after_stepping_down_is_caught() {
        let c = checker();
        c.observe(0, Event::Elected { epoch: 1 }, ms(0));
        c.observe(0, Event::SteppedDown { epoch: 1 }, ms(450));
        c.observe(0, Event::Holding { epoch: 1 }, ms(451));
        assert_eq!(c.violation().map(|v| v.0), Some(EPOCHS_INCREASE));
    }
}
