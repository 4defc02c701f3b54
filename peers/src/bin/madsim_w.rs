//! The side-by-side workloads on madsim (built with `RUSTFLAGS="--cfg madsim"`).
//! `madsim_w w1|w2|w3|w4|w6 [scale]`; prints one JSON line (see `sandtable_peers`).
//!
//! Shape notes (see BENCHMARKS.md):
//! - madsim's UDP sleeps a random 0–4 µs before every send and after every receive
//!   (`NetSim::rand_delay`, not configurable), and every madsim sleep lasts at least 1 ms (as in
//!   tokio), so each `send_to` and each `recv_from` costs one timer firing and 1 ms of virtual time.
//!   The programs are the same as on Sandtable, so they take longer in virtual time: W1 about
//!   4.1 ms per round trip instead of 100 µs, and W4's sender, which awaits its 4 sends in a row,
//!   needs about 4 ms per tick, so W4 runs until every message has arrived (about 40 virtual s)
//!   instead of stopping at 10 s.
//! - The link latency is a half-open range, so the fixed 50 µs is `50 µs .. 50 µs + 1 ns`.
//! - The executor advances virtual time by 50–100 ns after every poll.
//! - `spawn` needs `Send` futures, so shared counters are atomics.
//! - W6: madsim's TCP is a reliable ordered channel per direction, one message per `flush` (a
//!   write only buffers, so every write is followed by a flush), each delivered after the link
//!   latency by a receiving stream that sleeps until the arrival time, and every madsim sleep
//!   lasts at least 1 ms: each one-way message costs 1 ms of virtual time instead of 50 µs.
//!   `connect` and `accept` take madsim's 0–4 µs random delay (so ≥ 1 ms each); the connection
//!   is set up at once, with no SYN on the link. There are no acks, no window, no segmenting;
//!   `set_nodelay` is a no-op.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use madsim::net::{NetSim, TcpListener, TcpStream, UdpSocket};
use madsim::rand::Rng;
use madsim::runtime::{Handle, Runtime};
use madsim::time::{self, Instant};
use sandtable_peers::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Units done, virtual time, extra fields.
type Done = (u64, Duration, Vec<(&'static str, String)>);

fn runtime(fixed_latency: bool) -> Runtime {
    let mut config = madsim::Config::default();
    if fixed_latency {
        // A half-open range: exactly 50 µs.
        config.net.send_latency = LATENCY..LATENCY + Duration::from_nanos(1);
    }
    Runtime::with_seed_and_config(SEED, config)
}

fn ip(i: u64) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, (i >> 8) as u8, (i & 0xff) as u8 + 1))
}

/// W1: node `a` sends 8 bytes to node `b`, `b` echoes, `round_trips` times in a row.
fn w1(round_trips: u64) -> Done {
    let rt = runtime(true);
    let (done, virt, sent) = rt.block_on(async move {
        let start = Instant::now();
        let handle = Handle::current();
        let server = SocketAddr::new(ip(1), 7000);
        handle
            .create_node()
            .name("b")
            .ip(ip(1))
            .init(|| async {
                let socket = UdpSocket::bind("0.0.0.0:7000").await.unwrap();
                let mut buf = [0u8; 8];
                loop {
                    let (n, from) = socket.recv_from(&mut buf).await.unwrap();
                    socket.send_to(from, &buf[..n]).await.unwrap();
                }
            })
            .build();
        let a = handle.create_node().name("a").ip(ip(0)).build();
        let done = a
            .spawn(async move {
                let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
                let mut buf = [0u8; 8];
                for i in 0..round_trips {
                    socket.send_to(server, &i.to_le_bytes()).await.unwrap();
                    let (n, _) = socket.recv_from(&mut buf).await.unwrap();
                    assert!(
                        n == 8 && u64::from_le_bytes(buf) == i,
                        "echo of round trip {i}"
                    );
                }
                round_trips
            })
            .await
            .unwrap();
        (done, start.elapsed(), NetSim::current().stat().msg_count)
    });
    drop(rt);
    assert_eq!(done, round_trips);
    assert_eq!(sent, 2 * round_trips, "every datagram went on the wire");
    // 100 µs of link latency per round trip, plus madsim's 4 send/recv delays of at least 1 ms
    // each and its 50–100 ns of virtual time per poll.
    let rt_time = LATENCY * 2 + Duration::from_millis(4);
    assert!(virt >= rt_time * round_trips as u32);
    assert!(virt <= (rt_time + Duration::from_micros(50)) * round_trips as u32);
    (done, virt, vec![("delivered", sent.to_string())])
}

/// W2: `tasks` tasks on one node, each sleeping `sleeps` times for a seeded 1–10 ms.
fn w2(tasks: u64, sleeps: u64) -> Done {
    let rt = runtime(false);
    let (woken, virt) = rt.block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                madsim::task::spawn(async move {
                    let mut woken = 0u64;
                    for _ in 0..sleeps {
                        let us = madsim::rand::thread_rng().gen_range(1_000u64..=10_000);
                        time::sleep(Duration::from_micros(us)).await;
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
        (woken, start.elapsed())
    });
    drop(rt);
    assert_eq!(woken, tasks * sleeps, "every sleep completed");
    assert!(virt >= Duration::from_millis(sleeps) && virt <= Duration::from_millis(10 * sleeps));
    (woken, virt, vec![])
}

/// W3: `tasks` trivial tasks spawned on one node, then every JoinHandle awaited.
fn w3(tasks: u64) -> Done {
    let rt = runtime(false);
    let (sum, virt) = rt.block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|i| madsim::task::spawn(async move { i }))
            .collect();
        let mut sum = 0u64;
        for h in handles {
            sum += h.await.unwrap();
        }
        (sum, start.elapsed())
    });
    drop(rt);
    assert_eq!(
        sum,
        tasks * (tasks - 1) / 2,
        "every task ran and returned its output"
    );
    (tasks, virt, vec![])
}

