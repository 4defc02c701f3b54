//! openraft-rt's own conformance suite on the simulator, many seeds.

use openraft_rt::testing::Suite;
use sandtable_openraft::{with_seed, SimRuntime};

/// Seeds of the suite: `SANDTABLE_SEEDS=a..b` overrides (a single `SANDTABLE_SEED=n` too).
fn seeds() -> std::ops::Range<u64> {
    let parse = |v: &str| sandtable::parse_seed(v).expect("a seed: decimal or 0x-hex");
    if let Ok(one) = std::env::var("SANDTABLE_SEED") {
        let s = parse(&one);
        return s..s + 1;
    }
    match std::env::var("SANDTABLE_SEEDS") {
        Ok(range) => {
            let (a, b) = range.split_once("..").expect("SANDTABLE_SEEDS=a..b");
            parse(a)..parse(b)
        }
        Err(_) => 0..200,
    }
}

#[test]
fn openraft_rt_suite_passes_on_many_seeds() {
    for seed in seeds() {
        let outcome = std::panic::catch_unwind(|| with_seed(seed, Suite::<SimRuntime>::test_all));
        if let Err(payload) = outcome {
            eprintln!("openraft-rt suite failed on seed {seed}: rerun with SANDTABLE_SEED={seed}");
            std::panic::resume_unwind(payload);
        }
    }
}

/// The suite's conformance part on a runtime the test keeps: it really runs in the simulation
/// (its tasks are polled, virtual time passes), and the same seed replays the same run.
#[test]
fn the_suite_is_deterministic_per_seed() {
    let run = |seed| {
        let mut rt = SimRuntime::with_seed(seed);
        Suite::<SimRuntime>::test_all_on(&mut rt);
        let sim = rt.sim();
        (sim.fingerprint(), sim.polls(), sim.elapsed())
    };
    let (fp, polls, elapsed) = run(1);
    assert!(polls > 100, "{polls} polls");
    assert!(
        elapsed > std::time::Duration::from_millis(100),
        "{elapsed:?}"
    );
    assert_eq!(run(1), (fp, polls, elapsed));
    let differs = (2..10).any(|s| run(s).0 != fp);
    assert!(differs, "the seed steers the schedule");
}
