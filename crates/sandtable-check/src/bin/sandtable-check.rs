//! `sandtable-check`: check Jepsen-style histories (JSON Lines, EDN, Jepsen
//! logs) for linearizability.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use sandtable_check::{
    models, CheckOptions, CheckResult, DynModel, Format, History, ParseOptions, Verdict,
};

const AFTER_HELP: &str = "\
Each FILE holds one history; - reads standard input. Formats (--format,
detected by default):
  jsonl       one JSON event per line, e.g.
              {\"process\":0,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"x\",\"value\":[1,2]}
  edn         Jepsen history.edn / Knossos: one map per line or a vector, e.g.
              {:process 0, :type :invoke, :f :cas, :value [1 2]}
  jepsen-log  Jepsen text log lines (as in Porcupine's etcd data), e.g.
              INFO  jepsen.util - 0<TAB>:invoke<TAB>:cas<TAB>[1 2]
type is invoke, ok, fail or info. --independent splits jepsen.independent
tuples (value [key value]); in EDN, #jepsen.independent/tuple values are
split anyway.

Models: register, cas-register, kv, kv-append, set, queue, counter, mutex,
rw-register (alias multi-register) and list-append (transactions: f txn).

Exit codes:
  0  every history is linearizable
  1  some history is not linearizable
  2  some history is undecided (budget exhausted), none is not linearizable
  3  bad input: unreadable or malformed file, operation that does not fit
     the model, unknown model, or bad arguments (takes precedence)";

/// Checks Jepsen-style histories (JSON Lines, EDN, Jepsen logs) for linearizability.
#[derive(Debug, Parser)]
#[command(name = "sandtable-check", version, after_help = AFTER_HELP)]
struct Cli {
    /// The model to check against.
    #[arg(long, short = 'm')]
    model: String,
    /// Wall-clock budget per file in milliseconds; past it the verdict is unknown.
    #[arg(long)]
    budget_ms: Option<u64>,
    /// Search-step budget per key (deterministic) [default: 200000000].
    #[arg(long)]
    budget_steps: Option<u64>,
    /// Worker threads for checking keys in parallel [default: cores].
    #[arg(long)]
    threads: Option<usize>,
    /// Search every key, even registers whose written values are unique (which are otherwise
    /// decided by the zone analysis, without search).
    #[arg(long)]
    no_zones: bool,
    /// Print one JSON object per file instead of text.
    #[arg(long)]
    json: bool,
    /// Write a self-contained HTML report to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// History format: auto, jsonl, edn or jepsen-log.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    format: Format,
    /// Values are jepsen.independent tuples [key value]: split them into key and value.
    #[arg(long)]
    independent: bool,
    /// Order events by their time field (stably) instead of taking the file order as the
    /// real-time order; every event must have a time.
    #[arg(long)]
    sort_by_time: bool,
    /// History files (JSON Lines, EDN or Jepsen logs); - for standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// What happened to one file.
enum Outcome {
    Checked(Box<CheckResult>),
    BadInput(String),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 3 } else { 0 });
        }
    };
    let Some(model) = models::by_name(&cli.model) else {
        eprintln!(
            "unknown model {:?}; available models: {}",
            cli.model,
            models::NAMES.join(", ")
        );
        return ExitCode::from(3);
    };
    let progress = progress_bar(cli.files.len());
    let mut results = Vec::new();
    for file in &cli.files {
        progress.set_message(file.clone());
        let outcome = run_one(&cli, model.as_ref(), file);
        progress.suspend(|| report(&cli, file, &outcome));
        progress.inc(1);
        results.push((file.clone(), outcome));
    }
    progress.finish_and_clear();
    if let Some(path) = &cli.html {
        if let Err(e) = write_html(path, &results) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(3);
        }
    }
    ExitCode::from(exit_code(&results))
}

