//! The runtime workloads (W1–W4, W6), shared by the criterion bench (`benches/runtime.rs`) and
//! the allocation counter (`benches/alloc_count.rs`).
//!
//! Every workload builds a fresh simulation from the builder it is given, runs to completion,
//! checks cheaply that it did what it claims, and returns an [`Outcome`]. [`verify`] runs a
//! workload once more with the event log on and checks the exact count of its events (timer
//! firings, deliveries) from the runtime's own record, so the figures are honest.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use sandtable::net::{TcpListener, TcpStream};
use sandtable::prelude::*;
use sandtable::{EventKind, LoggedEvent, SimBuilder};

/// The seed of every benchmark run.
pub const SEED: u64 = 0x5a4d_7ab1e;

/// W1 and W4 links: a fixed 50 µs latency, no loss, no duplication.
pub fn fixed_link() -> LinkConfig {
    let d = Duration::from_micros(50);
    LinkConfig::default().latency(d, d)
}

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    /// Workload units completed (round trips, timer firings, spawn+joins, deliveries).
    pub units: u64,
    /// Datagrams delivered to a socket, from the network's counters.
    pub delivered: u64,
    /// Tasks polled.
    pub polls: u64,
    /// Virtual time at the end of the run.
    pub elapsed: Duration,
    /// The event log, when the builder asked for it.
    pub log: Option<Vec<LoggedEvent>>,
}

fn finish(sim: &Sim, units: u64) -> Outcome {
    let stats = sim.net().stats();
    assert_eq!(
        stats.dropped(),
        0,
        "no message may be lost in a benchmark workload"
    );
    Outcome {
        units,
        delivered: stats.delivered,
        polls: sim.polls(),
        elapsed: sim.elapsed(),
        log: sim.take_event_log(),
    }
}

/// A builder for one iteration: seeded, with the default configuration otherwise.
pub fn builder() -> SimBuilder {
    Sim::builder().seed(SEED)
}

/// W1: node `a` sends 8 bytes to node `b` over UDP, `b` echoes them, `round_trips` times in a row.
pub fn w1_ping_pong(builder: SimBuilder, round_trips: u64) -> Outcome {
    let sim = builder.link(fixed_link()).build();
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
    let out = finish(&sim, done);
    assert_eq!(out.delivered, 2 * round_trips);
    assert_eq!(out.elapsed, Duration::from_micros(100) * round_trips as u32);
    out
}

/// W2: `tasks` tasks on one node, each sleeping `sleeps` times for a seeded 1–10 ms.
pub fn w2_timers(builder: SimBuilder, tasks: u64, sleeps: u64) -> Outcome {
    let sim = builder.build();
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
    let out = finish(&sim, woken);
    assert_eq!(
        out.units,
        tasks * sleeps,
        "every sleep lasted its full duration"
    );
    // Each task slept at least 100 × 1 ms and at most 100 × 10 ms (in ns-exact virtual time).
    assert!(
        out.elapsed >= Duration::from_millis(sleeps)
            && out.elapsed <= Duration::from_millis(10 * sleeps)
    );
    out
}

/// W3: `tasks` trivial tasks spawned on one node, then every JoinHandle awaited.
pub fn w3_spawn_join(builder: SimBuilder, tasks: u64) -> Outcome {
    let sim = builder.build();
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
    let out = finish(&sim, tasks);
    assert!(out.polls > tasks, "every task was polled");
    out
}

/// W4: `nodes` nodes; every 1 ms each sends 8 bytes to each other node, `ticks` times; the
/// receivers count. Runs for 10 virtual seconds (`ticks` must be at most 10,000).
pub fn w4_all_to_all(builder: SimBuilder, nodes: u32, ticks: u64) -> Outcome {
    assert!(
        ticks <= 10_000,
        "the last tick must be delivered within the 10 s run"
    );
    let sim = builder.link(fixed_link()).build();
    let all_others = |i: u64, n: u64| (0..n).filter(|&j| j != i).collect();
    let received = gossip_nodes(
        &sim,
        u64::from(nodes),
        all_others,
        Duration::from_millis(1),
        ticks,
    );
    sim.run_for(Duration::from_secs(10)).unwrap();
    let expected = u64::from(nodes) * u64::from(nodes - 1) * ticks;
    assert_eq!(received.get(), expected, "every message was received");
    let out = finish(&sim, received.get());
    assert_eq!(out.delivered, expected);
    out
}

