//! Faults built on purpose, where the random sweeps would need luck: a protocol-aware nemesis
//! that waits for a leader and then strikes it. Test-harness code (it drives the simulation
//! through a [`Handle`]), never part of a node.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use crate::invariants::LeaderChecker;
use sandtable::{Handle, NodeId};

/// What to do to the cluster once a node leads.
#[derive(Clone, Copy, Debug)]
pub enum Strike {
    /// Cut the leader off from the other nodes and restart them all at once.
    RestartTheOthers,
    /// Cut the leader off from the other nodes, and make its clock slow by `d` and theirs fast
    /// by `d`: the worst case for a lease, at drift `d`.
    SkewTheClocks(f64),
    /// Cut the leader off from the other nodes and step their clocks by this many
    /// nanoseconds: forward moves their monotonic clocks (their holds end early), backward
    /// only their wall clocks, which the protocol never reads.
    StepTheOthers(i64),
}

/// From `at` on, as soon as a node leads, strikes it (retrying every 10 ms until one does);
/// heals the network and the clocks `lasting` later. The returned flag tells whether it struck.
pub fn strike_the_leader(
    handle: &Handle,
    checker: &LeaderChecker,
    names: Vec<String>,
    strike: Strike,
    at: Duration,
    lasting: Duration,
) -> Rc<Cell<bool>> {
    let struck = Rc::new(Cell::new(false));
    let (checker, flag) = (checker.clone(), struck.clone());
    handle.schedule(at, move |h| {
        attempt(h, checker, names, strike, lasting, flag)
    });
    struck
}

fn attempt(
    h: &Handle,
    checker: LeaderChecker,
    names: Vec<String>,
    strike: Strike,
    lasting: Duration,
    struck: Rc<Cell<bool>>,
) {
    let Some(leader) = checker.leader() else {
        let retry = move |h: &Handle| attempt(h, checker, names, strike, lasting, struck);
        h.schedule(Duration::from_millis(10), retry);
        return;
    };
    let id = |name: &String| h.lookup(name).expect("a node of the cluster");
    let others: Vec<NodeId> = (0..names.len())
        .filter(|&i| i != leader)
        .map(|i| id(&names[i]))
        .collect();
    let leader = id(&names[leader]);
    h.net().partition(&[leader], &others);
    match strike {
        Strike::RestartTheOthers => others.iter().for_each(|&n| h.restart(n)),
        Strike::SkewTheClocks(d) => {
            h.set_clock_drift(leader, -d);
            others.iter().for_each(|&n| h.set_clock_drift(n, d));
        }
        Strike::StepTheOthers(delta_ns) => others.iter().for_each(|&n| h.step_clock(n, delta_ns)),
    }
    struck.set(true);
    h.schedule(lasting, move |h| {
        h.net().heal_all();
        h.set_clock_drift(leader, 0.0);
        others.iter().for_each(|&n| h.set_clock_drift(n, 0.0));
    });
}