fn progress_bar(files: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = if files > 3 {
        let bar = ProgressBar::new(files as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
                .expect("valid template"),
        );
        bar
    } else {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} checking {msg} ({elapsed})")
                .expect("valid template"),
        );
        bar
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn run_one(cli: &Cli, model: &dyn DynModel, file: &str) -> Outcome {
    let history = match read_history(cli, file) {
        Ok(h) => h,
        Err(e) => return Outcome::BadInput(e),
    };
    if let Some(d) = history.time_order_violation() {
        eprintln!(
            "warning: {file}: the events are not in time order (line {} has time {}, before \
             line {}'s {}); the file order is taken as the real-time order (--sort-by-time \
             orders by time instead)",
            d.next.0, d.next.1, d.previous.0, d.previous.1
        );
    }
    if history.is_empty() {
        // Trivially linearizable, but most likely not what was meant: say so.
        eprintln!(
            "warning: {file}: no client operation found (an empty file, only events of \
             non-integer processes such as the nemesis, or a format that was not recognised; \
             see --format)"
        );
    }
    let mut options = CheckOptions::default();
    if let Some(ms) = cli.budget_ms {
        options = options.budget(Duration::from_millis(ms));
    }
    if let Some(steps) = cli.budget_steps {
        options = options.budget_steps(steps);
    }
    if let Some(threads) = cli.threads {
        options = options.threads(threads);
    }
    options = options.zones(!cli.no_zones);
    match model.check(&history, &options) {
        Ok(result) => Outcome::Checked(Box::new(result)),
        Err(e) => Outcome::BadInput(e.to_string()),
    }
}

fn read_history(cli: &Cli, file: &str) -> Result<History, String> {
    let reader: Box<dyn Read> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(File::open(file).map_err(|e| format!("cannot open: {e}"))?)
    };
    let options = ParseOptions::new()
        .format(cli.format)
        .independent(cli.independent)
        .sort_by_time(cli.sort_by_time);
    History::from_reader(reader, &options).map_err(|e| e.to_string())
}

fn report(cli: &Cli, file: &str, outcome: &Outcome) {
    if cli.json {
        println!("{}", json(cli, file, outcome));
        return;
    }
    match outcome {
        Outcome::BadInput(e) => eprintln!("{file}: bad input: {e}"),
        Outcome::Checked(r) if r.verdict == Verdict::NotLinearizable => print!("{file}: {r}"),
        Outcome::Checked(r) => print!(
            "{file}: {}",
            r.to_string()
                .replacen(" (", &format!(" ({} ms, ", r.elapsed.as_millis()), 1)
        ),
    }
}

fn json(cli: &Cli, file: &str, outcome: &Outcome) -> serde_json::Value {
    match outcome {
        Outcome::BadInput(e) => serde_json::json!({
            "file": file,
            "model": cli.model,
            "verdict": "bad-input",
            "error": e,
        }),
        Outcome::Checked(r) => serde_json::json!({
            "file": file,
            "model": r.model,
            "verdict": r.verdict.as_str(),
            "ops": r.ops,
            "keys": r.keys,
            "steps": r.steps,
            "elapsed_ms": r.elapsed.as_secs_f64() * 1e3,
            "explanation": r.explanation.as_ref().map(ToString::to_string),
            "window": r.explanation.as_ref().map(|e| e.window()),
        }),
    }
}

fn write_html(path: &PathBuf, results: &[(String, Outcome)]) -> std::io::Result<()> {
    let checked: Vec<(&str, &CheckResult)> = results
        .iter()
        .filter_map(|(f, o)| match o {
            Outcome::Checked(r) => Some((f.as_str(), r.as_ref())),
            Outcome::BadInput(_) => None,
        })
        .collect();
    let started = Instant::now();
    std::fs::write(path, sandtable_check::html_report(&checked))?;
    if started.elapsed() > Duration::from_secs(1) {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn exit_code(results: &[(String, Outcome)]) -> u8 {
    let any = |pred: &dyn Fn(&Outcome) -> bool| results.iter().any(|(_, o)| pred(o));
    let verdict = |v| move |o: &Outcome| matches!(o, Outcome::Checked(r) if r.verdict == v);
    if any(&|o| matches!(o, Outcome::BadInput(_))) {
        3
    } else if any(&verdict(Verdict::NotLinearizable)) {
        1
    } else if any(&verdict(Verdict::Unknown)) {
        2
    } else {
        0
    }
}