/// Adds `nodes` nodes `n0`… bound to UDP port 7000; each sends 8 bytes to the nodes
/// `peers_of(i, nodes)` every `period` (`time::interval`), `ticks` times, and counts what it
/// receives in the returned cell. Shared by W4 and the memory curve's heartbeat.
pub fn gossip_nodes(
    sim: &Sim,
    nodes: u64,
    peers_of: fn(u64, u64) -> Vec<u64>,
    period: Duration,
    ticks: u64,
) -> Rc<Cell<u64>> {
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
    received
}

/// Reads exactly `buf.len()` bytes from `stream` (EOF is an error).
async fn read_exact(stream: &mut TcpStream, buf: &mut [u8]) {
    let mut at = 0;
    while at < buf.len() {
        let n = stream.read(&mut buf[at..]).await.unwrap();
        assert!(n > 0, "unexpected end of stream");
        at += n;
    }
}

/// W6: node `a` connects over TCP to node `b`, then `round_trips` times in a row writes 8 bytes
/// (the round trip's index), which `b` reads and echoes.
pub fn w6_tcp_ping_pong(builder: SimBuilder, round_trips: u64) -> Outcome {
    let sim = builder.link(fixed_link()).build();
    sim.add_node("b", || async {
        let listener = TcpListener::bind("0.0.0.0:7000").await.unwrap();
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 8];
        loop {
            read_exact(&mut stream, &mut buf).await;
            stream.write_all(&buf).await.unwrap();
        }
    });
    let done = sim
        .block_on("a", async move {
            let mut stream = TcpStream::connect(("b", 7000)).await.unwrap();
            let mut buf = [0u8; 8];
            for i in 0..round_trips {
                stream.write_all(&i.to_le_bytes()).await.unwrap();
                read_exact(&mut stream, &mut buf).await;
                assert_eq!(u64::from_le_bytes(buf), i, "echo of round trip {i}");
            }
            round_trips
        })
        .unwrap();
    let out = finish(&sim, done);
    // SYN, SYN-ACK, then one data segment each way per round trip.
    assert_eq!(out.delivered, 2 + 2 * round_trips);
    // The handshake, then 100 µs of link latency per round trip.
    assert_eq!(
        out.elapsed,
        Duration::from_micros(100) * (round_trips + 1) as u32
    );
    out
}

/// One of the workloads at some size.
#[derive(Clone, Copy, Debug)]
pub enum Workload {
    /// Round trips.
    W1 { round_trips: u64 },
    /// Tasks × sleeps.
    W2 { tasks: u64, sleeps: u64 },
    /// Tasks.
    W3 { tasks: u64 },
    /// Nodes × ticks.
    W4 { nodes: u32, ticks: u64 },
    /// TCP round trips.
    W6 { round_trips: u64 },
}

/// The workloads at the sizes of the brief.
pub const FULL: [Workload; 5] = [
    Workload::W1 {
        round_trips: 100_000,
    },
    Workload::W2 {
        tasks: 10_000,
        sleeps: 100,
    },
    Workload::W3 { tasks: 1_000_000 },
    Workload::W4 {
        nodes: 5,
        ticks: 10_000,
    },
    Workload::W6 {
        round_trips: 100_000,
    },
];

