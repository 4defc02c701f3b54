use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use sandtable::prelude::*;
use sandtable::task::JoinError;

use crate::util::{counted, Counts};

#[test]
fn ready_future_is_polled_once_and_dropped_once() {
    let sim = Sim::new(1);
    let counts = Counts::default();
    let c = counts.clone();
    let v = sim
        .block_on("main", async move { counted(&c, async { 7 }).await })
        .unwrap();
    assert_eq!(v, 7);
    assert_eq!(counts.polls.get(), 1);
    assert_eq!(counts.drops.get(), 1);
}

#[test]
fn yield_now_costs_exactly_one_extra_poll() {
    let sim = Sim::new(1);
    let counts = Counts::default();
    let c = counts.clone();
    sim.block_on("main", async move {
        counted(&c, async {
            yield_now().await;
            yield_now().await;
        })
        .await
    })
    .unwrap();
    assert_eq!(counts.polls.get(), 3);
    assert_eq!(counts.drops.get(), 1);
}

#[test]
fn sleep_wakes_exactly_once() {
    let sim = Sim::new(1);
    let counts = Counts::default();
    let c = counts.clone();
    sim.block_on("main", async move {
        counted(&c, sleep(Duration::from_secs(5))).await
    })
    .unwrap();
    assert_eq!(
        counts.polls.get(),
        2,
        "one poll registers the timer, one completes"
    );
    assert_eq!(sim.elapsed(), Duration::from_secs(5));
}

