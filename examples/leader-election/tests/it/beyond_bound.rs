//! Beyond the assumption, the sweep finds the split brain — and the tests pin which check
//! catches it first and within how many seeds, so that a change that hides it (in the
//! protocol, the nemesis or the simulator) fails here instead of passing silently.
//!
//! Measured first failing seeds (seeds 0.., five nodes, three clients, 6 s of faults):
//!
//! | clocks                                  | caught by                | first failing seed |
//! |-----------------------------------------|--------------------------|--------------------|
//! | drift up to ±45% (bound ±10%)           | invariant                | 8                  |
//! | the same, invariant off                 | linearizability checker  | 8                  |
//! | drift ±9%, steps up to ±1 s             | invariant                | 8                  |
//! | the same, invariant off                 | linearizability checker  | 8                  |

use std::time::Duration;

use leader_election::invariants::AT_MOST_ONE_LEADER;
use leader_election::scenario::Scenario;
use sandtable::{run_seeds, CheckConfig, Failure};

/// Every sweep here must fail within this many seeds.
const FOUND_WITHIN: u64 = 40;

fn first_failure(name: &str, scenario: &Scenario) -> Box<Failure> {
    let config = CheckConfig::new()
        .seeds(0..FOUND_WITHIN)
        .name(name)
        .regressions(false)
        .artifacts(false);
    match run_seeds(config, |sim| scenario.run(sim).map(|_| ())) {
        Ok(summary) => panic!(
            "{name}: no failure in {} seeds: the split brain went unnoticed",
            summary.seeds_run
        ),
        Err(failure) => failure,
    }
}

fn assert_two_leaders(failure: &Failure) {
    let expected = format!("invariant `{AT_MOST_ONE_LEADER}` violated");
    assert!(
        failure.message.contains(&expected),
        "expected two leaders, got: {failure}"
    );
    assert!(failure.message.contains("both led at"), "{failure}");
}

fn assert_stale_read(failure: &Failure) {
    assert!(
        failure
            .message
            .starts_with("history: not linearizable (register model"),
        "expected a stale read, got: {failure}"
    );
}

#[test]
fn drift_beyond_the_bound_elects_two_leaders_at_once() {
    let scenario = Scenario::drift_beyond_bound(0.45);
    assert!(scenario.clocks.drift_max > scenario.settings.drift_bound);
    let failure = first_failure("leader_election_drift_invariant", &scenario);
    assert_two_leaders(&failure);
}

#[test]
fn drift_beyond_the_bound_serves_a_stale_lease_read() {
    let scenario = Scenario::drift_beyond_bound(0.45).without_leader_invariant();
    let failure = first_failure("leader_election_drift_checker", &scenario);
    assert_stale_read(&failure);
}

#[test]
fn clock_steps_beyond_the_bound_elect_two_leaders_at_once() {
    let scenario = Scenario::steps_beyond_bound(Duration::from_secs(1));
    assert!(scenario.clocks.drift_max < scenario.settings.drift_bound);
    let failure = first_failure("leader_election_steps_invariant", &scenario);
    assert_two_leaders(&failure);
}

#[test]
fn clock_steps_beyond_the_bound_serve_a_stale_lease_read() {
    let scenario = Scenario::steps_beyond_bound(Duration::from_secs(1)).without_leader_invariant();
    let failure = first_failure("leader_election_steps_checker", &scenario);
    assert_stale_read(&failure);
}
