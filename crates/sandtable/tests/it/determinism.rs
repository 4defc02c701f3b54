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

// ----- data in the fingerprint ---------------------------------------------------------------

/// A value that changes from one run to the next in the same process: what a payload built
/// from an unseeded source (a global counter, a `HashMap`'s order, the OS clock) looks like.
fn unseeded() -> u64 {
    thread_local!(static CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) });
    CALLS.with(|c| c.replace(c.get() + 1))
}

/// Node `a` sends `b` one datagram whose bytes come from `payload`, same size and same time in
/// every run: only the data can differ.
fn send_once(sim: &Sim, payload: fn() -> Vec<u8>) -> Result<(), SimError> {
    sim.add_node("b", || async {
        let s = UdpSocket::bind("0.0.0.0:9").await.unwrap();
        let mut buf = [0u8; 64];
        s.recv_from(&mut buf).await.unwrap();
    });
    sim.block_on("a", async move {
        let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        s.send_to(&payload(), ("b", 9)).await.unwrap();
        sleep(Duration::from_millis(10)).await;
    })
}

fn check_twice(body: impl Fn(&Sim) -> Result<(), SimError>) -> Box<sandtable::Failure> {
    sandtable::run_seeds(
        sandtable::CheckConfig::default()
            .seeds(0..1)
            .determinism_check(true)
            .regressions(false)
            .artifacts(false)
            .name("determinism-data"),
        body,
    )
    .expect_err("the two runs differ")
}

#[test]
fn runs_that_differ_only_in_payload_bytes_are_caught_at_the_send() {
    let failure = check_twice(|sim| send_once(sim, || unseeded().to_le_bytes().to_vec()));
    let divergence = failure.nondeterminism.expect("a divergence is named");
    assert!(divergence.contains("Payload"), "{divergence}");
    // The same workload with seeded bytes passes the same check.
    sandtable::check(
        sandtable::CheckConfig::default()
            .seeds(0..3)
            .determinism_check(true)
            .regressions(false)
            .artifacts(false),
        |sim| send_once(sim, || rand::random::<u64>().to_le_bytes().to_vec()),
    );
}

#[test]
fn runs_that_differ_only_in_what_they_write_to_disk_are_caught_at_the_write() {
    let failure = check_twice(|sim| {
        sim.block_on("a", async {
            let f = sandtable::disk::File::create("log").await.unwrap();
            f.write_at(0, &unseeded().to_le_bytes()).await.unwrap();
            f.sync().await.unwrap();
        })
    });
    let divergence = failure.nondeterminism.expect("a divergence is named");
    assert!(divergence.contains("Disk"), "{divergence}");
}

#[test]
fn runs_that_draw_the_node_rng_differently_are_caught_after_the_poll() {
    let failure = check_twice(|sim| {
        sim.block_on("a", async {
            // One or two draws, decided by something outside the seed; nothing is sent.
            for _ in 0..=unseeded() % 2 {
                let _: u64 = rand::random();
            }
            sleep(Duration::from_millis(1)).await;
        })
    });
    let divergence = failure.nondeterminism.expect("a divergence is named");
    assert!(divergence.contains("Rng"), "{divergence}");
}

// ----- OS calls from inside a simulated task -------------------------------------------------

/// Third-party-style code: a timing helper that reads the OS's monotonic clock.
fn third_party_elapsed_ns(f: impl FnOnce()) -> u128 {
    let start = std::time::Instant::now();
    f();
    start.elapsed().as_nanos()
}

/// The `call site:` line of a report.
fn site_of(report: &str) -> &str {
    report
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("call site:"))
        .unwrap_or_default()
}

fn reported(mode: sandtable::OsCalls, task: impl std::future::Future + 'static) -> SimError {
    let sim = Sim::builder().seed(3).os_calls(mode).build();
    match sim.block_on("app", task) {
        Err(e @ SimError::OsCall(_)) => e,
        Err(other) => panic!("expected an OsCall report, got {other}"),
        Ok(_) => panic!("the OS call was not reported"),
    }
}

