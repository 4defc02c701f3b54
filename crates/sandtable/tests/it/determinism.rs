use std::time::Duration;

use sandtable::prelude::*;
use sandtable::{first_divergence, rand};

/// Five nodes gossip to random peers after random delays over a lossy, duplicating, jittery
/// network, with a partition and a crash in the middle: lots of seeded choices.
fn gossip(seed: u64, record: bool) -> Sim {
    let sim = Sim::builder()
        .seed(seed)
        .record_events(record)
        .link(LinkConfig::default().loss(0.05).duplicate(0.05))
        .build();
    let names: Vec<String> = (0..5).map(|i| format!("n{i}")).collect();
    for name in &names {
        let peers = names.clone();
        sim.add_node(name.clone(), move || {
            let peers = peers.clone();
            async move {
                let s = std::rc::Rc::new(UdpSocket::bind("0.0.0.0:9").await.unwrap());
                let rx = s.clone();
                spawn(async move {
                    let mut buf = [0u8; 8];
                    while rx.recv_from(&mut buf).await.is_ok() {}
                })
                .detach();
                loop {
                    sleep(Duration::from_micros(rand::random_range(100..5_000))).await;
                    let to = &peers[rand::random_range(0..peers.len())];
                    s.send_to(&rand::random::<u64>().to_le_bytes(), (to.as_str(), 9))
                        .await
                        .unwrap();
                }
            }
        });
    }
    let h = sim.handle();
    let (n1, n2) = (sim.lookup("n1").unwrap(), sim.lookup("n2").unwrap());
    sim.schedule(Duration::from_millis(300), move |h| {
        h.net().partition(&[n1], &[n2])
    });
    sim.schedule(Duration::from_millis(500), move |h| h.restart(n2));
    sim.schedule(Duration::from_millis(700), move |h| h.net().heal_all());
    drop(h);
    sim.run_for(Duration::from_secs(1)).unwrap();
    sim
}

#[test]
fn same_seed_same_fingerprint_in_one_process() {
    let a = gossip(77, false);
    let b = gossip(77, false);
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_eq!(a.event_count(), b.event_count());
    assert!(a.event_count() > 1_000, "the workload makes many decisions");
    assert_eq!(a.net().stats(), b.net().stats());
}

/// The fingerprint must cover every delivery, drop and poll, not just some of the run: each
/// one is an event of the log, as many as the counters say happened.
#[test]
fn every_delivery_drop_and_poll_is_in_the_fingerprint() {
    use sandtable::EventKind;
    let sim = gossip(5, true);
    let log = sim.take_event_log().expect("recorded");
    let count = |kind| log.iter().filter(|e| e.kind == kind).count() as u64;
    let stats = sim.net().stats();
    assert!(stats.delivered > 100 && stats.dropped() > 10, "{stats:?}");
    assert_eq!(count(EventKind::Deliver), stats.delivered);
    assert_eq!(count(EventKind::Drop), stats.dropped());
    assert_eq!(count(EventKind::Poll), sim.polls());
    assert!(count(EventKind::Send) > 0 && count(EventKind::Timer) > 0);
    assert_eq!(log.len() as u64, sim.event_count());
}

#[test]
fn different_seeds_give_different_fingerprints() {
    let fps: std::collections::BTreeSet<u64> =
        (0..10).map(|s| gossip(s, false).fingerprint()).collect();
    assert_eq!(fps.len(), 10);
}

/// Run by the parent test in a child process; prints the fingerprint of seed 77.
#[test]
fn child_prints_fingerprint() {
    if std::env::var("SANDTABLE_FP_CHILD").is_ok() {
        println!("FINGERPRINT={:016x}", gossip(77, false).fingerprint());
    }
}

#[test]
fn same_seed_same_fingerprint_across_processes() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "determinism::child_prints_fingerprint",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SANDTABLE_FP_CHILD", "1")
        .output()
        .expect("the test binary can run itself");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let child = stdout
        .lines()
        .find_map(|l| l.split("FINGERPRINT=").nth(1))
        .map(|s| &s[..16])
        .unwrap_or_else(|| panic!("child printed no fingerprint:\n{stdout}"));
    assert_eq!(child, format!("{:016x}", gossip(77, false).fingerprint()));
}

#[test]
fn event_logs_locate_the_first_divergence() {
    let a = gossip(5, true).take_event_log().unwrap();
    let b = gossip(5, true).take_event_log().unwrap();
    assert_eq!(first_divergence(&a, &b), None);
    let c = gossip(6, true).take_event_log().unwrap();
    let d = first_divergence(&a, &c).expect("different seeds diverge");
    assert!(d.index < a.len().min(c.len()));
    assert_eq!(a[..d.index], c[..d.index]);
    assert!(d.to_string().contains("runs diverge at event #"));
}

#[test]
fn adding_a_node_does_not_reshuffle_another_nodes_randomness() {
    let draws = |extra: bool| {
        let sim = Sim::new(3);
        if extra {
            sim.add_node("zzz", || async {
                let _: u64 = rand::random();
            });
        }
        sim.block_on("main", async {
            (0..4).map(|_| rand::random::<u32>()).collect::<Vec<_>>()
        })
        .unwrap()
    };
    assert_eq!(draws(false), draws(true));
}

#[test]
fn code_inside_with_rng_may_use_the_runtime() {
    // The node's stream is lent out while the closure runs: spawning, reading the clock or
    // binding a socket from inside it does not trip over a held borrow.
    let sim = Sim::new(3);
    let (draw, spawned) = sim
        .block_on("main", async {
            let (draw, handle) = sandtable::rand::with_rng(|r| {
                let draw = ::rand::RngCore::next_u32(r);
                let _now = Instant::now();
                (draw, spawn(async { 5 }))
            });
            (draw, handle.await.unwrap())
        })
        .unwrap();
    assert_eq!(spawned, 5);
    // Same seed, same draw.
    let again = Sim::new(3)
        .block_on("main", async {
            sandtable::rand::with_rng(::rand::RngCore::next_u32)
        })
        .unwrap();
    assert_eq!(draw, again);
}
