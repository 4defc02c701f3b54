//! A voter that restarts has forgotten how long the lease it granted last runs: it must grant
//! nothing for a whole hold. The sweeps rarely build the case that needs it, so this test
//! builds it on purpose: from 2 s on, as soon as a node leads, it is cut off from the other
//! nodes, which all restart at once — they granted its lease moments ago. Without the restart
//! hold they elect a new leader within a few hundred milliseconds, while the old one still
//! leads; with it, they wait until its lease is over.

use std::time::Duration;

use leader_election::invariants::LeaderChecker;
use leader_election::scenario::Scenario;
use sandtable::{run_seeds, CheckConfig, Handle, NodeId};

/// Cuts the leader off and restarts every other node; if no node leads yet, tries again in
/// 10 ms.
fn strike(
    h: &Handle,
    checker: LeaderChecker,
    names: Vec<String>,
    struck: std::rc::Rc<std::cell::Cell<bool>>,
) {
    let Some(leader) = checker.leader() else {
        h.schedule(Duration::from_millis(10), move |h| {
            strike(h, checker, names, struck)
        });
        return;
    };
    let id = |name: &String| h.lookup(name).expect("a node of the cluster");
    let others: Vec<NodeId> = (0..names.len())
        .filter(|&i| i != leader)
        .map(|i| id(&names[i]))
        .collect();
    h.net().partition(&[id(&names[leader])], &others);
    for node in others {
        h.restart(node);
    }
    struck.set(true);
    h.schedule(Duration::from_secs(1), |h| h.net().heal_all());
}

#[test]
fn restarted_voters_wait_out_the_lease_they_may_have_granted() {
    let scenario = Scenario::within_bound(0.9).without_environment_faults();
    let config = CheckConfig::new()
        .seeds(0..20)
        .name("leader_election_restarts")
        .regressions(false);
    run_seeds(config, |sim| {
        let run = scenario.start(sim)?;
        let (checker, names) = (run.checker().clone(), scenario.node_names());
        let struck = std::rc::Rc::new(std::cell::Cell::new(false));
        let flag = struck.clone();
        sim.schedule(Duration::from_secs(2), move |h| {
            strike(h, checker, names, flag)
        });
        let report = run.finish(sim)?;
        assert!(struck.get(), "the leader was cut off");
        assert!(report.elections >= 2, "a new leader after the cut");
        Ok::<_, sandtable::BoxError>(())
    })
    .unwrap_or_else(|failure| panic!("{failure}"));
}
