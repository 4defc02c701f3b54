//! [`Memo`]: Lowe's cache of visited configurations, with subsumption for
//! operations of unknown outcome.

use std::hash::{Hash, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use crate::bitset::Bitset;

/// How many recorded `info` sets of one (`ok` set, state) a new configuration is compared with.
const SUBSUMPTION_SCAN: usize = 32;

/// A bitset window stored in the arena: words before `lo` are all ones.
#[derive(Clone, Copy)]
struct Window {
    lo: u32,
    start: u32,
    len: u32,
}

/// All configurations seen with one `ok` set and one state, as the `info`
/// sets they were reached with.
struct Entry<S> {
    hash: u64,
    state: S,
    ok: Window,
    /// The first `info` set, and where the later ones are in `Memo::more_infos` (`NONE`:
    /// there are none; most configurations have only one, which then costs no allocation
    /// and no room for a vector in every entry).
    first_info: Window,
    more_infos: u32,
}

/// No later `info` sets.
const NONE: u32 = u32::MAX;

/// A set of configurations (`ok` ops linearized, `info` ops linearized,
/// model state). Bitset windows live in one arena, entries in a vector, and the hash table
/// holds only entry numbers: growing the table then moves 4 bytes per entry, not the entries,
/// and the vectors grow in place (a big allocation is remapped, not copied), so the memory
/// peak stays near what the entries need.
///
/// A configuration is *subsumed* by a visited one with the same `ok` set and
/// state whose `info` set is a subset of its own: every way to finish from
/// the former also finishes from the latter (unused `info` operations are
/// optional and available at any later point), so it need not be explored.
pub(crate) struct Memo<S> {
    table: HashTable<u32>,
    entries: Vec<Entry<S>>,
    /// The later `info` sets of the entries that have more than one.
    more_infos: Vec<Vec<Window>>,
    arena: Vec<u64>,
    configurations: usize,
    /// Heap bytes of the states stored (as the model estimates them).
    state_bytes: usize,
}

impl<S: Eq + Hash + Clone> Memo<S> {
    pub(crate) fn new() -> Memo<S> {
        Memo {
            table: HashTable::new(),
            entries: Vec::new(),
            more_infos: Vec::new(),
            arena: Vec::new(),
            configurations: 0,
            state_bytes: 0,
        }
    }

    /// Records `(ok, info, state)`; returns `false` if it is subsumed by a
    /// configuration already recorded. `ok_hash` hashes the `ok` set; `heap` is the state's
    /// heap bytes, counted if the state is stored.
    pub(crate) fn insert(
        &mut self,
        ok: &Bitset,
        info: &Bitset,
        ok_hash: u64,
        state: &S,
        heap: impl FnOnce(&S) -> usize,
    ) -> bool {
        let mut h = FxHasher::default();
        state.hash(&mut h);
        ok_hash.hash(&mut h);
        let hash = h.finish();
        let (lo, window) = (ok.lo() as u32, ok.window());
        let Memo {
            table,
            entries,
            more_infos,
            arena,
            configurations,
            state_bytes,
        } = self;
        let same = |&i: &u32| {
            let e = &entries[i as usize];
            e.hash == hash && e.ok.lo == lo && e.state == *state && words(arena, e.ok) == window
        };
        if let Some(&i) = table.find(hash, same) {
            let entry = &mut entries[i as usize];
            // Subsumption is only a pruning: look at the most recent sets only, so a
            // configuration with thousands of `info` variants does not make each step slow.
            let more: &[Window] = match entry.more_infos {
                NONE => &[],
                m => &more_infos[m as usize],
            };
            if more
                .iter()
                .rev()
                .chain(std::iter::once(&entry.first_info))
                .take(SUBSUMPTION_SCAN)
                .any(|w| subset(arena, *w, info))
            {
                return false;
            }
            if entry.more_infos == NONE {
                entry.more_infos =
                    u32::try_from(more_infos.len()).expect("fewer than 2^32 memo entries");
                more_infos.push(Vec::new());
            }
            more_infos[entry.more_infos as usize].push(store(arena, info));
        } else {
            *state_bytes += heap(state);
            let entry = Entry {
                hash,
                state: state.clone(),
                ok: store(arena, ok),
                first_info: store(arena, info),
                more_infos: NONE,
            };
            let i = u32::try_from(entries.len()).expect("fewer than 2^32 memo entries");
            entries.push(entry);
            table.insert_unique(hash, i, |&j| entries[j as usize].hash);
        }
        *configurations += 1;
        true
    }

    /// Number of configurations stored.
    pub(crate) fn len(&self) -> usize {
        self.configurations
    }

    /// Approximate heap use in bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.arena.capacity() * 8
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
            + self.entries.capacity() * std::mem::size_of::<Entry<S>>()
            + self.more_infos.capacity() * std::mem::size_of::<Vec<Window>>()
            + self.configurations * std::mem::size_of::<Window>()
            + self.state_bytes
    }
}

fn store(arena: &mut Vec<u64>, set: &Bitset) -> Window {
    let start = u32::try_from(arena.len()).expect("memo arena below 2^32 words");
    arena.extend_from_slice(set.window());
    Window {
        lo: set.lo() as u32,
        start,
        len: set.window().len() as u32,
    }
}

fn words(arena: &[u64], w: Window) -> &[u64] {
    &arena[w.start as usize..(w.start + w.len) as usize]
}

/// Whether the stored set `w` is a subset of `set`.
fn subset(arena: &[u64], w: Window, set: &Bitset) -> bool {
    let stored = words(arena, w);
    let end = (w.lo as usize + stored.len()).max(set.lo() + set.window().len());
    (0..end).all(|i| {
        let a = word(w.lo as usize, stored, i);
        let b = word(set.lo(), set.window(), i);
        a & !b == 0
    })
}

fn word(lo: usize, window: &[u64], i: usize) -> u64 {
    if i < lo {
        u64::MAX
    } else {
        window.get(i - lo).copied().unwrap_or(0)
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
    fn dedups_and_subsumes() {
        let mut m = Memo::new();
        let mut ok = Bitset::new(10);
        let mut info = Bitset::new(100);
        assert!(m.insert(&ok, &info, 0, &1u32, |_| 0));
        assert!(!m.insert(&ok, &info, 0, &1u32, |_| 0));
        assert!(m.insert(&ok, &info, 0, &2u32, |_| 0));
        info.insert(70);
        assert!(
            !m.insert(&ok, &info, 0, &1u32, |_| 0),
            "a superset of info ops is subsumed"
        );
        ok.insert(3);
        assert!(m.insert(&ok, &info, zobrist_key(3), &1u32, |_| 0));
        info.remove(70);
        assert!(
            m.insert(&ok, &info, zobrist_key(3), &1u32, |_| 0),
            "a subset is new"
        );
        assert_eq!(m.len(), 4);
    }
}
