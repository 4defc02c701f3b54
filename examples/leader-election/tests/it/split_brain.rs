//! The worst case for a lease, built on purpose: from 2 s on, as soon as a node leads, it is
//! cut off from the other nodes for 1.5 s, its clock running slow by `d` and theirs fast by
//! `d`. At `d = δ` the lease still holds. Beyond it the others elect a new leader some 400 ms
//! before the old one's lease ends by its slow clock, and the old leader goes on serving lease
//! reads to the client that stayed with it: the invariant sees two leaders at the first seed,
//! and with the invariant off the checker sees the stale read.
//!
//! Clock steps the same way: stepping the other nodes' clocks back changes nothing (only their
//! wall clocks move), stepping them forward by a second ends their holds at once.

use std::time::Duration;

use leader_election::invariants::AT_MOST_ONE_LEADER;
use leader_election::scenario::Scenario;
use leader_election::strike::{strike_the_leader, Strike};
use sandtable::{run_seeds, CheckConfig, Failure, Summary};

fn sweep(
    name: &str,
    scenario: &Scenario,
    strike: Strike,
    seeds: u64,
) -> Result<Summary, Box<Failure>> {
    let config = CheckConfig::new()
        .seeds(0..seeds)
        .name(name)
        .regressions(false)
        .artifacts(false);
    run_seeds(config, |sim| {
        let run = scenario.start(sim)?;
        let struck = strike_the_leader(
            sim,
            run.checker(),
            scenario.node_names(),
            strike,
            Duration::from_secs(2),
            Duration::from_millis(1500),
        );
        let report = run.finish(sim)?;
        assert!(struck.get(), "the leader was struck");
        assert!(report.elections >= 2, "a new leader after the cut");
        Ok::<_, sandtable::BoxError>(())
    })
}

/// No other faults, no other clock drift: only the strike.
fn quiet() -> Scenario {
    Scenario::within_bound(0.0).without_environment_faults()
}

#[test]
fn at_the_bound_a_slow_leader_cut_off_from_fast_voters_is_the_only_leader() {
    let scenario = quiet();
    let d = scenario.settings.drift_bound;
    let summary = sweep(
        "leader_election_split_at_bound",
        &scenario,
        Strike::SkewTheClocks(d),
        30,
    )
    .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(summary.seeds_run, 30);
}

#[test]
fn beyond_the_bound_the_invariant_sees_two_leaders_at_once() {
    let failure = sweep(
        "leader_election_split_invariant",
        &quiet(),
        Strike::SkewTheClocks(0.45),
        5,
    )
    .expect_err("two leaders within 5 seeds");
    let expected = format!("invariant `{AT_MOST_ONE_LEADER}` violated");
    assert!(failure.message.contains(&expected), "{failure}");
}

#[test]
fn beyond_the_bound_the_checker_sees_a_stale_lease_read() {
    let scenario = quiet().without_leader_invariant();
    let failure = sweep(
        "leader_election_split_checker",
        &scenario,
        Strike::SkewTheClocks(0.45),
        10,
    )
    .expect_err("a stale read within 10 seeds");
    assert!(
        failure
            .message
            .starts_with("history: not linearizable (register model"),
        "{failure}"
    );
}

const SECOND_NS: i64 = 1_000_000_000;

#[test]
fn stepping_the_voters_wall_clocks_back_changes_nothing() {
    let strike = Strike::StepTheOthers(-10 * SECOND_NS);
    let summary =
        sweep("leader_election_step_back", &quiet(), strike, 20).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(summary.seeds_run, 20);
}

#[test]
fn stepping_the_voters_clocks_forward_elects_two_leaders() {
    let strike = Strike::StepTheOthers(SECOND_NS);
    let failure = sweep("leader_election_step_forward", &quiet(), strike, 5)
        .expect_err("two leaders within 5 seeds");
    let expected = format!("invariant `{AT_MOST_ONE_LEADER}` violated");
    assert!(failure.message.contains(&expected), "{failure}");
}
