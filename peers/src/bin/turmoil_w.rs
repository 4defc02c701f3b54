//! The side-by-side workloads on turmoil (each host a tokio current-thread runtime with paused
//! time, stepped in fixed ticks). `turmoil_w w1|w2|w3|w4 [scale]`; prints one JSON line (see
//! `sandtable_peers`).
//!
//! Shape notes (see BENCHMARKS.md): turmoil advances every host by a fixed tick per step, so the
//! 50 µs link of W1 is run with a 50 µs tick (a message is delivered at the first step at or after
//! its due time), W2–W4 with turmoil's default 1 ms tick; tokio timers have 1 ms resolution, so the
//! µs-resolution sleeps of W2 end on the next whole ms. W4 steps past 10 s until the last tick's
//! messages are in (a datagram sent in one step is delivered in a later one). Tasks are `tokio::task::spawn_local` on
//! the host's `LocalSet`; turmoil has no per-host RNG for user code, so W2 draws its sleeps from a
//! `SmallRng` per task seeded from the run's seed.
//!
//! W6 runs with W1's 50 µs link and tick. turmoil's TCP sends the SYN over the link but answers
//! it outside the network (a oneshot completed on `accept`); every write is one data segment on
//! the link; there are no acks on the wire (the send window is a local credit count) and
//! `set_nodelay` has no effect.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sandtable_peers::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use turmoil::net::{TcpListener, TcpStream, UdpSocket};
use turmoil::{Builder, Sim};

/// Units done, virtual time, extra fields.
type Done = (u64, Duration, Vec<(&'static str, String)>);

fn builder(tick: Duration, latency: Duration) -> Builder {
    let mut b = Builder::new();
    b.rng_seed(SEED)
        .tick_duration(tick)
        .min_message_latency(latency)
        .max_message_latency(latency)
        .simulation_duration(Duration::from_secs(24 * 3600));
    b
}

/// W1: node `a` sends 8 bytes to node `b`, `b` echoes, `round_trips` times in a row.
fn w1(round_trips: u64) -> Done {
    let mut sim: Sim = builder(LATENCY, LATENCY).build();
    let echoed = Rc::new(Cell::new(0u64));
    let e = echoed.clone();
    sim.host("b", move || {
        let echoed = e.clone();
        async move {
            let socket = UdpSocket::bind("0.0.0.0:7000").await?;
            let mut buf = [0u8; 8];
            loop {
                let (n, from) = socket.recv_from(&mut buf).await?;
                socket.send_to(&buf[..n], from).await?;
                echoed.set(echoed.get() + 1);
            }
        }
    });
    let done = Rc::new(Cell::new(0u64));
    let d = done.clone();
    sim.client("a", async move {
        let socket = UdpSocket::bind("0.0.0.0:0").await?;
        let server = SocketAddr::new(turmoil::lookup("b"), 7000);
        let mut buf = [0u8; 8];
        for i in 0..round_trips {
            socket.send_to(&i.to_le_bytes(), server).await?;
            let (n, _) = socket.recv_from(&mut buf).await?;
            assert!(
                n == 8 && u64::from_le_bytes(buf) == i,
                "echo of round trip {i}"
            );
            d.set(d.get() + 1);
        }
        Ok(())
    });
    sim.run().unwrap();
    let virt = sim.elapsed();
    drop(sim);
    assert_eq!(done.get(), round_trips);
    assert_eq!(
        echoed.get(),
        round_trips,
        "the server echoed every datagram"
    );
    assert!(virt >= LATENCY * 2 * round_trips as u32);
    (
        done.get(),
        virt,
        vec![("delivered", (2 * round_trips).to_string())],
    )
}

/// W2: `tasks` tasks on one node, each sleeping `sleeps` times for a seeded 1–10 ms.
fn w2(tasks: u64, sleeps: u64) -> Done {
    let mut sim: Sim = builder(Duration::from_millis(1), LATENCY).build();
    let woken = Rc::new(Cell::new(0u64));
    let w = woken.clone();
    sim.client("w2", async move {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                tokio::task::spawn_local(async move {
                    let mut rng = SmallRng::seed_from_u64(SEED ^ t);
                    let mut woken = 0u64;
                    for _ in 0..sleeps {
                        let us = rng.random_range(1_000u64..=10_000);
                        tokio::time::sleep(Duration::from_micros(us)).await;
                        woken += 1;
                    }
                    woken
                })
            })
            .collect();
        for h in handles {
            w.set(w.get() + h.await.unwrap());
        }
        Ok(())
    });
    sim.run().unwrap();
    let virt = sim.elapsed();
    drop(sim);
    assert_eq!(woken.get(), tasks * sleeps, "every sleep completed");
    // Sleeps end on whole ms in tokio (at most 1 ms late each) and the run ends on a tick.
    assert!(virt >= Duration::from_millis(sleeps));
    assert!(virt <= Duration::from_millis(11 * sleeps + 2));
    (woken.get(), virt, vec![])
}

