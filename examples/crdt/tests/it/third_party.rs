//! The `crdts` crate's types, unmodified, replicated over Sandtable's faulty network: they
//! converge after the heal on every seed; their std `HashMap` iteration order reaches the wire,
//! which the determinism check catches and names; seeded hash keys make it deterministic.

use std::time::Duration;

use crdt::scenario::Scenario;
use crdt::third_party::{run_scenario, ThirdPartyReport};
use sandtable::{first_divergence, EventKind, OsCalls, Sim};

/// Seeds of the convergence sweep.
const SEEDS: u64 = 100;

fn scenario() -> Scenario {
    Scenario::default().faults_for(Duration::from_secs(5))
}

#[test]
fn the_crdts_crate_converges_under_the_nemesis_on_every_seed() {
    let (mut acknowledged, mut lost_writes) = (0, 0);
    for seed in 0..SEEDS {
        let report = run_scenario(&scenario(), &Sim::new(seed))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\n  rerun: SANDTABLE_SEED={seed}"));
        acknowledged += report.acknowledged;
        lost_writes += usize::from(report.register_lost_write);
    }
    println!("{SEEDS} seeds: {acknowledged} acknowledged operations; LWWReg lost a write (clock skew) on {lost_writes}");
    assert!(acknowledged > 100 * SEEDS as usize, "the workload ran");
}

/// One run of `seed` with its event log: fingerprint, log, and what it found.
fn recorded(seed: u64, os_calls: OsCalls) -> (u64, Vec<sandtable::LoggedEvent>, ThirdPartyReport) {
    let sim = Sim::builder()
        .seed(seed)
        .record_events(true)
        .os_calls(os_calls)
        .build();
    let report = run_scenario(&scenario(), &sim).expect("converges");
    (
        sim.fingerprint(),
        sim.take_event_log().expect("recorded"),
        report,
    )
}

#[test]
fn orswot_hash_order_on_the_wire_is_caught_by_the_double_run() {
    // Same seed, same thread, twice: std's hash keys count up between the runs, so the maps
    // inside Orswot iterate — and serialise, to disk and to the wire — in another order.
    let (fp1, log1, report1) = recorded(11, OsCalls::Allow);
    let (fp2, log2, report2) = recorded(11, OsCalls::Allow);
    assert_eq!(
        report1, report2,
        "the outcome is the same: only the bytes differ"
    );
    assert_ne!(fp1, fp2, "the fingerprints differ");
    let divergence = first_divergence(&log1, &log2).expect("the logs differ");
    // The first difference is data: the serialised Orswot, persisted before the first reply
    // (a disk write) or gossiped (a payload), whichever the seed does first.
    let left = divergence.left.expect("an event");
    assert!(
        matches!(left.kind, EventKind::Disk | EventKind::Payload),
        "{divergence}"
    );
    // The events before it are the same decisions: the scheduling did not diverge first.
    assert_eq!(log1[..divergence.index], log2[..divergence.index]);
}

#[test]
fn seeded_hash_keys_make_the_crdts_crate_deterministic() {
    // Each run on a fresh thread, its simulation built with OsCalls::Simulate: the thread's
    // first RandomState draws its keys from the seed, so every HashMap iterates the same way.
    let on_fresh_thread = |seed| {
        std::thread::spawn(move || {
            let (fp, log, report) = recorded(seed, OsCalls::Simulate);
            (fp, log.len(), report)
        })
        .join()
        .expect("the run converges")
    };
    for seed in [11, 12] {
        assert_eq!(on_fresh_thread(seed), on_fresh_thread(seed), "seed {seed}");
    }
}
