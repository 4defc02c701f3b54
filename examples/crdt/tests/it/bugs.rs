//! Every planted bug is caught by the convergence checker within a stated number of seeds,
//! with the verdict that should catch it.

use crdt::scenario::Scenario;
use crdt::Bug;
use sandtable::Sim;

/// The first failing seed (searched up to the bound) and its message.
fn first_failure(bug: Bug, within: u64) -> Option<(u64, String)> {
    (0..within).find_map(|seed| {
        Scenario::default()
            .with_bug(bug)
            .run(&Sim::new(seed))
            .err()
            .map(|e| (seed, e.to_string()))
    })
}

fn caught(bug: Bug, within: u64, verdict: &str) {
    let (seed, message) =
        first_failure(bug, within).unwrap_or_else(|| panic!("{bug} not caught in {within} seeds"));
    println!("{bug}: seed {seed}: {message}");
    assert!(message.contains(verdict), "{bug} at seed {seed}: {message}");
}

#[test]
fn gcounter_sum_merge_overcounts() {
    caught(Bug::GCounterSumMerge, 5, "counter value");
}

#[test]
fn pn_merge_forgetting_decrements_never_converges() {
    caught(
        Bug::PnMergeForgetsDecrements,
        5,
        "replicas did not converge",
    );
}

#[test]
fn orset_map_extend_loses_an_acknowledged_add() {
    caught(Bug::OrSetMapExtend, 10, "is missing");
}

#[test]
fn orset_without_tombstones_brings_removed_elements_back() {
    caught(
        Bug::OrSetNoTombstone,
        5,
        "every add of it was observed by an acknowledged remove",
    );
}

#[test]
fn acking_before_durable_forgets_after_a_crash() {
    caught(Bug::AckBeforeDurable, 20, "is missing");
}
