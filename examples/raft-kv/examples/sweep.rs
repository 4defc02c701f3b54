//! Sweeps seeds of the Raft scenario, optionally with a planted bug, and reports the first
//! failing seed and what caught it.
//!
//! ```text
//! cargo run --release -p raft-kv --example sweep -- [--bug NAME|all] [--seeds A..B] [--faults-secs S]
//!     [--offsets 0,1000,2000] [--swarm] [--sync-errors P]
//! ```
//!
//! With `--offsets`, each bug is swept from every offset until its first failure (at most the
//! `--seeds` range's length of seeds), and the median number of seeds to a failure is printed
//! with what caught it each time.

use std::time::{Duration, Instant};

use raft_kv::scenario::{caught_by, Scenario, POLL_BUDGET};
use raft_kv::Bug;
use sandtable::{run_seeds, CheckConfig, Sim};

const USAGE: &str = "usage: sweep [--bug NAME|all] [--seeds A..B] [--faults-secs S] [--offsets 0,1000,2000] [--swarm] [--sync-errors P]";

/// What the command line asks for.
struct Args {
    bugs: Vec<Bug>,
    seeds: std::ops::Range<u64>,
    faults: u64,
    offsets: Vec<u64>,
    swarm: bool,
    sync_errors: f64,
}

fn parse(args: Vec<String>) -> Result<Args, String> {
    let mut parsed = Args {
        bugs: vec![Bug::None],
        seeds: 0..100,
        faults: 60,
        offsets: Vec::new(),
        swarm: false,
        sync_errors: 0.0,
    };
    let number = |flag: &str, s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("{flag}: `{s}` is not a non-negative integer"))
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "--swarm" {
            parsed.swarm = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bug" if value == "all" => parsed.bugs = Bug::ALL.to_vec(),
            "--bug" => parsed.bugs = vec![value.parse().map_err(|e| format!("--bug: {e}"))?],
            "--seeds" => {
                let (a, b) = value
                    .split_once("..")
                    .ok_or_else(|| format!("--seeds: `{value}` is not a range A..B"))?;
                parsed.seeds = number("--seeds", a)?..number("--seeds", b)?;
                if parsed.seeds.is_empty() {
                    return Err(format!("--seeds: `{value}` is empty"));
                }
            }
            "--faults-secs" => parsed.faults = number("--faults-secs", &value)?,
            "--sync-errors" => {
                parsed.sync_errors = value
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or_else(|| {
                        format!("--sync-errors: `{value}` is not a probability in 0..=1")
                    })?
            }
            "--offsets" => {
                parsed.offsets = value
                    .split(',')
                    .map(|s| number("--offsets", s))
                    .collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(parsed)
}

fn main() {
    let Args {
        bugs,
        seeds,
        faults,
        offsets,
        swarm,
        sync_errors,
    } = match parse(std::env::args().skip(1).collect()) {
        Ok(args) => args,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("sweep: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let base = Scenario::default()
        .swarm(swarm)
        .faults_for(Duration::from_secs(faults))
        .sync_errors(sync_errors);
    if !offsets.is_empty() {
        for bug in bugs {
            medians(
                base.clone().with_bug(bug),
                &offsets,
                seeds.end - seeds.start,
            );
        }
        return;
    }
    for bug in bugs {
        let scenario = base.clone().with_bug(bug);
        let config = CheckConfig::new()
            .sim(Sim::builder().max_polls(POLL_BUDGET))
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
fn medians(scenario: Scenario, offsets: &[u64], max: u64) {
    let bug = scenario.settings.bug;
    let mut counts = Vec::new();
    let mut found = Vec::new();
    for &offset in offsets {
        let config = CheckConfig::new()
            .sim(Sim::builder().max_polls(POLL_BUDGET))
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
