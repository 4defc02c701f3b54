//! The openraft cluster under the simulator: a sweep of seeds under the full nemesis, and the
//! same seed replaying the same run.

use std::time::{Duration, Instant};

use openraft_kv::scenario::Scenario;
use sandtable::{run_seeds, CheckConfig, Sim};

/// 100 seeds of 3 nodes and 3 clients under the nemesis for 20 virtual seconds, then healed:
/// every client completes operations after the heal, every history is linearizable.
/// `SANDTABLE_SEEDS=a..b` runs others.
#[test]
fn openraft_passes_the_sweep() {
    let scenario = Scenario::default();
    let config = CheckConfig::new().seeds(0..100).name("openraft_kv_sweep");
    let started = Instant::now();
    let summary =
        run_seeds(config, |sim| scenario.run(sim).map(|_| ())).unwrap_or_else(|f| panic!("{f}"));
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "openraft-kv ({} mode): {} seeds in {secs:.1} s ({:.1} seeds/s)",
        openraft_kv::MODE,
        summary.seeds_run,
        summary.seeds_run as f64 / secs
    );
    assert!(summary.seeds_run >= 1);
}

#[test]
fn a_run_does_real_work() {
    let sim = Sim::new(3);
    let report = Scenario::default().run(&sim).unwrap();
    assert!(report.ok > 100, "{report:?}");
    assert!(report.terms_led >= 1, "{report:?}");
    assert!(
        report.observations > 1000,
        "the invariants saw the run: {report:?}"
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
            .faults_for(Duration::from_secs(10))
            .run(&sim)
            .unwrap();
        (sim.fingerprint(), sim.event_count(), report.operations)
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).0, run(6).0);
}

/// A violation reported by the checker inside a simulation stops the run at that step, with
/// the property's name and the seed (openraft itself is not expected to break one).
#[test]
fn a_violation_stops_the_run_with_its_seed() {
    use openraft_kv::invariants::{Checker, MetricsView, ELECTION_SAFETY};
    let sim = Sim::new(7);
    let checker = Checker::new();
    let leader = |term| MetricsView {
        term,
        leader: true,
        ..MetricsView::default()
    };
    let c = checker.clone();
    sim.client("fabricated", async move {
        c.probe(0).metrics(leader(2));
        sandtable::time::sleep(Duration::from_millis(10)).await;
        c.probe(1).metrics(leader(2));
        sandtable::time::sleep(Duration::from_secs(3600)).await;
    });
    let err = sim.run().expect_err("two leaders in term 2");
    match err {
        sandtable::SimError::Invariant { name, seed, .. } => {
            assert_eq!((name.as_str(), seed), (ELECTION_SAFETY, 7));
        }
        other => panic!("{other}"),
    }
    assert!(
        sim.handle().elapsed() < Duration::from_secs(1),
        "stopped at the step"
    );
}

/// A log store that syncs before writing a batch instead of after (`LogBug::SyncBeforeWrite`)
/// reports entries flushed that a crash then loses; a leader restarted in its term proposes new
/// entries under the lost ones' log ids. The sweep catches it as a Log Matching violation at that
/// step. (On the seeds before 37 the bug goes unseen or stalls the cluster: a restarted node
/// whose saved committed id is past the log it kept cannot start.)
#[test]
fn a_log_store_that_syncs_before_writing_breaks_log_matching() {
    use openraft_kv::invariants::LOG_MATCHING;
    use openraft_kv::log_store::LogBug;
    let scenario = Scenario::default().log_bug(LogBug::SyncBeforeWrite);
    let config = CheckConfig::new()
        .seeds(35..45)
        .regressions(false)
        .artifacts(false)
        .name("openraft_kv_sync_before_write");
    let failure = run_seeds(config, |sim| scenario.run(sim).map(|_| ()))
        .expect_err("an append synced too early is caught within these seeds");
    let msg = failure.to_string();
    eprintln!("{}", msg.lines().next().unwrap_or_default());
    assert!(msg.contains("seed 37"), "{msg}");
    assert!(msg.contains(&format!("`{LOG_MATCHING}`")), "{msg}");
    assert!(
        msg.contains("n0 holds a different entry at index 115 (term 1)"),
        "{msg}"
    );
}
