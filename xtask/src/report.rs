//! A sweep's results: what `--json` writes and `fuzz-merge` reads, failures grouped by
//! signature, and the summary printed at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::shard::Shard;
use crate::signature::signature;
use crate::worker::SeedResult;

/// One failing seed in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedSeed {
    /// The seed.
    pub seed: u64,
    /// Its signature (see `signature.rs`).
    pub signature: String,
    /// The failure's first lines.
    pub message: String,
    /// Its artifacts folder (empty if none).
    pub artifacts: String,
}

/// The results of one sweep (one shard), as `--json` writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The target, `raft` or `raft/<bug>`.
    pub target: String,
    /// The first seed of the range.
    pub start: u64,
    /// The range's length (`None`: a time budget, unbounded).
    pub seeds: Option<u64>,
    /// Which residue class of the range this sweep ran.
    pub shard: Shard,
    /// Seeds that finished.
    pub seeds_run: u64,
    /// Virtual time simulated over every seed, ns.
    pub virtual_ns: u64,
    /// Wall time of the sweep, ms.
    pub wall_ms: u64,
    /// Whether the sweep stopped early (Ctrl-C).
    pub interrupted: bool,
    /// Every failing seed, in seed order.
    pub failures: Vec<FailedSeed>,
    /// Whether each seed drew its fault mix (swarm testing); reruns must say the same.
    #[serde(default = "swarm_default")]
    pub swarm: bool,
}

fn swarm_default() -> bool {
    true
}

/// Failing seeds that share a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The signature.
    pub signature: String,
    /// How many seeds.
    pub count: u64,
    /// The smallest seed, the one to rerun.
    pub smallest: FailedSeed,
}

impl FailedSeed {
    /// The failing seed of a worker's result.
    pub fn from_result(r: &SeedResult) -> FailedSeed {
        let message: Vec<&str> = r.message.lines().take(3).collect();
        FailedSeed {
            seed: r.seed,
            signature: signature(&r.caught_by, &r.message),
            message: message.join("\n"),
            artifacts: r.artifacts.clone(),
        }
    }
}

/// The failures grouped by signature, most frequent first (ties: smallest seed first).
pub fn groups(failures: &[FailedSeed]) -> Vec<Group> {
    let mut by: BTreeMap<&str, Group> = BTreeMap::new();
    for f in failures {
        let g = by.entry(&f.signature).or_insert_with(|| Group {
            signature: f.signature.clone(),
            count: 0,
            smallest: f.clone(),
        });
        g.count += 1;
        if f.seed < g.smallest.seed {
            g.smallest = f.clone();
        }
    }
    let mut groups: Vec<Group> = by.into_values().collect();
    groups.sort_by_key(|g| (std::cmp::Reverse(g.count), g.smallest.seed));
    groups
}

impl Report {
    /// The summary people read: totals, then one line per signature with its rerun command.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let wall = self.wall_ms as f64 / 1e3;
        let virt = self.virtual_ns as f64 / 1e9;
        let rate = if wall > 0.0 {
            self.seeds_run as f64 / wall
        } else {
            0.0
        };
        let failing = self.failures.len();
        let groups = groups(&self.failures);
        let _ = writeln!(
            out,
            "fuzz {}: {} seeds{} in {wall:.1}s ({rate:.1} seeds/s), {virt:.0}s of virtual time ({:.0}x real time); \
             {failing} failing seed(s), {} signature(s){}",
            self.target,
            self.seeds_run,
            if self.shard == Shard::ALL { String::new() } else { format!(" of shard {}", self.shard) },
            if wall > 0.0 { virt / wall } else { 0.0 },
            groups.len(),
            if self.interrupted { " (interrupted)" } else { "" },
        );
        let (name, mut bug) = match self.target.split_once('/') {
            Some((n, b)) => (n, format!(" --bug {b}")),
            None => (self.target.as_str(), String::new()),
        };
        if !self.swarm {
            bug.push_str(" --no-swarm");
        }
        for g in &groups {
            let _ = writeln!(
                out,
                "  {}x  {}  (smallest seed {})",
                g.count, g.signature, g.smallest.seed
            );
            let first = g.smallest.message.lines().next().unwrap_or("");
            let _ = writeln!(out, "      {first}");
            let _ = writeln!(
                out,
                "      rerun:     cargo xtask repro {name} --seed {}{bug}",
                g.smallest.seed
            );
            if !g.smallest.artifacts.is_empty() {
                let _ = writeln!(out, "      artifacts: {}/", relative(&g.smallest.artifacts));
            }
        }
        out
    }
}

/// `path` relative to the current directory when it is under it (shorter to read and copy).
fn relative(path: &str) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    std::path::Path::new(path)
        .strip_prefix(&cwd)
        .map_or(path.to_string(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(seed: u64, caught_by: &str, message: &str) -> FailedSeed {
        FailedSeed::from_result(&SeedResult {
            seed,
            ok: false,
            message: message.into(),
            caught_by: caught_by.into(),
            ..SeedResult::default()
        })
    }

    #[test]
    fn one_bug_is_one_group_with_its_smallest_seed() {
        let failures = vec![
            failed(
                40,
                "",
                "seed 40: worker died (exit status: 101) before reporting it",
            ),
            failed(
                9,
                "checker",
                "key 2: not linearizable (kv model, 611 operations checked).",
            ),
            failed(
                3,
                "checker",
                "key 0: not linearizable (kv model, 402 operations checked).",
            ),
            failed(
                12,
                "",
                "seed 12: worker died (exit status: 101) before reporting it",
            ),
            failed(21, "checker", "key 1: not linearizable"),
        ];
        let g = groups(&failures);
        assert_eq!(g.len(), 2);
        assert_eq!(
            (g[0].signature.as_str(), g[0].count, g[0].smallest.seed),
            ("checker", 3, 3)
        );
        assert_eq!(
            g[1].signature,
            "worker died (exit status: N) before reporting it"
        );
        assert_eq!((g[1].count, g[1].smallest.seed), (2, 12));
    }

    #[test]
    fn the_summary_names_the_rerun_command() {
        let report = Report {
            target: "raft/no-dedup".into(),
            start: 0,
            seeds: Some(10),
            shard: Shard::ALL,
            seeds_run: 10,
            virtual_ns: 700_000_000_000,
            wall_ms: 1000,
            interrupted: false,
            swarm: true,
            failures: vec![
                failed(4, "checker", "not linearizable"),
                failed(1, "checker", "x"),
            ],
        };
        let s = report.summary();
        assert!(
            s.contains("10 seeds in 1.0s (10.0 seeds/s), 700s of virtual time"),
            "{s}"
        );
        assert!(s.contains("2x  checker  (smallest seed 1)"), "{s}");
        assert!(
            s.contains("cargo xtask repro raft --seed 1 --bug no-dedup"),
            "{s}"
        );
        assert!(!s.contains("--no-swarm"), "{s}");
        let fixed = Report {
            swarm: false,
            ..report
        };
        assert!(
            fixed
                .summary()
                .contains("cargo xtask repro raft --seed 1 --bug no-dedup --no-swarm"),
            "a sweep with the fixed mix reruns with it"
        );
    }
}
