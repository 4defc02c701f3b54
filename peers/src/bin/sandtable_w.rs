//! The side-by-side workloads on Sandtable (same shapes as `benches/common/mod.rs`), plus the
//! heartbeat memory curve. `sandtable_w w1|w2|w3|w4|w6 [scale]` or `sandtable_w heartbeat N`; prints
//! one JSON line (see `sandtable_peers`).

use std::time::Duration;

use sandtable::prelude::*;
use sandtable::SimBuilder;
use sandtable_peers::*;

#[allow(dead_code)]
#[path = "../../../benches/common/mod.rs"]
mod common;

/// `SANDTABLE_BENCH_FIFO=1` switches to FIFO scheduling (as tokio's and madsim's executors are
/// closer to), to separate the cost of random scheduling from the rest.
fn builder() -> SimBuilder {
    let mut b = Sim::builder().seed(SEED);
    if let Some(w) = std::env::var("SANDTABLE_BENCH_WINDOW")
        .ok()
        .and_then(|w| w.parse().ok())
    {
        b = b.schedule_window(w);
    }
    if std::env::var_os("SANDTABLE_BENCH_FIFO").is_some() {
        b.fifo()
    } else {
        b
    }
}

/// Units done, virtual time, extra fields.
type Done = (u64, Duration, Vec<(&'static str, String)>);

/// W1–W4 and W6 are the criterion benches' own workloads (`benches/common/mod.rs`), so the three
/// tools are compared on exactly the code that BENCHMARKS.md profiles.
fn workload(outcome: common::Outcome) -> Done {
    (outcome.units, outcome.elapsed, vec![])
}

fn no_drops(sim: &Sim) -> u64 {
    let stats = sim.net().stats();
    assert_eq!(stats.dropped(), 0, "no message may be lost");
    stats.delivered
}

/// `nodes` nodes bound to port 7000; each sends 8 bytes to `peers_of(i)` every `period`, `ticks`
/// times, and counts what it receives. Runs the virtual durations of `phases` one after the other;
/// returns the deliveries counted and the wall time of each phase.
fn gossip(
    sim: &Sim,
    nodes: u64,
    peers_of: fn(u64, u64) -> Vec<u64>,
    period: Duration,
    ticks: u64,
    phases: &[Duration],
) -> (u64, Vec<Duration>) {
    let received = common::gossip_nodes(sim, nodes, peers_of, period, ticks);
    let walls = phases
        .iter()
        .map(|&d| timed(|| sim.run_for(d).unwrap()).1)
        .collect();
    (received.get(), walls)
}

fn ring_neighbours(i: u64, n: u64) -> Vec<u64> {
    vec![(i + n - 1) % n, (i + 1) % n]
}

/// Heartbeat: `nodes` nodes on a ring; every 100 ms each sends 8 bytes to its two neighbours,
/// 100 times (10 virtual s). Default link (uniform 1–5 ms latency). The first virtual ms (every
/// node starts, binds, looks up its neighbours and sends its first heartbeats; nothing arrives
/// before 1 ms) is timed apart as `setup_ns`.
fn heartbeat(nodes: u64) -> Done {
    assert!(nodes >= 3);
    let sim = builder().build();
    let first_ms = Duration::from_millis(1);
    let (got, walls) = gossip(
        &sim,
        nodes,
        ring_neighbours,
        Duration::from_millis(100),
        100,
        &[first_ms, Duration::from_secs(10) - first_ms],
    );
    let expected = nodes * 2 * 100;
    assert_eq!(got, expected, "every heartbeat was received");
    assert_eq!(no_drops(&sim), expected);
    // Live memory with every node still up, before the simulation is dropped.
    let live = status_kb("VmRSS:");
    let extra = vec![
        ("live_rss_kb", live.to_string()),
        ("setup_ns", walls[0].as_nanos().to_string()),
        ("steady_ns", walls[1].as_nanos().to_string()),
    ];
    (got, sim.elapsed(), extra)
}

fn main() {
    let args = Args::parse();
    let base_rss_kb = status_kb("VmRSS:");
    let ((units, virt, mut extra), wall) = timed(|| match args.workload.as_str() {
        "w1" => workload(common::w1_ping_pong(builder(), args.scaled(W1_ROUND_TRIPS))),
        "w2" => workload(common::w2_timers(
            builder(),
            args.scaled(W2_TASKS),
            W2_SLEEPS,
        )),
        "w3" => workload(common::w3_spawn_join(
            builder(),
            args.scaled(W3_TASKS).max(2),
        )),
        "w4" => workload(common::w4_all_to_all(
            builder(),
            W4_NODES as u32,
            args.scaled(W4_TICKS).min(W4_TICKS),
        )),
        "w6" => workload(common::w6_tcp_ping_pong(
            builder(),
            args.scaled(W6_ROUND_TRIPS),
        )),
        "heartbeat" => heartbeat(args.arg.unwrap_or(10.0) as u64),
        other => panic!("unknown workload {other}"),
    });
    if args.workload == "heartbeat" {
        extra.push(("nodes", (args.arg.unwrap_or(10.0) as u64).to_string()));
    }
    Report {
        tool: "sandtable",
        workload: args.workload,
        units,
        virtual_ns: virt.as_nanos(),
        wall,
        base_rss_kb,
        extra,
    }
    .print();
}
