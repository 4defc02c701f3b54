//! The seed harness: `sandtable::check(config, |sim| ...)` runs a test body on many seeds, and
//! on failure prints the seed, the one command that reruns it, and the fault schedule, and
//! writes the trace, schedule, history and HTML report under `target/sandtable/`.

mod artifacts;
mod config;

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

pub use config::{CheckConfig, HarnessEnvError, DEFAULT_SEEDS};

use crate::first_divergence;
use crate::sim::{Sim, SimBuilder};
use sandtable_check::{CheckResult, Recorder};

/// A boxed error from a test body: anything `?` can produce.
pub type BoxError = Box<dyn Error + 'static>;

/// What a `#[sandtable::test]` body may return: `()` or `Result<(), E>`.
pub trait TestOutcome {
    /// The outcome as the harness's result.
    fn into_result(self) -> Result<(), BoxError>;
}

impl TestOutcome for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> TestOutcome for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// A seed on which the test body failed, with everything needed to rerun and understand it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Failure {
    /// The test's name.
    pub test: String,
    /// The failing seed.
    pub seed: u64,
    /// What went wrong (the error's or the panic's text).
    pub message: String,
    /// The fault schedule of the run, as text.
    pub schedule: String,
    /// The command that reruns exactly this seed.
    pub rerun: String,
    /// Where the artifacts were written, if they were.
    pub artifacts: Option<PathBuf>,
    /// Seeds run before this one failed (including it).
    pub seeds_run: u64,
    /// Set when rerunning the seed did not reproduce the same run: the first divergence.
    pub nondeterminism: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sandtable: test `{}` failed on seed {} (after {} seed(s))",
            self.test, self.seed, self.seeds_run
        )?;
        writeln!(f, "{}", indent(&self.message))?;
        if let Some(d) = &self.nondeterminism {
            writeln!(f, "  WARNING: the run is not deterministic: {d}")?;
        }
        writeln!(f, "  fault schedule:\n{}", self.schedule.trim_end())?;
        writeln!(f, "  rerun exactly this seed:\n    {}", self.rerun)?;
        if let Some(dir) = &self.artifacts {
            writeln!(f, "  artifacts: {}/ (failure.txt, trace.log, schedule.json, history.jsonl, report.html)", dir.display())?;
        }
        Ok(())
    }
}

impl Error for Failure {}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a passing [`run_seeds`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Seeds run.
    pub seeds_run: u64,
    /// Fingerprint of each seed's run, in order.
    pub fingerprints: Vec<(u64, u64)>,
}

