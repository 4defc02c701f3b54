//! The Raft log in memory: entries after the last snapshot, indexed from 1.

use crate::message::Entry;

/// Entries `base + 1 ..= last_index()`, where `base` (and its term) is what the latest snapshot
/// covers (0 and 0 with no snapshot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    base_index: u64,
    base_term: u64,
    entries: Vec<Entry>,
}

impl Log {
    /// A log starting after a snapshot of `base_index` (term `base_term`).
    pub fn new(base_index: u64, base_term: u64, entries: Vec<Entry>) -> Log {
        Log {
            base_index,
            base_term,
            entries,
        }
    }

    /// The index the snapshot covers.
    pub fn base_index(&self) -> u64 {
        self.base_index
    }

    /// The term of the snapshot's last entry.
    pub fn base_term(&self) -> u64 {
        self.base_term
    }

    /// Index of the last entry (the base when empty).
    pub fn last_index(&self) -> u64 {
        self.base_index + self.entries.len() as u64
    }

    /// Term of the last entry.
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.base_term, |e| e.term)
    }

    /// The term at `index`: None if compacted away (below the base) or past the end.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_term);
        }
        self.get(index).map(|e| e.term)
    }

    /// The entry at `index`, if held.
    pub fn get(&self, index: u64) -> Option<&Entry> {
        if index <= self.base_index {
            return None;
        }
        self.entries.get((index - self.base_index - 1) as usize)
    }

    /// Entries from `from` (inclusive), at most `max`.
    pub fn slice(&self, from: u64, max: usize) -> &[Entry] {
        let start = (from.max(self.base_index + 1) - self.base_index - 1) as usize;
        let start = start.min(self.entries.len());
        let end = start.saturating_add(max).min(self.entries.len());
        &self.entries[start..end]
    }

    /// Every entry held, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Appends one entry; returns its index.
    pub fn push(&mut self, entry: Entry) -> u64 {
        self.entries.push(entry);
        self.last_index()
    }

    /// Replaces the entry at `index` in place, keeping those after it (a planted bug's way).
    pub fn replace(&mut self, index: u64, entry: Entry) {
        let i = (index - self.base_index - 1) as usize;
        if i < self.entries.len() {
            self.entries[i] = entry;
        } else {
            self.entries.push(entry);
        }
    }

    /// Drops every entry from `index` on.
    pub fn truncate_from(&mut self, index: u64) {
        assert!(
            index > self.base_index,
            "a snapshot's entries are committed"
        );
        self.entries
            .truncate((index - self.base_index - 1) as usize);
    }

    /// Forgets entries up to `index` (now covered by a snapshot whose last term is `term`).
    pub fn compact_to(&mut self, index: u64, term: u64) {
        if index <= self.base_index {
            return;
        }
        let drop = ((index - self.base_index) as usize).min(self.entries.len());
        self.entries.drain(..drop);
        self.base_index = index;
        self.base_term = term;
    }

    /// Replaces the whole log with an empty one after a snapshot of `index`.
    pub fn reset_to(&mut self, index: u64, term: u64) {
        self.entries.clear();
        self.base_index = index;
        self.base_term = term;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Command;

    fn e(term: u64) -> Entry {
        Entry {
            term,
            command: Command::Noop,
        }
    }

    #[test]
    fn indexes_survive_compaction() {
        let mut log = Log::default();
        for t in [1, 1, 2, 3] {
            log.push(e(t));
        }
        assert_eq!((log.last_index(), log.last_term()), (4, 3));
        log.compact_to(2, 1);
        assert_eq!(log.term_at(2), Some(1));
        assert_eq!(log.term_at(1), None);
        assert_eq!(log.term_at(3), Some(2));
        assert_eq!(log.slice(1, 10).len(), 2);
        log.truncate_from(4);
        assert_eq!(log.last_index(), 3);
        assert_eq!(log.term_at(5), None);
    }
}
