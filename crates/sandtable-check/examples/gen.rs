//! Writes a generated linearizable history as JSONL to stdout.
//!
//! `cargo run --release -p sandtable-check --example gen -- register PROCESSES OPS [SEED]`
//! `cargo run --release -p sandtable-check --example gen -- unique PROCESSES OPS [SEED]`
//! (a register where every write writes a fresh value)
//! `cargo run --release -p sandtable-check --example gen -- etcd PROCESSES OPS KEYS [SEED]`
//! `cargo run --release -p sandtable-check --example gen -- cas PROCESSES OPS INFO_PER_MILLE [SEED]`
//! (one cas-register, values 0..4, e.g. `cas 200 1000000 15` for a million operations with
//! about 1.5% `info`)

use sandtable_check::gen::{register_history, RegisterSpec};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: u64| {
        args.get(i)
            .map_or(default, |s| s.parse().expect("a number"))
    };
    let spec = match args.first().map(String::as_str) {
        Some("etcd") => RegisterSpec::etcd_like(
            num(1, 20) as usize,
            num(2, 5000) as usize,
            num(3, 8) as usize,
            num(4, 1),
        ),
        Some("cas") => RegisterSpec {
            info_per_mille: num(3, 15) as u32,
            ..RegisterSpec::etcd_like(
                num(1, 100) as usize,
                num(2, 1_000_000) as usize,
                1,
                num(4, 1),
            )
        },
        Some("unique") => {
            RegisterSpec::unique_register(num(1, 10) as usize, num(2, 1000) as usize, num(3, 1))
        }
        _ => RegisterSpec::register(num(1, 10) as usize, num(2, 1000) as usize, num(3, 1)),
    };
    let out = std::io::stdout().lock();
    register_history(&spec)
        .to_jsonl(std::io::BufWriter::new(out))
        .expect("stdout");
}
