use std::cell::Cell;
use std::time::Duration;

use sandtable::prelude::*;
use sandtable::{run_seeds, CheckConfig};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sandtable-harness-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fails on seeds divisible by 7 (after some simulated work), passes on the others.
fn flaky(sim: &Sim) -> Result<(), sandtable::BoxError> {
    sim.add_node("n", || async {
        sleep(Duration::from_millis(sandtable::rand::random_range(1..100))).await;
    });
    sim.run_for(Duration::from_secs(1))?;
    if sim.seed().is_multiple_of(7) && sim.seed() > 0 {
        return Err(format!("seed {} is unlucky", sim.seed()).into());
    }
    Ok(())
}

#[test]
fn a_failing_seed_is_recorded_and_replayed_first_next_time() {
    let file = scratch("regressions").join("flaky.txt");
    let config = || {
        CheckConfig::default()
            .name("flaky")
            .artifacts(false)
            .regressions_file(&file)
    };
    let f = run_seeds(config().seeds(1..100), flaky).unwrap_err();
    assert_eq!((f.seed, f.seeds_run), (7, 7));
    assert!(f.message.contains("seed 7 is unlucky"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("seed 7 # seed 7 is unlucky"), "{text}");
    // Next run over another range: seed 7 comes first and fails at once.
    let again = run_seeds(config().seeds(50..60), flaky).unwrap_err();
    assert_eq!((again.seed, again.seeds_run), (7, 1));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "recorded once"
    );
}

#[test]
fn passing_seeds_report_their_fingerprints() {
    let s = run_seeds(
        CheckConfig::default()
            .name("pass")
            .regressions(false)
            .seeds(1..7),
        flaky,
    )
    .unwrap();
    assert_eq!(s.seeds_run, 6);
    assert_eq!(
        s.fingerprints
            .iter()
            .map(|(seed, _)| *seed)
            .collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
}

thread_local! {
    static RUNS: Cell<u64> = const { Cell::new(0) };
}

#[test]
fn the_determinism_check_catches_hidden_state_and_names_the_divergence() {
    // The body leaks state between runs (a thread-local counter): not a function of the seed.
    let leaky = |sim: &Sim| -> Result<(), sandtable::BoxError> {
        let n = RUNS.with(|r| {
            r.set(r.get() + 1);
            r.get()
        });
        sim.add_node("n", move || async move {
            for _ in 0..3 {
                sleep(Duration::from_millis(n)).await;
            }
        });
        sim.run_for(Duration::from_secs(1))?;
        Ok(())
    };
    let config = CheckConfig::default()
        .name("leaky")
        .regressions(false)
        .artifacts(false)
        .seeds(0..3);
    assert!(
        run_seeds(config.clone(), leaky).is_ok(),
        "without the check it passes"
    );
    let f = run_seeds(config.determinism_check(true), leaky).unwrap_err();
    let why = f
        .nondeterminism
        .clone()
        .expect("flagged as nondeterministic");
    assert!(why.contains("runs diverge at event #"), "{why}");
    assert!(f.to_string().contains("not deterministic"));
}

#[test]
fn a_panic_in_the_body_is_a_failure_with_the_seed() {
    let f = run_seeds(
        CheckConfig::default()
            .name("panicky")
            .regressions(false)
            .artifacts(false)
            .seeds(3..4),
        |_sim| -> Result<(), sandtable::BoxError> { panic!("assertion in the test body") },
    )
    .unwrap_err();
    assert_eq!(f.seed, 3);
    assert!(f
        .message
        .contains("the test body panicked: assertion in the test body"));
    assert!(
        f.rerun
            .starts_with("SANDTABLE_SEED=3 cargo test -p sandtable --test it -- "),
        "{}",
        f.rerun
    );
}

#[test]
fn artifacts_are_written_per_test_and_seed() {
    let f = run_seeds(
        CheckConfig::default()
            .name("artifacts_demo")
            .regressions(false)
            .seeds(7..8),
        flaky,
    )
    .unwrap_err();
    let dir = f.artifacts.clone().unwrap();
    assert!(
        dir.ends_with("sandtable/artifacts_demo/7"),
        "{}",
        dir.display()
    );
    for file in ["failure.txt", "trace.log", "schedule.json"] {
        assert!(dir.join(file).exists(), "{file}");
    }
}
