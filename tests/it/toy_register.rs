//! The primary–backup register of `sandtable_examples::register` under the harness: reading
//! from any replica is not linearizable and the harness must find a seed that shows it, with a
//! repro that fails the same way; reading from the primary is linearizable and must pass.

use sandtable::lin;
use sandtable::{CheckConfig, Failure};
use sandtable_examples::register::{scenario, Reads};

fn body(sim: &sandtable::Sim, read_any: bool) -> Result<(), sandtable::BoxError> {
    scenario(
        sim,
        if read_any {
            Reads::AnyReplica
        } else {
            Reads::Primary
        },
    )
}

fn toy_config(name: &str) -> CheckConfig {
    CheckConfig::new().name(name).regressions(false)
}

#[test]
fn harness_finds_the_stale_read_and_its_repro_fails_the_same_way() {
    let failure: Box<Failure> =
        sandtable::run_seeds(toy_config("toy_read_any").seeds(0..50), |sim| {
            body(sim, true)
        })
        .expect_err("reading from any replica is not linearizable and some seed shows it");
    let text = failure.to_string();
    assert!(failure.message.contains("not linearizable"), "{text}");
    assert!(
        failure.rerun.starts_with(&format!(
            "SANDTABLE_SEED={} cargo test -p sandtable-examples --test it",
            failure.seed
        )),
        "{text}"
    );
    assert_eq!(failure.nondeterminism, None);

    // Artifacts: the trace, the schedule, the history and the HTML report.
    let dir = failure.artifacts.clone().expect("artifacts written");
    let trace = std::fs::read_to_string(dir.join("trace.log")).unwrap();
    assert!(
        trace
            .lines()
            .any(|l| l.contains("deliver") && l.contains("to=r0")),
        "the trace shows deliveries"
    );
    assert!(
        trace.lines().all(|l| l.as_bytes()[..15]
            .iter()
            .all(|b| b.is_ascii_digit() || b" .s".contains(b))),
        "virtual time stamps"
    );
    let schedule = std::fs::read_to_string(dir.join("schedule.json")).unwrap();
    sandtable::nemesis::Schedule::from_json(&schedule).unwrap();
    let history = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    assert!(!lin::History::from_jsonl_str(&history).unwrap().is_empty());
    assert!(std::fs::read_to_string(dir.join("report.html"))
        .unwrap()
        .contains("<html"));
    assert!(std::fs::read_to_string(dir.join("failure.txt"))
        .unwrap()
        .contains(&failure.rerun));

    // The repro: only that seed, the same failure.
    let again = sandtable::run_seeds(toy_config("toy_read_any").seed(failure.seed), |sim| {
        body(sim, true)
    })
    .unwrap_err();
    assert_eq!(
        (again.seed, &again.message, again.seeds_run),
        (failure.seed, &failure.message, 1)
    );
}

/// Run by the next test in a child process, as a user would run the printed rerun command.
#[test]
fn repro_child() {
    if std::env::var("TOY_REPRO_CHILD").is_ok() {
        sandtable::check(toy_config("toy_read_any_child"), |sim| body(sim, true));
    }
}

#[test]
fn the_printed_rerun_command_reproduces_the_failure() {
    let failure = sandtable::run_seeds(toy_config("toy_read_any_cmd").seeds(0..50), |sim| {
        body(sim, true)
    })
    .unwrap_err();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "toy_register::repro_child", "--nocapture"])
        .env("SANDTABLE_SEED", failure.seed.to_string())
        .env("TOY_REPRO_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the rerun fails");
    assert!(
        stderr.contains(&format!(
            "failed on seed {} (after 1 seed(s))",
            failure.seed
        )),
        "{stderr}"
    );
    let first_line = failure.message.lines().next().unwrap();
    assert!(
        stderr.contains(first_line),
        "same failure: {first_line}\n{stderr}"
    );
}

#[test]
fn reading_from_the_primary_is_linearizable_under_partitions_and_crashes() {
    let summary = sandtable::run_seeds(
        toy_config("toy_primary")
            .seeds(0..1000)
            .determinism_check(true),
        |sim| body(sim, false),
    )
    .unwrap_or_else(|f| panic!("{f}"));
    // SANDTABLE_SEED / SANDTABLE_SEEDS may choose other seeds; every seed run must differ.
    let env = std::env::var("SANDTABLE_SEED").is_ok() || std::env::var("SANDTABLE_SEEDS").is_ok();
    if !env {
        assert_eq!(summary.seeds_run, 1000);
    }
    let distinct: std::collections::BTreeSet<u64> =
        summary.fingerprints.iter().map(|(_, f)| *f).collect();
    assert_eq!(distinct.len() as u64, summary.seeds_run);
}

/// A minute of cluster time with crashes and partitions: many crashed (`info`) writes, which
/// could make the checker's search explode; it must still decide quickly (small step budget).
#[test]
fn a_long_faulty_run_with_many_crashed_writes_checks_quickly() {
    use sandtable::lin::{check, CheckOptions, Verdict};
    use sandtable_examples::register::long_run;
    use std::time::Duration;

    for seed in 0..3 {
        let sim = sandtable::Sim::new(seed);
        let rec = long_run(&sim, Reads::Primary, Duration::from_secs(60)).unwrap();
        sim.run().unwrap();
        let history = rec.history();
        let crashed = history
            .ops()
            .iter()
            .filter(|op| op.f == "write" && op.status == lin::OpStatus::Info)
            .count();
        assert!(
            crashed >= 10,
            "seed {seed}: the run has many crashed writes ({crashed})"
        );
        let result = check(
            &history,
            &lin::models::Register,
            &CheckOptions::default().budget_steps(2_000_000),
        );
        assert_eq!(
            result.verdict,
            Verdict::Linearizable,
            "seed {seed}: {result}"
        );
    }
}