#[test]
fn a_third_party_clock_read_is_reported_with_its_call_site() {
    let error = reported(sandtable::OsCalls::Report, async {
        sleep(Duration::from_millis(5)).await;
        third_party_elapsed_ns(|| {})
    });
    let SimError::OsCall(report) = &error else {
        unreachable!()
    };
    assert_eq!(report.node, "app");
    assert!(report.call.contains("CLOCK_MONOTONIC"), "{}", report.call);
    let site = &report.site;
    assert!(site.contains("third_party_elapsed_ns"), "{site}");
    assert!(
        site.contains("determinism.rs:"),
        "the file and line: {site}"
    );
    assert_eq!(report.time, Duration::from_millis(5));
    assert_eq!(
        report.count, 2,
        "Instant::now and elapsed: two reads in one step"
    );
    assert!(
        error.to_string().contains("rerun: SANDTABLE_SEED=3"),
        "{error}"
    );
}

#[test]
fn wall_clock_reads_and_thread_spawns_are_reported() {
    let error = reported(sandtable::OsCalls::Report, async {
        std::time::SystemTime::now()
    });
    assert!(error.to_string().contains("CLOCK_REALTIME"), "{error}");
    let error = reported(sandtable::OsCalls::Simulate, async {
        std::thread::Builder::new()
            .spawn(|| 1)
            .unwrap()
            .join()
            .unwrap()
    });
    assert!(error.to_string().contains("pthread_create"), "{error}");
    // The site is this file's async block: by name with full debug info, by file and line
    // always (under `debug = "line-tables-only"` an inlined block is just `{async_block#1}`).
    assert!(
        site_of(&error.to_string()).contains("tests/it/determinism.rs:"),
        "{error}"
    );
}

#[test]
fn getrandom_is_reported_and_can_be_answered_from_the_seed() {
    extern "C" {
        fn getrandom(buf: *mut u8, len: usize, flags: u32) -> isize;
    }
    fn draw() -> [u8; 16] {
        let mut buf = [0u8; 16];
        // SAFETY: a valid buffer of the stated length.
        assert_eq!(unsafe { getrandom(buf.as_mut_ptr(), buf.len(), 0) }, 16);
        buf
    }
    let error = reported(sandtable::OsCalls::Report, async { draw() });
    assert!(error.to_string().contains("getrandom, 16 bytes"), "{error}");
    let run = |seed| {
        let sim = Sim::builder()
            .seed(seed)
            .os_calls(sandtable::OsCalls::Simulate)
            .build();
        sim.block_on("app", async { (draw(), draw()) }).unwrap()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
    assert_ne!(run(1).0, run(1).1);
}

#[test]
fn simulate_answers_std_clocks_from_the_virtual_clock() {
    let run = || {
        let sim = Sim::builder()
            .seed(9)
            .os_calls(sandtable::OsCalls::Simulate)
            .build();
        sim.block_on("app", async {
            let wall = (
                std::time::SystemTime::now(),
                sandtable::time::SystemTime::now(),
            );
            let took = third_party_elapsed_ns(|| {});
            let start = std::time::Instant::now();
            sleep(Duration::from_secs(2)).await;
            (start.elapsed(), took, wall)
        })
        .unwrap()
    };
    let (slept, took, (wall, sim_wall)) = run();
    assert_eq!(
        slept,
        Duration::from_secs(2),
        "std's Instant follows virtual time"
    );
    assert_eq!(took, 0, "no virtual time passes inside a poll");
    let unix = wall.duration_since(std::time::UNIX_EPOCH).unwrap();
    assert_eq!(unix.as_nanos() as i128, sim_wall.unix_nanos());
    assert_eq!(run(), run(), "the same in every run");
}

#[test]
fn outside_a_checked_poll_the_os_is_reached_as_usual() {
    // Default mode: a task may read the clock; nothing is reported.
    let sim = Sim::new(1);
    let took = sim
        .block_on("app", async { third_party_elapsed_ns(|| {}) })
        .unwrap();
    assert!(took < 1_000_000_000);
    // Between polls of a checked simulation, on this thread and on others, everything is real.
    let sim = Sim::builder()
        .os_calls(sandtable::OsCalls::Simulate)
        .build();
    sim.block_on("app", async {}).unwrap();
    let before = std::time::SystemTime::now();
    assert!(
        before.duration_since(std::time::UNIX_EPOCH).unwrap() > Duration::from_secs(1_700_000_000)
    );
    let t = std::thread::spawn(|| std::time::Instant::now().elapsed());
    assert!(t.join().unwrap() < Duration::from_secs(1));
}

// ----- the double run catches a HashMap's order ----------------------------------------------

/// Third-party-style code: the first key of a std `HashMap` (its order depends on the map's
/// random keys), sent to a peer — and the deterministic way to write it.
fn first_key(deterministic: bool) -> Vec<u8> {
    let keys = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    ];
    if deterministic {
        let set: std::collections::BTreeSet<&str> = keys.into_iter().collect();
        set.into_iter().next().unwrap().as_bytes().to_vec()
    } else {
        let set: std::collections::HashSet<&str> = keys.into_iter().collect();
        set.into_iter().next().unwrap().as_bytes().to_vec()
    }
}

