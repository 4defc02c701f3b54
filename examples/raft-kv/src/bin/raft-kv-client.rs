//! Talks to a `raft-kv` cluster: one get / put / cas, or a load of concurrent clients for a
//! while whose history is written as JSON Lines for `sandtable-check --model kv`.
//!
//! ```sh
//! P=n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003
//! raft-kv-client --peers $P put 1 42
//! raft-kv-client --peers $P get 1
//! raft-kv-client --peers $P cas 1 42 7
//! raft-kv-client --peers $P load --clients 4 --duration 10 --history history.jsonl
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use raft_kv::client::Client;
use raft_kv::cluster;
use raft_kv::message::{Op, OpResult};
use raft_kv::workload::ClientLoop;
use sandtable::lin::Recorder;
use sandtable::real::{ClusterMap, Config, Runtime};
use sandtable::Progress;

/// A client of a Raft key-value cluster.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Every node: name=ip:port, comma-separated, or @FILE with one per line.
    #[arg(long, value_parser = ClusterMap::from_flag)]
    peers: ClusterMap,
    /// How long one operation is retried before its outcome is unknown, in seconds.
    #[arg(long, default_value_t = 3.0)]
    give_up: f64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Reads a key.
    Get { key: u64 },
    /// Writes a key.
    Put { key: u64, value: i64 },
    /// Sets a key to `to` if it holds `from`.
    Cas { key: u64, from: i64, to: i64 },
    /// Runs concurrent client loops (random get / put / cas) and records their history.
    Load {
        /// How many client loops.
        #[arg(long, default_value_t = 4)]
        clients: u64,
        /// For how long, in seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Where to write the history (JSON Lines).
        #[arg(long)]
        history: PathBuf,
    },
}

fn seconds(s: f64, what: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|_| format!("{what} {s} is not a number of seconds"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("raft-kv-client: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<ExitCode, String> {
    let nodes = cluster::peers(&args.peers);
    if nodes.is_empty() {
        return Err("--peers names no node".into());
    }
    let give_up = seconds(args.give_up, "--give-up")?;
    let runtime = Runtime::new(Config::new("client").cluster(args.peers.clone()))
        .map_err(|e| e.to_string())?;
    let op = match args.command {
        Command::Get { key } => Op::Get(key),
        Command::Put { key, value } => Op::Put(key, value),
        Command::Cas { key, from, to } => Op::Cas(key, from, to),
        Command::Load {
            clients,
            duration,
            history,
        } => {
            cluster::init_tracing("client");
            let duration = seconds(duration, "--duration")?;
            let recorder = Recorder::new();
            runtime.block_on(async {
                // Sessions apart from any earlier run's (and from single operations' ids).
                let first_session = (sandtable::rand::random::<u64>() >> 2) << 16;
                let start = sandtable::time::Instant::now();
                let until = Duration::from_nanos(start.as_nanos().max(0) as u64) + duration;
                let loops: Vec<_> = (0..clients)
                    .map(|index| {
                        let client = ClientLoop {
                            index,
                            first_session,
                            stride: clients,
                            nodes: nodes.clone(),
                            history: recorder.clone(),
                            until,
                            progress: Progress::new(),
                        };
                        sandtable::task::spawn(client.run())
                    })
                    .collect();
                for l in loops {
                    l.await.map_err(|e| format!("a client loop failed: {e}"))?;
                }
                Ok::<(), String>(())
            })?;
            let h = recorder.history();
            let file = std::fs::File::create(&history)
                .map_err(|e| format!("cannot create {}: {e}", history.display()))?;
            h.to_jsonl(std::io::BufWriter::new(file))
                .map_err(|e| format!("cannot write {}: {e}", history.display()))?;
            eprintln!(
                "raft-kv-client: {} operations recorded in {}",
                h.len(),
                history.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
    let outcome = runtime.block_on(async {
        let id = sandtable::rand::random::<u64>() | 1 << 63;
        let mut client = Client::connect(id, nodes).await?;
        Ok::<_, std::io::Error>(client.call(op, give_up).await)
    });
    match outcome.map_err(|e| e.to_string())? {
        Some(OpResult::Value(v)) => println!("{}", v.map_or("null".into(), |v| v.to_string())),
        Some(OpResult::Written) => println!("ok"),
        Some(OpResult::Swapped(true)) => println!("ok"),
        Some(OpResult::Swapped(false)) => {
            println!("cas failed: the key does not hold the expected value");
            return Ok(ExitCode::from(1));
        }
        None => {
            println!("unknown: no answer within {give_up:?} (the operation may still take effect)");
            return Ok(ExitCode::from(3));
        }
    }
    Ok(ExitCode::SUCCESS)
}
