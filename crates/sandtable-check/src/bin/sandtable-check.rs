//! `sandtable-check`: check Jepsen-style histories (JSON Lines, EDN, Jepsen
//! logs) for linearizability.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
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

Once one key is proved not linearizable, the file's verdict is known and the
other keys' searches stop (--all-keys decides every key). A key whose search
passes the step, time or memory budget is undecided.

Exit codes:
  0  every history is linearizable
  1  some history is not linearizable
  2  some history is undecided (budget exhausted), none is not linearizable
  3  bad input: unreadable or malformed file, operation that does not fit
     the model (a completion that contradicts its invocation, say), unknown
     model, or bad arguments (takes precedence over 0-2)
  4  checker bug: two parts of the checker contradict each other, e.g. a
     shortcut (the pre-check, the zone analysis, a model's anomaly proof)
     said no linearization exists but the search found one; the message on
     standard error names it. A linearization found is proof, so that key is
     reported linearizable. Takes precedence over everything.
If standard output is closed early (| head), the rest of the output is
dropped and the exit code still covers every file.";

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
    /// Memory budget of the searches in MiB, shared by the searches alive at once (at least
    /// one share per thread); a key whose search would pass its share is undecided
    /// [default: 2048].
    #[arg(long, value_name = "MIB")]
    budget_memory_mb: Option<usize>,
    /// Decide every key, even after one is found not linearizable, and print each key's
    /// verdict (with --json, in "partitions").
    #[arg(long)]
    all_keys: bool,
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
        warn(&format!(
            "unknown model {:?}; available models: {}",
            cli.model,
            models::NAMES.join(", ")
        ));
        return ExitCode::from(3);
    };
    let progress = progress_bar(cli.files.len());
    let mut results = Vec::new();
    let mut out = Out::new(std::io::stdout());
    for file in &cli.files {
        progress.set_message(file.clone());
        let outcome = run_one(&cli, model.as_ref(), file);
        progress.suspend(|| report(&cli, file, &outcome, &mut out));
        progress.inc(1);
        results.push((file.clone(), outcome));
    }
    progress.finish_and_clear();
    if let Some(path) = &cli.html {
        if let Err(e) = write_html(path, &results) {
            warn(&format!("cannot write {}: {e}", path.display()));
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
        warn(&format!(
            "warning: {file}: the events are not in time order (line {} has time {}, before \
             line {}'s {}); the file order is taken as the real-time order (--sort-by-time \
             orders by time instead)",
            d.next.0, d.next.1, d.previous.0, d.previous.1
        ));
    }
    if history.is_empty() {
        // Trivially linearizable, but most likely not what was meant: say so.
        warn(&format!(
            "warning: {file}: no client operation found (an empty file, only events of \
             non-integer processes such as the nemesis, or a format that was not recognised; \
             see --format)"
        ));
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
    if let Some(mib) = cli.budget_memory_mb {
        options = options.budget_memory(mib.saturating_mul(1 << 20));
    }
    options = options.zones(!cli.no_zones).all_keys(cli.all_keys);
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

/// Standard output that goes quiet once its reader is gone (`| head`), instead of panicking.
struct Out<W: Write> {
    w: W,
    closed: bool,
}

impl<W: Write> Out<W> {
    fn new(w: W) -> Out<W> {
        Out { w, closed: false }
    }

    fn emit(&mut self, text: &str) {
        if self.closed {
            return;
        }
        if self
            .w
            .write_all(text.as_bytes())
            .and_then(|()| self.w.flush())
            .is_err()
        {
            self.closed = true;
        }
    }
}

fn report<W: Write>(cli: &Cli, file: &str, outcome: &Outcome, out: &mut Out<W>) {
    if let Outcome::Checked(r) = outcome {
        for d in &r.disagreements {
            warn(&format!("{file}: CHECKER BUG (exit code 4): {d}"));
        }
    }
    if cli.json {
        let mut value = json(cli, file, outcome);
        if let (true, Outcome::Checked(r)) = (cli.all_keys, outcome) {
            value["partitions"] = r
                .partitions
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "key": p.key.as_ref().map(ToString::to_string),
                        "ops": p.ops,
                        "verdict": p.verdict.map(Verdict::as_str),
                        "steps": p.steps,
                    })
                })
                .collect();
        }
        out.emit(&format!("{value}\n"));
        return;
    }
    if let (true, Outcome::Checked(r)) = (cli.all_keys, outcome) {
        for p in &r.partitions {
            let key = p
                .key
                .as_ref()
                .map_or("(no key)".to_string(), ToString::to_string);
            let verdict = p.verdict.map_or("not decided", Verdict::as_str);
            out.emit(&format!("{file}: key {key}: {verdict} ({} ops)\n", p.ops));
        }
    }
    match outcome {
        Outcome::BadInput(e) => warn(&format!("{file}: bad input: {e}")),
        Outcome::Checked(r) if r.verdict == Verdict::NotLinearizable => {
            out.emit(&format!("{file}: {r}"));
        }
        Outcome::Checked(r) => out.emit(&format!(
            "{file}: {}",
            r.to_string()
                .replacen(" (", &format!(" ({} ms, ", r.elapsed.as_millis()), 1)
        )),
    }
}

