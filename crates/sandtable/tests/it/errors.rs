use std::time::Duration;

use sandtable::prelude::*;

#[test]
fn a_panicking_task_fails_the_run_with_seed_node_time_and_message() {
    let sim = Sim::new(1234);
    sim.add_node("bad", || async {
        sleep(Duration::from_millis(1500)).await;
        panic!("invariant broken: two leaders");
    });
    let err = sim.run_for(Duration::from_secs(10)).unwrap_err();
    match &err {
        SimError::Panic {
            seed,
            node,
            time,
            message,
            ..
        } => {
            assert_eq!(*seed, 1234);
            assert_eq!(node, "bad");
            assert_eq!(*time, Duration::from_millis(1500));
            assert_eq!(message, "invariant broken: two leaders");
        }
        other => panic!("expected a panic report, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("seed 1234") && text.contains("SANDTABLE_SEED=1234"),
        "{text}"
    );
    // The simulation stays failed: running again reports the same error.
    assert_eq!(sim.run_for(Duration::from_secs(1)).unwrap_err(), err);
}

#[test]
fn a_stall_is_reported_with_every_pending_task_and_where_it_was_spawned() {
    let sim = Sim::new(99);
    sim.add_node("server", || async {
        let s = UdpSocket::bind("0.0.0.0:1").await.unwrap();
        let mut buf = [0u8; 1];
        s.recv_from(&mut buf).await.unwrap();
    });
    let err = sim
        .block_on("client", async {
            let waiter = spawn(std::future::pending::<()>());
            waiter.await.unwrap();
        })
        .unwrap_err();
    let SimError::Deadlock { seed, pending, .. } = &err else {
        panic!("expected a deadlock, got {err:?}");
    };
    assert_eq!(*seed, 99);
    let nodes: Vec<&str> = pending.iter().map(|p| p.node.as_str()).collect();
    assert_eq!(nodes, ["client", "client", "server"]);
    assert!(
        pending.iter().all(|p| p.spawned_at.contains("errors.rs")),
        "{pending:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("deadlock") && text.contains("SANDTABLE_SEED=99"),
        "{text}"
    );
}

#[test]
fn a_task_that_never_lets_time_advance_is_a_livelock() {
    let sim = Sim::builder().seed(5).max_polls_per_instant(10_000).build();
    sim.add_node("spinner", || async {
        loop {
            yield_now().await;
        }
    });
    let err = sim.run_for(Duration::from_secs(1)).unwrap_err();
    assert!(
        matches!(
            err,
            SimError::Livelock {
                seed: 5,
                polls: 10_001,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("spinner"));
}

/// Two nodes that bounce a datagram back and forth without pause, forever (50 µs a hop).
fn bouncing(budget: Option<u64>) -> Sim {
    let mut builder = Sim::builder()
        .seed(6)
        .link(LinkConfig::default().latency(Duration::from_micros(50), Duration::from_micros(50)));
    if let Some(n) = budget {
        builder = builder.max_polls(n);
    }
    let sim = builder.build();
    for (me, peer) in [("a", "b"), ("b", "a")] {
        sim.add_node(me, move || async move {
            let socket = UdpSocket::bind(("0.0.0.0", 7000)).await.unwrap();
            if me == "a" {
                socket.send_to(b"ping", (peer, 7000)).await.unwrap();
            }
            let mut buf = [0u8; 8];
            loop {
                let (n, from) = socket.recv_from(&mut buf).await.unwrap();
                socket.send_to(&buf[..n], from).await.unwrap();
            }
        });
    }
    sim
}

#[test]
fn a_run_that_does_far_too_much_work_hits_the_poll_limit() {
    // Virtual time advances, so this is no livelock, but the run never ends: the budget stops
    // it with its seed.
    let err = bouncing(Some(20_000))
        .run_for(Duration::from_secs(3600))
        .unwrap_err();
    assert!(
        matches!(
            err,
            SimError::PollLimit {
                seed: 6,
                polls: 20_001,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("runaway") && text.contains("SANDTABLE_SEED=6"),
        "{text}"
    );
    // Without a budget the same nodes run on (and the budget is what stopped them).
    let sim = bouncing(None);
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert!(sim.polls() > 20_001, "{} polls", sim.polls());
}

#[test]
fn clients_that_never_finish_hit_the_time_limit() {
    let sim = Sim::builder()
        .seed(8)
        .time_limit(Duration::from_secs(60))
        .build();
    sim.add_node("ticker", || async {
        loop {
            sleep(Duration::from_secs(1)).await;
        }
    });
    sim.client("waiter", std::future::pending::<()>());
    let err = sim.run().unwrap_err();
    assert!(
        matches!(err, SimError::TimeLimit { seed: 8, .. }),
        "{err:?}"
    );
}

#[test]
fn seeds_parse_from_decimal_and_hex() {
    assert_eq!(sandtable::parse_seed("42"), Some(42));
    assert_eq!(sandtable::parse_seed("0x2A"), Some(42));
    assert_eq!(sandtable::parse_seed("forty"), None);
}

#[test]
fn run_without_clients_goes_until_quiet_or_reports_the_time_limit() {
    let sim = Sim::new(3);
    sim.add_node("once", || async {
        sleep(Duration::from_secs(5)).await;
    });
    sim.run().unwrap();
    assert_eq!(sim.elapsed(), Duration::from_secs(5));

    let forever = Sim::builder()
        .seed(3)
        .time_limit(Duration::from_secs(30))
        .build();
    forever.add_node("ticker", || async {
        loop {
            sleep(Duration::from_secs(1)).await;
        }
    });
    let err = forever.run().unwrap_err();
    assert!(err.to_string().contains("use `run_for`"), "{err}");
}

struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("destructor of a crashed task panicked");
    }
}

#[test]
fn a_panic_in_a_destructor_at_crash_fails_the_run_instead_of_aborting() {
    let sim = Sim::new(77);
    let node = sim.add_node("fragile", || async {
        let _bomb = PanicsOnDrop;
        std::future::pending::<()>().await;
    });
    sim.add_node("other", || async {
        loop {
            sleep(Duration::from_secs(1)).await;
        }
    });
    sim.run_for(Duration::from_secs(1)).unwrap();
    sim.crash(node);
    let err = sim.run_for(Duration::from_secs(1)).unwrap_err();
    match &err {
        SimError::Panic {
            seed,
            node,
            message,
            ..
        } => {
            assert_eq!((*seed, node.as_str()), (77, "fragile"));
            assert_eq!(message, "destructor of a crashed task panicked");
        }
        other => panic!("expected a panic report, got {other:?}"),
    }
}
