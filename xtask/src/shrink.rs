//! `cargo xtask shrink <target> --seed S [--bug X]`: the smallest fault schedule on which the
//! seed still fails with the same signature. Takes the run's saved `schedule.json` (the harness
//! writes it with the artifacts), drops the events after the failure (they never fired), then
//! removes events by delta debugging (`ddmin.rs`), each candidate replayed in the worker with
//! `--schedule` (which sets `SANDTABLE_SCHEDULE`). Prints before and after, saves the minimal
//! schedule and the `repro` command that replays it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::ddmin::ddmin;
use crate::fuzz::{build_worker, target_dir};
use crate::shard::Batch;
use crate::signature::signature;
use crate::targets::OneSeed;
use crate::worker::{SeedResult, Worker};

/// The flags of `cargo xtask shrink`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which failing seed of which target.
    #[command(flatten)]
    run: OneSeed,
    /// Start from this schedule instead of the seed's own.
    #[arg(long)]
    schedule: Option<PathBuf>,
}

/// Replays candidate schedules of one seed.
struct Replay {
    worker: Worker,
    seed: u64,
    dir: PathBuf,
    runs: u64,
    /// The faulty phase to run with (`None`: the target's default).
    faults_secs: Option<u64>,
}

impl Replay {
    /// Runs the seed on `events` (or on its own schedule when `None`).
    fn run(&mut self, events: Option<&[Value]>) -> Result<SeedResult, String> {
        let mut worker = self.worker.clone();
        if let Some(events) = events {
            let path = self.dir.join("candidate.json");
            let json = serde_json::json!({ "events": events });
            fs::write(&path, serde_json::to_string_pretty(&json).expect("json"))
                .map_err(|e| e.to_string())?;
            worker
                .args
                .extend(["--schedule".to_string(), path.display().to_string()]);
        }
        if let Some(secs) = self.faults_secs {
            worker
                .args
                .extend(["--faults-secs".to_string(), secs.to_string()]);
        }
        self.runs += 1;
        let mut result = None;
        let batch = Batch {
            first: self.seed,
            stride: 1,
            count: 1,
        };
        worker.run_batch(batch, &AtomicBool::new(false), &mut |r| result = Some(r));
        result.ok_or_else(|| "the worker reported nothing".to_string())
    }
}

/// `cargo xtask shrink`.
pub fn main(args: Args) -> Result<(), String> {
    let selected = args.run.select()?;
    let program = build_worker(&selected.target)?;
    let label = selected.label().replace('/', "-");
    let dir = target_dir()
        .join("sandtable")
        .join(format!("shrink-{label}"))
        .join(args.run.seed.to_string());
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut flags = selected.worker_args();
    flags.extend(["--name".to_string(), format!("shrink-{label}")]);
    let worker = Worker {
        program,
        args: flags,
        seed_timeout: Duration::from_secs(120),
    };
    let mut replay = Replay {
        worker,
        seed: args.run.seed,
        dir: dir.clone(),
        runs: 0,
        faults_secs: None,
    };
    let started = Instant::now();

    let mut events = match &args.schedule {
        Some(path) => read_events(path)?,
        None => Vec::new(),
    };
    let before = replay.run(args.schedule.as_ref().map(|_| events.as_slice()))?;
    if before.ok {
        return Err(format!("seed {} passes: nothing to shrink", args.run.seed));
    }
    let wanted = signature(&before.caught_by, &before.message);
    if args.schedule.is_none() {
        let saved = Path::new(&before.artifacts).join("schedule.json");
        events = read_events(&saved)?;
    }
    println!(
        "shrinking {} seed {} ({wanted}): {} fault events",
        selected.label(),
        args.run.seed,
        events.len()
    );

    let mut minimal = minimize(&mut replay, &before, &events)?;
    let mut shortened = String::new();
    if let Some(full) = selected.target.faults_secs {
        if let Some((secs, events)) = shorten(&mut replay, &wanted, &minimal, full) {
            println!("shortened: faults for {secs}s instead of {full}s");
            replay.faults_secs = Some(secs);
            minimal = events;
            shortened = format!(" --faults-secs {secs}");
        }
    }
    let after = replay.run(Some(&minimal))?;
    let path = dir.join("schedule.min.json");
    let json = serde_json::json!({ "events": minimal });
    fs::write(
        &path,
        serde_json::to_string_pretty(&json).expect("json") + "\n",
    )
    .map_err(|e| e.to_string())?;

    println!("{}", stats("before", &before, events.len()));
    println!("{}", stats("after ", &after, minimal.len()));
    for e in &minimal {
        println!("  {:>9.3}s  {}", at_ns(e) as f64 / 1e9, e["fault"]);
    }
    println!(
        "{} replays in {:.1}s; minimal schedule: {}",
        replay.runs,
        started.elapsed().as_secs_f64(),
        path.display()
    );
    println!(
        "replay it: cargo xtask repro {} --seed {}{} --schedule {}{shortened}",
        selected.target.name,
        args.run.seed,
        selected.bug_flag(),
        path.display()
    );
    Ok(())
}

