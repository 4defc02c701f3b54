use std::collections::BTreeSet;
use std::time::Duration;

use sandtable::nemesis::{Fault, Nemesis, NemesisError, Schedule};
use sandtable::prelude::*;

const NAMES: [&str; 5] = ["n0", "n1", "n2", "n3", "n4"];

/// Five nodes; every 10 ms each sends to each other node.
fn all_to_all(sim: &Sim) -> Vec<NodeId> {
    NAMES
        .iter()
        .map(|&me| {
            sim.add_node(me, move || async move {
                let s = std::rc::Rc::new(UdpSocket::bind("0.0.0.0:5").await.unwrap());
                let rx = s.clone();
                spawn(async move {
                    let mut b = [0u8; 1];
                    while rx.recv_from(&mut b).await.is_ok() {}
                })
                .detach();
                loop {
                    for peer in NAMES.iter().filter(|p| **p != me) {
                        s.send_to(b"x", (*peer, 5)).await.unwrap();
                    }
                    sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect()
}

fn names() -> Vec<String> {
    NAMES.iter().map(|s| s.to_string()).collect()
}

/// Applies one partition fault and checks, link by link, that exactly the cut links drop.
fn check_partition(cut: &[(String, String)]) {
    let sim = Sim::new(1);
    let ids = all_to_all(&sim);
    let mut s = Schedule::default();
    s.push(
        Duration::ZERO,
        Fault::Partition {
            shape: "test".into(),
            cut: cut.to_vec(),
        },
    );
    sim.apply_schedule(&s).unwrap();
    sim.run_for(Duration::from_secs(1)).unwrap();
    let cut: BTreeSet<(String, String)> = cut.iter().cloned().collect();
    for &a in &ids {
        for &b in ids.iter().filter(|b| **b != a) {
            let st = sim.net().link_stats(a, b);
            if cut.contains(&(sim.name(a), sim.name(b))) {
                assert_eq!(st.delivered, 0, "{}->{} is cut", sim.name(a), sim.name(b));
                assert!(st.dropped_partition > 50);
            } else {
                assert!(
                    st.delivered > 50,
                    "{}->{} is open",
                    sim.name(a),
                    sim.name(b)
                );
                assert_eq!(st.dropped_partition, 0);
            }
        }
    }
}

#[test]
fn every_partition_shape_cuts_exactly_what_it_claims() {
    let nemesis = Nemesis::new().partitions().one_way_cuts();
    let mut shapes = BTreeSet::new();
    for seed in 0..30 {
        for e in nemesis
            .generate(seed, &names(), Duration::from_secs(120))
            .events
        {
            if let Fault::Partition { shape, cut } = e.fault {
                let kind = shape.split_whitespace().next().unwrap().to_string();
                if shapes.insert(kind.clone()) {
                    check_partition(&cut);
                }
                // Shape-specific claims about the cut set.
                let n = NAMES.len();
                match kind.as_str() {
                    "isolate" => assert_eq!(cut.len(), 2 * (n - 1)),
                    "ring" => assert_eq!(cut.len(), n * (n - 3)),
                    "one-way" => assert_eq!(cut.len(), 1),
                    "majority" => assert_eq!(cut.len(), 2 * 2 * 3),
                    "bridge" => assert!(cut
                        .iter()
                        .all(|(a, b)| !shape.starts_with(&format!("bridge {a} "))
                            && !shape.starts_with(&format!("bridge {b} ")))),
                    _ => {}
                }
            }
        }
    }
    let expected: BTreeSet<String> = ["bridge", "halves", "isolate", "majority", "one-way", "ring"]
        .map(String::from)
        .into();
    assert_eq!(shapes, expected);
}

fn faulty_run(seed: u64, replay: Option<Schedule>) -> (u64, Schedule) {
    let mut b = Sim::builder().seed(seed);
    if let Some(s) = replay {
        b = b.replay_schedule(s);
    }
    let sim = b.build();
    all_to_all(&sim);
    let nemesis = Nemesis::new()
        .partitions()
        .crashes()
        .pauses()
        .clock_skew(Duration::from_millis(500))
        .clock_drift(0.1)
        .link_faults()
        .final_heal(Duration::from_secs(2));
    let schedule = sim.nemesis(&nemesis, Duration::from_secs(30)).unwrap();
    sim.run_for(Duration::from_secs(30)).unwrap();
    (sim.fingerprint(), schedule)
}

#[test]
fn a_saved_schedule_replays_to_the_same_fingerprint() {
    let (fp, schedule) = faulty_run(21, None);
    assert!(schedule.len() >= 6, "{schedule}");
    let json = schedule.to_json();
    let loaded = Schedule::from_json(&json).unwrap();
    assert_eq!(loaded, schedule);
    assert_eq!(faulty_run(21, Some(loaded)), (fp, schedule.clone()));
    // Dropping an event changes the run: the schedule, not the seed, drives the faults.
    let mut fewer = schedule.clone();
    fewer.events.remove(0);
    assert_ne!(faulty_run(21, Some(fewer)).0, fp);
}

#[test]
fn schedules_are_seeded_and_end_with_a_quiet_heal() {
    let n = Nemesis::new()
        .partitions()
        .crashes()
        .final_heal(Duration::from_secs(5));
    let a = n.generate(3, &names(), Duration::from_secs(60));
    assert_eq!(a, n.generate(3, &names(), Duration::from_secs(60)));
    assert_ne!(a, n.generate(4, &names(), Duration::from_secs(60)));
    let last = a.events.last().unwrap();
    assert_eq!(last.fault, Fault::RecoverAll);
    assert_eq!(last.at_ns, 55_000_000_000);
    assert!(a.events.windows(2).all(|w| w[0].at_ns <= w[1].at_ns));
    assert!(a.to_string().contains("recover all"));
}

#[test]
fn recover_all_restores_a_healthy_cluster() {
    let sim = Sim::new(2);
    let ids = all_to_all(&sim);
    sim.crash(ids[0]);
    sim.pause(ids[1]);
    sim.set_clock_drift(ids[2], 0.3);
    sim.net().partition(&[ids[3]], &[ids[4]]);
    sim.recover_all();
    assert!(ids.iter().all(|&n| sim.state(n) == NodeState::Running));
    assert_eq!(sim.clock_drift(ids[2]), 0.0);
    assert!(!sim.net().is_cut(ids[3], ids[4]));
}

#[test]
fn protocol_aware_hooks_pick_their_targets_at_run_time() {
    let sim = Sim::new(2);
    let ids = all_to_all(&sim);
    let nemesis = Nemesis::new()
        .isolate_target("leader", |h| vec![h.lookup("n3").unwrap()])
        .interval(Duration::from_millis(100), Duration::from_millis(100))
        .fault_duration(Duration::from_secs(5), Duration::from_secs(5))
        .quiet_start(Duration::ZERO);
    let schedule = sim.nemesis(&nemesis, Duration::from_secs(6)).unwrap();
    assert_eq!(
        schedule.events[0].fault,
        Fault::IsolateTarget {
            hook: "leader".into()
        }
    );
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert!(sim.net().is_cut(ids[3], ids[0]) && sim.net().is_cut(ids[0], ids[3]));
    assert!(!sim.net().is_cut(ids[0], ids[1]));
}

#[test]
fn a_schedule_naming_an_unknown_node_is_rejected_clearly() {
    let sim = Sim::new(2);
    all_to_all(&sim);
    let mut s = Schedule::default();
    s.push(Duration::from_secs(1), Fault::Crash { node: "n9".into() });
    let err = sim.apply_schedule(&s).unwrap_err();
    assert!(matches!(err, NemesisError::UnknownNode { .. }));
    assert!(
        err.to_string().contains("\"n9\"") && err.to_string().contains("n0, n1"),
        "{err}"
    );
    assert!(Schedule::from_json("{\"events\": 3}").is_err());
}

#[test]
fn concurrent_streams_overlap_faults_and_keep_the_first_stream() {
    let base = Nemesis::new()
        .crashes()
        .interval(Duration::from_millis(200), Duration::from_secs(1))
        .fault_duration(Duration::from_millis(500), Duration::from_secs(2));
    let one = base.clone().generate(4, &names(), Duration::from_secs(60));
    let two = base
        .clone()
        .concurrency(2)
        .generate(4, &names(), Duration::from_secs(60));
    assert!(two.len() > one.len() + 10, "{} vs {}", two.len(), one.len());
    // The one-stream schedule is a sub-sequence of the two-stream one.
    let mut rest = two.events.iter();
    for e in &one.events {
        assert!(
            rest.any(|f| f == e),
            "{e:?} missing from the two-stream schedule"
        );
    }
    // Somewhere two nodes are down at once (never with one stream).
    let max_down = |s: &Schedule| {
        let mut down = std::collections::BTreeSet::new();
        let mut max = 0;
        for e in &s.events {
            match &e.fault {
                sandtable::nemesis::Fault::Crash { node } => {
                    down.insert(node.clone());
                }
                sandtable::nemesis::Fault::Restart { node } => {
                    down.remove(node);
                }
                _ => {}
            }
            max = max.max(down.len());
        }
        max
    };
    assert_eq!(max_down(&one), 1);
    assert_eq!(max_down(&two), 2);
    assert!(
        two.events.windows(2).all(|w| w[0].at_ns <= w[1].at_ns),
        "time order"
    );
}

#[test]
fn swarm_testing_draws_a_mix_per_seed_and_records_it() {
    let full = Nemesis::new()
        .partitions()
        .crashes()
        .pauses()
        .clock_skew(Duration::from_millis(100))
        .concurrency(2);
    let fixed = full.clone().generate(3, &names(), Duration::from_secs(60));
    assert_eq!(fixed.mix, None, "off by default");
    let swarm = full.clone().swarm(true);
    let mixes: std::collections::BTreeSet<String> = (0..20)
        .map(|seed| {
            let s = swarm.generate(seed, &names(), Duration::from_secs(60));
            assert_eq!(s, swarm.generate(seed, &names(), Duration::from_secs(60)));
            s.mix.expect("the drawn mix is recorded")
        })
        .collect();
    assert!(mixes.len() >= 10, "seeds draw different mixes: {mixes:?}");
    // A seed whose mix leaves crashes out has no crash in its schedule.
    let without_crash = (0..50)
        .map(|seed| swarm.generate(seed, &names(), Duration::from_secs(60)))
        .find(|s| !s.mix.as_ref().unwrap().contains("Crash"))
        .expect("some seed leaves crashes out");
    assert!(without_crash
        .events
        .iter()
        .all(|e| !matches!(e.fault, sandtable::nemesis::Fault::Crash { .. })));
    let json = without_crash.to_json();
    assert_eq!(
        Schedule::from_json(&json).unwrap(),
        without_crash,
        "the mix survives JSON"
    );
    assert!(without_crash.to_string().contains("fault mix (swarm)"));
    // The run's recorded schedule (what the harness saves on failure) keeps the mix.
    let sim = Sim::new(7);
    all_to_all(&sim);
    let applied = sim.nemesis(&swarm, Duration::from_secs(10)).unwrap();
    assert_eq!(sim.fault_schedule().mix, applied.mix);
    assert!(applied.mix.is_some());
}
