//! W5: the Raft KV of this crate as a fuzzing target — 5 nodes, 4 client loops, the full
//! nemesis (two fault streams) for 60 virtual seconds then healed, safety invariants checked at
//! every step, liveness after the heal, and the history checked for linearizability. Per seed:
//! wall time (whole seed: build, run, check), events, virtual/wall ratio; then seeds per second
//! on one core.
//!
//! `cargo bench -p raft-kv --bench w5_raft` (add `-- 50` for 50 seeds; default 20).

use std::time::{Duration, Instant};

use raft_kv::scenario::Scenario;
use sandtable::Sim;

fn main() {
    let seeds: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let scenario = Scenario::default();
    println!("W5 Raft KV, 5 nodes, 4 clients, 60 s of faults + heal, {seeds} seeds");
    println!(
        "{:>5} {:>9} {:>10} {:>9} {:>11} {:>7} {:>9}",
        "seed", "wall ms", "virt/wall", "events", "events/s", "ops", "committed"
    );
    let (mut wall_total, mut virtual_total, mut events_total) =
        (Duration::ZERO, Duration::ZERO, 0u64);
    let mut check_total = Duration::ZERO;
    for seed in 0..seeds {
        let started = Instant::now();
        let sim = Sim::new(seed);
        let simulated = scenario
            .simulate(&sim)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let (events, virtual_time) = (sim.event_count(), sim.elapsed());
        drop(sim);
        let simulated_at = started.elapsed();
        let report = simulated
            .check()
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let wall = started.elapsed();
        check_total += wall - simulated_at;
        println!(
            "{seed:>5} {:>9.1} {:>10.0} {events:>9} {:>11.0} {:>7} {:>9}",
            wall.as_secs_f64() * 1e3,
            virtual_time.as_secs_f64() / wall.as_secs_f64(),
            events as f64 / wall.as_secs_f64(),
            report.operations,
            report.committed,
        );
        wall_total += wall;
        virtual_total += virtual_time;
        events_total += events;
    }
    println!(
        "total: {:.2} s wall for {seeds} seeds = {:.1} seeds/s on one core; {:.0}x real time; {:.2} M events/s",
        wall_total.as_secs_f64(),
        seeds as f64 / wall_total.as_secs_f64(),
        virtual_total.as_secs_f64() / wall_total.as_secs_f64(),
        events_total as f64 / wall_total.as_secs_f64() / 1e6,
    );
    println!(
        "of which the linearizability checks: {:.1}% ({:.2} ms per seed)",
        100.0 * check_total.as_secs_f64() / wall_total.as_secs_f64(),
        check_total.as_secs_f64() * 1e3 / seeds as f64
    );
}
