//! Same seed, same run: the fingerprint (every scheduling decision, delivery and timer) and
//! the outcome repeat exactly, for a passing seed and for a failing one.

use std::time::Duration;

use leader_election::scenario::Scenario;
use sandtable::Sim;

fn run(scenario: &Scenario, seed: u64) -> (u64, Result<usize, String>) {
    let sim = Sim::new(seed);
    let outcome = scenario
        .run(&sim)
        .map(|r| r.operations)
        .map_err(|e| e.to_string());
    (sim.fingerprint(), outcome)
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let scenario = Scenario::within_bound(0.9);
    let first = run(&scenario, 5);
    assert!(first.1.is_ok(), "{first:?}");
    assert_eq!(first, run(&scenario, 5));
    assert_ne!(first.0, run(&scenario, 6).0, "another seed, another run");
}

#[test]
fn the_same_failing_seed_fails_the_same_way() {
    let scenario = Scenario::steps_beyond_bound(Duration::from_secs(1));
    let (seed, first) = (0..40)
        .map(|seed| (seed, run(&scenario, seed)))
        .find(|(_, (_, outcome))| outcome.is_err())
        .expect("clock steps beyond the bound fail within 40 seeds");
    assert_eq!(first, run(&scenario, seed), "seed {seed}");
}
