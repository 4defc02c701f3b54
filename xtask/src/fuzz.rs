//! `cargo xtask fuzz <target>`: sweeps seeds of a target in worker processes (`worker.rs`),
//! `--jobs` at a time, each batch in a fresh process; shows progress; groups failures by
//! signature; appends failing seeds to the target's regressions file; writes `--json`.
//!
//! ```text
//! cargo xtask fuzz --list
//! cargo xtask fuzz raft [--seeds N | --time 10m] [--jobs J] [--start S] [--shard K/N]
//!                       [--json FILE] [--bug NAME]
//! ```

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::report::{groups, FailedSeed, Report};
use crate::shard::{Plan, Shard};
use crate::targets::{self, Selected};
use crate::worker::{SeedResult, Worker};

/// The flags of `cargo xtask fuzz`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The target: `raft`, or a variant `raft/<bug>` (see `--list`).
    #[arg(required_unless_present = "list")]
    target: Option<String>,
    /// Lists the targets and their variants.
    #[arg(long)]
    list: bool,
    /// The planted variant to run (like `raft/<bug>`).
    #[arg(long)]
    bug: Option<String>,
    /// Seeds in the range `[start, start + N)` (the whole range over all shards). Default 1000
    /// unless `--time` is given.
    #[arg(long)]
    seeds: Option<u64>,
    /// A wall-time budget instead of a seed count: `90s`, `10m`, `2h`.
    #[arg(long, value_parser = parse_duration)]
    time: Option<Duration>,
    /// Worker processes at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// The first seed of the range.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Run only the seeds `s` with `s % N == K`.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// Write the results (for `fuzz-merge`) to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Seeds per worker process.
    #[arg(long, default_value_t = 16)]
    batch: u64,
    /// A seed running longer than this (wall seconds) is a hang: its worker is killed.
    #[arg(long, default_value_t = 120)]
    seed_timeout_secs: u64,
    /// Do not append failing seeds to the target's regressions file.
    #[arg(long)]
    no_regressions: bool,
    /// Keep the target's fixed fault mix: no swarm testing (by default each seed draws which
    /// fault kinds are on, their weights, density and durations; the mix is in its schedule).
    #[arg(long)]
    no_swarm: bool,
}

/// `90s`, `10m`, `2h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?}: expected e.g. 90s, 10m, 2h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{s:?}: expected e.g. 90s, 10m, 2h")),
    };
    Ok(Duration::from_secs(secs))
}

/// The workspace root (xtask lives in `<root>/xtask`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// The cargo target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Builds the target's worker in release and returns its path.
pub fn build_worker(target: &targets::Target) -> Result<PathBuf, String> {
    eprintln!("building {} (release) ...", target.example);
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            target.package,
            "--example",
            target.example,
        ])
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the {} worker failed ({status})",
            target.name
        ));
    }
    Ok(target_dir()
        .join("release")
        .join("examples")
        .join(target.example))
}

