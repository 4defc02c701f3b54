use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sandtable::actor::{self, Actor, Command, Ctx};
use sandtable::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Msg {
    Heartbeat(u64),
    Ack(u64),
}

#[derive(Clone, Debug, PartialEq)]
enum Timer {
    Beat,
    Lonely,
}

/// Heartbeats its peers every 100 ms; if nothing is heard for 350 ms it logs "lonely".
struct Beacon {
    peers: Vec<&'static str>,
    beats: u64,
    log: Rc<RefCell<Vec<String>>>,
}

impl Actor for Beacon {
    type Msg = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        self.log.borrow_mut().push(format!("{} start", ctx.me()));
        ctx.set_timer(Timer::Beat, Duration::from_millis(100));
        ctx.set_timer(Timer::Lonely, Duration::from_millis(350));
    }

    fn on_message(&mut self, from: &str, msg: Msg, ctx: &mut Ctx<Self>) {
        match msg {
            Msg::Heartbeat(n) => ctx.send(from, Msg::Ack(n)),
            Msg::Ack(_) => ctx.set_timer(Timer::Lonely, Duration::from_millis(350)),
        }
    }

    fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Beat => {
                self.beats += 1;
                ctx.broadcast(self.peers.iter().copied(), &Msg::Heartbeat(self.beats));
                ctx.set_timer(Timer::Beat, Duration::from_millis(100));
            }
            Timer::Lonely => {
                self.log.borrow_mut().push(format!(
                    "{} lonely at {:?}",
                    ctx.me(),
                    Handle::current().elapsed()
                ));
                ctx.cancel_timer(Timer::Beat);
            }
        }
    }

    fn on_bad_message(&mut self, from: &str, _error: &str, _ctx: &mut Ctx<Self>) {
        self.log.borrow_mut().push(format!("garbage from {from}"));
    }
}

fn cluster(sim: &Sim, log: &Rc<RefCell<Vec<String>>>) -> Vec<NodeId> {
    let names = ["a", "b", "c"];
    names
        .iter()
        .map(|&me| {
            let log = log.clone();
            let peers: Vec<&'static str> = names.iter().copied().filter(|p| *p != me).collect();
            sim.add_node(me, move || {
                actor::run(Beacon {
                    peers: peers.clone(),
                    beats: 0,
                    log: log.clone(),
                })
            })
        })
        .collect()
}

#[test]
fn handlers_are_plain_functions_testable_without_a_simulator() {
    let log = Rc::default();
    let mut b = Beacon {
        peers: vec!["b", "c"],
        beats: 0,
        log,
    };
    let sim = Sim::new(1);
    let now = sim.block_on("t", async { Instant::now() }).unwrap();
    let mut ctx = Ctx::new("a", now);
    b.on_timer(Timer::Beat, &mut ctx);
    b.on_message("b", Msg::Heartbeat(7), &mut ctx);
    assert_eq!(
        ctx.commands(),
        vec![
            Command::Send {
                to: "b".into(),
                msg: Msg::Heartbeat(1)
            },
            Command::Send {
                to: "c".into(),
                msg: Msg::Heartbeat(1)
            },
            Command::SetTimer {
                timer: Timer::Beat,
                after: Duration::from_millis(100)
            },
            Command::Send {
                to: "b".into(),
                msg: Msg::Ack(7)
            },
        ]
    );
}

#[test]
fn a_healthy_cluster_never_gets_lonely_and_an_isolated_node_does() {
    let sim = Sim::new(3);
    let log = Rc::default();
    let ids = cluster(&sim, &log);
    sim.run_for(Duration::from_secs(2)).unwrap();
    let mut started = log.borrow().clone();
    started.sort();
    assert_eq!(
        started,
        ["a start", "b start", "c start"],
        "no one got lonely"
    );
    sim.net().partition(&[ids[2]], &[ids[0], ids[1]]);
    sim.run_for(Duration::from_secs(1)).unwrap();
    let lonely: Vec<String> = log
        .borrow()
        .iter()
        .filter(|l| l.contains("lonely"))
        .cloned()
        .collect();
    assert_eq!(lonely.len(), 1, "{lonely:?}");
    // The last ack reached c between its 1.9 s beat and the 2 s partition: 350 ms later.
    let at: f64 = lonely[0]
        .trim_start_matches("c lonely at ")
        .trim_end_matches('s')
        .parse()
        .unwrap();
    assert!((2.25..2.36).contains(&at), "{lonely:?}");
}

#[test]
fn a_restarted_actor_starts_over_and_garbage_reaches_on_bad_message() {
    let sim = Sim::new(4);
    let log = Rc::default();
    let ids = cluster(&sim, &log);
    sim.run_for(Duration::from_millis(500)).unwrap();
    sim.restart(ids[1]);
    sim.spawn_on(ids[0], async {
        let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        s.send_to(&[0xff; 3], ("b", actor::ACTOR_PORT))
            .await
            .unwrap();
    })
    .detach();
    sim.run_for(Duration::from_millis(500)).unwrap();
    let log = log.borrow();
    assert_eq!(log.iter().filter(|l| *l == "b start").count(), 2);
    assert!(log.iter().any(|l| l == "garbage from a"), "{log:?}");
    assert!(!log.iter().any(|l| l.contains("lonely")), "{log:?}");
}
