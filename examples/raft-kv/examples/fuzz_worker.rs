//! The worker process of `cargo xtask fuzz raft`: runs a batch of seeds of the Raft scenario and
//! prints one JSON line per seed, flushed as soon as the seed is done, so the parent knows which
//! seed a crash or a hang happened on.
//!
//! ```text
//! fuzz_worker --seeds A..B [--stride K] [--bug NAME] [--schedule FILE] [--name NAME] [--determinism]
//! {"seed":S,"ok":false,"message":"...","caught_by":"...","fingerprint":F,"virtual_ns":V,
//!  "events":E,"faults":N,"wall_ms":W,"artifacts":"target/sandtable/<name>/<seed>"}
//! ```
//!
//! Seeds run are `A, A+K, A+2K, …` below `B`. `--schedule FILE` replays a saved fault schedule
//! (it sets `SANDTABLE_SCHEDULE`); `--name` names the artifacts folder (default
//! `fuzz-raft-<bug>`); `--determinism` runs every seed twice and reports the first divergence.
//! `RUST_LOG=debug` prints the simulation's trace on stderr.

use std::cell::Cell;
use std::io::Write;
use std::time::Instant;

use raft_kv::scenario::{caught_by, Scenario};
use raft_kv::Bug;
use sandtable::{run_seeds, CheckConfig};

struct Args {
    seeds: std::ops::Range<u64>,
    stride: u64,
    bug: Bug,
    name: Option<String>,
    determinism: bool,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seeds: 0..1,
        stride: 1,
        bug: Bug::None,
        name: None,
        determinism: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
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
            "--bug" => args.bug = value.parse().map_err(|e| format!("{e}"))?,
            // Read by `CheckConfig::new`; set before any configuration is built.
            "--schedule" => std::env::set_var("SANDTABLE_SCHEDULE", value),
            "--name" => args.name = Some(value),
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

fn main() {
    let args = parse().unwrap_or_else(|e| {
        eprintln!("fuzz_worker: {e}");
        std::process::exit(2)
    });
    sandtable::trace::init();
    let scenario = Scenario::default().with_bug(args.bug);
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("fuzz-raft-{}", args.bug));
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
            let result = scenario.run(sim);
            measured.fingerprint.set(sim.fingerprint());
            measured.virtual_ns.set(sim.elapsed().as_nanos() as u64);
            measured.events.set(sim.event_count());
            measured.faults.set(sim.fault_schedule().len());
            result.map(|_| ())
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

/// `s` as a JSON string literal (the example keeps its dependencies to the crate's own).
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
