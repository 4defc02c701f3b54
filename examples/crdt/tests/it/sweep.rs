//! The correct replicas converge under the full nemesis, on many seeds.

use std::time::Duration;

use crdt::scenario::Scenario;
use sandtable::Sim;

/// Seeds every sweep runs.
const SEEDS: u64 = 200;

#[test]
fn correct_replicas_converge_on_every_seed() {
    let (mut ops, mut unknown, mut lost_writes) = (0, 0, 0);
    for seed in 0..SEEDS {
        let report = Scenario::default()
            .run(&Sim::new(seed))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\n  rerun: SANDTABLE_SEED={seed}"));
        ops += report.acknowledged + report.unknown;
        unknown += report.unknown;
        lost_writes += usize::from(report.verdicts.register.is_err());
    }
    println!("{SEEDS} seeds: {ops} operations ({unknown} unanswered); a lost register write on {lost_writes} seeds");
    assert!(ops > 200 * SEEDS as usize, "the workload ran");
}

#[test]
fn without_clock_faults_no_register_write_is_lost() {
    for seed in 0..SEEDS / 2 {
        Scenario::default()
            .clock_skew(Duration::ZERO)
            .strict_register(true)
            .run(&Sim::new(seed))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}
