//! `cargo xtask bench-peers`: the side-by-side benches of `peers/` (W1–W4 and W6 on Sandtable, madsim
//! and turmoil) and Sandtable's heartbeat memory curve. Std only.
//!
//! Builds the three binaries in release (madsim with `RUSTFLAGS="--cfg madsim"` in its own target
//! dir), runs every workload on each tool in turn (sandtable, madsim, turmoil, repeated `--runs`
//! times), takes medians, prints the tables and writes them into BENCHMARKS.md between the
//! `<!-- bench-peers:… -->` markers of the "Side by side: madsim and turmoil" section.
//!
//! ```text
//! cargo xtask bench-peers [--runs N] [--memory-curve] [--nodes 10,100,1000,10000]
//!                         [--skip-peers] [--scale F] [--no-write]
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const WORKLOADS: [(&str, &str, &str); 5] = [
    ("w1", "W1 ping-pong, 100k round trips", "round trip"),
    ("w2", "W2 timers, 10k tasks × 100 sleeps", "timer firing"),
    ("w3", "W3 spawn+join, 1M tasks", "spawn+join"),
    ("w4", "W4 all-to-all, 5 nodes, 200k deliveries", "delivery"),
    ("w6", "W6 TCP ping-pong, 100k round trips", "round trip"),
];
const SECTION: &str = "## Side by side: madsim and turmoil";
const TABLE: &str = "table";
const CURVE: &str = "memory-curve";

struct Opts {
    runs: usize,
    memory_curve: bool,
    nodes: Vec<u64>,
    peers: bool,
    scale: f64,
    write: bool,
}

fn parse(args: &[String]) -> Opts {
    let mut o = Opts {
        runs: 5,
        memory_curve: false,
        nodes: vec![10, 100, 1_000, 10_000],
        peers: true,
        scale: 1.0,
        write: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().map(String::as_str).unwrap_or_else(|| usage());
        match a.as_str() {
            "--runs" => o.runs = value().parse().unwrap_or_else(|_| usage()),
            "--memory-curve" => o.memory_curve = true,
            "--nodes" => {
                o.nodes = value()
                    .split(',')
                    .map(|n| n.trim().parse().unwrap_or_else(|_| usage()))
                    .collect()
            }
            "--skip-peers" => o.peers = false,
            "--scale" => o.scale = value().parse().unwrap_or_else(|_| usage()),
            "--no-write" => o.write = false,
            _ => usage(),
        }
    }
    if o.runs == 0 {
        usage();
    }
    o
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo xtask bench-peers [--runs N] [--memory-curve] [--nodes 10,100,1000,10000] \
         [--skip-peers] [--scale F] [--no-write]"
    );
    std::process::exit(2)
}

/// One JSON line of a peers binary: a flat object of numbers and strings.
type Run = BTreeMap<String, String>;

fn parse_line(line: &str) -> Option<Run> {
    let body = line.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut run = Run::new();
    for field in body.split(',') {
        let (k, v) = field.split_once(':')?;
        run.insert(
            k.trim().trim_matches('"').into(),
            v.trim().trim_matches('"').into(),
        );
    }
    Some(run)
}

fn num(run: &Run, key: &str) -> f64 {
    run.get(key).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository root")
        .to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn sh(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Builds one binary; returns its path.
fn build(peers: &Path, tool: &str) -> PathBuf {
    let (target, madsim) = match tool {
        "madsim" => (peers.join("target-madsim"), true),
        _ => (peers.join("target"), false),
    };
    let bin = format!("{tool}_w");
    eprintln!(
        "== building {bin}{}",
        if madsim {
            " (RUSTFLAGS=\"--cfg madsim\")"
        } else {
            ""
        }
    );
    let mut cmd = Command::new(cargo());
    cmd.current_dir(peers)
        .args(["build", "--release", "--features", tool, "--bin", &bin])
        .env("CARGO_TARGET_DIR", &target);
    if madsim {
        cmd.env("RUSTFLAGS", "--cfg madsim");
    } else {
        cmd.env_remove("RUSTFLAGS");
    }
    let status = cmd.status().expect("cargo runs");
    if !status.success() {
        eprintln!("build of {bin} failed");
        std::process::exit(1);
    }
    target.join("release").join(bin)
}

/// Runs a binary once; returns its JSON line, parsed.
fn run(bin: &Path, args: &[String]) -> Run {
    let out = Command::new(bin).args(args).output().expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!(
            "{} {args:?} failed:\n{stdout}{}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(1);
    }
    stdout
        .lines()
        .find_map(parse_line)
        .unwrap_or_else(|| panic!("no JSON line from {} {args:?}: {stdout}", bin.display()))
}

fn ms(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.0} µs", ns / 1e3)
    }
}

fn mib(kb: f64) -> String {
    format!("{:.1} MiB", kb / 1024.0)
}

fn virt(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else {
        format!("{:.3} ms", ns / 1e6)
    }
}

