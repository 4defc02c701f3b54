//! `Sim::block_on_local`: a borrowed, non-`Send` future run as a node's task.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sandtable::prelude::*;

use crate::util::{counted, Counts};

#[test]
fn borrows_from_the_caller_and_returns_a_non_send_value() {
    let sim = Sim::new(1);
    let mut log = Vec::new();
    let shared = Rc::new(5);
    let out = sim
        .block_on_local("main", async {
            sleep(Duration::from_millis(3)).await;
            log.push(Instant::now());
            shared.clone()
        })
        .unwrap();
    assert!(Rc::ptr_eq(&out, &shared));
    assert_eq!(log.len(), 1);
    assert_eq!(sim.elapsed(), Duration::from_millis(3));
}

#[test]
fn reuses_the_node_and_its_spawned_tasks_live_on() {
    let sim = Sim::new(2);
    let ticks = Rc::new(Cell::new(0));
    let t = ticks.clone();
    let first = sim
        .block_on_local("rt", async move {
            spawn(async move {
                loop {
                    sleep(Duration::from_millis(1)).await;
                    t.set(t.get() + 1);
                }
            })
            .detach();
            sandtable::rand::random::<u64>()
        })
        .unwrap();
    let second = sim
        .block_on_local("rt", async {
            sleep(Duration::from_millis(10)).await;
            sandtable::rand::random::<u64>()
        })
        .unwrap();
    assert_ne!(first, second, "the second call continues the node's stream");
    // Ticks at 1..=10 ms; the one at 10 ms races the end of the second call.
    let ticks = ticks.get();
    assert!(
        (9..=10).contains(&ticks),
        "the first call's task ran during the second: {ticks}"
    );
    assert_eq!(sim.nodes().len(), 1, "one node for both calls");
}

#[test]
fn the_future_is_polled_and_dropped_exactly_once_per_step() {
    let sim = Sim::new(3);
    let counts = Counts::default();
    let v = sim
        .block_on_local("main", counted(&counts, async { 9 }))
        .unwrap();
    assert_eq!(v, 9);
    assert_eq!((counts.polls.get(), counts.drops.get()), (1, 1));
}

#[test]
fn a_deadlocked_future_is_an_error_and_dropped_before_returning() {
    let sim = Sim::new(4);
    let counts = Counts::default();
    let err = sim
        .block_on_local("main", counted(&counts, std::future::pending::<()>()))
        .unwrap_err();
    assert!(matches!(err, SimError::Deadlock { .. }), "{err}");
    assert_eq!(counts.drops.get(), 1, "the borrowed future is gone");
    // The proxy task left behind must not reach the dropped future: the simulation runs on.
    sim.block_on_local("main", async { sleep(Duration::from_millis(1)).await })
        .unwrap_err();
}

#[test]
fn a_panic_in_the_future_is_a_run_error_with_the_seed() {
    let sim = Sim::new(5);
    let err = sim
        .block_on_local("main", async { panic!("boom") })
        .unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert_eq!(err.seed(), 5);
}

#[test]
fn same_seed_same_fingerprint() {
    let run = |seed| {
        let sim = Sim::new(seed);
        let mut got = Vec::new();
        sim.block_on_local("a", async {
            for _ in 0..5 {
                let h = spawn(async { sandtable::rand::random_range(0..1000u32) });
                got.push(h.await.unwrap());
                yield_now().await;
            }
        })
        .unwrap();
        (got, sim.fingerprint())
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11).0, run(12).0, "the draws follow the seed");
}

#[test]
#[should_panic(expected = "is a server node")]
fn refuses_a_server_node() {
    let sim = Sim::new(6);
    sim.add_node("server", || async {});
    let _ = sim.block_on_local("server", async {});
}
