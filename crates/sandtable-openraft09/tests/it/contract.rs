//! One behaviour of the runtime per test, each in a fresh simulation.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use openraft::async_runtime::AsyncOneshotSendExt;
use openraft::{AsyncRuntime, Instant};
use rand_08::Rng;
use sandtable::Sim;
use sandtable_openraft09::{SimInstant, SimRuntime};

type Rt = SimRuntime;

fn on_node<T>(seed: u64, f: impl std::future::Future<Output = T>) -> T {
    Sim::new(seed)
        .block_on_local("n0", f)
        .expect("the run succeeds")
}

#[test]
fn a_spawned_task_runs_on_the_node_and_its_output_is_joined() {
    let out = on_node(1, async {
        let h = Rt::spawn(async { 40 + 2 });
        h.await
    });
    assert_eq!(out, Ok(42));
}

#[test]
fn an_aborted_task_is_dropped_and_its_joiner_sees_cancelled() {
    on_node(1, async {
        let ran = Rc::new(Cell::new(false));
        let flag = ran.clone();
        let mut h = sandtable::task::spawn_local(async move {
            Rt::sleep(Duration::from_secs(1)).await;
            flag.set(true);
        });
        h.abort();
        let err = h.await.expect_err("aborted");
        assert!(err.is_cancelled());
        assert!(!Rt::is_panic(&err));
        Rt::sleep(Duration::from_secs(2)).await;
        assert!(!ran.get(), "the aborted future never resumed");
    });
}

#[test]
fn a_panic_reaches_the_joiner_when_the_sim_allows_it() {
    let sim = Sim::builder().seed(1).task_panics_to_joiner(true).build();
    let err = sim
        .block_on_local("n0", async {
            Rt::spawn(async {
                panic!("boom");
            })
            .await
        })
        .expect("the run succeeds")
        .expect_err("the task panicked");
    assert!(Rt::is_panic(&err), "{err}");
}

#[test]
fn sleep_and_sleep_until_advance_virtual_time_exactly() {
    on_node(1, async {
        let t0 = SimInstant::now();
        Rt::sleep(Duration::from_millis(1500)).await;
        assert_eq!(t0.elapsed(), Duration::from_millis(1500));
        Rt::sleep_until(t0 + Duration::from_secs(10)).await;
        assert_eq!(SimInstant::now() - t0, Duration::from_secs(10));
        // A deadline in the past is ready at once.
        Rt::sleep_until(t0).await;
        assert_eq!(t0.elapsed(), Duration::from_secs(10));
    });
}

#[test]
fn timeout_passes_a_fast_future_and_cuts_a_slow_one() {
    on_node(1, async {
        let t0 = SimInstant::now();
        let fast = Rt::timeout(Duration::from_secs(1), async {
            Rt::sleep(Duration::from_millis(10)).await;
            7
        });
        assert_eq!(fast.await.ok(), Some(7));
        assert_eq!(t0.elapsed(), Duration::from_millis(10));
        let slow = Rt::timeout(Duration::from_secs(1), Rt::sleep(Duration::from_secs(5)));
        assert!(slow.await.is_err());
        assert_eq!(t0.elapsed(), Duration::from_millis(1010));
        let at = Rt::timeout_at(t0 + Duration::from_secs(3), std::future::pending::<()>());
        assert!(at.await.is_err());
        assert_eq!(t0.elapsed(), Duration::from_secs(3));
    });
}

#[test]
fn the_oneshot_delivers_once_and_reports_a_dropped_sender() {
    on_node(1, async {
        let (tx, rx) = Rt::oneshot::<u32>();
        Rt::spawn(async move {
            Rt::sleep(Duration::from_millis(5)).await;
            tx.send(9).expect("the receiver waits");
        })
        .detach();
        assert_eq!(rx.await.ok(), Some(9));
        let (tx, rx) = Rt::oneshot::<u32>();
        drop(tx);
        assert!(rx.await.is_err());
        let (tx, rx) = Rt::oneshot::<u32>();
        drop(rx);
        assert_eq!(tx.send(3), Err(3));
    });
}

fn draws(seed: u64) -> Vec<u64> {
    on_node(seed, async {
        let mut rng = Rt::thread_rng();
        (0..8).map(|_| rng.gen_range(150..300)).collect()
    })
}

#[test]
fn thread_rng_is_the_node_stream_of_the_seed() {
    let a = draws(3);
    assert!(a.iter().all(|v| (150..300).contains(v)));
    assert_eq!(a, draws(3));
    assert_ne!(a, draws(4));
}
