//! PN-Counter: two G-Counters, one of increments and one of decrements; the value is their
//! difference and merge joins each.

use serde::{Deserialize, Serialize};

use crate::bug::Bug;
use crate::gcounter::GCounter;
use crate::lattice::{Crdt, ReplicaId};

/// A counter that goes up and down.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PnCounter {
    up: GCounter,
    down: GCounter,
}

impl PnCounter {
    /// Adds `delta` (negative: subtracts) on behalf of `replica`.
    pub fn change(&mut self, replica: ReplicaId, delta: i64) {
        if delta >= 0 {
            self.up.increment(replica, delta.unsigned_abs());
        } else {
            self.down.increment(replica, delta.unsigned_abs());
        }
    }

    /// Increments minus decrements.
    pub fn value(&self) -> i64 {
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        signed(self.up.value()).saturating_sub(signed(self.down.value()))
    }
}

impl Crdt for PnCounter {
    fn join(&mut self, other: &Self, bug: Bug) {
        self.up.join(&other.up, bug);
        if bug != Bug::PnMergeForgetsDecrements {
            self.down.join(&other.down, bug);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_changes_all_count() {
        let (mut a, mut b) = (PnCounter::default(), PnCounter::default());
        a.change(0, 5);
        b.change(1, -2);
        b.change(1, 1);
        a.merge(&b);
        b.merge(&a);
        assert_eq!((a.value(), b.value()), (4, 4));
        assert_eq!(a, b);
    }
}
