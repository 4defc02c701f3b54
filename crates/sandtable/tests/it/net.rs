use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use sandtable::net::NetError;
use sandtable::prelude::*;
use serde::{Deserialize, Serialize};

/// A node that counts datagrams arriving on port 9000.
fn sink(sim: &Sim, name: &str) -> (NodeId, Rc<Cell<u32>>) {
    let count = Rc::new(Cell::new(0));
    let c = count.clone();
    let id = sim.add_node(name, move || {
        let c = c.clone();
        async move {
            let s = UdpSocket::bind("0.0.0.0:9000").await.unwrap();
            let mut buf = [0u8; 16];
            loop {
                s.recv_from(&mut buf).await.unwrap();
                c.set(c.get() + 1);
            }
        }
    });
    (id, count)
}

/// A node that sends `n` datagrams to `to:9000`, one every `every`.
fn source(sim: &Sim, name: &str, to: &'static str, n: u32, every: Duration) -> NodeId {
    sim.add_node(name, move || async move {
        let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        for i in 0..n {
            s.send_to(&i.to_le_bytes(), (to, 9000)).await.unwrap();
            sleep(every).await;
        }
    })
}

#[test]
fn latency_stays_within_the_link_bounds() {
    let sim = Sim::builder()
        .link(LinkConfig::default().latency(Duration::from_millis(10), Duration::from_millis(20)))
        .build();
    let got = sim
        .block_on("a", async {
            let s = UdpSocket::bind("0.0.0.0:1").await.unwrap();
            let me = s.local_addr().unwrap();
            s.send_to(b"x", me).await.unwrap();
            let t0 = Instant::now();
            let mut buf = [0u8; 1];
            s.recv_from(&mut buf).await.unwrap();
            t0.elapsed()
        })
        .unwrap();
    assert!(
        got >= Duration::from_millis(10) && got <= Duration::from_millis(20),
        "{got:?}"
    );
}

#[test]
fn loss_and_duplication_are_counted_and_balanced() {
    let sim = Sim::builder()
        .seed(4)
        .link(LinkConfig::default().loss(0.2).duplicate(0.1))
        .build();
    let (_, received) = sink(&sim, "b");
    source(&sim, "a", "b", 2_000, Duration::from_millis(1));
    sim.run_for(Duration::from_secs(5)).unwrap();
    let s = sim.net().stats();
    assert_eq!(s.sent, 2_000);
    assert!(
        (300..500).contains(&s.dropped_loss),
        "about 20% lost: {s:?}"
    );
    assert!(
        (100..250).contains(&s.duplicated),
        "about 10% duplicated: {s:?}"
    );
    assert_eq!(s.in_flight(), 0);
    assert_eq!(s.delivered, s.sent - s.dropped_loss + s.duplicated);
    assert_eq!(received.get() as u64, s.delivered);
}

#[test]
fn fifo_links_never_reorder_and_jittery_links_do() {
    let order = |fifo: bool| {
        let sim = Sim::builder()
            .seed(8)
            .link(
                LinkConfig::default()
                    .latency(Duration::from_millis(1), Duration::from_millis(50))
                    .fifo(fifo),
            )
            .build();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s2 = seen.clone();
        sim.add_node("b", move || {
            let s2 = s2.clone();
            async move {
                let s = UdpSocket::bind("0.0.0.0:9000").await.unwrap();
                let mut buf = [0u8; 4];
                loop {
                    s.recv_from(&mut buf).await.unwrap();
                    s2.borrow_mut().push(u32::from_le_bytes(buf));
                }
            }
        });
        source(&sim, "a", "b", 200, Duration::from_micros(100));
        sim.run_for(Duration::from_secs(1)).unwrap();
        let v = seen.borrow().clone();
        v
    };
    let fifo = order(true);
    assert_eq!(fifo, (0..200).collect::<Vec<_>>());
    let jitter = order(false);
    assert_eq!(jitter.len(), 200);
    assert_ne!(jitter, fifo, "jitter reorders");
}

#[test]
fn one_way_partition_blocks_only_one_direction() {
    let sim = Sim::new(2);
    let (a, from_b) = sink(&sim, "a");
    let (b, from_a) = sink(&sim, "b");
    sim.net().cut_one_way(a, b);
    sim.spawn_on(a, async {
        let s = UdpSocket::bind("0.0.0.0:1").await.unwrap();
        for _ in 0..10 {
            s.send_to(b"x", "b:9000").await.unwrap();
        }
    })
    .detach();
    sim.spawn_on(b, async {
        let s = UdpSocket::bind("0.0.0.0:1").await.unwrap();
        for _ in 0..10 {
            s.send_to(b"x", "a:9000").await.unwrap();
        }
    })
    .detach();
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(from_a.get(), 0);
    assert_eq!(from_b.get(), 10);
    assert_eq!(sim.net().link_stats(a, b).dropped_partition, 10);
    assert_eq!(sim.net().link_stats(b, a).delivered, 10);
    assert!(sim.net().is_cut(a, b) && !sim.net().is_cut(b, a));
}

