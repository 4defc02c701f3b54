//! Sweeps seeds of the Raft scenario, optionally with a planted bug, and reports the first
//! failing seed and what caught it.
//!
//! ```text
//! cargo run --release -p raft-kv --example sweep -- [--bug NAME|all] [--seeds A..B] [--faults-secs S]
//!     [--offsets 0,1000,2000] [--swarm]
//! ```
//!
//! With `--offsets`, each bug is swept from every offset until its first failure (at most the
//! `--seeds` range's length of seeds), and the median number of seeds to a failure is printed
//! with what caught it each time.

use std::time::{Duration, Instant};

use raft_kv::scenario::{caught_by, Scenario};
use raft_kv::Bug;
use sandtable::{run_seeds, CheckConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut bugs = vec![Bug::None];
    let mut seeds = 0..100u64;
    let mut faults = 60u64;
    let mut offsets: Vec<u64> = Vec::new();
    let swarm = args.iter().any(|a| a == "--swarm");
    let args: Vec<String> = args.into_iter().filter(|a| a != "--swarm").collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--bug" if value == "all" => bugs = Bug::ALL.to_vec(),
            "--bug" => bugs = vec![value.parse().unwrap_or_else(|e| panic!("{e}"))],
            "--seeds" => {
                let (a, b) = value.split_once("..").expect("--seeds A..B");
                seeds = a.parse().expect("a seed")..b.parse().expect("a seed");
            }
            "--faults-secs" => faults = value.parse().expect("seconds"),
            "--offsets" => {
                offsets = value
                    .split(',')
                    .map(|s| s.parse().expect("an offset"))
                    .collect()
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    if !offsets.is_empty() {
        for bug in bugs {
            medians(bug, &offsets, seeds.end - seeds.start, faults, swarm);
        }
        return;
    }
    for bug in bugs {
        let scenario = Scenario::default()
            .with_bug(bug)
            .swarm(swarm)
            .faults_for(Duration::from_secs(faults));
        let config = CheckConfig::new()
            .seeds(seeds.clone())
            .name(&format!("raft-kv-sweep-{bug}"))
            .regressions(false)
            .artifacts(false);
        let start = Instant::now();
        let outcome = run_seeds(config, |sim| scenario.run(sim).map(|_| ()));
        let wall = start.elapsed();
        match outcome {
            Ok(summary) => println!(
                "{bug}: {} seeds pass in {wall:.2?} ({:.1} seeds/s)",
                summary.seeds_run,
                summary.seeds_run as f64 / wall.as_secs_f64()
            ),
            Err(f) => {
                let first = f.message.lines().next().unwrap_or("").to_string();
                println!(
                    "{bug}: seed {} fails after {} seeds ({wall:.2?}): {first}",
                    f.seed, f.seeds_run
                );
            }
        }
    }
}

/// Seeds to the first failure from each offset, their median, and what caught each.
fn medians(bug: Bug, offsets: &[u64], max: u64, faults: u64, swarm: bool) {
    let scenario = Scenario::default()
        .with_bug(bug)
        .swarm(swarm)
        .faults_for(Duration::from_secs(faults));
    let mut counts = Vec::new();
    let mut found = Vec::new();
    for &offset in offsets {
        let config = CheckConfig::new()
            .seeds(offset..offset + max)
            .name(&format!("raft-kv-sweep-{bug}"))
            .regressions(false)
            .artifacts(false);
        match run_seeds(config, |sim| scenario.run(sim).map(|_| ())) {
            Ok(_) => found.push(format!("none in {max} from {offset}")),
            Err(f) => {
                counts.push(f.seeds_run);
                found.push(format!("seed {} ({})", f.seed, caught_by(&f.message)));
            }
        }
    }
    counts.sort_unstable();
    let median = counts
        .get(counts.len() / 2)
        .map_or("-".to_string(), |m| m.to_string());
    println!(
        "{bug}: median seeds to failure {median} over {} offsets; {}",
        offsets.len(),
        found.join(", ")
    );
}