impl Workload {
    /// Short id: `w1` … `w4`, `w6`.
    pub fn id(&self) -> &'static str {
        match self {
            Workload::W1 { .. } => "w1",
            Workload::W2 { .. } => "w2",
            Workload::W3 { .. } => "w3",
            Workload::W4 { .. } => "w4",
            Workload::W6 { .. } => "w6",
        }
    }

    /// The criterion benchmark name.
    #[allow(dead_code)] // used by `runtime` only
    pub fn bench_name(&self) -> String {
        match *self {
            Workload::W1 { round_trips } => format!("w1_ping_pong/{round_trips}_round_trips"),
            Workload::W2 { tasks, sleeps } => format!("w2_timers/{tasks}x{sleeps}_sleeps"),
            Workload::W3 { tasks } => format!("w3_spawn_join/{tasks}_tasks"),
            Workload::W4 { nodes, ticks } => format!("w4_all_to_all/{nodes}_nodes_{ticks}_ticks"),
            Workload::W6 { round_trips } => format!("w6_tcp_ping_pong/{round_trips}_round_trips"),
        }
    }

    /// The per-event unit and how many of them one run carries out.
    pub fn unit(&self) -> (&'static str, u64) {
        match *self {
            Workload::W1 { round_trips } => ("round trip", round_trips),
            Workload::W2 { tasks, sleeps } => ("timer firing", tasks * sleeps),
            Workload::W3 { tasks } => ("spawn+join", tasks),
            Workload::W4 { nodes, ticks } => {
                ("delivery", u64::from(nodes) * u64::from(nodes - 1) * ticks)
            }
            Workload::W6 { round_trips } => ("round trip", round_trips),
        }
    }

    /// The same workload with its main dimension multiplied by `scale` (at least 1).
    #[allow(dead_code)] // used by `alloc_count` only
    pub fn scaled(&self, scale: f64) -> Workload {
        let s = |n: u64| ((n as f64 * scale).round() as u64).max(1);
        match *self {
            Workload::W1 { round_trips } => Workload::W1 {
                round_trips: s(round_trips),
            },
            Workload::W2 { tasks, sleeps } => Workload::W2 {
                tasks: s(tasks),
                sleeps,
            },
            Workload::W3 { tasks } => Workload::W3 {
                tasks: s(tasks).max(2),
            },
            Workload::W4 { nodes, ticks } => Workload::W4 {
                nodes,
                ticks: s(ticks),
            },
            Workload::W6 { round_trips } => Workload::W6 {
                round_trips: s(round_trips),
            },
        }
    }

    /// Runs the workload once on a fresh simulation built from `builder`.
    pub fn run(&self, builder: SimBuilder) -> Outcome {
        match *self {
            Workload::W1 { round_trips } => w1_ping_pong(builder, round_trips),
            Workload::W2 { tasks, sleeps } => w2_timers(builder, tasks, sleeps),
            Workload::W3 { tasks } => w3_spawn_join(builder, tasks),
            Workload::W4 { nodes, ticks } => w4_all_to_all(builder, nodes, ticks),
            Workload::W6 { round_trips } => w6_tcp_ping_pong(builder, round_trips),
        }
    }
}

/// Runs `w` once with the event log on and checks, from the runtime's own record, that it carried
/// out exactly the events it claims. Returns the outcome (with its log).
pub fn verify(w: Workload) -> Outcome {
    let out = w.run(builder().record_events(true));
    let log = out.log.as_deref().expect("record_events keeps the log");
    let count = |kind: EventKind| log.iter().filter(|e| e.kind == kind).count() as u64;
    let (_, units) = w.unit();
    assert_eq!(out.units, units, "{}: units completed", w.id());
    match w {
        Workload::W1 { round_trips } => {
            assert_eq!(count(EventKind::Send), 2 * round_trips);
            assert_eq!(count(EventKind::Deliver), 2 * round_trips);
        }
        Workload::W2 { .. } => {
            assert_eq!(count(EventKind::Timer), units, "one timer firing per sleep");
            assert_eq!(count(EventKind::Deliver), 0);
        }
        Workload::W3 { tasks } => {
            // Each task is polled once; the joining client at least once more.
            assert!(count(EventKind::Poll) > tasks);
        }
        Workload::W4 { nodes, ticks } => {
            assert_eq!(count(EventKind::Deliver), units);
            assert_eq!(count(EventKind::Send), units);
            // The interval's first tick is immediate; every later one is a timer firing.
            assert_eq!(count(EventKind::Timer), u64::from(nodes) * (ticks - 1));
        }
        Workload::W6 { round_trips } => {
            // SYN and SYN-ACK, then one data segment each way per round trip; `a` sends a FIN
            // when its stream is dropped at the end of `block_on`, which the run never delivers.
            assert_eq!(count(EventKind::Send), 3 + 2 * round_trips);
            assert_eq!(count(EventKind::Deliver), 2 + 2 * round_trips);
        }
    }
    assert_eq!(count(EventKind::Drop), 0);
    out
}
