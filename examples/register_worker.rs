//! The worker process of `cargo xtask fuzz register`: the primary-backup register of
//! `src/register.rs` under partitions and crashes, checked for linearizability; `--bug
//! read-any-replica` reads from any replica (stale reads). Prints one JSON line per seed (the
//! protocol: `raft-kv/examples/common/worker_protocol.rs`).
//!
//! ```text
//! register_worker --seeds A..B [--stride K] [--bug read-any-replica] [--schedule FILE] [--name NAME]
//! ```

#[path = "raft-kv/examples/common/worker_protocol.rs"]
mod worker_protocol;

use sandtable_examples::register::{scenario, Reads};

fn main() {
    let args = worker_protocol::parse();
    if args.faults_secs.is_some() {
        eprintln!("register_worker: the register has no --faults-secs");
        std::process::exit(2)
    }
    let reads = match args.bug.as_str() {
        "none" => Reads::Primary,
        "read-any-replica" => Reads::AnyReplica,
        other => {
            eprintln!("register_worker: unknown bug `{other}`; expected none or read-any-replica");
            std::process::exit(2)
        }
    };
    let caught_by = |message: &str| {
        if message.contains("not linearizable") {
            "checker".to_string()
        } else {
            "other".to_string()
        }
    };
    worker_protocol::run(&args, "register", |sim| scenario(sim, reads), caught_by);
}
