//! Runs the convergence scenario on a range of seeds and prints what each found.
//!
//! ```text
//! cargo run --release -p crdt --example crdt_sweep -- [--seeds A..B] [--bug NAME] [--strict-register] [--no-clock-faults]
//! ```

use std::time::{Duration, Instant};

use crdt::scenario::Scenario;
use crdt::Bug;
use sandtable::Sim;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut seeds = 0..100u64;
    let mut scenario = Scenario::default();
    let mut flags = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seeds" => {
                let range = args.next().ok_or("--seeds needs A..B")?;
                let (a, b) = range.split_once("..").ok_or("--seeds needs A..B")?;
                seeds = a.parse()?..b.parse()?;
            }
            "--bug" => {
                let name = args.next().ok_or("--bug needs a name")?;
                scenario = scenario.with_bug(name.parse::<Bug>()?);
                flags.push(format!("--bug {name}"));
            }
            "--strict-register" => {
                scenario = scenario.strict_register(true);
                flags.push(arg.clone());
            }
            "--no-clock-faults" => {
                scenario = scenario.clock_skew(Duration::ZERO);
                flags.push(arg.clone());
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let (start, runs) = (Instant::now(), seeds.end.saturating_sub(seeds.start));
    let (mut failed, mut lost_writes, mut ops) = (0, 0, 0);
    for seed in seeds {
        match scenario.run(&Sim::new(seed)) {
            Ok(report) => {
                ops += report.acknowledged + report.unknown;
                if let Err(lost) = report.verdicts.register {
                    lost_writes += 1;
                    println!("seed {seed}: (reported) {lost}");
                }
            }
            Err(e) => {
                failed += 1;
                println!(
                    "seed {seed}: FAILED: {e}\n  rerun: cargo run -p crdt --example crdt_sweep -- --seeds {seed}..{} {}",
                    seed + 1,
                    flags.join(" ")
                );
            }
        }
    }
    let took = start.elapsed();
    println!(
        "{runs} seeds in {took:.2?} ({:.1} ms/seed), {ops} operations: {failed} failed, {lost_writes} lost a register write (reported)",
        took.as_secs_f64() * 1e3 / runs.max(1) as f64
    );
    Ok(())
}
