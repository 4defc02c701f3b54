//! OR-Set (observed-remove set): every add carries a unique tag; a remove deletes only the
//! tags its replica has observed, keeping them as tombstones so that merge (a union of both
//! the tags and the tombstones) never brings them back. An add concurrent with a remove — a
//! tag the remover had not seen — survives: add wins.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bug::Bug;
use crate::lattice::Crdt;

/// The unique tag of one add. Clients choose it (client id and sequence number), so a tag
/// is unique however often a replica restarts, and a retried add is the same add.
pub type Tag = u64;

/// An observed-remove set of `E`.
///
/// Kept normalised — no live tag is also a tombstone, no element has an empty tag set — so two
/// replicas that saw the same adds and removes are equal as values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrSet<E: Ord> {
    live: BTreeMap<E, BTreeSet<Tag>>,
    tombstones: BTreeSet<Tag>,
}

impl<E: Ord> Default for OrSet<E> {
    fn default() -> Self {
        OrSet {
            live: BTreeMap::new(),
            tombstones: BTreeSet::new(),
        }
    }
}

impl<E: Ord + Clone> OrSet<E> {
    /// Adds `element` under `tag` (a no-op if that tag was already removed).
    pub fn add(&mut self, element: E, tag: Tag) {
        if !self.tombstones.contains(&tag) {
            self.live.entry(element).or_default().insert(tag);
        }
    }

    /// Removes `element` as this replica sees it: returns the tags it observed (and removed).
    pub fn remove(&mut self, element: &E, bug: Bug) -> BTreeSet<Tag> {
        let observed = self.live.remove(element).unwrap_or_default();
        if bug != Bug::OrSetNoTombstone {
            self.tombstones.extend(observed.iter().copied());
        }
        observed
    }

    /// Whether `element` is in the set.
    pub fn contains(&self, element: &E) -> bool {
        self.live.contains_key(element)
    }

    /// The elements in the set.
    pub fn value(&self) -> BTreeSet<E> {
        self.live.keys().cloned().collect()
    }

    /// How many tombstones the set keeps (they are never collected here).
    pub fn tombstones(&self) -> usize {
        self.tombstones.len()
    }
}

impl<E: Ord + Clone> Crdt for OrSet<E> {
    fn join(&mut self, other: &Self, bug: Bug) {
        if bug == Bug::OrSetMapExtend {
            self.live.extend(other.live.clone());
        } else {
            for (e, tags) in &other.live {
                self.live.entry(e.clone()).or_default().extend(tags);
            }
        }
        self.tombstones.extend(&other.tombstones);
        let dead = &self.tombstones;
        self.live.retain(|_, tags| {
            tags.retain(|t| !dead.contains(t));
            !tags.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concurrent_add_survives_a_remove() {
        let (mut a, mut b) = (OrSet::default(), OrSet::default());
        a.add('x', 1);
        b.merge(&a);
        a.add('x', 2); // b has not seen this one
        assert_eq!(b.remove(&'x', Bug::None), BTreeSet::from([1]));
        a.merge(&b);
        b.merge(&a);
        assert!(a.contains(&'x'));
        assert_eq!(a, b);
    }

    #[test]
    fn an_observed_remove_stays_removed() {
        let (mut a, mut b) = (OrSet::default(), OrSet::default());
        a.add('x', 1);
        b.merge(&a);
        b.remove(&'x', Bug::None);
        b.merge(&a);
        a.merge(&b);
        assert!(!a.contains(&'x') && !b.contains(&'x'));
    }

    #[test]
    fn without_tombstones_a_removed_element_comes_back() {
        let (mut a, mut b) = (OrSet::default(), OrSet::default());
        a.add('x', 1);
        b.merge(&a);
        b.remove(&'x', Bug::OrSetNoTombstone);
        b.merge(&a);
        assert!(b.contains(&'x'));
    }
}
