//! What the three side-by-side binaries share: the workload sizes, the command line, the timing
//! and the one JSON line each run prints. No simulator is a dependency of this file.
//!
//! Every binary runs exactly one workload per process, so the peak RSS it reports (`VmHWM`) is
//! that workload's alone:
//!
//! ```text
//! sandtable_w w1|w2|w3|w4|w6 [scale]  # scale multiplies the main dimension (default 1)
//! sandtable_w heartbeat N             # Sandtable only: the memory curve
//! ```
//!
//! and prints `{"tool":..,"workload":..,"units":..,"wall_ns":..,"virtual_ns":..,
//! "base_rss_kb":..,"peak_rss_kb":..}`. `wall_ns` covers building the simulation, running it
//! to completion and dropping it, like the criterion benches of the main workspace.

use std::time::{Duration, Instant};

/// The seed of every run (the same as `benches/common/mod.rs`).
pub const SEED: u64 = 0x5a4d_7ab1e;

/// W1 and W4 link latency: fixed 50 µs, as `benches/common/mod.rs` (`fixed_link`).
pub const LATENCY: Duration = Duration::from_micros(50);

/// W1: round trips of 8 bytes.
pub const W1_ROUND_TRIPS: u64 = 100_000;
/// W2: tasks, each sleeping [`W2_SLEEPS`] times for a seeded 1–10 ms (µs resolution).
pub const W2_TASKS: u64 = 10_000;
/// W2: sleeps per task.
pub const W2_SLEEPS: u64 = 100;
/// W3: trivial tasks spawned, then every JoinHandle awaited.
pub const W3_TASKS: u64 = 1_000_000;
/// W4: nodes, all to all.
pub const W4_NODES: u64 = 5;
/// W4: ticks of a 1 ms interval per node (the run lasts 10 virtual s).
pub const W4_TICKS: u64 = 10_000;
/// W6: round trips of 8 bytes over one TCP connection.
pub const W6_ROUND_TRIPS: u64 = 100_000;

/// The parsed command line.
pub struct Args {
    /// `w1` … `w4`, `w6`, `heartbeat`.
    pub workload: String,
    /// Second argument: scale for w1–w4 and w6, N for heartbeat.
    pub arg: Option<f64>,
}

impl Args {
    pub fn parse() -> Args {
        let mut it = std::env::args().skip(1);
        let workload = it.next().unwrap_or_else(|| usage());
        let arg = it
            .next()
            .map(|s| s.parse::<f64>().unwrap_or_else(|_| usage()));
        Args { workload, arg }
    }

    /// `n` multiplied by the scale argument (at least 1).
    pub fn scaled(&self, n: u64) -> u64 {
        let s = self.arg.unwrap_or(1.0);
        ((n as f64 * s).round() as u64).max(1)
    }
}

fn usage() -> ! {
    eprintln!("usage: <bin> w1|w2|w3|w4|w6 [scale] | heartbeat N");
    std::process::exit(2)
}

/// What one run did.
pub struct Report {
    pub tool: &'static str,
    pub workload: String,
    /// Workload units completed (round trips, timer firings, spawn+joins, deliveries).
    pub units: u64,
    /// Virtual time at the end of the run.
    pub virtual_ns: u128,
    /// Wall time of build + run + drop.
    pub wall: Duration,
    /// `VmRSS` before the simulation was built.
    pub base_rss_kb: u64,
    /// Extra fields (already JSON-encoded values).
    pub extra: Vec<(&'static str, String)>,
}

impl Report {
    /// Prints the JSON line, with `VmHWM` read now (at the end of the run).
    pub fn print(&self) {
        let peak = status_kb("VmHWM:");
        let mut s = format!(
            "{{\"tool\":\"{}\",\"workload\":\"{}\",\"units\":{},\"wall_ns\":{},\"virtual_ns\":{},\"base_rss_kb\":{},\"peak_rss_kb\":{}",
            self.tool,
            self.workload,
            self.units,
            self.wall.as_nanos(),
            self.virtual_ns,
            self.base_rss_kb,
            peak
        );
        for (k, v) in &self.extra {
            s.push_str(&format!(",\"{k}\":{v}"));
        }
        s.push('}');
        println!("{s}");
    }
}

/// A field of `/proc/self/status` in kB (0 where there is none).
pub fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Times `f` (build, run and drop of one simulation), returning its output and the wall time.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}