fn lock_versions(peers: &Path) -> String {
    let lock = std::fs::read_to_string(peers.join("Cargo.lock")).unwrap_or_default();
    let mut found: Vec<String> = Vec::new();
    let mut name = "";
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = n.trim_matches('"');
        } else if let Some(v) = line.strip_prefix("version = ") {
            if ["madsim", "turmoil", "tokio"].contains(&name) {
                found.push(format!("{name} {}", v.trim_matches('"')));
            }
        }
    }
    found.join(", ")
}

fn machine() -> String {
    let nproc = sh("nproc", &[]);
    let model = sh("lscpu", &[])
        .lines()
        .find(|l| l.starts_with("Model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_default();
    let rustc = sh("rustc", &["-V"]);
    format!("`nproc` {nproc}, `lscpu` model `{model}`, {rustc}, release profile (opt-level 3, `debug = 1`)")
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn main(args: &[String]) {
    let o = parse(args);
    let root = root();
    let peers = root.join("peers");
    let mut command = String::from("cargo xtask bench-peers");
    for a in args {
        command.push(' ');
        command.push_str(a);
    }
    let write = o.write && o.scale == 1.0;

    let sandtable = build(&peers, "sandtable");
    let mut bins = vec![("sandtable", sandtable.clone())];
    if o.peers {
        bins.push(("madsim", build(&peers, "madsim")));
        bins.push(("turmoil", build(&peers, "turmoil")));
    }
    let load_before = loadavg();

    let mut table = None;
    if o.peers {
        // (workload, tool) -> runs
        let mut runs: BTreeMap<(&str, &str), Vec<Run>> = BTreeMap::new();
        for rep in 0..o.runs {
            for (w, _, _) in WORKLOADS {
                for (tool, bin) in &bins {
                    let r = run(bin, &[w.to_string(), o.scale.to_string()]);
                    eprintln!(
                        "run {}/{} {w} {tool:9} {:>10} wall, peak RSS {}",
                        rep + 1,
                        o.runs,
                        ms(num(&r, "wall_ns")),
                        mib(num(&r, "peak_rss_kb"))
                    );
                    runs.entry((w, tool)).or_default().push(r);
                }
            }
        }
        table = Some(peers_table(&runs, &o, &command, &peers, &load_before));
    }

    let mut curve = None;
    if o.memory_curve {
        let mut by_n: Vec<(u64, Vec<Run>)> = o.nodes.iter().map(|&n| (n, Vec::new())).collect();
        for rep in 0..o.runs {
            for (n, runs) in by_n.iter_mut() {
                let r = run(&sandtable, &["heartbeat".into(), n.to_string()]);
                eprintln!(
                    "run {}/{} heartbeat {n:>6} nodes {:>10} wall, peak RSS {}",
                    rep + 1,
                    o.runs,
                    ms(num(&r, "wall_ns")),
                    mib(num(&r, "peak_rss_kb"))
                );
                runs.push(r);
            }
        }
        curve = Some(curve_table(&by_n, &o, &command, &load_before));
    }

    for t in [&table, &curve].into_iter().flatten() {
        println!("{t}");
    }
    if write {
        let path = root.join("BENCHMARKS.md");
        let mut doc = std::fs::read_to_string(&path).expect("BENCHMARKS.md is readable");
        if let Some(t) = &table {
            doc = replace_block(&doc, TABLE, t);
        }
        if let Some(c) = &curve {
            doc = replace_block(&doc, CURVE, c);
        }
        std::fs::write(&path, doc).expect("BENCHMARKS.md is writable");
        eprintln!("== wrote {}", path.display());
    } else {
        eprintln!("== BENCHMARKS.md not written (--no-write or --scale)");
    }
}

fn peers_table(
    runs: &BTreeMap<(&str, &str), Vec<Run>>,
    o: &Opts,
    command: &str,
    peers: &Path,
    load_before: &str,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Command: `{command}` ({} alternating runs per tool and workload; medians).",
        o.runs
    );
    let _ = writeln!(s, "Versions: {}.", lock_versions(peers));
    let _ = writeln!(
        s,
        "Machine: {}; load average {} before the runs, {} after.\n",
        machine(),
        load_before,
        loadavg()
    );
    let _ = writeln!(
        s,
        "| workload | Sandtable | madsim | turmoil | madsim ÷ Sandtable | turmoil ÷ Sandtable | peak RSS Sandtable / madsim / turmoil |"
    );
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---|");
    let mut shape = String::new();
    let _ = writeln!(
        shape,
        "\nWhat the runs did (checked by each binary; virtual time at the end of the run):\n"
    );
    let _ = writeln!(shape, "| workload | units | Sandtable virtual time | madsim virtual time | turmoil virtual time |");
    let _ = writeln!(shape, "|---|---:|---|---|---|");
    for (w, title, unit) in WORKLOADS {
        let get = |tool| runs.get(&(w, tool)).cloned().unwrap_or_default();
        let wall = |tool| median(get(tool).iter().map(|r| num(r, "wall_ns")).collect());
        let spread = |tool| {
            let v: Vec<f64> = get(tool).iter().map(|r| num(r, "wall_ns")).collect();
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(0.0, f64::max);
            (lo, hi)
        };
        let units = get("sandtable")
            .first()
            .map(|r| num(r, "units"))
            .unwrap_or(1.0);
        let cell = |tool| {
            let (lo, hi) = spread(tool);
            format!(
                "{} [{}–{}], {:.0} ns/{unit}",
                ms(wall(tool)),
                ms(lo),
                ms(hi),
                wall(tool) / units
            )
        };
        let rss = |tool| {
            mib(median(
                get(tool).iter().map(|r| num(r, "peak_rss_kb")).collect(),
            ))
        };
        let base = wall("sandtable");
        let _ = writeln!(
            s,
            "| {title} | {} | {} | {} | **{:.2}×** | **{:.2}×** | {} / {} / {} |",
            cell("sandtable"),
            cell("madsim"),
            cell("turmoil"),
            wall("madsim") / base,
            wall("turmoil") / base,
            rss("sandtable"),
            rss("madsim"),
            rss("turmoil"),
        );
        let v = |tool| {
            virt(median(
                get(tool).iter().map(|r| num(r, "virtual_ns")).collect(),
            ))
        };
        let _ = writeln!(
            shape,
            "| {w} | {units:.0} × {unit} | {} | {} | {} |",
            v("sandtable"),
            v("madsim"),
            v("turmoil")
        );
    }
    let _ = writeln!(
        s,
        "\nCells: median wall time [fastest–slowest run], and the median divided by the workload's \
         units. A ratio above 1 means the peer took longer than Sandtable. Peak RSS is `VmHWM` of \
         the process (one workload per process), median over the runs."
    );
    s.push_str(&shape);
    s
}

fn curve_table(by_n: &[(u64, Vec<Run>)], o: &Opts, command: &str, load_before: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Command: `{command}` ({} runs per size; medians).",
        o.runs
    );
    let _ = writeln!(
        s,
        "Machine: {}; load average {} before the runs, {} after.\n",
        machine(),
        load_before,
        loadavg()
    );
    let _ = writeln!(
        s,
        "| nodes | deliveries | wall | ns/delivery | steady ns/delivery | setup (first virtual ms) | peak RSS | peak RSS − start RSS | per node | marginal per node |"
    );
    let _ = writeln!(s, "|---:|---:|---|---:|---:|---|---|---|---:|---:|");
    let mut prev: Option<(u64, f64)> = None;
    for (n, runs) in by_n {
        let m = |key: &str| median(runs.iter().map(|r| num(r, key)).collect());
        let units = m("units");
        let peak = m("peak_rss_kb");
        let delta = median(
            runs.iter()
                .map(|r| num(r, "peak_rss_kb") - num(r, "base_rss_kb"))
                .collect(),
        );
        let marginal = match prev {
            Some((pn, ppeak)) => format!("{:.2} KiB", (peak - ppeak) / (*n - pn) as f64),
            None => "–".into(),
        };
        let _ = writeln!(
            s,
            "| {n} | {units:.0} | {} | {:.0} | {:.0} | {} | {} | {} | {:.2} KiB | {marginal} |",
            ms(m("wall_ns")),
            m("wall_ns") / units,
            m("steady_ns") / units,
            ms(m("setup_ns")),
            mib(peak),
            mib(delta),
            delta / *n as f64,
        );
        prev = Some((*n, peak));
    }
    let _ = writeln!(
        s,
        "\nwall: build, 10 virtual s, drop. steady ns/delivery: the run after the first virtual ms \
         divided by all deliveries (none arrives before 1 ms). per node: (peak RSS − RSS before the \
         `Sim` was built) ÷ nodes; marginal: the growth of peak RSS from the previous size ÷ the \
         nodes added."
    );
    s
}

/// Replaces the text between `<!-- bench-peers:NAME:begin -->` and `…:end -->`, creating the
/// section and the markers when they are missing.
fn replace_block(doc: &str, name: &str, body: &str) -> String {
    let begin = format!("<!-- bench-peers:{name}:begin -->");
    let end = format!("<!-- bench-peers:{name}:end -->");
    let block = format!("{begin}\n{}\n{end}", body.trim_end());
    if let (Some(b), Some(e)) = (doc.find(&begin), doc.find(&end)) {
        if b < e {
            return format!("{}{block}{}", &doc[..b], &doc[e + end.len()..]);
        }
    }
    // No markers yet: put the block at the end of the section (created before "## Checker", or
    // at the end of the file).
    let mut doc = doc.to_string();
    if !doc.contains(SECTION) {
        let at = doc.find("\n## Checker").map(|i| i + 1).unwrap_or(doc.len());
        doc.insert_str(at, &format!("{SECTION}\n\n"));
    }
    let start = doc.find(SECTION).unwrap() + SECTION.len();
    let at = doc[start..]
        .find("\n## ")
        .map(|i| start + i + 1)
        .unwrap_or(doc.len());
    doc.insert_str(at, &format!("{block}\n\n"));
    doc
}
