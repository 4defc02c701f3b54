//! G-Counter: a grow-only counter, one entry per replica; a replica increments only its own
//! entry, and merge takes each entry's maximum.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bug::Bug;
use crate::lattice::{Crdt, ReplicaId};

/// A grow-only counter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GCounter {
    counts: BTreeMap<ReplicaId, u64>,
}

impl GCounter {
    /// Adds `by` to `replica`'s entry (only `replica` itself may do this).
    pub fn increment(&mut self, replica: ReplicaId, by: u64) {
        let mine = self.counts.entry(replica).or_insert(0);
        *mine = mine.saturating_add(by);
    }

    /// The counter's value: the sum of every replica's entry (saturating: the planted
    /// sum-merge bug doubles entries at every gossip round).
    pub fn value(&self) -> u64 {
        self.counts.values().fold(0, |a, &n| a.saturating_add(n))
    }

    /// `replica`'s entry.
    pub fn entry(&self, replica: ReplicaId) -> u64 {
        self.counts.get(&replica).copied().unwrap_or(0)
    }
}

impl Crdt for GCounter {
    fn join(&mut self, other: &Self, bug: Bug) {
        for (&replica, &n) in &other.counts {
            let mine = self.counts.entry(replica).or_insert(0);
            if bug == Bug::GCounterSumMerge {
                *mine = mine.saturating_add(n);
            } else {
                *mine = (*mine).max(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_takes_each_entrys_maximum() {
        let (mut a, mut b) = (GCounter::default(), GCounter::default());
        a.increment(0, 3);
        b.increment(0, 1);
        b.increment(1, 4);
        a.merge(&b);
        assert_eq!((a.entry(0), a.entry(1), a.value()), (3, 4, 7));
    }

    #[test]
    fn the_planted_sum_merge_counts_twice() {
        let mut a = GCounter::default();
        a.increment(0, 3);
        let b = a.clone();
        a.join(&b, Bug::GCounterSumMerge);
        assert_eq!(a.value(), 6);
    }
}
