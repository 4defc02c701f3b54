use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sandtable::prelude::*;
use sandtable::time::{timeout, SystemTime};

/// True time at which a `sleep(d)` started at true time 0 on a node completes.
fn wake_time(offset_ns: i64, drift: f64, d: Duration) -> Duration {
    let sim = Sim::new(9);
    let woke = Rc::new(Cell::new(Duration::ZERO));
    let w = woke.clone();
    sim.node("n")
        .clock_offset(offset_ns)
        .clock_drift(drift)
        .build(move || {
            let w = w.clone();
            async move {
                sleep(d).await;
                w.set(Handle::current().elapsed());
            }
        });
    sim.run_for(Duration::from_secs(100)).unwrap();
    woke.get()
}

#[test]
fn drifting_clocks_fire_timers_early_or_late_in_true_time() {
    assert_eq!(
        wake_time(0, 0.0, Duration::from_secs(10)),
        Duration::from_secs(10)
    );
    // A clock 10% fast reaches 11 s of local time after 10 s of true time.
    assert_eq!(
        wake_time(0, 0.1, Duration::from_secs(11)),
        Duration::from_secs(10)
    );
    // A clock 20% slow needs 10 s true for 8 s local.
    assert_eq!(
        wake_time(0, -0.2, Duration::from_secs(8)),
        Duration::from_secs(10)
    );
    // An offset alone does not change a relative sleep.
    assert_eq!(
        wake_time(5_000_000_000, 0.0, Duration::from_secs(3)),
        Duration::from_secs(3)
    );
}

#[test]
fn local_clock_is_offset_plus_scaled_true_time() {
    let sim = Sim::new(9);
    let readings = Rc::new(Cell::new((0i64, 0i64)));
    let r = readings.clone();
    sim.node("n")
        .clock_offset(2_000)
        .clock_drift(0.5)
        .build(move || {
            let r = r.clone();
            async move {
                let a = Instant::now();
                sleep(Duration::from_millis(300)).await; // local 300 ms = true 200 ms
                r.set((a.as_nanos(), Instant::now().as_nanos()));
            }
        });
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(readings.get(), (2_000, 2_000 + 300_000_000));
    assert_eq!(
        sim.clock_offset(sim.lookup("n").unwrap()),
        2_000 + 500_000_000
    );
}

#[test]
fn changing_drift_mid_run_retimes_pending_timers() {
    let sim = Sim::new(9);
    let woke = Rc::new(Cell::new(Duration::ZERO));
    let w = woke.clone();
    let node = sim.add_node("n", move || {
        let w = w.clone();
        async move {
            sleep(Duration::from_secs(10)).await;
            w.set(Handle::current().elapsed());
        }
    });
    sim.run_for(Duration::from_secs(4)).unwrap();
    sim.set_clock_drift(node, 1.0); // the remaining 6 local seconds take 3 true seconds
    sim.run_for(Duration::from_secs(10)).unwrap();
    assert_eq!(woke.get(), Duration::from_secs(7));
}

#[test]
fn stepping_the_wall_clock_back_keeps_instant_monotonic() {
    let sim = Sim::new(9);
    let seen = Rc::new(Cell::new((Duration::ZERO, false, false)));
    let s = seen.clone();
    let node = sim.add_node("n", move || {
        let s = s.clone();
        async move {
            let (i0, w0) = (Instant::now(), SystemTime::now());
            sleep(Duration::from_secs(2)).await;
            let (i1, w1) = (Instant::now(), SystemTime::now());
            s.set((i1 - i0, w1 < w0, w1.duration_since(w0).is_err()));
        }
    });
    sim.run_for(Duration::from_secs(1)).unwrap();
    sim.step_clock(node, -10_000_000_000);
    sim.run_for(Duration::from_secs(5)).unwrap();
    let (mono, wall_back, err) = seen.get();
    assert_eq!(
        mono,
        Duration::from_secs(2),
        "Instant ignores the backward step"
    );
    assert!(wall_back && err, "SystemTime went back 10 s");
}

