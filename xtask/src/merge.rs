//! `cargo xtask fuzz-merge FILE...`: one summary of the `--json` results of sharded sweeps —
//! seeds and virtual time added up, failures grouped by signature across shards with their
//! smallest seed, and a check that the shards are the N distinct slices of one range.

use std::path::PathBuf;

use crate::report::Report;
use crate::shard::Shard;

/// The flags of `cargo xtask fuzz-merge`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The `--json` files of the shards.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write the merged results here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// `cargo xtask fuzz-merge`.
pub fn main(args: Args) -> Result<(), String> {
    let mut reports = Vec::new();
    for path in &args.files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let report: Report =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        reports.push(report);
    }
    let (merged, warnings) = merge(&reports)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    print!("{}", merged.summary());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&merged).expect("a report serializes");
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Merges shard reports of one target into one, with warnings for shards that are missing,
/// repeated or of another range. The wall time is the longest shard's (they run side by side).
pub fn merge(reports: &[Report]) -> Result<(Report, Vec<String>), String> {
    let first = reports.first().ok_or("no reports to merge")?;
    let mut warnings = Vec::new();
    if let Some(other) = reports.iter().find(|r| r.target != first.target) {
        return Err(format!(
            "reports of different targets: {} and {}",
            first.target, other.target
        ));
    }
    let count = first.shard.count;
    if reports
        .iter()
        .any(|r| r.shard.count != count || r.start != first.start || r.seeds != first.seeds)
    {
        warnings.push(
            "the reports are not shards of one range (different --start, --seeds or N)".into(),
        );
    }
    let mut indices: Vec<u64> = reports.iter().map(|r| r.shard.index).collect();
    indices.sort_unstable();
    let missing: Vec<u64> = (0..count).filter(|i| !indices.contains(i)).collect();
    if !missing.is_empty() {
        warnings.push(format!("shards {missing:?} of {count} are missing"));
    }
    if indices.windows(2).any(|w| w[0] == w[1]) {
        warnings.push("a shard appears twice: its seeds are counted twice".into());
    }
    let mut failures: Vec<_> = reports
        .iter()
        .flat_map(|r| r.failures.iter().cloned())
        .collect();
    failures.sort_by_key(|f| f.seed);
    let merged = Report {
        target: first.target.clone(),
        start: first.start,
        seeds: first.seeds,
        shard: if missing.is_empty() {
            Shard::ALL
        } else {
            first.shard
        },
        seeds_run: reports.iter().map(|r| r.seeds_run).sum(),
        virtual_ns: reports.iter().map(|r| r.virtual_ns).sum(),
        wall_ms: reports.iter().map(|r| r.wall_ms).max().unwrap_or(0),
        interrupted: reports.iter().any(|r| r.interrupted),
        failures,
        swarm: first.swarm,
    };
    Ok((merged, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{groups, FailedSeed};

    fn shard(index: u64, seeds_run: u64, failing: &[(u64, &str)]) -> Report {
        Report {
            target: "raft/no-dedup".into(),
            start: 0,
            seeds: Some(100),
            shard: Shard { index, count: 3 },
            seeds_run,
            virtual_ns: seeds_run * 70_000_000_000,
            wall_ms: 1000 * index + 500,
            interrupted: false,
            swarm: true,
            failures: failing
                .iter()
                .map(|(seed, sig)| FailedSeed {
                    seed: *seed,
                    signature: sig.to_string(),
                    message: String::new(),
                    artifacts: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn shards_merge_into_one_summary() {
        let reports = vec![
            shard(0, 34, &[(9, "checker"), (30, "liveness")]),
            shard(1, 33, &[(4, "checker")]),
            shard(2, 33, &[(11, "liveness"), (2, "checker")]),
        ];
        let (merged, warnings) = merge(&reports).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(merged.seeds_run, 100);
        assert_eq!(merged.wall_ms, 2500);
        assert_eq!(merged.shard, Shard::ALL);
        let g = groups(&merged.failures);
        let summary: Vec<(&str, u64, u64)> = g
            .iter()
            .map(|g| (g.signature.as_str(), g.count, g.smallest.seed))
            .collect();
        assert_eq!(summary, vec![("checker", 3, 2), ("liveness", 2, 11)]);
    }

    #[test]
    fn missing_and_repeated_shards_are_named() {
        let (_, warnings) = merge(&[shard(0, 34, &[]), shard(0, 34, &[])]).unwrap();
        assert!(
            warnings.iter().any(|w| w.contains("[1, 2]")),
            "{warnings:?}"
        );
        assert!(warnings.iter().any(|w| w.contains("twice")), "{warnings:?}");
    }

    #[test]
    fn a_report_survives_json() {
        let r = shard(1, 33, &[(4, "checker")]);
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&text).unwrap(), r);
    }
}