/// The smallest sublist of `events` on which the seed fails as `before` did: first without
/// the events after the failure (they never fired), then by delta debugging.
fn minimize(
    replay: &mut Replay,
    before: &SeedResult,
    events: &[Value],
) -> Result<Vec<Value>, String> {
    let wanted = signature(&before.caught_by, &before.message);
    let mut fails = |candidate: &[Value]| match replay.run(Some(candidate)) {
        Ok(r) => !r.ok && signature(&r.caught_by, &r.message) == wanted,
        Err(_) => false,
    };
    let fired: Vec<Value> = events
        .iter()
        .filter(|e| at_ns(e) <= before.virtual_ns)
        .cloned()
        .collect();
    let start = if fired.len() < events.len() && fails(&fired) {
        fired
    } else {
        events.to_vec()
    };
    if !fails(&start) {
        return Err(
            "replaying the saved schedule does not fail the same way: cannot shrink".into(),
        );
    }
    Ok(ddmin(&start, &mut fails))
}

/// The shortest faulty phase (whole seconds, by bisection) on which `minimal` still fails the
/// same way: its events within the phase, a final `recover_all` moved to the phase's end. For
/// failures found at the end of a run (a history check, liveness), a shorter run is a shorter
/// history to read.
fn shorten(
    replay: &mut Replay,
    wanted: &str,
    minimal: &[Value],
    full: u64,
) -> Option<(u64, Vec<Value>)> {
    let within = |secs: u64| -> Vec<Value> {
        let end = secs * 1_000_000_000;
        let mut kept: Vec<Value> = minimal.iter().filter(|e| at_ns(e) < end).cloned().collect();
        if minimal
            .iter()
            .any(|e| at_ns(e) >= end && e["fault"] == "recover_all")
        {
            kept.push(serde_json::json!({ "at_ns": end, "fault": "recover_all" }));
        }
        kept
    };
    let (mut passes, mut fails) = (0, full);
    while passes + 1 < fails {
        let mid = (passes + fails) / 2;
        replay.faults_secs = Some(mid);
        let failed = replay
            .run(Some(&within(mid)))
            .is_ok_and(|r| !r.ok && signature(&r.caught_by, &r.message) == wanted);
        if failed {
            fails = mid;
        } else {
            passes = mid;
        }
    }
    replay.faults_secs = None;
    (fails < full).then(|| (fails, within(fails)))
}

fn stats(when: &str, r: &SeedResult, faults: usize) -> String {
    format!(
        "{when}: {faults} fault events, fails at {:.3}s of virtual time after {} simulator events",
        r.virtual_ns as f64 / 1e9,
        r.events
    )
}

fn at_ns(event: &Value) -> u64 {
    event["at_ns"].as_u64().unwrap_or(0)
}

/// The events of a schedule file (`{"events": [...]}`, as the harness writes it).
fn read_events(path: &Path) -> Result<Vec<Value>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    json["events"]
        .as_array()
        .cloned()
        .ok_or_else(|| format!("{}: no `events` list", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake worker that fails a seed (same message each time) when its `--schedule` holds a
    /// `crash_during_io` event, and passes otherwise.
    fn fake(dir: &Path) -> Worker {
        let script = dir.join("worker.sh");
        let body = r#"#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) s=${2%%..*}; shift 2;;
    --schedule) f=$2; shift 2;;
    *) shift;;
  esac
done
if [ -n "$f" ] && grep -q crash_during_io "$f"; then ok=false; else ok=true; fi
echo "{\"seed\":$s,\"ok\":$ok,\"message\":\"seed $s: invariant broken\",\"caught_by\":\"log matching\",\"virtual_ns\":5000}"
"#;
        fs::write(&script, body).unwrap();
        Worker {
            program: "sh".into(),
            args: vec![script.display().to_string()],
            seed_timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn a_schedule_shrinks_to_the_one_event_that_matters() {
        let dir = std::env::temp_dir().join(format!("xtask-shrink-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let mut replay = Replay {
            worker: fake(&dir),
            seed: 4,
            dir: dir.clone(),
            runs: 0,
            faults_secs: None,
        };
        let mut events: Vec<Value> = (0..40)
            .map(|i| serde_json::json!({ "at_ns": i * 100, "fault": { "crash": { "node": format!("n{}", i % 5) } } }))
            .collect();
        events[23] =
            serde_json::json!({ "at_ns": 2300, "fault": { "crash_during_io": { "node": "n3" } } });
        let before = replay.run(Some(&events)).unwrap();
        assert!(!before.ok);
        let minimal = minimize(&mut replay, &before, &events).unwrap();
        assert_eq!(minimal, vec![events[23].clone()]);
        assert!(replay.runs < 40, "{} replays", replay.runs);
        fs::remove_dir_all(&dir).unwrap();
    }
}