#[test]
fn forward_step_fires_timers_early() {
    let sim = Sim::new(9);
    let woke = Rc::new(Cell::new(Duration::ZERO));
    let w = woke.clone();
    let node = sim.add_node("n", move || {
        let w = w.clone();
        async move {
            sleep(Duration::from_secs(10)).await;
            w.set(Handle::current().elapsed());
        }
    });
    sim.run_for(Duration::from_secs(1)).unwrap();
    sim.step_clock(node, 4_000_000_000);
    sim.run_for(Duration::from_secs(20)).unwrap();
    assert_eq!(woke.get(), Duration::from_secs(6));
}

#[test]
fn system_time_starts_at_the_configured_epoch() {
    let sim = Sim::new(1);
    let t = sim.block_on("c", async { SystemTime::now() }).unwrap();
    assert_eq!(t.unix_nanos(), sim.config().epoch_unix_ns as i128);
}

#[test]
fn timeout_elapses_or_passes_through() {
    let sim = Sim::new(1);
    let (a, b) = sim
        .block_on("c", async {
            let a = timeout(Duration::from_millis(10), sleep(Duration::from_millis(20))).await;
            let b = timeout(Duration::from_millis(10), async { 5 }).await;
            (a.is_err(), b)
        })
        .unwrap();
    assert!(a);
    assert_eq!(b, Ok(5));
    assert_eq!(sim.elapsed(), Duration::from_millis(10));
}

#[test]
fn time_jumps_instead_of_waiting() {
    let sim = Sim::new(1);
    sim.block_on("c", async { sleep(Duration::from_secs(3600)).await })
        .unwrap();
    assert_eq!(sim.elapsed(), Duration::from_secs(3600));
    assert_eq!(
        sim.polls(),
        2,
        "one poll to register the timer, one to finish: no busy waiting"
    );
}

/// With a timer resolution, timers fire on the next tick of true time (never early), all
/// timers of one tick together.
#[test]
fn a_timer_resolution_rounds_firings_up_to_the_tick() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let sim = sandtable::Sim::builder()
        .seed(1)
        .timer_resolution(Duration::from_millis(1))
        .build();
    let order = Rc::new(RefCell::new(Vec::new()));
    let o = order.clone();
    sim.block_on("n", async move {
        let start = sandtable::time::Instant::now();
        sandtable::time::sleep(Duration::from_micros(1_300)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(2));
        sandtable::time::sleep(Duration::from_millis(3)).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(5),
            "a whole tick stays exact"
        );
        let handles: Vec<_> = [900u64, 100, 500]
            .into_iter()
            .map(|us| {
                let o = o.clone();
                sandtable::task::spawn(async move {
                    sandtable::time::sleep(Duration::from_micros(us)).await;
                    o.borrow_mut().push((us, start.elapsed()));
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    })
    .unwrap();
    let order = order.borrow();
    assert!(
        order.iter().all(|(_, t)| *t == Duration::from_millis(6)),
        "{order:?}"
    );
    let fired: Vec<u64> = order.iter().map(|(us, _)| *us).collect();
    assert_eq!(fired.len(), 3);
}

#[test]
fn timeout_at_ends_at_its_deadline_and_a_past_deadline_still_polls_once() {
    let sim = Sim::new(4);
    let (early, late, past) = sim
        .block_on("main", async {
            let start = Instant::now();
            let deadline = start + Duration::from_millis(30);
            let early = time::timeout_at(deadline, sleep(Duration::from_millis(10))).await;
            let late = time::timeout_at(deadline, sleep(Duration::from_secs(1))).await;
            let at = start.elapsed();
            let past = time::timeout_at(start, async { 7 }).await;
            (early.is_ok(), (late.is_err(), at), past)
        })
        .unwrap();
    assert!(early);
    assert_eq!(late, (true, Duration::from_millis(30)));
    assert_eq!(past, Ok(7));
}
