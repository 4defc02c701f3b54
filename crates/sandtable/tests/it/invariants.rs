//! Cluster-wide invariants and liveness checks: a violation stops the run at the step that
//! caused it, naming the invariant, the node and the virtual time.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sandtable::prelude::*;
use sandtable::Progress;

/// A node that bumps a shared counter every `period`, `times` times.
fn counter_node(sim: &Sim, name: &str, count: Rc<Cell<u32>>, period: Duration, times: u32) {
    sim.add_node(name, move || {
        let count = count.clone();
        async move {
            for _ in 0..times {
                sleep(period).await;
                count.set(count.get() + 1);
            }
        }
    });
}

#[test]
fn an_invariant_fails_the_run_at_the_step_that_breaks_it() {
    let sim = Sim::new(5);
    let count = Rc::new(Cell::new(0));
    counter_node(&sim, "a", count.clone(), Duration::from_millis(100), 10);
    let checks = Rc::new(Cell::new(0u32));
    let (seen, c) = (count.clone(), checks.clone());
    sim.invariant("below three", move || {
        c.set(c.get() + 1);
        match seen.get() {
            n if n < 3 => Ok(()),
            n => Err(format!("count is {n}")),
        }
    });
    let err = sim.run_for(Duration::from_secs(5)).unwrap_err();
    let SimError::Invariant {
        seed,
        name,
        message,
        time,
        after,
    } = &err
    else {
        panic!("expected an invariant violation, got {err}");
    };
    assert_eq!(
        (*seed, name.as_str(), message.as_str()),
        (5, "below three", "count is 3")
    );
    assert_eq!(
        *time,
        Duration::from_millis(300),
        "stopped at the third increment"
    );
    assert_eq!(after, "a");
    assert_eq!(count.get(), 3, "nothing ran after the violating step");
    assert!(checks.get() >= 3, "checked after each poll");
    assert!(err.to_string().contains("SANDTABLE_SEED=5"), "{err}");
}

#[test]
fn a_holding_invariant_costs_nothing_to_the_run() {
    let run = |with_invariant: bool| {
        let sim = Sim::new(9);
        let count = Rc::new(Cell::new(0));
        counter_node(&sim, "a", count.clone(), Duration::from_millis(10), 50);
        if with_invariant {
            sim.invariant("always", || Ok(()));
        }
        sim.run_for(Duration::from_secs(1)).unwrap();
        (count.get(), sim.fingerprint())
    };
    assert_eq!(
        run(true),
        run(false),
        "an invariant does not change the run"
    );
}

#[test]
fn a_violation_reported_from_inside_a_task_stops_the_run() {
    let sim = Sim::new(2);
    let after = Rc::new(Cell::new(false));
    let flag = after.clone();
    sim.add_node("probe", move || {
        let flag = flag.clone();
        async move {
            sleep(Duration::from_secs(1)).await;
            Handle::current().violation("two leaders", "n1 and n2 lead term 4");
            sleep(Duration::from_secs(1)).await;
            flag.set(true);
        }
    });
    let err = sim.run_for(Duration::from_secs(5)).unwrap_err();
    assert!(
        matches!(&err, SimError::Invariant { name, after, time, .. }
            if name == "two leaders" && after == "probe" && *time == Duration::from_secs(1)),
        "{err:?}"
    );
    assert!(!after.get(), "the run stopped at the violation");
}

#[test]
fn liveness_fails_when_a_participant_stalls_after_the_heal() {
    let sim = Sim::new(3);
    let progress = Progress::new();
    for (name, stop_after) in [("fast", 100u32), ("stuck", 2)] {
        let p = progress.clone();
        progress.expect(name);
        sim.add_node(name, move || {
            let p = p.clone();
            async move {
                for _ in 0..stop_after {
                    sleep(Duration::from_millis(500)).await;
                    p.made(name);
                }
            }
        });
    }
    sim.require_progress(&progress, Duration::from_secs(5), Duration::from_secs(3));
    let err = sim.run_for(Duration::from_secs(20)).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, SimError::Invariant { name, .. } if name == "liveness"),
        "{text}"
    );
    assert!(text.contains("stuck (last progress at 1s)"), "{text}");
    assert!(
        matches!(&err, SimError::Invariant { message, .. } if !message.contains("fast")),
        "{text}"
    );
    assert!(
        matches!(&err, SimError::Invariant { time, .. } if *time >= Duration::from_secs(8) && *time < Duration::from_millis(8600)),
        "{err:?}"
    );
}

#[test]
fn liveness_passes_when_everyone_progresses() {
    let sim = Sim::new(3);
    let progress = Progress::new();
    progress.expect("worker");
    let p = progress.clone();
    sim.add_node("worker", move || {
        let p = p.clone();
        async move {
            loop {
                sleep(Duration::from_millis(700)).await;
                p.made("worker");
            }
        }
    });
    sim.require_progress(&progress, Duration::from_secs(2), Duration::from_secs(1));
    sim.run_for(Duration::from_secs(10)).unwrap();
    assert!(progress.last("worker").unwrap() >= Duration::from_secs(9));
}
