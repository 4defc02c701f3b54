//! One openraft 0.10.0-alpha.37 cluster, written once, on two deterministic runtimes: Sandtable
//! (`sandtable-openraft`) and openraft's own `openraft-rt-sim`. Per seed a fresh runtime runs
//! the same cluster and workload (`cluster.rs`); the program prints seeds/s, the writes
//! acknowledged and a fingerprint over all seeds, so reruns of a seed can be compared.
//!
//! ```text
//! openraft_cluster --runtime sandtable|sandtable-fifo|rt-sim --seeds A..B
//!                  [--writes K] [--clients C] [--no-fault] [--count] [--twice] [--verbose]
//! ```
//!
//! Start reading at `cluster.rs`; `types.rs` is the type configuration generic over the
//! runtime, `network.rs` the in-memory network, `runtime.rs` the two runtimes.

mod cluster;
mod fingerprint;
mod log_store;
mod network;
mod runtime;
mod state_machine;
mod totals;
mod types;

use std::ops::Range;
use std::process::ExitCode;
use std::time::Instant;

use cluster::{Outcome, Workload};
use runtime::{Choice, Counts, Runtime};
use totals::Totals;

/// The command line.
struct Args {
    choice: Choice,
    seeds: Range<u64>,
    workload: Workload,
    /// rt-sim records its trace to count polls, timer firings and spawns (slower).
    count: bool,
    /// Each seed twice, and the two runs compared.
    twice: bool,
    verbose: bool,
}

const USAGE: &str = "usage: openraft_cluster --runtime sandtable|sandtable-fifo|rt-sim \
     --seeds A..B [--writes K] [--clients C] [--no-fault] [--count] [--twice] [--verbose]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        choice: Choice::Sandtable,
        seeds: 0..10,
        workload: Workload {
            writes: 200,
            clients: 4,
            fault: true,
        },
        count: false,
        twice: false,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--runtime" => {
                let v = value()?;
                args.choice = Choice::parse(&v).ok_or(format!("unknown runtime {v}"))?;
            }
            "--seeds" => args.seeds = parse_range(&value()?)?,
            "--writes" => args.workload.writes = parse_u64(&value()?)?,
            "--clients" => args.workload.clients = parse_u64(&value()?)?.max(1),
            "--no-fault" => args.workload.fault = false,
            "--count" => args.count = true,
            "--twice" => args.twice = true,
            "--verbose" => args.verbose = true,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

fn parse_u64(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

fn parse_range(s: &str) -> Result<Range<u64>, String> {
    let (a, b) = s.split_once("..").ok_or(format!("not a range A..B: {s}"))?;
    Ok(parse_u64(a)?..parse_u64(b)?)
}

/// One seed on a fresh runtime: the outcome and what the runtime counted.
fn run_seed<R: Runtime>(seed: u64, args: &Args) -> (Outcome, Counts) {
    let mut rt = R::make(seed, args.choice, args.count);
    let outcome = rt.block_on(cluster::run::<R>(args.workload));
    (outcome, rt.counts())
}

fn bench<R: Runtime>(args: &Args) -> ExitCode {
    let mut totals = Totals::default();
    let started = Instant::now();
    for seed in args.seeds.clone() {
        let (o, c) = run_seed::<R>(seed, args);
        let again = args.twice.then(|| run_seed::<R>(seed, args).0);
        if args.verbose {
            println!(
                "seed {seed}: acked {} applied {} messages {} (lost {}) virtual {} ms polls {} \
                 fingerprint {:016x}",
                o.acked, o.applied, o.sent, o.lost, o.virtual_ms, c.polls, o.fingerprint
            );
        }
        totals.add(seed, &o, &c, again.as_ref());
    }
    let secs = started.elapsed().as_secs_f64();
    let runs = args.seeds.clone().count() as u64 * if args.twice { 2 } else { 1 };
    println!(
        "{:?} seeds {}..{} writes {} clients {} fault {}: {runs} runs in {secs:.2} s = {:.2} seeds/s",
        args.choice,
        args.seeds.start,
        args.seeds.end,
        args.workload.writes,
        args.workload.clients,
        args.workload.fault,
        runs as f64 / secs
    );
    totals.print(args.count || args.choice != Choice::RtSim);
    if !totals.diverged.is_empty() {
        println!(
            "  NOT DETERMINISTIC: seeds {:?} differ on a rerun",
            totals.diverged
        );
        return ExitCode::FAILURE;
    }
    if args.twice {
        println!("  every seed ran twice with the same fingerprint");
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match args.choice {
        Choice::Sandtable | Choice::SandtableFifo => bench::<sandtable_openraft::SimRuntime>(&args),
        Choice::RtSim => bench::<openraft_rt_sim::SimRuntime>(&args),
    }
}
