//! The node's random stream: re-entrancy of `with_rng`, and rand 0.10's `Rng` on `NodeRng`.

use std::time::Duration;

use sandtable::prelude::*;
use sandtable::rand::{random, rng, with_rng};

#[test]
fn a_with_rng_closure_may_use_the_rest_of_the_runtime() {
    let sim = Sim::new(1);
    sim.add_node("peer", || async {
        let s = UdpSocket::bind("0.0.0.0:9").await.unwrap();
        let mut buf = [0; 8];
        let _ = s.recv_from(&mut buf).await;
    });
    let (spawned, now) = sim
        .block_on("main", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            let (handle, now) = with_rng(|r| {
                let v = rand::RngCore::next_u32(r);
                let h = spawn(async move { v });
                let _sleep = sleep(Duration::from_millis(1));
                let _id = Handle::current().nodes();
                (h, Instant::now())
            });
            socket.send_to(b"x", "peer:9").await.unwrap();
            (handle.await.unwrap(), now)
        })
        .unwrap();
    let _ = (spawned, now);
}

#[test]
fn a_nested_with_rng_is_a_clear_failure_of_the_seed_not_a_borrow_panic() {
    let sim = Sim::new(2);
    let err = sim
        .block_on("main", async {
            with_rng(|_| random::<u8>());
        })
        .unwrap_err();
    assert!(err.to_string().contains("already in use"), "{err}");
}

#[test]
fn the_stream_is_usable_again_after_a_panicking_closure() {
    let sim = Sim::builder().seed(3).task_panics_to_joiner(true).build();
    let after = sim
        .block_on("main", async {
            let h = spawn(async { with_rng(|_| panic!("inside")) });
            assert!(h.await.unwrap_err().is_panic());
            random::<u64>()
        })
        .unwrap();
    let _ = after;
}

#[test]
fn rand_010_rng_draws_the_node_stream() {
    use rand_010::RngExt;
    let draw = |seed| {
        Sim::new(seed)
            .block_on("n", async {
                let mut r = rng();
                let a: u64 = r.random();
                let b: u32 = r.random_range(0..100);
                (a, b)
            })
            .unwrap()
    };
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
    assert!(draw(7).1 < 100);
}