/// A line on standard error; nothing if it is closed.
fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
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
            "disagreements": r.disagreements.iter().map(ToString::to_string).collect::<Vec<_>>(),
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
        warn(&format!("wrote {}", path.display()));
    }
    Ok(())
}

fn exit_code(results: &[(String, Outcome)]) -> u8 {
    let any = |pred: &dyn Fn(&Outcome) -> bool| results.iter().any(|(_, o)| pred(o));
    let verdict = |v| move |o: &Outcome| matches!(o, Outcome::Checked(r) if r.verdict == v);
    if any(&|o| matches!(o, Outcome::Checked(r) if !r.disagreements.is_empty())) {
        4
    } else if any(&|o| matches!(o, Outcome::BadInput(_))) {
        3
    } else if any(&verdict(Verdict::NotLinearizable)) {
        1
    } else if any(&verdict(Verdict::Unknown)) {
        2
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandtable_check::models::{Register, RegisterOp};
    use sandtable_check::{check, Interner, Model, Op, ShapeError, Timed};

    /// A register whose anomaly proof always lies "impossible".
    struct Lying;

    impl Model for Lying {
        type State = u32;
        type Input = RegisterOp;
        fn name(&self) -> &str {
            "lying-register"
        }
        fn init(&self) -> u32 {
            Register.init()
        }
        fn prepare(&self, op: &Op, values: &mut Interner) -> Result<RegisterOp, ShapeError> {
            Register.prepare(op, values)
        }
        fn step(&self, state: &u32, input: &RegisterOp) -> Option<u32> {
            Register.step(state, input)
        }
        fn impossible(&self, _: &[Timed<'_, RegisterOp>], _: &Interner) -> Option<(usize, String)> {
            Some((0, "a planted lie".into()))
        }
        fn describe(&self, state: &u32, values: &Interner) -> String {
            Register.describe(state, values)
        }
    }

    fn checked(text: &str) -> Outcome {
        let h = History::from_jsonl_str(text).unwrap();
        Outcome::Checked(Box::new(check(&h, &Lying, &CheckOptions::default())))
    }

    const GOOD: &str = "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}";

    #[test]
    fn a_checker_bug_has_its_own_exit_code_and_takes_precedence() {
        let bug = ("a".to_string(), checked(GOOD));
        let bad_input = ("b".to_string(), Outcome::BadInput("line 1: nope".into()));
        assert_eq!(exit_code(std::slice::from_ref(&bug)), 4);
        assert_eq!(exit_code(&[bad_input, bug]), 4);
        let Outcome::Checked(r) = checked(GOOD) else {
            unreachable!()
        };
        assert_eq!(r.verdict, Verdict::Linearizable, "the witness wins");
    }

    #[test]
    fn the_json_names_the_disagreement() {
        let cli =
            Cli::try_parse_from(["sandtable-check", "-m", "register", "--json", "f"]).unwrap();
        let mut out = Out::new(Vec::new());
        report(&cli, "f", &checked(GOOD), &mut out);
        let text = String::from_utf8(out.w).unwrap();
        assert!(text.contains("\"verdict\":\"linearizable\""), "{text}");
        assert!(
            text.contains(
                "checker bug on the history: the model's anomaly proof (Model::impossible) claimed"
            ),
            "{text}"
        );
    }

    /// A writer whose reader has gone.
    struct Closed(usize);

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            self.0 += 1;
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_output_goes_quiet() {
        let mut out = Out::new(Closed(0));
        out.emit("one");
        out.emit("two");
        assert!(out.closed);
        assert_eq!(out.w.0, 1, "no write after the pipe broke");
    }
}
