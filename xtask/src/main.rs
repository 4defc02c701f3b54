//! Project automation: `cargo xtask <command>`, a module per command.
//!
//! ```text
//! cargo xtask ci                                    # what CI runs (.ci/run)
//! cargo xtask bench-peers [...]                     # side-by-side benches (BENCHMARKS.md)
//! cargo xtask fuzz --list                           # the fuzz targets and their variants
//! cargo xtask fuzz raft --seeds 1000 --jobs 2       # a sweep in worker processes
//! cargo xtask fuzz-merge shard-*.json               # one summary of sharded sweeps
//! cargo xtask repro raft --seed 17 --bug no-dedup   # one seed, traced, twice
//! cargo xtask shrink raft --seed 17 --bug no-dedup  # the smallest fault schedule that fails
//! ```
//!
//! Where to start reading: `fuzz.rs` (the sweep), `worker.rs` (the worker protocol, crashes and
//! hangs), `targets.rs` (what can be fuzzed).
#![warn(missing_docs)]

mod bench_peers;
mod ddmin;
mod fuzz;
mod merge;
mod regressions;
mod report;
mod repro;
mod shard;
mod shrink;
mod signature;
mod targets;
mod worker;

#[cfg(test)]
mod deploy_configs;

use clap::{Parser, Subcommand};

/// `cargo xtask`: the project's automation.
#[derive(Parser)]
#[command(name = "cargo xtask", about = "Sandtable's project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs what CI runs (`.ci/run`).
    Ci,
    /// Side-by-side benches against madsim and turmoil (see `bench_peers.rs` for the flags).
    BenchPeers {
        /// The flags of `bench-peers`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Sweeps seeds of a fuzz target in worker processes.
    Fuzz(fuzz::Args),
    /// Combines the `--json` results of sharded sweeps into one summary.
    FuzzMerge(merge::Args),
    /// Reruns one seed with its full trace, twice, and reports the verdict.
    Repro(repro::Args),
    /// Shrinks a failing seed's fault schedule while it fails the same way.
    Shrink(shrink::Args),
}

fn main() {
    let result = match Cli::parse().command {
        Command::Ci => ci(),
        Command::BenchPeers { args } => {
            bench_peers::main(&args);
            Ok(())
        }
        Command::Fuzz(args) => fuzz::main(args),
        Command::FuzzMerge(args) => merge::main(args),
        Command::Repro(args) => repro::main(args),
        Command::Shrink(args) => shrink::main(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn ci() -> Result<(), String> {
    let status = std::process::Command::new("bash")
        .arg(".ci/run")
        .status()
        .expect("bash is needed to run .ci/run");
    std::process::exit(status.code().unwrap_or(1));
}
