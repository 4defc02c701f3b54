use std::time::Duration;

use raft_kv::scenario::{Scenario, POLL_BUDGET};
use sandtable::{run_seeds, CheckConfig, Sim};

/// The correct protocol, 5 nodes and 4 clients under the full nemesis for 60 virtual seconds,
/// then healed: every invariant holds at every step, every client makes progress after the
/// heal, and every history is linearizable. `SANDTABLE_SEEDS=a..b` runs more.
#[test]
fn the_correct_protocol_passes_the_sweep() {
    let scenario = Scenario::default();
    let config = CheckConfig::new()
        .sim(Sim::builder().max_polls(POLL_BUDGET))
        .seeds(0..200)
        .name("raft_kv_sweep");
    let summary =
        run_seeds(config, |sim| scenario.run(sim).map(|_| ())).unwrap_or_else(|f| panic!("{f}"));
    assert!(summary.seeds_run >= 1);
}

#[test]
fn a_run_does_real_work() {
    let sim = Sim::new(11);
    let report = Scenario::default().run(&sim).unwrap();
    assert!(report.operations > 1_000, "{report:?}");
    assert!(report.committed > 1_000, "{report:?}");
    let stats = sim.net().stats();
    assert!(
        stats.dropped_partition > 0,
        "the nemesis cut links: {stats:?}"
    );
    assert!(
        sim.handle().nodes().iter().any(|&n| sim.restarts(n) > 0),
        "someone was restarted"
    );
}

#[test]
fn the_same_seed_runs_the_same_way() {
    let run = |seed| {
        let sim = Sim::new(seed);
        let report = Scenario::default()
            .faults_for(Duration::from_secs(20))
            .run(&sim)
            .unwrap();
        (sim.fingerprint(), sim.event_count(), report.operations)
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).0, run(6).0);
}

#[test]
fn snapshots_in_small_chunks_bring_a_lagging_node_up() {
    // Snapshots every 10 entries, sent 64 bytes at a time: crashed or cut-off nodes catch up
    // through multi-chunk InstallSnapshot, and the history stays linearizable.
    let settings = raft_kv::Settings::default().with_snapshots(10, 64);
    let scenario = Scenario::default()
        .settings(settings)
        .faults_for(Duration::from_secs(30));
    let config = CheckConfig::new()
        .seeds(0..20)
        .name("raft_kv_small_snapshots");
    run_seeds(config, |sim| scenario.run(sim).map(|_| ())).unwrap_or_else(|f| panic!("{f}"));
}

/// Disks that fail syncs: a batch that could not be made durable sends nothing, and its writes
/// are owed again with the next one (a shell that forgot them would send messages of a term,
/// vote or log its disk does not hold: `durable before send`).
#[test]
fn failed_syncs_hold_back_their_batch_and_are_written_again() {
    let scenario = Scenario::default()
        .sync_errors(0.02)
        .faults_for(Duration::from_secs(30));
    let config = CheckConfig::new().seeds(0..30).name("raft_kv_sync_errors");
    let failures = std::cell::Cell::new(0);
    run_seeds(config, |sim| {
        let report = scenario.run(sim)?;
        failures.set(failures.get() + report.persist_failures);
        Ok::<(), sandtable::BoxError>(())
    })
    .unwrap_or_else(|f| panic!("{f}"));
    let failures = failures.get();
    assert!(failures > 100, "syncs failed only {failures} times");
}
