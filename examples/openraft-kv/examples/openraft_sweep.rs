//! Seeds per second of the openraft-kv sweep, with what each seed simulates.
//!
//! ```sh
//! cargo run --release -p openraft-kv --example openraft_sweep -- --seeds 0..200
//! cargo run --release -p openraft-kv --features single-threaded --example openraft_sweep -- --seeds 0..200
//! ```

use std::time::Instant;

use openraft_kv::scenario::Scenario;
use sandtable::Sim;

fn seeds() -> std::ops::Range<u64> {
    let args: Vec<String> = std::env::args().collect();
    let spec = args
        .iter()
        .position(|a| a == "--seeds")
        .and_then(|i| args.get(i + 1))
        .map_or("0..100", String::as_str);
    let (a, b) = spec.split_once("..").expect("--seeds a..b");
    let a = a.parse().expect("a number");
    a..b.parse().expect("a number")
}

fn main() {
    let seeds = seeds();
    let (mut events, mut datagrams, mut ops, mut ok, mut observations) = (0u64, 0u64, 0, 0, 0);
    let started = Instant::now();
    for seed in seeds.clone() {
        let sim = Sim::new(seed);
        let report = Scenario::default()
            .run(&sim)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        events += sim.event_count();
        datagrams += sim.handle().net().stats().sent;
        ops += report.operations;
        ok += report.ok;
        observations += report.observations;
    }
    let secs = started.elapsed().as_secs_f64();
    let n = seeds.end - seeds.start;
    let per = |x: u64| x / n.max(1);
    println!("openraft-kv ({} mode), seeds {seeds:?}", openraft_kv::MODE);
    println!("  {n} seeds in {secs:.1} s: {:.1} seeds/s", n as f64 / secs);
    println!(
        "  per seed: {} events, {} datagrams, {} operations ({} ok), {} invariant observations",
        per(events),
        per(datagrams),
        per(ops as u64),
        per(ok as u64),
        per(observations)
    );
}