thread_local! {
    static HISTORY: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

impl Sim {
    /// Tells the harness which history this run records, so it is saved (JSONL) on failure.
    pub fn attach_history(&self, recorder: &Recorder) {
        HISTORY.with(|h| *h.borrow_mut() = Some(recorder.clone()));
    }
}

/// Runs `body` on every configured seed; panics with a [`Failure`] report on the first seed
/// that fails (an `Err`, a panic in the body, or a failed simulation).
#[track_caller]
pub fn check<F, E>(config: CheckConfig, body: F)
where
    F: Fn(&Sim) -> Result<(), E>,
    E: Into<BoxError>,
{
    if let Err(failure) = run_seeds(config, body) {
        panic!("{failure}");
    }
}

/// One seed's outcome: fingerprint, and the error text with the pieces the report needs.
struct Outcome {
    fingerprint: u64,
    error: Option<String>,
    html: Option<String>,
    history: Option<String>,
    schedule: crate::nemesis::Schedule,
    log: Option<Vec<crate::LoggedEvent>>,
}

fn run_one<F, E>(config: &CheckConfig, seed: u64, record: bool, body: &F) -> Outcome
where
    F: Fn(&Sim) -> Result<(), E>,
    E: Into<BoxError>,
{
    let mut sim_config = config.sim.clone();
    sim_config.seed = seed;
    sim_config.record_events = record;
    if config.determinism && sim_config.os_calls == crate::OsCalls::Allow {
        // The checking mode: OS clocks, randomness and threads inside a task fail the seed.
        sim_config.os_calls = config.os_calls.unwrap_or(crate::OsCalls::Report);
    }
    let sim = SimBuilder::from(sim_config).build();
    HISTORY.with(|h| h.borrow_mut().take());
    let result = panic::catch_unwind(AssertUnwindSafe(|| body(&sim).map_err(Into::into)));
    let (error, html) = match result {
        Ok(Ok(())) => (None, None),
        Ok(Err(e)) => {
            let html = e
                .downcast_ref::<CheckResult>()
                .or_else(|| e.downcast_ref::<Box<CheckResult>>().map(|b| &**b))
                .map(CheckResult::to_html);
            (Some(e.to_string()), html)
        }
        Err(payload) => (
            Some(format!("the test body panicked: {}", panic_text(&*payload))),
            None,
        ),
    };
    let history = HISTORY
        .with(|h| h.borrow_mut().take())
        .map(|r| r.history().to_jsonl_string());
    Outcome {
        fingerprint: sim.fingerprint(),
        error,
        html,
        history,
        schedule: sim.fault_schedule(),
        log: sim.take_event_log(),
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic>".into())
}

/// The seeds in run order: regressions first, then the range (or only `SANDTABLE_SEED`).
fn seed_order(config: &CheckConfig, test: &str) -> Vec<u64> {
    if let Some(seed) = config.only_seed {
        return vec![seed];
    }
    let mut seeds = if config.regressions {
        artifacts::read_regressions(&regressions_path(config, test))
    } else {
        Vec::new()
    };
    let rest: Vec<u64> = config
        .seeds
        .clone()
        .filter(|s| !seeds.contains(s))
        .collect();
    seeds.extend(rest);
    seeds
}

/// Like [`check`], but returns the failure instead of panicking.
pub fn run_seeds<F, E>(config: CheckConfig, body: F) -> Result<Summary, Box<Failure>>
where
    F: Fn(&Sim) -> Result<(), E>,
    E: Into<BoxError>,
{
    let test = config.test_name();
    let mut fingerprints = Vec::new();
    for (i, seed) in seed_order(&config, &test).into_iter().enumerate() {
        let first = run_one(&config, seed, config.determinism, &body);
        let divergence = if config.determinism {
            let second = run_one(&config, seed, true, &body);
            diverges(&first, &second)
        } else {
            None
        };
        if first.error.is_some() || divergence.is_some() {
            return Err(Box::new(fail(
                &config,
                &test,
                seed,
                i as u64 + 1,
                first,
                divergence,
                &body,
            )));
        }
        fingerprints.push((seed, first.fingerprint));
    }
    Ok(Summary {
        seeds_run: fingerprints.len() as u64,
        fingerprints,
    })
}

fn diverges(a: &Outcome, b: &Outcome) -> Option<String> {
    if a.fingerprint == b.fingerprint && a.error == b.error {
        return None;
    }
    let (la, lb) = (
        a.log.as_deref().unwrap_or(&[]),
        b.log.as_deref().unwrap_or(&[]),
    );
    Some(match first_divergence(la, lb) {
        Some(d) => d.to_string(),
        None => format!(
            "fingerprints {:016x} and {:016x} differ",
            a.fingerprint, b.fingerprint
        ),
    })
}

/// Builds the failure report: reruns the seed with a debug trace captured (which also checks
/// that it fails the same way), writes artifacts and the regression entry.
fn fail<F, E>(
    config: &CheckConfig,
    test: &str,
    seed: u64,
    seeds_run: u64,
    first: Outcome,
    divergence: Option<String>,
    body: &F,
) -> Failure
where
    F: Fn(&Sim) -> Result<(), E>,
    E: Into<BoxError>,
{
    let message = first
        .error
        .clone()
        .unwrap_or_else(|| "the run is not deterministic".into());
    let (trace, rerun_outcome) = traced_rerun(config, seed, body);
    let nondeterminism = divergence.or_else(|| {
        (rerun_outcome.fingerprint != first.fingerprint || rerun_outcome.error != first.error).then(
            || {
                format!(
                    "a rerun of seed {seed} gave fingerprint {:016x} instead of {:016x}",
                    rerun_outcome.fingerprint, first.fingerprint
                )
            },
        )
    });
    let mut failure = Failure {
        test: test.to_string(),
        seed,
        schedule: first.schedule.to_string(),
        rerun: rerun_command(&config.test_filter(), seed),
        artifacts: None,
        seeds_run,
        nondeterminism,
        message,
    };
    if config.artifacts {
        let dir = artifacts::seed_dir(test, seed);
        let mut files = vec![
            ("failure.txt", String::new()),
            ("trace.log", trace),
            ("schedule.json", first.schedule.to_json()),
        ];
        files.extend(first.history.map(|h| ("history.jsonl", h)));
        files.extend(first.html.map(|h| ("report.html", h)));
        failure.artifacts = Some(dir.clone());
        files[0].1 = failure.to_string();
        if let Err(e) = artifacts::write_all(&dir, &files) {
            failure.message.push_str(&format!(
                "\n(could not write artifacts to {}: {e})",
                dir.display()
            ));
            failure.artifacts = None;
        }
    }
    if config.regressions && config.only_seed.is_none() {
        let _ = artifacts::add_regression(&regressions_path(config, test), seed, &failure.message);
    }
    failure
}

fn regressions_path(config: &CheckConfig, test: &str) -> PathBuf {
    config
        .regressions_file
        .clone()
        .unwrap_or_else(|| artifacts::regressions_file(test))
}

/// Reruns `seed` with a debug-level trace captured into a string.
fn traced_rerun<F, E>(config: &CheckConfig, seed: u64, body: &F) -> (String, Outcome)
where
    F: Fn(&Sim) -> Result<(), E>,
    E: Into<BoxError>,
{
    crate::trace::capture(|| run_one(config, seed, false, body))
}

/// The command that reruns `seed`: `cargo test ... -- <test> --exact` from a test binary,
/// `cargo run --example <name>` from an example.
fn rerun_command(test: &str, seed: u64) -> String {
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "<package>".into());
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_ref()
        .and_then(|e| e.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = exe
        .as_ref()
        .and_then(|e| e.parent())
        .and_then(|d| d.file_name())
        .map(|d| d.to_string_lossy().into_owned());
    if dir.as_deref() == Some("examples") {
        return format!("SANDTABLE_SEED={seed} cargo run -p {package} --example {stem}");
    }
    if dir.as_deref() != Some("deps") {
        return format!("SANDTABLE_SEED={seed} cargo run -p {package} --bin {stem}");
    }
    let bin = stem
        .rsplit_once('-')
        .map_or(stem.as_str(), |(b, _)| b)
        .to_string();
    let target = if bin == package.replace('-', "_") {
        "--lib".to_string()
    } else {
        format!("--test {bin}")
    };
    format!("SANDTABLE_SEED={seed} cargo test -p {package} {target} -- {test} --exact")
}