#[test]
fn spawned_tasks_join_with_their_outputs() {
    let sim = Sim::new(3);
    let sum = sim
        .block_on("main", async {
            let handles: Vec<_> = (0..100u64).map(|i| spawn(async move { i * 2 })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        })
        .unwrap();
    assert_eq!(sum, 9900);
}

#[test]
fn abort_drops_the_future_and_join_reports_cancelled() {
    let sim = Sim::new(3);
    let counts = Counts::default();
    let c = counts.clone();
    let result = sim
        .block_on("main", async move {
            let mut h = spawn(counted(&c, sleep(Duration::from_secs(10))));
            sleep(Duration::from_secs(1)).await;
            h.abort();
            h.await
        })
        .unwrap();
    assert_eq!(result, Err(JoinError::Cancelled));
    assert_eq!(counts.polls.get(), 1);
    assert_eq!(counts.drops.get(), 1);
    assert_eq!(sim.elapsed(), Duration::from_secs(1));
}

#[test]
fn dropping_a_join_handle_detaches() {
    let sim = Sim::new(3);
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    sim.block_on("main", async move {
        drop(spawn(async move {
            sleep(Duration::from_millis(5)).await;
            d.set(true);
        }));
        sleep(Duration::from_millis(10)).await;
    })
    .unwrap();
    assert!(done.get());
}

fn interleaving(sim: Sim) -> Vec<u32> {
    let order = Rc::new(RefCell::new(Vec::new()));
    let o = order.clone();
    sim.block_on("main", async move {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                let o = o.clone();
                spawn(async move {
                    for _ in 0..3 {
                        o.borrow_mut().push(i);
                        yield_now().await;
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    })
    .unwrap();
    let v = order.borrow().clone();
    v
}

#[test]
fn fifo_scheduling_round_robins_in_spawn_order() {
    let order = interleaving(Sim::builder().fifo().build());
    let expected: Vec<u32> = (0..3).flat_map(|_| 0..8).collect();
    assert_eq!(order, expected);
}

#[test]
fn random_scheduling_explores_and_is_seeded() {
    let a = interleaving(Sim::new(11));
    let b = interleaving(Sim::new(11));
    assert_eq!(a, b, "same seed, same interleaving");
    let distinct: std::collections::BTreeSet<Vec<u32>> =
        (0..20).map(|s| interleaving(Sim::new(s))).collect();
    assert!(
        distinct.len() > 10,
        "different seeds explore different interleavings, got {}",
        distinct.len()
    );
}

#[test]
fn dropping_the_sim_drops_pending_tasks() {
    let counts = Counts::default();
    {
        let sim = Sim::new(1);
        let c = counts.clone();
        let node = sim.add_node("n", move || {
            let c = c.clone();
            async move { counted(&c, std::future::pending::<()>()).await }
        });
        sim.run_for(Duration::from_secs(1)).unwrap();
        assert_eq!(sim.state(node), NodeState::Running);
        assert_eq!(counts.drops.get(), 0);
    }
    assert_eq!(counts.polls.get(), 1);
    assert_eq!(counts.drops.get(), 1);
}

#[test]
fn a_waker_called_from_another_thread_still_schedules_the_task() {
    let sim = Sim::new(1);
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let client = sim.client("c", async move { rx.await.unwrap() });
    sim.run_for(Duration::from_millis(1)).unwrap();
    assert_eq!(client.output(), None);
    std::thread::spawn(move || tx.send(5).unwrap())
        .join()
        .unwrap();
    sim.run().unwrap();
    assert_eq!(client.output(), Some(5));
}

#[test]
fn a_task_woken_from_another_thread_is_still_dropped_on_the_simulator_thread() {
    struct Probe(Rc<Cell<Option<std::thread::ThreadId>>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            self.0.set(Some(std::thread::current().id()));
        }
    }
    let dropped_on = Rc::new(Cell::new(None));
    let (tx, rx) = std::sync::mpsc::channel::<std::task::Waker>();
    let sim = Sim::new(1);
    let probe = Probe(dropped_on.clone());
    sim.client("c", async move {
        let _probe = probe; // not `Send`: must never be dropped on another thread
        std::future::poll_fn(|cx| {
            tx.send(cx.waker().clone()).unwrap();
            std::task::Poll::<()>::Pending
        })
        .await
    });
    sim.run_for(Duration::from_millis(1)).unwrap();
    let waker = rx.recv().unwrap();
    // Woken from another thread: the runnable waits in the queue's remote list when the
    // simulation is dropped.
    let waker = std::thread::spawn(move || {
        waker.wake_by_ref();
        waker
    })
    .join()
    .unwrap();
    drop(sim);
    assert_eq!(dropped_on.get(), Some(std::thread::current().id()));
    // After shutdown a wake from another thread does nothing (the task was cancelled).
    std::thread::spawn(move || waker.wake()).join().unwrap();
}

#[test]
fn a_scheduling_window_of_one_is_fifo_and_wider_windows_shuffle() {
    let fifo = interleaving(Sim::builder().fifo().build());
    assert_eq!(
        interleaving(Sim::builder().seed(4).schedule_window(1).build()),
        fifo
    );
    assert_ne!(
        interleaving(Sim::builder().seed(4).schedule_window(3).build()),
        fifo
    );
}

#[test]
fn dropping_the_sim_frees_closures_that_hold_its_handle() {
    let freed = Rc::new(Cell::new(false));
    {
        let sim = Sim::new(1);
        let handle = sim.handle();
        let flag = crate::util::DropFlag(freed.clone());
        sim.add_node("n", move || {
            let _keep = (&handle, &flag);
            async {}
        });
        sim.register_target(
            "t",
            std::rc::Rc::new({
                let h = sim.handle();
                move |_| h.nodes()
            }),
        );
        sim.run_for(Duration::from_secs(1)).unwrap();
    }
    assert!(
        freed.get(),
        "the init closure (holding a Handle) was dropped with the Sim"
    );
}

#[test]
fn a_join_handle_is_two_words() {
    // W3 keeps a million of them: the size is part of the memory budget (BENCHMARKS.md).
    assert_eq!(
        std::mem::size_of::<sandtable::task::JoinHandle<u64>>(),
        2 * std::mem::size_of::<usize>()
    );
}

#[test]
fn spawn_blocking_runs_the_closure_as_a_task_of_the_node() {
    let sim = Sim::new(2);
    let (value, node) = sim
        .block_on("main", async {
            let handle =
                sandtable::task::spawn_blocking(|| (21 * 2, Handle::current().current_node()));
            handle.await.unwrap()
        })
        .unwrap();
    assert_eq!(value, 42);
    assert_eq!(node, sim.lookup("main"), "it ran on the spawning node");
}

#[test]
fn with_task_panics_to_joiner_a_panic_ends_only_its_task() {
    let sim = Sim::builder().seed(3).task_panics_to_joiner(true).build();
    let (err, after) = sim
        .block_on("main", async {
            let bad = spawn(async {
                sleep(std::time::Duration::from_millis(5)).await;
                panic!("boom at {}", 5);
            });
            let good = spawn(async { 7 });
            let err = bad.await.unwrap_err();
            (err, good.await.unwrap())
        })
        .unwrap();
    assert!(err.is_panic() && !err.is_cancelled(), "{err:?}");
    assert_eq!(err, JoinError::Panic("boom at 5".to_string()));
    assert_eq!(after, 7, "the run went on");
}

#[test]
fn by_default_a_joined_task_that_panics_still_fails_the_run() {
    let sim = Sim::new(3);
    let err = sim
        .block_on("main", async { spawn(async { panic!("boom") }).await })
        .unwrap_err();
    assert!(
        matches!(err, SimError::Panic { ref message, .. } if message == "boom"),
        "{err}"
    );
}
