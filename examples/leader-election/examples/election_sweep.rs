//! Sweeps seeds of the leader-election scenario under a clock fault model, and reports the
//! first failing seed and what caught it (or how many seeds passed, and how fast).
//!
//! ```text
//! cargo run --release -p leader-election --example election_sweep -- \
//!     [--drift MAX] [--extremes] [--steps-ms MAX] [--strike-skew D] [--seeds A..B] [--faults-secs S] [--no-leader-invariant]
//! ```
//!
//! `--drift` is the largest clock drift (the protocol assumes 0.1); `--steps-ms` adds clock
//! steps of up to that many milliseconds; `--extremes` makes every drift exactly `±MAX`.
//! `--strike-skew D` runs the targeted worst case instead of the random faults: from 2 s the
//! leader is cut off for 1.5 s, its clock slow by `D` and the others' fast by `D`.

use std::time::{Duration, Instant};

use leader_election::faults::ClockFaults;
use leader_election::scenario::Scenario;
use leader_election::strike::{strike_the_leader, Strike};
use sandtable::{run_seeds, CheckConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut scenario = Scenario::default();
    let mut drift = scenario.clocks.drift_max;
    let mut steps = Duration::ZERO;
    let mut extremes = false;
    let mut strike = None;
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
            "--strike-skew" => {
                // The targeted worst case: no other faults; the leader cut off, slow by D.
                strike = Some(value.parse::<f64>().expect("a drift such as 0.45"));
                let quiet = scenario.clone().without_environment_faults();
                scenario = quiet;
                drift = 0.0;
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
    let faults = match strike {
        Some(d) => format!("leader cut off at 2 s, its clock -{d}, the others' +{d}"),
        None if extremes => format!("drift exactly ±{drift}, steps ±{steps:?}"),
        None => format!("drift ±{drift}, steps ±{steps:?}"),
    };
    let label = format!(
        "{faults}, leader invariant {}",
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
    let names = scenario.node_names();
    let outcome = run_seeds(config, |sim| {
        let run = scenario.start(sim)?;
        if let Some(d) = strike {
            let at = Duration::from_secs(2);
            let skew = Strike::SkewTheClocks(d);
            strike_the_leader(
                sim,
                run.checker(),
                names.clone(),
                skew,
                at,
                Duration::from_millis(1500),
            );
        }
        run.finish(sim).map(|_| ())
    });
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