#[test]
fn messages_in_flight_into_a_new_partition_are_lost_and_heal_restores() {
    let sim = Sim::builder()
        .link(LinkConfig::default().latency(Duration::from_millis(100), Duration::from_millis(100)))
        .build();
    let (b, received) = sink(&sim, "b");
    let a = source(&sim, "a", "b", 10, Duration::from_millis(10));
    // Ten messages sent over 0..100 ms, each arriving 100 ms later; cut at 50 ms.
    sim.run_for(Duration::from_millis(50)).unwrap();
    sim.net().partition(&[a], &[b]);
    sim.run_for(Duration::from_millis(500)).unwrap();
    let s = sim.net().link_stats(a, b);
    assert_eq!(received.get(), 0);
    assert_eq!(s.sent, 10);
    assert_eq!(
        s.dropped_partition, 10,
        "5 dropped in flight, 5 at send: {s:?}"
    );
    sim.net().heal_all();
    sim.spawn_on(a, async {
        let s = UdpSocket::bind("0.0.0.0:2").await.unwrap();
        s.send_to(b"again", "b:9000").await.unwrap();
    })
    .detach();
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(received.get(), 1);
}

#[test]
fn in_flight_messages_to_a_crashed_node_are_lost_even_after_restart() {
    let sim = Sim::builder()
        .link(LinkConfig::default().latency(Duration::from_millis(100), Duration::from_millis(100)))
        .build();
    let (b, received) = sink(&sim, "b");
    source(&sim, "a", "b", 1, Duration::from_millis(1));
    sim.run_for(Duration::from_millis(50)).unwrap();
    sim.restart(b);
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(received.get(), 0);
    assert_eq!(sim.net().stats().dropped_crash, 1);
}

#[test]
fn unbound_port_drops_and_unknown_host_errors() {
    let sim = Sim::new(1);
    sim.add_node("b", || async {});
    let err = sim
        .block_on("a", async {
            let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            s.send_to(b"x", "b:4444").await.unwrap();
            sleep(Duration::from_secs(1)).await;
            s.send_to(b"x", "nobody:1").await.unwrap_err()
        })
        .unwrap();
    assert_eq!(sim.net().stats().dropped_unbound, 1);
    assert!(
        err.to_string()
            .contains("no simulated node is named \"nobody\""),
        "{err}"
    );
}

#[test]
fn binding_a_port_twice_is_an_error() {
    let sim = Sim::new(1);
    let e = sim
        .block_on("a", async {
            let _s = UdpSocket::bind("0.0.0.0:5").await.unwrap();
            UdpSocket::bind("0.0.0.0:5").await.unwrap_err()
        })
        .unwrap();
    assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Msg {
    Ping(u64),
    Pong { n: u64, note: String },
}

#[test]
fn typed_endpoints_round_trip_and_report_decode_errors() {
    let sim = Sim::new(1);
    sim.add_node("server", || async {
        let ep = Endpoint::<Msg>::bind("0.0.0.0:7").await.unwrap();
        loop {
            match ep.recv().await {
                Ok((Msg::Ping(n), from)) => ep
                    .send(
                        from,
                        &Msg::Pong {
                            n,
                            note: "hi".into(),
                        },
                    )
                    .await
                    .unwrap(),
                Ok(_) => {}
                Err(NetError::Decode { from, .. }) => ep
                    .send(
                        from,
                        &Msg::Pong {
                            n: 0,
                            note: "garbage".into(),
                        },
                    )
                    .await
                    .unwrap(),
                Err(e) => panic!("{e}"),
            }
        }
    });
    let (a, b) = sim
        .block_on("client", async {
            let ep = Endpoint::<Msg>::bind("0.0.0.0:0").await.unwrap();
            ep.send("server:7", &Msg::Ping(41)).await.unwrap();
            let (a, _) = ep.recv().await.unwrap();
            ep.socket()
                .send_to(&[0xff, 0xff, 0xff], "server:7")
                .await
                .unwrap();
            let (b, _) = ep.recv().await.unwrap();
            (a, b)
        })
        .unwrap();
    assert_eq!(
        a,
        Msg::Pong {
            n: 41,
            note: "hi".into()
        }
    );
    assert_eq!(
        b,
        Msg::Pong {
            n: 0,
            note: "garbage".into()
        }
    );
}