#[test]
fn a_hash_map_order_that_changes_the_run_is_caught_by_the_double_run() {
    // The thread's std hash keys exist before the runs: no OS call inside them, only the order.
    let _ = std::collections::hash_map::RandomState::new();
    let body = |sim: &Sim| -> Result<(), SimError> {
        sim.add_node("b", || async {
            let s = UdpSocket::bind("0.0.0.0:9").await.unwrap();
            let mut buf = [0u8; 64];
            s.recv_from(&mut buf).await.unwrap();
        });
        sim.block_on("a", async {
            let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            // Padded to one size: only the bytes differ, not the length.
            let mut msg = first_key(false);
            msg.resize(8, b' ');
            s.send_to(&msg, ("b", 9)).await.unwrap();
            sleep(Duration::from_millis(1)).await;
        })
    };
    // The order differs between runs only most of the time (8 keys: 1/8 it is the same).
    let caught = (0..8).any(|_| {
        check_twice_maybe(body).is_some_and(|failure| {
            let d = failure.nondeterminism.expect("named");
            assert!(d.contains("Payload"), "{d}");
            assert!(d.contains("runs diverge at event #"), "{d}");
            true
        })
    });
    assert!(caught, "eight double runs never saw two orders");
    // Written with a BTreeSet, the same code passes the check.
    sandtable::check(
        sandtable::CheckConfig::default()
            .seeds(0..4)
            .determinism_check(true)
            .regressions(false)
            .artifacts(false),
        |sim| send_once(sim, || first_key(true)),
    );
}

fn check_twice_maybe(
    body: impl Fn(&Sim) -> Result<(), SimError>,
) -> Option<Box<sandtable::Failure>> {
    sandtable::run_seeds(
        sandtable::CheckConfig::default()
            .seeds(0..1)
            .determinism_check(true)
            .regressions(false)
            .artifacts(false)
            .name("determinism-hashmap"),
        body,
    )
    .err()
}

/// std's `RandomState` asks the OS for its keys once per thread: on a fresh thread whose first
/// hash map is made inside a task, that is an OS call like any other. Under `Simulate` the keys
/// come from the seed, so the map's order is the same in every run — on fresh threads only.
#[test]
fn the_first_std_hash_map_of_a_thread_reaches_the_os() {
    let on_fresh_thread = |mode| {
        std::thread::spawn(move || {
            let sim = Sim::builder().seed(4).os_calls(mode).build();
            sim.block_on("app", async {
                let set: std::collections::HashSet<u32> = (0..32).collect();
                set.into_iter().collect::<Vec<_>>()
            })
            .map_err(|e| e.to_string())
        })
        .join()
        .unwrap()
    };
    let error = on_fresh_thread(sandtable::OsCalls::Report).unwrap_err();
    assert!(error.contains("getrandom, 16 bytes"), "{error}");
    assert!(
        site_of(&error).contains("tests/it/determinism.rs:"),
        "{error}"
    );
    let a = on_fresh_thread(sandtable::OsCalls::Simulate).unwrap();
    let b = on_fresh_thread(sandtable::OsCalls::Simulate).unwrap();
    assert_eq!(a, b, "seeded keys, same order");
}
