//! How a simulation is configured: seed, scheduling, limits, default network.

use std::time::Duration;

use crate::nemesis::Schedule;
use crate::net::{LinkConfig, TcpConfig};

/// How the next task to poll is chosen among the ready ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Scheduling {
    /// Uniformly at random from the seeded scheduler stream: explores interleavings.
    #[default]
    Random,
    /// Oldest first: predictable, for debugging.
    Fifo,
}

/// Everything a simulation is built from. Build it with [`crate::Sim::builder`] or
/// [`Config::from_env`]; fields are public to read.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The one seed every random choice of the run derives from.
    pub seed: u64,
    /// Task selection policy.
    pub scheduling: Scheduling,
    /// Random scheduling draws the next task uniformly among this many oldest ready tasks
    /// (all of them when fewer are ready, the usual case). A bound keeps a queue of a million
    /// ready tasks cache-friendly; `usize::MAX` makes every ready task equally likely.
    pub schedule_window: usize,
    /// Livelock limit: polls allowed at one virtual instant before the run fails.
    pub max_polls_per_instant: u64,
    /// Runaway limit: polls allowed in the whole run before it fails (`u64::MAX`, the default:
    /// none). Time advances, but the run does far more work than it should: a message storm,
    /// a retry loop without backoff.
    pub max_polls: u64,
    /// Runs that wait for clients fail once virtual time passes this.
    pub time_limit: Duration,
    /// Timers fire at the next multiple of this (true virtual time), like tokio's 1 ms timer
    /// wheel; zero (the default) fires every timer at its exact nanosecond. Coarser timers
    /// batch firings that fall in one tick, as a tokio-based program would see them.
    pub timer_resolution: Duration,
    /// Keep the full event log (for locating where two runs diverge). Costs memory.
    pub record_events: bool,
    /// The network model of every link without an override.
    pub link: LinkConfig,
    /// Datagrams a socket buffers before further arrivals are dropped.
    pub socket_capacity: usize,
    /// The model of every simulated TCP connection (timeouts, window, segment size).
    pub tcp: TcpConfig,
    /// Wall-clock time (ns since the Unix epoch) that true virtual time 0 corresponds to.
    pub epoch_unix_ns: u64,
    /// Whether `buggify!()` sites may fire in this simulation.
    pub buggify: bool,
    /// A saved fault schedule that `Sim::nemesis` replays instead of generating one.
    pub replay_schedule: Option<Schedule>,
    /// A panicking task fails the whole run (the default: a panic is a bug, reported with the
    /// seed); with `true`, as in tokio, the panic ends only that task and its joiner sees
    /// [`JoinError::Panic`](crate::task::JoinError::Panic).
    pub task_panics_to_joiner: bool,
    /// What a simulated task's reads of the OS clock, OS randomness and thread creations do:
    /// reach the OS unnoticed (the default), fail the run naming the call site, or answer from
    /// the simulation. See [`OsCalls`](crate::OsCalls).
    pub os_calls: crate::OsCalls,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            scheduling: Scheduling::Random,
            schedule_window: 64,
            max_polls_per_instant: 50_000_000,
            max_polls: u64::MAX,
            time_limit: Duration::from_secs(24 * 3600),
            timer_resolution: Duration::ZERO,
            record_events: false,
            link: LinkConfig::default(),
            socket_capacity: 65_536,
            tcp: TcpConfig::default(),
            // 2025-01-01T00:00:00Z: a fixed, documented start so wall clocks are reproducible.
            epoch_unix_ns: 1_735_689_600_000_000_000,
            buggify: true,
            replay_schedule: None,
            task_panics_to_joiner: false,
            os_calls: crate::OsCalls::Allow,
        }
    }
}

/// An environment variable that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}={value:?} is not valid: {reason}")]
pub struct EnvError {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What was expected.
    pub reason: &'static str,
}

impl Config {
    /// Reads `SANDTABLE_SEED` (a u64, decimal or 0x-hex) and `SANDTABLE_SCHEDULE` (path of a
    /// saved fault schedule to replay); other fields take their defaults.
    pub fn from_env() -> Result<Config, EnvError> {
        let mut config = Config::default();
        if let Ok(path) = std::env::var("SANDTABLE_SCHEDULE") {
            let text = std::fs::read_to_string(&path).map_err(|_| EnvError {
                name: "SANDTABLE_SCHEDULE",
                value: path.clone(),
                reason: "the file cannot be read",
            })?;
            config.replay_schedule = Some(Schedule::from_json(&text).map_err(|_| EnvError {
                name: "SANDTABLE_SCHEDULE",
                value: path,
                reason: "the file is not a fault schedule in JSON (see Schedule::to_json)",
            })?);
        }
        if let Ok(value) = std::env::var("SANDTABLE_SEED") {
            config.seed = parse_seed(&value).ok_or(EnvError {
                name: "SANDTABLE_SEED",
                value,
                reason: "expected an unsigned 64-bit integer, decimal or 0x-prefixed hex",
            })?;
        }
        Ok(config)
    }

    pub(crate) fn time_limit_ns(&self) -> u64 {
        u64::try_from(self.time_limit.as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Parses a seed written in decimal or as 0x-prefixed hex.
pub fn parse_seed(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

impl Config {
    /// The true time a timer due at true time `at` fires, by [`Config::timer_resolution`].
    pub(crate) fn timer_fire_time(&self, at: u64) -> u64 {
        let r = self.timer_resolution.as_nanos().min(u64::MAX as u128) as u64;
        if r <= 1 {
            at
        } else {
            at.div_ceil(r).saturating_mul(r)
        }
    }
}
