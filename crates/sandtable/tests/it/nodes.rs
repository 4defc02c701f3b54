use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use sandtable::prelude::*;

use crate::util::DropFlag;

#[test]
fn crash_drops_every_task_of_the_node_and_runs_destructors() {
    let sim = Sim::new(5);
    let flags: Vec<Rc<Cell<bool>>> = (0..3).map(|_| Rc::new(Cell::new(false))).collect();
    let f = flags.clone();
    let node = sim.add_node("victim", move || {
        let f = f.clone();
        async move {
            for flag in f.iter().skip(1).cloned() {
                spawn(async move {
                    let _g = DropFlag(flag);
                    sleep(Duration::from_secs(100)).await;
                })
                .detach();
            }
            let _g = DropFlag(f[0].clone());
            std::future::pending::<()>().await;
        }
    });
    let survivor_ran = Rc::new(Cell::new(false));
    let s = survivor_ran.clone();
    sim.add_node("other", move || {
        let s = s.clone();
        async move {
            sleep(Duration::from_secs(2)).await;
            s.set(true);
        }
    });
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert!(flags.iter().all(|f| !f.get()));
    sim.crash(node);
    assert!(
        flags.iter().all(|f| f.get()),
        "all three tasks dropped at crash"
    );
    assert_eq!(sim.state(node), NodeState::Crashed);
    sim.run_for(Duration::from_secs(2)).unwrap();
    assert!(survivor_ran.get(), "other nodes are unaffected");
}

#[test]
fn restart_runs_init_again_and_memory_is_fresh() {
    let sim = Sim::new(5);
    let starts = Rc::new(Cell::new(0));
    let s = starts.clone();
    let node = sim.add_node("n", move || {
        s.set(s.get() + 1);
        async { std::future::pending::<()>().await }
    });
    sim.run_for(Duration::from_secs(1)).unwrap();
    sim.restart(node);
    sim.run_for(Duration::from_secs(1)).unwrap();
    sim.restart(node);
    assert_eq!(starts.get(), 3);
    assert_eq!(sim.restarts(node), 2);
    assert_eq!(sim.state(node), NodeState::Running);
}

#[test]
fn crash_from_inside_a_task_of_the_same_node_takes_effect_after_the_poll() {
    let sim = Sim::new(5);
    let after = Rc::new(Cell::new(false));
    let a = after.clone();
    let node = sim.add_node("suicidal", move || {
        let a = a.clone();
        async move {
            sleep(Duration::from_millis(10)).await;
            let h = Handle::current();
            h.crash(h.current_node().unwrap());
            yield_now().await;
            a.set(true);
        }
    });
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(sim.state(node), NodeState::Crashed);
    assert!(
        !after.get(),
        "the task was dropped before it could continue"
    );
}

#[test]
fn pause_stops_polling_and_timers_until_resume() {
    let sim = Sim::new(5);
    let ticks = Rc::new(RefCell::new(Vec::new()));
    let t = ticks.clone();
    let node = sim.add_node("gc", move || {
        let t = t.clone();
        async move {
            let mut iv = time::interval(Duration::from_millis(100));
            loop {
                iv.tick().await;
                t.borrow_mut()
                    .push(Handle::current().elapsed().as_millis() as u64);
            }
        }
    });
    sim.run_for(Duration::from_millis(250)).unwrap();
    assert_eq!(*ticks.borrow(), vec![0, 100, 200]);
    sim.pause(node);
    sim.run_for(Duration::from_millis(1000)).unwrap();
    assert_eq!(ticks.borrow().len(), 3, "no tick while paused");
    sim.resume(node);
    sim.run_for(Duration::from_millis(1)).unwrap();
    // The overdue tick fires at resume; later ticks keep the period from then on.
    assert_eq!(*ticks.borrow(), vec![0, 100, 200, 1250]);
    sim.run_for(Duration::from_millis(100)).unwrap();
    assert_eq!(ticks.borrow().last(), Some(&1350));
}

#[test]
fn spawn_on_a_crashed_node_never_runs() {
    let sim = Sim::new(5);
    let node = sim.add_node("n", || async {});
    sim.crash(node);
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let h = sim.spawn_on(node, async move { r.set(true) });
    assert!(h.is_finished());
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert!(!ran.get());
}

#[test]
#[should_panic(expected = "already exists")]
fn duplicate_node_names_are_rejected() {
    let sim = Sim::new(1);
    sim.add_node("a", || async {});
    sim.add_node("a", || async {});
}
