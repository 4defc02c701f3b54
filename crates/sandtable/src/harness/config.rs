//! Which seeds a harness test runs, and how.

use std::ops::Range;

use crate::config::{parse_seed, Config};
use crate::sim::SimBuilder;

/// Seeds a test runs when neither `SANDTABLE_SEED` nor `SANDTABLE_SEEDS` is set.
pub const DEFAULT_SEEDS: Range<u64> = 0..32;

/// Configures [`crate::check`]: the seeds, the simulation, the self-checks.
///
/// Environment (read by [`CheckConfig::new`]): `SANDTABLE_SEED=N` runs only seed N;
/// `SANDTABLE_SEEDS=a..b` runs that range; `SANDTABLE_SCHEDULE=file.json` replays a saved
/// fault schedule; `SANDTABLE_DETERMINISM=1` runs every seed twice and compares (and reports OS
/// clock, randomness and thread calls from inside tasks; `=simulate` answers clocks and
/// randomness from the simulation instead).
#[derive(Clone, Debug)]
#[must_use]
pub struct CheckConfig {
    pub(crate) seeds: Range<u64>,
    pub(crate) only_seed: Option<u64>,
    pub(crate) sim: Config,
    pub(crate) determinism: bool,
    pub(crate) name: Option<String>,
    pub(crate) regressions: bool,
    pub(crate) regressions_file: Option<std::path::PathBuf>,
    pub(crate) artifacts: bool,
    /// The OS-call mode of the determinism check (`SANDTABLE_DETERMINISM=simulate`).
    pub(crate) os_calls: Option<crate::OsCalls>,
}

/// An environment variable the harness could not understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?}: {reason}")]
pub struct HarnessEnvError {
    name: &'static str,
    value: String,
    reason: &'static str,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            seeds: DEFAULT_SEEDS,
            only_seed: None,
            sim: Config::default(),
            determinism: false,
            name: None,
            regressions: true,
            regressions_file: None,
            artifacts: true,
            os_calls: None,
        }
    }
}

fn parse_range(s: &str) -> Option<Range<u64>> {
    let (a, b) = s.split_once("..")?;
    let (a, b) = (parse_seed(a)?, parse_seed(b)?);
    (a < b).then_some(a..b)
}

impl CheckConfig {
    /// Defaults, overridden by the environment (see the type's docs). Panics with a clear
    /// message on a malformed variable: a test cannot run on a seed it cannot read.
    #[track_caller]
    pub fn new() -> Self {
        Self::try_from_env().unwrap_or_else(|e| panic!("sandtable: {e}"))
    }

    /// Like [`CheckConfig::new`], returning malformed variables as errors.
    pub fn try_from_env() -> Result<Self, HarnessEnvError> {
        let sim = Config::from_env().map_err(|e| HarnessEnvError {
            name: e.name,
            value: e.value,
            reason: e.reason,
        })?;
        let mut c = CheckConfig {
            only_seed: std::env::var("SANDTABLE_SEED").ok().map(|_| sim.seed),
            sim,
            ..Self::default()
        };
        if let Ok(v) = std::env::var("SANDTABLE_SEEDS") {
            c.seeds = parse_range(&v).ok_or(HarnessEnvError {
                name: "SANDTABLE_SEEDS",
                value: v,
                reason: "expected a non-empty range a..b of unsigned integers, e.g. 0..1000",
            })?;
        }
        c.os_calls = crate::OsCalls::from_env();
        c.determinism = c.os_calls.is_some();
        Ok(c)
    }

    /// The seeds to run (the environment still wins: `SANDTABLE_SEED`, `SANDTABLE_SEEDS`).
    pub fn seeds(mut self, seeds: Range<u64>) -> Self {
        if std::env::var("SANDTABLE_SEEDS").is_err() {
            self.seeds = seeds;
        }
        self
    }

    /// Run only `seed` (what `SANDTABLE_SEED` does), e.g. to reproduce a failure from code.
    pub fn seed(mut self, seed: u64) -> Self {
        self.only_seed = Some(seed);
        self
    }

    /// The simulation configuration each seed starts from (its seed is replaced).
    pub fn sim(mut self, sim: SimBuilder) -> Self {
        let replay = self.sim.replay_schedule.take();
        self.sim = sim.into_config();
        self.sim.replay_schedule = self.sim.replay_schedule.take().or(replay);
        self
    }

    /// Run every seed twice and fail if the fingerprints differ, naming the first divergence.
    /// Both runs also fail on an OS clock read, OS randomness or a thread started from inside
    /// a simulated task ([`OsCalls::Report`](crate::OsCalls::Report), unless the simulation was
    /// built with another [`OsCalls`](crate::OsCalls) mode or `SANDTABLE_DETERMINISM=simulate`
    /// asks for [`OsCalls::Simulate`](crate::OsCalls::Simulate)), and record how far each node's
    /// random stream was drawn.
    pub fn determinism_check(mut self, on: bool) -> Self {
        self.determinism = on;
        self
    }

    /// The test's name, for artifacts, regressions and the rerun command (default: the name of
    /// the test thread, which `cargo test` sets to the test's path).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// Read and write the regressions file (on by default).
    pub fn regressions(mut self, on: bool) -> Self {
        self.regressions = on;
        self
    }

    /// Where the regressions file is (default:
    /// `<package>/sandtable-regressions/<test>.txt`).
    pub fn regressions_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.regressions_file = Some(path.into());
        self
    }

    /// Write artifacts under `target/sandtable/` on failure (on by default).
    pub fn artifacts(mut self, on: bool) -> Self {
        self.artifacts = on;
        self
    }

    pub(crate) fn test_name(&self) -> String {
        self.name
            .clone()
            .or_else(test_thread_name)
            .unwrap_or_else(|| "sandtable-test".to_string())
    }

    /// The filter that selects this test in `cargo test` (the test thread's name, which libtest
    /// sets to the test's path), falling back to the configured name.
    pub(crate) fn test_filter(&self) -> String {
        test_thread_name().unwrap_or_else(|| self.test_name())
    }
}

fn test_thread_name() -> Option<String> {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(str::to_string)
}

impl CheckConfig {}
