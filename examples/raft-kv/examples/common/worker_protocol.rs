//! The fuzz worker protocol of `cargo xtask fuzz`, shared by the targets' worker examples
//! (included with `#[path]`): parse the flags, run each seed through the seed harness, print
//! one JSON line per seed, flushed as soon as the seed is done, so the parent knows which seed
//! a crash or a hang happened on.
//!
//! ```text
//! <worker> --seeds A..B [--stride K] [--bug NAME] [--schedule FILE] [--name NAME] [--determinism] [--swarm]
//!          [--faults-secs S]
//! {"seed":S,"ok":false,"message":"...","caught_by":"...","fingerprint":F,"virtual_ns":V,
//!  "events":E,"faults":N,"wall_ms":W,"artifacts":"target/sandtable/<name>/<seed>"}
//! ```
//!
//! Seeds run are `A, A+K, A+2K, …` below `B`. `--bug` picks the target's variant;
//! `--schedule FILE` replays a saved fault schedule (it sets `SANDTABLE_SCHEDULE`); `--name`
//! names the artifacts folder (default `fuzz-<target>-<bug>`); `--determinism` runs every seed
//! twice and reports the first divergence; `--faults-secs` shortens the faulty phase (for
//! targets that have one). `RUST_LOG=debug` prints the trace on stderr.

use std::cell::Cell;
use std::io::Write;
use std::time::Instant;

use sandtable::{run_seeds, BoxError, CheckConfig, Sim};

/// The worker's flags.
pub struct Args {
    /// The seed range.
    pub seeds: std::ops::Range<u64>,
    /// The distance between seeds.
    pub stride: u64,
    /// The variant (`none` unless `--bug`).
    pub bug: String,
    /// The artifacts folder's name.
    pub name: Option<String>,
    /// Run each seed twice and compare.
    pub determinism: bool,
    /// How long the nemesis injects faults, if not the target's default.
    pub faults_secs: Option<u64>,
    /// Swarm testing: each seed draws its fault mix (targets that have no swarm mode ignore it).
    pub swarm: bool,
}

/// Parses the flags (exits with a message on a bad one).
pub fn parse() -> Args {
    parse_args().unwrap_or_else(|e| {
        eprintln!("fuzz worker: {e}");
        std::process::exit(2)
    })
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seeds: 0..1,
        stride: 1,
        bug: "none".into(),
        name: None,
        determinism: false,
        faults_secs: None,
        swarm: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--swarm" {
            args.swarm = true;
            continue;
        }
        if flag == "--determinism" {
            args.determinism = true;
            continue;
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seeds" => {
                let (a, b) = value.split_once("..").ok_or("--seeds A..B")?;
                let a = a.parse().map_err(|_| "--seeds: a seed")?;
                let b = b.parse().map_err(|_| "--seeds: a seed")?;
                args.seeds = a..b;
            }
            "--stride" => args.stride = value.parse().map_err(|_| "--stride: a number")?,
            "--bug" => args.bug = value,
            // Read by `CheckConfig::new`; set before any configuration is built.
            "--schedule" => std::env::set_var("SANDTABLE_SCHEDULE", value),
            "--name" => args.name = Some(value),
            "--faults-secs" => {
                args.faults_secs = Some(value.parse().map_err(|_| "--faults-secs: seconds")?)
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.stride == 0 {
        return Err("--stride must be at least 1".into());
    }
    Ok(args)
}

/// What one seed did, as the body saw it (the harness reports only pass or fail).
#[derive(Default)]
struct Measured {
    fingerprint: Cell<u64>,
    virtual_ns: Cell<u64>,
    events: Cell<u64>,
    faults: Cell<usize>,
}

/// Runs every seed of `args` with `body`, printing a line each; `caught_by` names the check in
/// a failure's message.
pub fn run(
    args: &Args,
    target: &str,
    body: impl Fn(&Sim) -> Result<(), BoxError>,
    caught_by: impl Fn(&str) -> String,
) {
    sandtable::trace::init();
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("fuzz-{target}-{}", args.bug));
    let stdout = std::io::stdout();
    for seed in args.seeds.clone().step_by(args.stride as usize) {
        let measured = Measured::default();
        let started = Instant::now();
        let config = CheckConfig::new()
            .seed(seed)
            .name(&name)
            .regressions(false)
            .determinism_check(args.determinism);
        let outcome = run_seeds(config, |sim| {
            let result = body(sim);
            measured.fingerprint.set(sim.fingerprint());
            measured.virtual_ns.set(sim.elapsed().as_nanos() as u64);
            measured.events.set(sim.event_count());
            measured.faults.set(sim.fault_schedule().len());
            result
        });
        let wall_ms = started.elapsed().as_millis();
        let (ok, message, artifacts) = match &outcome {
            Ok(_) => (true, String::new(), String::new()),
            Err(f) => {
                let mut message = f.message.clone();
                if let Some(d) = &f.nondeterminism {
                    message = format!("not deterministic: {d}\n{message}");
                }
                let dir = f.artifacts.as_ref().map(|d| d.display().to_string());
                (false, message, dir.unwrap_or_default())
            }
        };
        let line = format!(
            "{{\"seed\":{seed},\"ok\":{ok},\"message\":{},\"caught_by\":{},\"fingerprint\":{},\
             \"virtual_ns\":{},\"events\":{},\"faults\":{},\"wall_ms\":{wall_ms},\"artifacts\":{}}}",
            json_string(&message),
            json_string(&if ok { String::new() } else { caught_by(&message) }),
            measured.fingerprint.get(),
            measured.virtual_ns.get(),
            measured.events.get(),
            measured.faults.get(),
            json_string(&artifacts),
        );
        let mut out = stdout.lock();
        // A closed pipe means the parent stopped the sweep: nothing is left to report to.
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            return;
        }
    }
}

/// `s` as a JSON string literal (the examples keep to their packages' dependencies).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
