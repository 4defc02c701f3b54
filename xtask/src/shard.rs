//! Which seeds a sweep runs: the range `[start, start + seeds)` (unbounded with a time budget),
//! sliced by `--shard K/N` **by residue**: seed `s` belongs to shard `K` exactly when
//! `s % N == K`. The N shards of one range are disjoint and together cover it, whatever the
//! range's start, and each shard's seeds spread over the whole range (an early stop of one
//! shard still samples the range evenly).

use std::fmt;
use std::str::FromStr;

/// `--shard K/N`: this process runs the seeds `s` with `s % N == K`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// This shard's index, `0..n`.
    pub index: u64,
    /// The number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole seed space: one shard of one.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether `seed` is this shard's.
    #[cfg(test)]
    pub fn contains(self, seed: u64) -> bool {
        seed % self.count == self.index
    }

    /// This shard's first seed at or after `start`.
    pub fn first_at_or_after(self, start: u64) -> u64 {
        start + (self.index + self.count - start % self.count) % self.count
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected K/N with 0 <= K < N, e.g. 0/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A batch of seeds for one worker process: `first, first + stride, …`, `count` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The first seed.
    pub first: u64,
    /// The distance between seeds (the shard count).
    pub stride: u64,
    /// How many seeds.
    pub count: u64,
}

impl Batch {
    /// The seeds, in order.
    pub fn seeds(self) -> impl Iterator<Item = u64> {
        (0..self.count).map(move |i| self.first + i * self.stride)
    }

    /// One past the last seed, as the worker's `--seeds A..B` takes it.
    pub fn end(self) -> u64 {
        self.first + self.count.saturating_sub(1) * self.stride + 1
    }

    /// The batch without its first `n` seeds.
    pub fn skip(self, n: u64) -> Batch {
        let n = n.min(self.count);
        Batch {
            first: self.first + n * self.stride,
            stride: self.stride,
            count: self.count - n,
        }
    }
}

/// The seeds of one shard of `[start, start + seeds)` (unbounded when `seeds` is `None`), cut
/// into batches of at most `batch` seeds.
#[derive(Clone, Debug)]
pub struct Plan {
    next: u64,
    end: Option<u64>,
    stride: u64,
    batch: u64,
}

impl Plan {
    /// The plan of `shard` over `[start, start + seeds)`.
    pub fn new(start: u64, seeds: Option<u64>, shard: Shard, batch: u64) -> Plan {
        assert!(batch > 0, "a batch holds at least one seed");
        Plan {
            next: shard.first_at_or_after(start),
            end: seeds.map(|n| start.saturating_add(n)),
            stride: shard.count,
            batch,
        }
    }

    /// How many seeds the plan holds (`None`: unbounded).
    pub fn len(&self) -> Option<u64> {
        self.end.map(|end| {
            if self.next >= end {
                0
            } else {
                (end - self.next).div_ceil(self.stride)
            }
        })
    }
}

impl Iterator for Plan {
    type Item = Batch;
    fn next(&mut self) -> Option<Batch> {
        let left = self.len().unwrap_or(u64::MAX);
        if left == 0 {
            return None;
        }
        let b = Batch {
            first: self.next,
            stride: self.stride,
            count: left.min(self.batch),
        };
        self.next = self.next.saturating_add(b.count * self.stride);
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds_of(start: u64, n: u64, shard: Shard, batch: u64) -> Vec<u64> {
        Plan::new(start, Some(n), shard, batch)
            .flat_map(Batch::seeds)
            .collect()
    }

    #[test]
    fn shards_cover_every_seed_exactly_once() {
        for (start, len) in [(0, 100), (7, 93), (1000, 1), (5, 0), (3, 17)] {
            for count in 1..=7 {
                let mut all: Vec<u64> = (0..count)
                    .flat_map(|index| seeds_of(start, len, Shard { index, count }, 3))
                    .collect();
                all.sort_unstable();
                let want: Vec<u64> = (start..start + len).collect();
                assert_eq!(all, want, "start {start} len {len} shards {count}");
            }
        }
    }

    #[test]
    fn a_shard_holds_its_residue_and_its_length_is_exact() {
        let shard: Shard = "2/4".parse().unwrap();
        let plan = Plan::new(5, Some(20), shard, 2);
        assert_eq!(plan.len(), Some(5));
        let seeds: Vec<u64> = plan.flat_map(Batch::seeds).collect();
        assert_eq!(seeds, vec![6, 10, 14, 18, 22]);
        assert!(seeds.iter().all(|s| shard.contains(*s)));
    }

    #[test]
    fn unbounded_plans_go_on() {
        let mut plan = Plan::new(0, None, Shard::ALL, 8);
        assert_eq!(plan.len(), None);
        assert_eq!(plan.nth(1000).map(|b| b.first), Some(8000));
    }

    #[test]
    fn batches_tell_the_worker_their_range() {
        let b = Batch {
            first: 6,
            stride: 4,
            count: 3,
        };
        assert_eq!(b.end(), 15);
        assert_eq!(
            b.skip(1),
            Batch {
                first: 10,
                stride: 4,
                count: 2
            }
        );
        assert_eq!(b.skip(5).count, 0);
    }

    #[test]
    fn bad_shards_are_refused() {
        for s in ["4/4", "1", "a/2", "0/0", "-1/3"] {
            assert!(s.parse::<Shard>().is_err(), "{s}");
        }
        assert_eq!("3/8".parse::<Shard>().unwrap().to_string(), "3/8");
    }
}
