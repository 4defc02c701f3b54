//! `#[sandtable::test]` in both forms, passing and failing.

use std::cell::Cell;
use std::time::Duration;

use sandtable::prelude::*;

#[sandtable::test(seeds = 0..20)]
async fn an_async_test_runs_on_a_node_in_virtual_time() {
    let start = Instant::now();
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    assert_eq!(
        Handle::current().name(Handle::current().current_node().unwrap()),
        "main"
    );
}

#[sandtable::test(seeds = 0..3, node = "client")]
async fn the_node_can_be_named() -> Result<(), std::io::Error> {
    let me = Handle::current().current_node().unwrap();
    assert_eq!(Handle::current().name(me), "client");
    UdpSocket::bind("0.0.0.0:9").await?;
    Ok(())
}

thread_local! {
    static SEEDS_SEEN: Cell<u64> = const { Cell::new(0) };
}

#[sandtable::test(seeds = 100..110, determinism_check)]
fn a_sync_test_drives_the_sim(sim: &Sim) -> Result<(), sandtable::BoxError> {
    SEEDS_SEEN.with(|s| s.set(s.get() + 1));
    sim.add_node("server", || async {
        let socket = UdpSocket::bind("0.0.0.0:7").await.unwrap();
        let mut buf = [0; 8];
        loop {
            let (n, from) = socket.recv_from(&mut buf).await.unwrap();
            socket.send_to(&buf[..n], from).await.unwrap();
        }
    });
    let echoed = sim.block_on("client", async {
        let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        socket.send_to(b"hi", ("server", 7)).await.unwrap();
        let mut buf = [0; 8];
        let (n, _) = socket.recv_from(&mut buf).await.unwrap();
        buf[..n].to_vec()
    })?;
    assert_eq!(echoed, b"hi");
    Ok(())
}

#[test]
fn the_sync_form_ran_every_seed_twice() {
    // The generated test is an ordinary function: call it and count the seeds it ran.
    SEEDS_SEEN.with(|s| s.set(0));
    a_sync_test_drives_the_sim();
    if std::env::var("SANDTABLE_SEED").is_err() && std::env::var("SANDTABLE_SEEDS").is_err() {
        assert_eq!(SEEDS_SEEN.with(Cell::get), 20, "10 seeds, each run twice");
    }
}

#[sandtable::test(seeds = 0..50, config = |c: sandtable::CheckConfig| c.regressions(false).artifacts(false))]
#[should_panic(expected = "failed on seed")]
async fn a_failing_body_fails_the_test_with_its_seed() {
    // Fails on some seeds only: the harness must find one and report it.
    assert!(sandtable::rand::random_range(0..10) != 3, "an unlucky draw");
}

#[sandtable::test(seeds = 0..1, config = |c: sandtable::CheckConfig| c.regressions(false).artifacts(false))]
#[should_panic(expected = "deadlock")]
async fn a_stalled_simulation_fails_the_test() {
    // Waits forever for a message that never comes: the simulator reports a deadlock.
    let (_tx, rx) = sandtable::sync::oneshot::channel::<()>();
    let _ = rx.await;
}
