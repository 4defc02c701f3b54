//! The worker process of `cargo xtask fuzz raft`: runs a batch of seeds of the Raft scenario
//! (`--bug NAME` plants a bug) and prints one JSON line per seed (the protocol:
//! `common/worker_protocol.rs`).
//!
//! ```text
//! fuzz_worker --seeds A..B [--stride K] [--bug NAME] [--schedule FILE] [--name NAME] [--determinism]
//!             [--faults-secs S] [--swarm]
//! ```

#[path = "common/worker_protocol.rs"]
mod worker_protocol;

use raft_kv::scenario::{caught_by, Scenario};
use raft_kv::Bug;

fn main() {
    let args = worker_protocol::parse();
    let bug: Bug = args.bug.parse().unwrap_or_else(|e| {
        eprintln!("fuzz_worker: {e}");
        std::process::exit(2)
    });
    let mut scenario = Scenario::default().with_bug(bug).swarm(args.swarm);
    if let Some(secs) = args.faults_secs {
        scenario = scenario.faults_for(std::time::Duration::from_secs(secs));
    }
    worker_protocol::run(
        &args,
        "raft",
        |sim| scenario.run(sim).map(|_| ()),
        caught_by,
    );
}