/// `cargo xtask fuzz`.
pub fn main(args: Args) -> Result<(), String> {
    if args.list {
        print!("{}", targets::list());
        return Ok(());
    }
    let selected = Selected::resolve(args.target.as_deref().unwrap_or(""), args.bug.as_deref())?
        .swarm(!args.no_swarm);
    let program = build_worker(&selected.target)?;
    let worker = Worker {
        program,
        args: selected.worker_args(),
        seed_timeout: Duration::from_secs(args.seed_timeout_secs),
    };
    let seeds = match (args.seeds, args.time) {
        (Some(_), Some(_)) => return Err("--seeds and --time exclude each other".into()),
        (None, None) => Some(1000),
        (n, _) => n,
    };
    let sweep = Sweep {
        label: selected.label(),
        plan: Plan::new(args.start, seeds, args.shard, args.batch.max(1)),
        jobs: args.jobs.unwrap_or_else(cores).max(1),
        budget: args.time,
        start: args.start,
        seeds,
        shard: args.shard,
        swarm: selected.swarm,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    let _ = ctrlc::set_handler(move || on_signal.store(true, Ordering::SeqCst));
    let report = sweep.run(&worker, &stop);
    print!("{}", report.summary());
    if !args.no_regressions && !report.failures.is_empty() {
        record_regressions(&selected, &report)?;
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("a report serializes");
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        println!("results written to {}", path.display());
    }
    Ok(())
}

fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

fn record_regressions(selected: &Selected, report: &Report) -> Result<(), String> {
    let path = selected.regressions_file(&root());
    let seeds: Vec<(u64, String)> = report
        .failures
        .iter()
        .map(|f| (f.seed, f.signature.clone()))
        .collect();
    let added = crate::regressions::append(&path, &seeds)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if added > 0 {
        println!("{added} new seed(s) recorded in {}", path.display());
    }
    Ok(())
}

/// One sweep: the plan, how many workers at once, and when to stop.
pub struct Sweep {
    /// The target's label, for the report.
    pub label: String,
    /// The batches to run.
    pub plan: Plan,
    /// Worker processes at once.
    pub jobs: usize,
    /// A wall-time budget.
    pub budget: Option<Duration>,
    /// The range's first seed (for the report).
    pub start: u64,
    /// The range's length (for the report).
    pub seeds: Option<u64>,
    /// The shard (for the report).
    pub shard: Shard,
    /// Swarm testing on (for the report's rerun lines).
    pub swarm: bool,
}

impl Sweep {
    /// Runs the sweep until the plan is done, the budget is spent or `stop` is set.
    pub fn run(self, worker: &Worker, stop: &Arc<AtomicBool>) -> Report {
        let started = Instant::now();
        let total = self.plan.len();
        let plan = Mutex::new(self.plan);
        let (tx, rx) = mpsc::channel::<SeedResult>();
        let mut progress = Progress::new(total, &self.label);
        let mut failures = Vec::new();
        let (mut seeds_run, mut virtual_ns) = (0, 0);
        let mut budget_spent = false;
        thread::scope(|s| {
            for _ in 0..self.jobs {
                let (tx, plan) = (tx.clone(), &plan);
                s.spawn(move || loop {
                    let batch = plan.lock().expect("no worker thread panics").next();
                    let Some(batch) = batch.filter(|_| !stop.load(Ordering::SeqCst)) else {
                        break;
                    };
                    worker.run_batch(batch, stop, &mut |r| {
                        let _ = tx.send(r);
                    });
                });
            }
            drop(tx);
            loop {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(r) => {
                        seeds_run += 1;
                        virtual_ns += r.virtual_ns;
                        if !r.ok {
                            let f = FailedSeed::from_result(&r);
                            progress.failure(&f, &failures);
                            failures.push(f);
                        }
                        progress.seed_done(failures.len());
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => progress.tick(failures.len()),
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                if self.budget.is_some_and(|b| started.elapsed() >= b)
                    && !stop.load(Ordering::SeqCst)
                {
                    budget_spent = true;
                    stop.store(true, Ordering::SeqCst);
                }
            }
        });
        progress.finish();
        failures.sort_by_key(|f: &FailedSeed| f.seed);
        Report {
            target: self.label,
            start: self.start,
            seeds: self.seeds,
            shard: self.shard,
            seeds_run,
            virtual_ns,
            wall_ms: started.elapsed().as_millis() as u64,
            interrupted: stop.load(Ordering::SeqCst) && !budget_spent,
            failures,
            swarm: self.swarm,
        }
    }
}

/// The progress display: an indicatif bar on a terminal, a plain line every 10 s otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    fn new(total: Option<u64>, label: &str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            let template = if total.is_some() {
                "{elapsed_precise} [{bar:30}] {pos}/{len} seeds, {msg}, ETA {eta}"
            } else {
                "{elapsed_precise} {spinner} {pos} seeds, {msg}"
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_message("0 failing");
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            label: label.to_string(),
            total,
            done: 0,
            started: now,
            last_line: now,
        }
    }

    fn seed_done(&mut self, failing: usize) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        self.tick(failing);
    }

    fn tick(&mut self, failing: usize) {
        if let Some(bar) = &self.bar {
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!("{rate:.1} seeds/s, {failing} failing"));
            return;
        }
        if self.last_line.elapsed() >= Duration::from_secs(10) {
            self.last_line = Instant::now();
            eprintln!("{}", self.line(failing));
        }
    }

    fn line(&self, failing: usize) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        let of = self.total.map_or(String::new(), |t| format!("/{t}"));
        format!(
            "fuzz {}: {}{of} seeds, {:.1} seeds/s, {failing} failing, {secs:.0}s elapsed",
            self.label,
            self.done,
            self.done as f64 / secs.max(1e-9)
        )
    }

    /// Announces a failure whose signature is new.
    fn failure(&self, f: &FailedSeed, before: &[FailedSeed]) {
        if groups(before).iter().any(|g| g.signature == f.signature) {
            return;
        }
        let text = format!(
            "new failure after {:.2}s: seed {} ({})",
            self.started.elapsed().as_secs_f64(),
            f.seed,
            f.signature
        );
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::tests::fake_worker;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("ten").is_err());
    }

    #[test]
    fn a_sweep_runs_every_seed_of_its_shard_and_reports_crashes() {
        let worker = fake_worker("sweep", 13, 999, 999);
        let shard: Shard = "1/3".parse().unwrap();
        let sweep = Sweep {
            label: "fake".into(),
            plan: Plan::new(0, Some(30), shard, 4),
            jobs: 2,
            budget: None,
            start: 0,
            seeds: Some(30),
            shard,
            swarm: false,
        };
        let report = sweep.run(&worker, &Arc::new(AtomicBool::new(false)));
        assert_eq!(report.seeds_run, 10);
        let failing: Vec<u64> = report.failures.iter().map(|f| f.seed).collect();
        assert_eq!(failing, vec![7, 13]);
        assert!(!report.interrupted);
        let g = groups(&report.failures);
        assert_eq!(g.len(), 2, "{g:?}");
    }
}
