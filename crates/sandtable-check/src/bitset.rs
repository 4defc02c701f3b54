//! [`Bitset`]: the set of linearized operations, with a compact canonical window.

/// A fixed-size bitset that tracks its "active window": words before `lo`
/// are all ones and words from `hi` on are all zeros. The pair
/// `(lo, words[lo..hi])` identifies the set exactly and is usually tiny,
/// because linearized operations form a dense prefix of the history.
#[derive(Debug, Clone)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    lo: usize,
    hi: usize,
}

impl Bitset {
    /// An empty set over `n` elements.
    pub(crate) fn new(n: usize) -> Bitset {
        Bitset {
            words: vec![0; n.div_ceil(64)],
            lo: 0,
            hi: 0,
        }
    }

    /// Adds `i`, which must be absent.
    pub(crate) fn insert(&mut self, i: usize) {
        let w = i / 64;
        debug_assert_eq!(self.words[w] & (1 << (i % 64)), 0);
        self.words[w] |= 1 << (i % 64);
        self.hi = self.hi.max(w + 1);
        while self.lo < self.words.len() && self.words[self.lo] == u64::MAX {
            self.lo += 1;
        }
    }

    /// Removes `i`, which must be present.
    pub(crate) fn remove(&mut self, i: usize) {
        let w = i / 64;
        debug_assert_ne!(self.words[w] & (1 << (i % 64)), 0);
        self.words[w] &= !(1 << (i % 64));
        self.lo = self.lo.min(w);
        while self.hi > 0 && self.words[self.hi - 1] == 0 {
            self.hi -= 1;
        }
    }

    /// Whether `i` is present.
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    /// Index of the first word that is not all ones.
    pub(crate) fn lo(&self) -> usize {
        self.lo
    }

    /// The words between the all-ones prefix and the all-zeros suffix.
    pub(crate) fn window(&self) -> &[u64] {
        &self.words[self.lo..self.hi.max(self.lo)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_tracks_prefix_and_suffix() {
        let mut b = Bitset::new(200);
        assert_eq!((b.lo(), b.window().len()), (0, 0));
        for i in 0..64 {
            b.insert(i);
        }
        assert_eq!((b.lo(), b.window().len()), (1, 0));
        b.insert(130);
        assert_eq!((b.lo(), b.window()), (1, &[0, 1 << 2][..]));
        b.remove(130);
        b.remove(3);
        assert_eq!((b.lo(), b.window()), (0, &[!(1u64 << 3)][..]));
        assert!(!b.contains(3) && b.contains(4));
    }
}
