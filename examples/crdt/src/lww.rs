//! LWW register (last writer wins): a write is stamped with the writing node's wall clock
//! (`sandtable::time::SystemTime`), ties broken by replica id; merge keeps the highest stamp.
//! Replicas converge — but "last" means the highest clock reading, not the latest write: a
//! node whose clock runs ahead wins over writes made after its own (see the README).

use serde::{Deserialize, Serialize};

use crate::bug::Bug;
use crate::lattice::{Crdt, ReplicaId};

/// A write's timestamp: the writer's wall clock (ns since the Unix epoch), then its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// The writer's wall clock when it wrote.
    pub wall_ns: i128,
    /// The writer.
    pub replica: ReplicaId,
}

/// A last-writer-wins register of `V`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LwwRegister<V> {
    entry: Option<(Stamp, V)>,
}

impl<V> Default for LwwRegister<V> {
    fn default() -> Self {
        LwwRegister { entry: None }
    }
}

impl<V: Ord + Clone> LwwRegister<V> {
    /// Writes `value` stamped `stamp`; returns whether it is now the register's value (false
    /// when the register already holds a higher stamp: the write is lost at once).
    pub fn write(&mut self, value: V, stamp: Stamp) -> bool {
        let candidate = (stamp, value);
        let wins = self.entry.as_ref().is_none_or(|held| &candidate > held);
        if wins {
            self.entry = Some(candidate);
        }
        wins
    }

    /// The current value.
    pub fn value(&self) -> Option<&V> {
        self.entry.as_ref().map(|(_, v)| v)
    }

    /// The current value's stamp.
    pub fn stamp(&self) -> Option<Stamp> {
        self.entry.as_ref().map(|(s, _)| *s)
    }
}

impl<V: Ord + Clone> Crdt for LwwRegister<V> {
    fn join(&mut self, other: &Self, _bug: Bug) {
        if let Some((stamp, value)) = &other.entry {
            self.write(value.clone(), *stamp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_stamp_wins_whatever_the_order() {
        let s = |wall_ns, replica| Stamp { wall_ns, replica };
        let mut a = LwwRegister::default();
        assert!(a.write(1, s(10, 0)));
        let mut b = LwwRegister::default();
        assert!(b.write(2, s(5, 1)));
        b.merge(&a);
        assert_eq!(b.value(), Some(&1));
        assert!(
            !b.write(3, s(7, 1)),
            "a write with a lower stamp loses at once"
        );
        assert_eq!(b.value(), Some(&1));
    }
}
