//! `cargo xtask repro <target> --seed S [--bug X] [--schedule FILE]`: reruns one seed in the
//! worker with the full debug trace (`RUST_LOG=debug`), twice, in two processes; writes both
//! traces beside the harness's artifacts; reports the first divergence if the runs differ, and
//! the verdict.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::fuzz::{build_worker, target_dir};
use crate::signature::signature;
use crate::targets::OneSeed;
use crate::worker::SeedResult;

/// The flags of `cargo xtask repro`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which seed of which target.
    #[command(flatten)]
    run: OneSeed,
    /// Replay this fault schedule instead of the seed's own (e.g. one `shrink` saved).
    #[arg(long)]
    schedule: Option<PathBuf>,
    /// A shorter faulty phase, seconds (as `shrink` may print).
    #[arg(long)]
    faults_secs: Option<u64>,
}

/// `cargo xtask repro`.
pub fn main(args: Args) -> Result<(), String> {
    let selected = args.run.select()?;
    let program = build_worker(&selected.target)?;
    let mut flags = selected.worker_args();
    if let Some(s) = &args.schedule {
        let s = fs::canonicalize(s).map_err(|e| format!("{}: {e}", s.display()))?;
        flags.extend(["--schedule".to_string(), s.display().to_string()]);
    }
    if let Some(secs) = args.faults_secs {
        flags.extend(["--faults-secs".to_string(), secs.to_string()]);
    }
    let dir = target_dir()
        .join("sandtable")
        .join(format!("repro-{}", selected.label().replace('/', "-")))
        .join(args.run.seed.to_string());
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (log1, log2) = (dir.join("run1.log"), dir.join("run2.log"));
    let first = run_seed(&program, &flags, args.run.seed, &log1)?;
    let second = run_seed(&program, &flags, args.run.seed, &log2)?;
    let schedule = args
        .schedule
        .as_ref()
        .map_or(String::new(), |s| format!(" --schedule {}", s.display()));
    println!(
        "repro {} seed {}{schedule}: {} in {:.3}s of virtual time, {} simulator events, {} fault events",
        selected.label(),
        args.run.seed,
        if first.ok { "PASSES".to_string() } else { format!("FAILS ({})", signature(&first.caught_by, &first.message)) },
        first.virtual_ns as f64 / 1e9,
        first.events,
        first.faults,
    );
    if !first.ok {
        println!("{}", indent(&first.message));
    }
    println!(
        "  traces (RUST_LOG=debug): {} and {}",
        log1.display(),
        log2.display()
    );
    if !first.artifacts.is_empty() {
        println!(
            "  artifacts: {}/ (failure.txt, trace.log, schedule.json, history.jsonl, report.html)",
            first.artifacts
        );
    }
    if same_run(&first, &second) {
        println!(
            "  deterministic: both runs gave fingerprint {:016x}",
            first.fingerprint
        );
        return Ok(());
    }
    println!(
        "  NOT DETERMINISTIC: fingerprints {:016x} and {:016x}",
        first.fingerprint, second.fingerprint
    );
    match first_divergence(&log1, &log2) {
        Some((line, a, b)) => {
            println!("  first divergence at trace line {line}:\n    run 1: {a}\n    run 2: {b}")
        }
        None => println!(
            "  the traces are identical: the difference is in what the trace does not show"
        ),
    }
    // The harness's own check: the seed twice in one process, compared event by event.
    let mut twice = flags.clone();
    twice.push("--determinism".into());
    if let Ok(r) = run_seed(
        &program,
        &twice,
        args.run.seed,
        &dir.join("determinism.log"),
    ) {
        if let Some(line) = r
            .message
            .lines()
            .find(|l| l.starts_with("not deterministic"))
        {
            println!("  in one process: {line}");
        }
    }
    Err("the seed does not reproduce".into())
}

fn indent(s: &str) -> String {
    s.lines()
        .take(20)
        .map(|l| format!("  {l}\n"))
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Whether two runs of one seed did the same thing.
fn same_run(a: &SeedResult, b: &SeedResult) -> bool {
    (a.fingerprint, a.ok, &a.message, a.virtual_ns, a.events)
        == (b.fingerprint, b.ok, &b.message, b.virtual_ns, b.events)
}

/// Runs one seed in a worker with `RUST_LOG=debug`, its trace written to `log`.
pub fn run_seed(
    program: &Path,
    flags: &[String],
    seed: u64,
    log: &Path,
) -> Result<SeedResult, String> {
    let file = fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let out = Command::new(program)
        .args(flags)
        .arg("--seeds")
        .arg(format!("{seed}..{}", seed + 1))
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stderr(file)
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| serde_json::from_str::<SeedResult>(l).ok())
        .ok_or_else(|| {
            format!(
                "the worker died on seed {seed} ({}); its trace: {}",
                out.status,
                log.display()
            )
        })
}

/// The first line where two traces differ: (line number, line of a, line of b).
pub fn first_divergence(a: &Path, b: &Path) -> Option<(usize, String, String)> {
    let (a, b) = (fs::read_to_string(a).ok()?, fs::read_to_string(b).ok()?);
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (None, None) => return None,
            (x, y) if x == y => continue,
            (x, y) => return Some((n, x.unwrap_or("<end>").into(), y.unwrap_or("<end>").into())),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_trace_line_is_named() {
        let dir = std::env::temp_dir().join(format!("xtask-repro-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.log"), dir.join("b.log"));
        fs::write(&a, "t=1 send\nt=2 recv x=1\nt=3 done\n").unwrap();
        fs::write(&b, "t=1 send\nt=2 recv x=2\nt=3 done\n").unwrap();
        assert_eq!(
            first_divergence(&a, &b),
            Some((2, "t=2 recv x=1".into(), "t=2 recv x=2".into()))
        );
        fs::write(&b, "t=1 send\nt=2 recv x=1\n").unwrap();
        assert_eq!(
            first_divergence(&a, &b),
            Some((3, "t=3 done".into(), "<end>".into()))
        );
        assert_eq!(first_divergence(&a, &a), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
