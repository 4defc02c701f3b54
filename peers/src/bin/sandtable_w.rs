//! The side-by-side workloads on Sandtable (same shapes as `benches/common/mod.rs`), plus the
//! heartbeat memory curve. `sandtable_w w1|w2|w3|w4 [scale]` or `sandtable_w heartbeat N`; prints
//! one JSON line (see `sandtable_peers`).

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use sandtable::prelude::*;
use sandtable::SimBuilder;
use sandtable_peers::*;

/// `SANDTABLE_BENCH_FIFO=1` switches to FIFO scheduling (as tokio's and madsim's executors are
/// closer to), to separate the cost of random scheduling from the rest.
fn builder() -> SimBuilder {
    let mut b = Sim::builder().seed(SEED);
    if let Some(w) = std::env::var("SANDTABLE_BENCH_WINDOW").ok().and_then(|w| w.parse().ok()) {
        b = b.schedule_window(w);
    }
    if std::env::var_os("SANDTABLE_BENCH_FIFO").is_some() {
        b.fifo()
    } else {
        b
    }
}

fn fixed_link() -> LinkConfig {
    LinkConfig::default().latency(LATENCY, LATENCY)
}

/// Units done, virtual time, extra fields.
type Done = (u64, Duration, Vec<(&'static str, String)>);

fn no_drops(sim: &Sim) -> u64 {
    let stats = sim.net().stats();
    assert_eq!(stats.dropped(), 0, "no message may be lost");
    stats.delivered
}

/// W1: node `a` sends 8 bytes to node `b`, `b` echoes, `round_trips` times in a row.
fn w1(round_trips: u64) -> Done {
    let sim = builder().link(fixed_link()).build();
    sim.add_node("b", || async {
        let socket = UdpSocket::bind("0.0.0.0:7000").await.unwrap();
        let mut buf = [0u8; 8];
        loop {
            let (n, from) = socket.recv_from(&mut buf).await.unwrap();
            socket.send_to(&buf[..n], from).await.unwrap();
        }
    });
    let done = sim
        .block_on("a", async move {
            let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            let server = SocketAddr::new(sandtable::net::lookup("b").unwrap(), 7000);
            let mut buf = [0u8; 8];
            for i in 0..round_trips {
                socket.send_to(&i.to_le_bytes(), server).await.unwrap();
                let (n, _) = socket.recv_from(&mut buf).await.unwrap();
                assert!(
                    n == 8 && u64::from_le_bytes(buf) == i,
                    "echo of round trip {i}"
                );
            }
            round_trips
        })
        .unwrap();
    let delivered = no_drops(&sim);
    assert_eq!(delivered, 2 * round_trips);
    assert_eq!(sim.elapsed(), LATENCY * 2 * round_trips as u32);
    (
        done,
        sim.elapsed(),
        vec![("delivered", delivered.to_string())],
    )
}

/// W2: `tasks` tasks on one node, each sleeping `sleeps` times for a seeded 1–10 ms.
fn w2(tasks: u64, sleeps: u64) -> Done {
    let sim = builder().build();
    let woken = sim
        .block_on("w2", async move {
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    spawn(async move {
                        let mut woken = 0u64;
                        for _ in 0..sleeps {
                            let us = sandtable::rand::random_range(1_000u64..=10_000);
                            sleep(Duration::from_micros(us)).await;
                            woken += 1;
                        }
                        woken
                    })
                })
                .collect();
            let mut woken = 0;
            for h in handles {
                woken += h.await.unwrap();
            }
            woken
        })
        .unwrap();
    assert_eq!(woken, tasks * sleeps, "every sleep completed");
    let t = sim.elapsed();
    assert!(t >= Duration::from_millis(sleeps) && t <= Duration::from_millis(10 * sleeps));
    (woken, t, vec![])
}

/// W3: `tasks` trivial tasks spawned on one node, then every JoinHandle awaited.
fn w3(tasks: u64) -> Done {
    let sim = builder().build();
    let sum = sim
        .block_on("w3", async move {
            let handles: Vec<_> = (0..tasks).map(|i| spawn(async move { i })).collect();
            let mut sum = 0u64;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        })
        .unwrap();
    assert_eq!(
        sum,
        tasks * (tasks - 1) / 2,
        "every task ran and returned its output"
    );
    assert!(sim.polls() > tasks, "every task was polled");
    (tasks, sim.elapsed(), vec![])
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
    let received = Rc::new(Cell::new(0u64));
    for i in 0..nodes {
        let received = received.clone();
        sim.add_node(format!("n{i}"), move || {
            let received = received.clone();
            async move {
                let socket = Rc::new(UdpSocket::bind("0.0.0.0:7000").await.unwrap());
                let peers: Vec<SocketAddr> = peers_of(i, nodes)
                    .into_iter()
                    .map(|j| {
                        SocketAddr::new(sandtable::net::lookup(&format!("n{j}")).unwrap(), 7000)
                    })
                    .collect();
                let tx = socket.clone();
                spawn(async move {
                    let mut tick = time::interval(period);
                    for _ in 0..ticks {
                        tick.tick().await;
                        for &peer in &peers {
                            tx.send_to(b"sandtabl", peer).await.unwrap();
                        }
                    }
                })
                .detach();
                let mut buf = [0u8; 8];
                loop {
                    socket.recv_from(&mut buf).await.unwrap();
                    received.set(received.get() + 1);
                }
            }
        });
    }
    let walls = phases
        .iter()
        .map(|&d| timed(|| sim.run_for(d).unwrap()).1)
        .collect();
    (received.get(), walls)
}

fn all_others(i: u64, n: u64) -> Vec<u64> {
    (0..n).filter(|&j| j != i).collect()
}

fn ring_neighbours(i: u64, n: u64) -> Vec<u64> {
    vec![(i + n - 1) % n, (i + 1) % n]
}

/// W4: `nodes` nodes; every 1 ms each sends 8 bytes to each other node, `ticks` times; 10 s run.
fn w4(nodes: u64, ticks: u64) -> Done {
    assert!(ticks <= 10_000);
    let sim = builder().link(fixed_link()).build();
    let (got, _) = gossip(
        &sim,
        nodes,
        all_others,
        Duration::from_millis(1),
        ticks,
        &[Duration::from_secs(10)],
    );
    let expected = nodes * (nodes - 1) * ticks;
    assert_eq!(got, expected, "every message was received");
    assert_eq!(no_drops(&sim), expected);
    (
        got,
        sim.elapsed(),
        vec![("delivered", expected.to_string())],
    )
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
        "w1" => w1(args.scaled(W1_ROUND_TRIPS)),
        "w2" => w2(args.scaled(W2_TASKS), W2_SLEEPS),
        "w3" => w3(args.scaled(W3_TASKS).max(2)),
        "w4" => w4(W4_NODES, args.scaled(W4_TICKS).min(W4_TICKS)),
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