/// W4: `nodes` nodes; every 1 ms each sends 8 bytes to each other node, `ticks` times; 10 s run.
fn w4(nodes: u64, ticks: u64) -> Done {
    assert!(ticks <= 10_000);
    let rt = runtime(true);
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let (virt, sent) = rt.block_on(async move {
        let start = Instant::now();
        let handle = Handle::current();
        let mut keep = Vec::new();
        for i in 0..nodes {
            let received = counter.clone();
            let node = handle
                .create_node()
                .name(format!("n{i}"))
                .ip(ip(i))
                .init(move || {
                    let received = received.clone();
                    async move {
                        let socket = Arc::new(UdpSocket::bind("0.0.0.0:7000").await.unwrap());
                        let peers: Vec<SocketAddr> = (0..nodes)
                            .filter(|&j| j != i)
                            .map(|j| SocketAddr::new(ip(j), 7000))
                            .collect();
                        let tx = socket.clone();
                        madsim::task::spawn(async move {
                            let mut tick = time::interval(Duration::from_millis(1));
                            for _ in 0..ticks {
                                tick.tick().await;
                                for &peer in &peers {
                                    tx.send_to(peer, b"sandtabl").await.unwrap();
                                }
                            }
                        });
                        let mut buf = [0u8; 8];
                        loop {
                            socket.recv_from(&mut buf).await.unwrap();
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
                .build();
            keep.push(node);
        }
        // 10 virtual s as on Sandtable, then on until every message has arrived (see above).
        time::sleep(Duration::from_secs(10)).await;
        let expected = nodes * (nodes - 1) * ticks;
        while counter.load(Ordering::Relaxed) < expected {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "W4 did not finish in 60 s"
            );
            time::sleep(Duration::from_millis(1)).await;
        }
        (start.elapsed(), NetSim::current().stat().msg_count)
    });
    drop(rt);
    let expected = nodes * (nodes - 1) * ticks;
    assert_eq!(
        received.load(Ordering::Relaxed),
        expected,
        "every message was received"
    );
    assert_eq!(sent, expected);
    (expected, virt, vec![("delivered", expected.to_string())])
}

/// W6: node `a` connects over TCP to node `b`, then writes 8 bytes (the round trip's index),
/// which `b` reads and echoes, `round_trips` times in a row.
fn w6(round_trips: u64) -> Done {
    let rt = runtime(true);
    let (done, virt, sent) = rt.block_on(async move {
        let start = Instant::now();
        let handle = Handle::current();
        let server = SocketAddr::new(ip(1), 7000);
        handle
            .create_node()
            .name("b")
            .ip(ip(1))
            .init(|| async {
                let listener = TcpListener::bind("0.0.0.0:7000").await.unwrap();
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 8];
                // Until `a` is done and its stream dropped (madsim then reports EOF).
                while stream.read_exact(&mut buf).await.is_ok() {
                    stream.write_all(&buf).await.unwrap();
                    stream.flush().await.unwrap();
                }
            })
            .build();
        let a = handle.create_node().name("a").ip(ip(0)).build();
        let done = a
            .spawn(async move {
                let mut stream = TcpStream::connect(server).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buf = [0u8; 8];
                for i in 0..round_trips {
                    stream.write_all(&i.to_le_bytes()).await.unwrap();
                    stream.flush().await.unwrap();
                    stream.read_exact(&mut buf).await.unwrap();
                    assert_eq!(u64::from_le_bytes(buf), i, "echo of round trip {i}");
                }
                round_trips
            })
            .await
            .unwrap();
        (done, start.elapsed(), NetSim::current().stat().msg_count)
    });
    drop(rt);
    assert_eq!(done, round_trips);
    // The connect, then one message each way per round trip.
    assert_eq!(sent, 1 + 2 * round_trips, "every message went on the wire");
    // At least 1 ms per one-way message (the receiver's sleep until its arrival).
    // (and a few ms for connect and accept, and 50–100 ns per poll).
    assert!(virt >= Duration::from_millis(2) * round_trips as u32);
    assert!(virt <= Duration::from_micros(2_010) * round_trips as u32 + Duration::from_millis(10));
    (done, virt, vec![("delivered", sent.to_string())])
}

fn main() {
    let args = Args::parse();
    let base_rss_kb = status_kb("VmRSS:");
    let ((units, virt, extra), wall) = timed(|| match args.workload.as_str() {
        "w1" => w1(args.scaled(W1_ROUND_TRIPS)),
        "w2" => w2(args.scaled(W2_TASKS), W2_SLEEPS),
        "w3" => w3(args.scaled(W3_TASKS).max(2)),
        "w4" => w4(W4_NODES, args.scaled(W4_TICKS).min(W4_TICKS)),
        "w6" => w6(args.scaled(W6_ROUND_TRIPS)),
        other => panic!("unknown workload {other} (heartbeat is Sandtable only)"),
    });
    Report {
        tool: "madsim",
        workload: args.workload,
        units,
        virtual_ns: virt.as_nanos(),
        wall,
        base_rss_kb,
        extra,
    }
    .print();
}
