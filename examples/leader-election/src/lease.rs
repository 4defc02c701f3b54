//! The candidate's and leader's side of a lease: rounds of requests under one epoch, and how
//! long a majority of grants lets the node lead — until the round's *send* time plus
//! [`Settings::leader_lease`], by its own clock. Grants that arrive late shorten the lease
//! rather than extend it.
//!
//! [`Settings::leader_lease`]: crate::Settings::leader_lease

use std::collections::BTreeMap;
use std::time::Duration;

use crate::message::NodeIdx;

/// Rounds kept waiting for grants at most (older ones are forgotten).
const ROUNDS_KEPT: usize = 8;

#[derive(Clone, Copy, Debug)]
struct Round {
    sent_at: Duration,
    /// Bit `i`: node `i` granted.
    grants: u64,
}

/// A node's lease under one epoch.
#[derive(Clone, Debug)]
pub struct Lease {
    epoch: u64,
    nodes: usize,
    length: Duration,
    rounds: BTreeMap<u64, Round>,
    next_round: u64,
    until: Option<Duration>,
}

impl Lease {
    /// A lease under `epoch` in a cluster of `nodes`, each majority granting `length`.
    pub fn new(epoch: u64, nodes: usize, length: Duration) -> Lease {
        assert!(
            (1..=64).contains(&nodes),
            "a cluster has between 1 and 64 nodes"
        );
        Lease {
            epoch,
            nodes,
            length,
            rounds: BTreeMap::new(),
            next_round: 0,
            until: None,
        }
    }

    /// The epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Starts a round of requests sent at `now`; returns its number (0 for the first: the
    /// candidacy, later ones are renewals).
    pub fn start_round(&mut self, now: Duration) -> u64 {
        let round = self.next_round;
        self.next_round += 1;
        self.rounds.insert(
            round,
            Round {
                sent_at: now,
                grants: 0,
            },
        );
        while self.rounds.len() > ROUNDS_KEPT {
            self.rounds.pop_first();
        }
        round
    }

    /// Records `from`'s grant for `round` at `now`. True when it completes a majority whose
    /// lease is still running and ends later than the one held.
    pub fn granted(&mut self, round: u64, from: NodeIdx, now: Duration) -> bool {
        let Some(r) = self.rounds.get_mut(&round) else {
            return false;
        };
        r.grants |= 1 << from;
        if (r.grants.count_ones() as usize) * 2 <= self.nodes {
            return false;
        }
        let end = r.sent_at + self.length;
        // Every later grant of this round changes nothing: forget it.
        self.rounds.remove(&round);
        if end <= now || self.until.is_some_and(|u| u >= end) {
            return false;
        }
        self.until = Some(end);
        true
    }

    /// Whether the lease is held at `now`.
    pub fn valid(&self, now: Duration) -> bool {
        self.until.is_some_and(|u| now < u)
    }

    /// When the lease ends, if a majority ever granted it.
    pub fn until(&self) -> Option<Duration> {
        self.until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_majority_grants_the_lease_from_the_send_time() {
        let mut l = Lease::new(1, 5, ms(450));
        let r = l.start_round(ms(100));
        assert!(!l.granted(r, 0, ms(103)));
        assert!(!l.granted(r, 3, ms(104)));
        assert!(!l.valid(ms(104)));
        assert!(l.granted(r, 4, ms(108)));
        assert_eq!(l.until(), Some(ms(550)));
        assert!(l.valid(ms(549)));
        assert!(!l.valid(ms(550)));
        assert!(!l.granted(r, 1, ms(109)), "later grants change nothing");
    }

    #[test]
    fn duplicate_grants_count_once() {
        let mut l = Lease::new(1, 3, ms(450));
        let r = l.start_round(ms(0));
        assert!(!l.granted(r, 1, ms(1)));
        assert!(!l.granted(r, 1, ms(2)));
        assert!(l.granted(r, 2, ms(3)));
    }

    #[test]
    fn renewals_extend_and_late_majorities_do_not_revive() {
        let mut l = Lease::new(1, 3, ms(450));
        let first = l.start_round(ms(0));
        let second = l.start_round(ms(100));
        l.granted(second, 0, ms(101));
        assert!(l.granted(second, 1, ms(102)));
        assert_eq!(l.until(), Some(ms(550)));
        l.granted(first, 0, ms(103));
        assert!(
            !l.granted(first, 1, ms(104)),
            "an older round never shortens it"
        );
        assert_eq!(l.until(), Some(ms(550)));
        let late = l.start_round(ms(200));
        l.granted(late, 0, ms(700));
        assert!(
            !l.granted(late, 2, ms(700)),
            "a majority after its end grants nothing"
        );
        assert!(!l.valid(ms(700)));
    }

    #[test]
    fn old_rounds_are_forgotten() {
        let mut l = Lease::new(1, 3, ms(450));
        let first = l.start_round(ms(0));
        for i in 1..=ROUNDS_KEPT as u64 {
            l.start_round(ms(i));
        }
        l.granted(first, 0, ms(20));
        assert!(!l.granted(first, 1, ms(20)));
        assert_eq!(l.until(), None);
    }
}
