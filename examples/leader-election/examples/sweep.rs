//! Sweeps seeds of the leader-election scenario under a clock fault model, and reports the
//! first failing seed and what caught it (or how many seeds passed, and how fast).
//!
//! ```text
//! cargo run --release -p leader-election --example sweep -- \
//!     [--drift MAX] [--extremes] [--steps-ms MAX] [--seeds A..B] [--faults-secs S] [--no-leader-invariant]
//! ```
//!
//! `--drift` is the largest clock drift (the protocol assumes 0.1); `--steps-ms` adds clock
//! steps of up to that many milliseconds.

use std::time::{Duration, Instant};

use leader_election::faults::ClockFaults;
use leader_election::scenario::Scenario;
use sandtable::{run_seeds, CheckConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut scenario = Scenario::default();
    let mut drift = scenario.clocks.drift_max;
    let mut steps = Duration::ZERO;
    let mut extremes = false;
    let mut seeds = 0..100u64;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--drift" => drift = value.parse().expect("a drift such as 0.3"),
            "--steps-ms" => steps = Duration::from_millis(value.parse().expect("milliseconds")),
            "--seeds" => {
                let (a, b) = value.split_once("..").expect("--seeds A..B");
                seeds = a.parse().expect("a seed")..b.parse().expect("a seed");
            }
            "--clients" => {
                let nodes = scenario.nodes;
                scenario = scenario.size(nodes, value.parse().expect("a count"));
            }
            "--bound" => {
                let settings = scenario.settings.clone();
                scenario.settings = settings.with_drift_bound(value.parse().expect("a bound"));
            }
            "--lease-ms" => {
                scenario.settings.lease = Duration::from_millis(value.parse().expect("ms"))
            }
            "--renew-ms" => {
                scenario.settings.renew_every = Duration::from_millis(value.parse().expect("ms"))
            }
            "--retry-ms" => {
                let (a, b) = value.split_once("..").expect("--retry-ms A..B");
                scenario.settings.retry = (
                    Duration::from_millis(a.parse().expect("ms")),
                    Duration::from_millis(b.parse().expect("ms")),
                );
            }
            "--faults-secs" => {
                scenario = scenario.faults_for(Duration::from_secs(value.parse().expect("seconds")))
            }
            "--extremes" => {
                extremes = true;
                i += 1;
                continue;
            }
            "--no-leader-invariant" => {
                scenario = scenario.without_leader_invariant();
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    let clocks = if extremes {
        ClockFaults::extreme_drift(drift)
    } else {
        ClockFaults::drift(drift)
    };
    let scenario = scenario.clocks(clocks.with_steps(steps));
    let label = format!(
        "drift ±{drift}, steps ±{steps:?}, leader invariant {}",
        if scenario.leader_invariant {
            "on"
        } else {
            "off"
        }
    );
    let config = CheckConfig::new()
        .seeds(seeds)
        .name("leader-election-sweep")
        .regressions(false)
        .artifacts(false);
    let start = Instant::now();
    let outcome = run_seeds(config, |sim| scenario.run(sim).map(|_| ()));
    let wall = start.elapsed();
    match outcome {
        Ok(summary) => println!(
            "{label}: {} seeds pass in {wall:.2?} ({:.1} seeds/s)",
            summary.seeds_run,
            summary.seeds_run as f64 / wall.as_secs_f64()
        ),
        Err(f) => {
            let first = f.message.lines().next().unwrap_or("").to_string();
            println!(
                "{label}: seed {} fails after {} seeds ({wall:.2?}): {first}",
                f.seed, f.seeds_run
            );
        }
    }
}
