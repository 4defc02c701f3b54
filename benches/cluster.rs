//! W5, a workload closer to real use (a stand-in until the Raft example exists): the
//! primary-backup register of `src/register.rs` — 3 replicas syncing to disk, 4 client loops,
//! a nemesis injecting partitions, crashes and clock skew — for 60 virtual seconds, then the
//! history checked. Reports the virtual/wall time ratio and simulator events per second.
//!
//! `cargo bench --bench cluster` (add `-- 10` to run 10 seeds; default 5).

use std::time::{Duration, Instant};

use sandtable::lin::{self, models};
use sandtable::Sim;
use sandtable_examples::register::{long_run, Reads};

const VIRTUAL: Duration = Duration::from_secs(60);

fn main() {
    let seeds: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    println!(
        "W5 register cluster, {} virtual s per seed, {seeds} seeds",
        VIRTUAL.as_secs()
    );
    println!(
        "{:>5} {:>10} {:>12} {:>10} {:>12} {:>8} {:>10}",
        "seed", "wall ms", "virt/wall", "events", "events/s", "ops", "verdict"
    );
    let (mut wall_total, mut virtual_total, mut events_total) =
        (Duration::ZERO, Duration::ZERO, 0u64);
    for seed in 0..seeds {
        let started = Instant::now();
        let sim = Sim::new(seed);
        // Timed: building, running and dropping the simulation; not the check.
        let rec =
            long_run(&sim, Reads::Primary, VIRTUAL).expect("the schedule names existing nodes");
        sim.run().unwrap_or_else(|e| panic!("{e}"));
        let (events, virtual_time) = (sim.event_count(), sim.elapsed());
        drop(sim);
        let wall = started.elapsed();
        let history = rec.history();
        let verdict = match lin::linearizable(&history, &models::Register) {
            Ok(()) => "ok",
            Err(_) => "NOT LIN",
        };
        println!(
            "{seed:>5} {:>10.1} {:>12.0} {events:>10} {:>12.0} {:>8} {verdict:>10}",
            wall.as_secs_f64() * 1e3,
            virtual_time.as_secs_f64() / wall.as_secs_f64(),
            events as f64 / wall.as_secs_f64(),
            history.ops().len(),
        );
        assert_eq!(
            verdict, "ok",
            "the correct register is linearizable on seed {seed}"
        );
        wall_total += wall;
        virtual_total += virtual_time;
        events_total += events;
    }
    println!(
        "total: {:.1} ms wall for {} virtual s: {:.0}x faster than real time, {:.2} M events/s",
        wall_total.as_secs_f64() * 1e3,
        virtual_total.as_secs(),
        virtual_total.as_secs_f64() / wall_total.as_secs_f64(),
        events_total as f64 / wall_total.as_secs_f64() / 1e6
    );
}