/// W3: `tasks` trivial tasks spawned on one node, then every JoinHandle awaited.
fn w3(tasks: u64) -> Done {
    let mut sim: Sim = builder(Duration::from_millis(1), LATENCY).build();
    let sum = Rc::new(Cell::new(0u64));
    let s = sum.clone();
    sim.client("w3", async move {
        let handles: Vec<_> = (0..tasks)
            .map(|i| tokio::task::spawn_local(async move { i }))
            .collect();
        for h in handles {
            s.set(s.get() + h.await.unwrap());
        }
        Ok(())
    });
    sim.run().unwrap();
    let virt = sim.elapsed();
    drop(sim);
    assert_eq!(
        sum.get(),
        tasks * (tasks - 1) / 2,
        "every task ran and returned its output"
    );
    (tasks, virt, vec![])
}

/// W4: `nodes` nodes; every 1 ms each sends 8 bytes to each other node, `ticks` times; 10 s run.
fn w4(nodes: u64, ticks: u64) -> Done {
    assert!(ticks <= 10_000);
    let mut sim: Sim = builder(Duration::from_millis(1), LATENCY).build();
    let received = Rc::new(Cell::new(0u64));
    for i in 0..nodes {
        let received = received.clone();
        sim.host(format!("n{i}"), move || {
            let received = received.clone();
            async move {
                let socket = Rc::new(UdpSocket::bind("0.0.0.0:7000").await?);
                let peers: Vec<SocketAddr> = (0..nodes)
                    .filter(|&j| j != i)
                    .map(|j| SocketAddr::new(turmoil::lookup(format!("n{j}")), 7000))
                    .collect();
                let tx = socket.clone();
                tokio::task::spawn_local(async move {
                    let mut tick = tokio::time::interval(Duration::from_millis(1));
                    for _ in 0..ticks {
                        tick.tick().await;
                        for &peer in &peers {
                            tx.send_to(b"sandtabl", peer).await.unwrap();
                        }
                    }
                });
                let mut buf = [0u8; 8];
                loop {
                    socket.recv_from(&mut buf).await?;
                    received.set(received.get() + 1);
                }
            }
        });
    }
    // No client: step the hosts for 10 virtual s (turmoil's `run` returns at once without one).
    // A datagram sent in one step is delivered in a later one, so the last tick's messages need a
    // step past 10 s: step on until they are in (at most a few ticks).
    let expected = nodes * (nodes - 1) * ticks;
    while sim.elapsed() < Duration::from_secs(10) || received.get() < expected {
        assert!(
            sim.elapsed() < Duration::from_millis(10_010),
            "W4 did not finish"
        );
        sim.step().unwrap();
    }
    let virt = sim.elapsed();
    drop(sim);
    assert_eq!(received.get(), expected, "every message was received");
    (expected, virt, vec![("delivered", expected.to_string())])
}

/// W6: node `a` connects over TCP to node `b`, then writes 8 bytes (the round trip's index),
/// which `b` reads and echoes, `round_trips` times in a row.
fn w6(round_trips: u64) -> Done {
    let mut sim: Sim = builder(LATENCY, LATENCY).build();
    let echoed = Rc::new(Cell::new(0u64));
    let e = echoed.clone();
    sim.host("b", move || {
        let echoed = e.clone();
        async move {
            let listener = TcpListener::bind("0.0.0.0:7000").await?;
            let (mut stream, _) = listener.accept().await?;
            let mut buf = [0u8; 8];
            // Until `a` is done and its stream dropped.
            while stream.read_exact(&mut buf).await.is_ok() {
                stream.write_all(&buf).await?;
                echoed.set(echoed.get() + 1);
            }
            Ok(())
        }
    });
    let done = Rc::new(Cell::new(0u64));
    let d = done.clone();
    sim.client("a", async move {
        let mut stream = TcpStream::connect(("b", 7000)).await?;
        stream.set_nodelay(true)?;
        let mut buf = [0u8; 8];
        for i in 0..round_trips {
            stream.write_all(&i.to_le_bytes()).await?;
            stream.read_exact(&mut buf).await?;
            assert_eq!(u64::from_le_bytes(buf), i, "echo of round trip {i}");
            d.set(d.get() + 1);
        }
        Ok(())
    });
    sim.run().unwrap();
    let virt = sim.elapsed();
    drop(sim);
    assert_eq!(done.get(), round_trips);
    assert_eq!(echoed.get(), round_trips, "the server echoed every message");
    assert!(virt >= LATENCY * 2 * round_trips as u32);
    (
        done.get(),
        virt,
        vec![("delivered", (1 + 2 * round_trips).to_string())],
    )
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
        tool: "turmoil",
        workload: args.workload,
        units,
        virtual_ns: virt.as_nanos(),
        wall,
        base_rss_kb,
        extra,
    }
    .print();
}
