//! [`Memo`]: Lowe's cache of visited (linearized set, model state) configurations.

use std::hash::{Hash, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use crate::bitset::Bitset;

struct Entry<S> {
    hash: u64,
    state: S,
    lo: u32,
    start: u32,
    len: u32,
}

/// A set of configurations. Bitset windows live in one arena so an entry
/// costs a few words plus its (usually one- or two-word) window.
pub(crate) struct Memo<S> {
    table: HashTable<Entry<S>>,
    arena: Vec<u64>,
}

impl<S: Eq + Hash + Clone> Memo<S> {
    pub(crate) fn new() -> Memo<S> {
        Memo { table: HashTable::new(), arena: Vec::new() }
    }

    /// Inserts `(set, state)`; returns `false` if it was already present.
    /// `zobrist` is an incrementally maintained hash of `set`.
    pub(crate) fn insert(&mut self, set: &Bitset, zobrist: u64, state: &S) -> bool {
        let mut h = FxHasher::default();
        state.hash(&mut h);
        zobrist.hash(&mut h);
        let hash = h.finish();
        let (lo, window) = (set.lo() as u32, set.window());
        let arena = &self.arena;
        let eq = |e: &Entry<S>| {
            e.hash == hash
                && e.lo == lo
                && e.state == *state
                && arena[e.start as usize..(e.start + e.len) as usize] == *window
        };
        if self.table.find(hash, eq).is_some() {
            return false;
        }
        let start = u32::try_from(self.arena.len()).expect("memo arena below 2^32 words");
        self.arena.extend_from_slice(window);
        let entry = Entry { hash, state: state.clone(), lo, start, len: window.len() as u32 };
        self.table.insert_unique(hash, entry, |e| e.hash);
        true
    }

    /// Number of configurations stored.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }
}

/// A deterministic pseudo-random 64-bit key for element `i` (SplitMix64).
pub(crate) fn zobrist_key(i: usize) -> u64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedups_configurations() {
        let mut m = Memo::new();
        let mut b = Bitset::new(10);
        assert!(m.insert(&b, 0, &1u32));
        assert!(!m.insert(&b, 0, &1u32));
        assert!(m.insert(&b, 0, &2u32));
        b.insert(3);
        assert!(m.insert(&b, zobrist_key(3), &1u32));
        assert_eq!(m.len(), 3);
    }
}
