//! What all the seeds of a run did, summed, and the fingerprint over them.

use std::hash::{Hash, Hasher};

use crate::cluster::Outcome;
use crate::fingerprint::Fnv;
use crate::runtime::Counts;

/// Sums over the seeds, in seed order.
#[derive(Default)]
pub struct Totals {
    seeds: u64,
    sum: Outcome,
    counts: Counts,
    spawns: u64,
    all: Fnv,
    /// Seeds whose rerun gave another fingerprint.
    pub diverged: Vec<u64>,
}

impl Totals {
    /// Adds one seed's outcome and counts (and its rerun's outcome, with `--twice`).
    pub fn add(&mut self, seed: u64, o: &Outcome, c: &Counts, again: Option<&Outcome>) {
        if again.is_some_and(|a| a.fingerprint != o.fingerprint) {
            self.diverged.push(seed);
        }
        o.fingerprint.hash(&mut self.all);
        self.seeds += 1;
        let s = &mut self.sum;
        (s.acked, s.applied, s.sent, s.lost) = (
            s.acked + o.acked,
            s.applied + o.applied,
            s.sent + o.sent,
            s.lost + o.lost,
        );
        s.virtual_ms += o.virtual_ms;
        self.counts.polls += c.polls;
        self.counts.events += c.events;
        self.spawns += c.spawns.unwrap_or(0);
    }

    /// Prints the writes, the per-seed means (the runtime's counts if `counted`), the fingerprint.
    pub fn print(&self, counted: bool) {
        let (s, n) = (&self.sum, self.seeds.max(1));
        println!(
            "  acked writes {}; per seed: applied index {}, messages {} (lost {}), virtual {} ms",
            s.acked,
            s.applied / n,
            s.sent / n,
            s.lost / n,
            s.virtual_ms / n
        );
        if counted {
            let c = &self.counts;
            println!(
                "  per seed: polls {}, events {}, spawns {}",
                c.polls / n,
                c.events / n,
                self.spawns / n
            );
        }
        println!("  fingerprint {:016x}", self.all.finish());
    }
}
