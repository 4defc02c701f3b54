//! A Raft key-value node as a real process: the same `raft_kv::node::run` the simulation tests
//! run, on `sandtable::real` (tokio, UDP on the network, files in `--data`).
//!
//! ```sh
//! raft-kv --id n1 --peers n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003 --data ./data/n1
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use raft_kv::cluster;
use raft_kv::node::{self, NodeConfig};
use raft_kv::probe::Probe;
use raft_kv::Settings;
use sandtable::real::{ClusterMap, Config, Runtime};

/// One node of a Raft key-value cluster.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// This node's name (one of --peers).
    #[arg(long)]
    id: String,
    /// Every node: name=ip:port, comma-separated, or @FILE with one per line (this node
    /// listens on its own entry's port).
    #[arg(long, value_parser = ClusterMap::from_flag)]
    peers: ClusterMap,
    /// The directory for this node's log, term and vote, and snapshot (created if missing).
    #[arg(long)]
    data: PathBuf,
    /// Seed of the node's random stream (election timeouts); default from the OS.
    #[arg(long)]
    seed: Option<u64>,
    /// Run with a planted bug (the names of `cargo run --example raft -- --list`).
    #[arg(long, default_value = "none")]
    bug: raft_kv::Bug,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cluster::init_tracing(&args.id);
    let nodes = cluster::peers(&args.peers);
    let me = match cluster::index_of(&nodes, &args.id) {
        Ok(me) => me,
        Err(e) => {
            eprintln!("raft-kv: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = Config::new(&args.id)
        .cluster(args.peers.clone())
        .data_dir(&args.data);
    if let Some(seed) = args.seed {
        config = config.seed(seed);
    }
    let runtime = match Runtime::new(config) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("raft-kv: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = NodeConfig {
        me,
        nodes,
        settings: Settings::default().with_bug(args.bug),
        probe: Probe::none(),
    };
    tracing::info!(peers = %args.peers, data = %args.data.display(), "serving");
    match runtime.block_on(node::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("raft-kv: {e}");
            ExitCode::FAILURE
        }
    }
}
