//! Quick start: three nodes ping each other over a lossy network while one of them is cut off
//! by a partition that later heals. Prints what happened, the message counters, and the run's
//! fingerprint; run it twice with the same seed and the fingerprint is the same.
//!
//! ```text
//! cargo run --example quickstart                 # seed 1
//! SANDTABLE_SEED=7 cargo run --example quickstart
//! RUST_LOG=debug cargo run --example quickstart  # every event, stamped with virtual time and node
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use sandtable::prelude::*;
use sandtable::time::timeout;
use serde::{Deserialize, Serialize};

const PORT: u16 = 7000;
const NODES: [&str; 3] = ["n0", "n1", "n2"];

#[derive(Serialize, Deserialize, Debug)]
enum Msg {
    Ping { seq: u64 },
    Pong { seq: u64 },
}

/// Round trips completed per (from, to), and virtual time of the last one.
type Log = Rc<RefCell<BTreeMap<(String, String), (u64, Duration)>>>;

/// Each node answers pings and, every 100 ms, pings one peer and waits up to 50 ms for the pong.
async fn node(me: &'static str, log: Log) {
    let ep = Rc::new(
        Endpoint::<Msg>::bind(format!("0.0.0.0:{PORT}"))
            .await
            .unwrap(),
    );
    // Pongs are routed to the waiting pinger through a oneshot channel per sequence number.
    let waiting = Rc::new(RefCell::new(BTreeMap::<u64, oneshot::Sender<()>>::new()));
    let (rx, w) = (ep.clone(), waiting.clone());
    spawn(async move {
        loop {
            match rx.recv().await {
                Ok((Msg::Ping { seq }, from)) => rx.send(from, &Msg::Pong { seq }).await.unwrap(),
                Ok((Msg::Pong { seq }, _)) => {
                    if let Some(tx) = w.borrow_mut().remove(&seq) {
                        let _ = tx.send(());
                    }
                }
                Err(e) => tracing::warn!("bad message: {e}"),
            }
        }
    })
    .detach();
    let mut seq = 0;
    let mut tick = time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        seq += 1;
        let peers: Vec<_> = NODES.iter().filter(|n| **n != me).collect();
        let peer = *peers[sandtable::rand::random_range(0..peers.len())];
        let (tx, pong) = oneshot::channel();
        waiting.borrow_mut().insert(seq, tx);
        ep.send((peer, PORT), &Msg::Ping { seq }).await.unwrap();
        let got = timeout(Duration::from_millis(50), pong).await;
        waiting.borrow_mut().remove(&seq);
        match got {
            Ok(Ok(())) => {
                tracing::debug!(peer, seq, "pong");
                let now = Handle::current().elapsed();
                let mut log = log.borrow_mut();
                let e = log.entry((me.to_string(), peer.to_string())).or_default();
                *e = (e.0 + 1, now);
            }
            _ => tracing::debug!(peer, seq, "no pong within 50 ms"),
        }
    }
}

fn main() {
    sandtable::trace::init();
    let config = Config::from_env().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let seed = if std::env::var("SANDTABLE_SEED").is_ok() {
        config.seed
    } else {
        1
    };
    let sim = Sim::builder()
        .seed(seed)
        .link(
            LinkConfig::default()
                .latency(Duration::from_millis(1), Duration::from_millis(10))
                .loss(0.1),
        )
        .build();
    let log: Log = Rc::default();
    let ids: Vec<NodeId> = NODES
        .iter()
        .map(|&name| {
            let log = log.clone();
            sim.add_node(name, move || node(name, log.clone()))
        })
        .collect();

    // Faults: n2 is cut off from 2 s to 5 s, and n1 crashes at 6 s and restarts at 7 s.
    let (n0, n1, n2) = (ids[0], ids[1], ids[2]);
    sim.schedule(Duration::from_secs(2), move |h| {
        h.net().partition(&[n2], &[n0, n1])
    });
    sim.schedule(Duration::from_secs(5), |h| h.net().heal_all());
    sim.schedule(Duration::from_secs(6), move |h| h.crash(n1));
    sim.schedule(Duration::from_secs(7), move |h| h.restart(n1));

    let started = std::time::Instant::now();
    if let Err(e) = sim.run_for(Duration::from_secs(10)) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    let wall = started.elapsed();

    println!(
        "seed {seed}: 10 s of virtual time in {:.1} ms of wall time",
        wall.as_secs_f64() * 1e3
    );
    println!("\nround trips completed (from -> to: count, last at):");
    for ((from, to), (count, last)) in log.borrow().iter() {
        println!("  {from} -> {to}: {count:4}, last at {last:?}");
    }
    let s = sim.net().stats();
    println!(
        "\nmessages: sent {}, delivered {}, duplicated {}, dropped {} (loss {}, partition {}, crash {}, unbound {})",
        s.sent, s.delivered, s.duplicated, s.dropped(), s.dropped_loss, s.dropped_partition, s.dropped_crash, s.dropped_unbound
    );
    println!(
        "fingerprint {:016x} over {} events",
        sim.fingerprint(),
        sim.event_count()
    );

    // The check: after the partition heals and n1 restarts, every node reaches every peer again.
    let healed_after = Duration::from_secs(7);
    let stale: Vec<String> = NODES
        .iter()
        .flat_map(|a| {
            NODES
                .iter()
                .filter(move |b| *b != a)
                .map(move |b| (a.to_string(), b.to_string()))
        })
        .filter(|k| {
            log.borrow()
                .get(k)
                .is_none_or(|(_, last)| *last < healed_after)
        })
        .map(|(a, b)| format!("{a}->{b}"))
        .collect();
    if stale.is_empty() {
        println!("check passed: every pair completed a round trip after the faults healed");
    } else {
        eprintln!("check FAILED (seed {seed}): no round trip after healing on {stale:?}");
        eprintln!("rerun: SANDTABLE_SEED={seed} cargo run --example quickstart");
        std::process::exit(1);
    }
}
