//! Allocations per event of the runtime workloads W1–W4 and W6, counted by a global allocator that
//! wraps the system one. Each workload is checked once (event log on, not counted), then run
//! once more, counted and timed.
//!
//! `cargo bench --bench alloc_count` runs all five at full size. Options (after `--`):
//! `--only w2` (repeatable) picks workloads, `--scale 0.1` shrinks them (e.g. for callgrind),
//! `--no-verify` skips the checking run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

mod common;
use common::{builder, verify, Workload, FULL};

/// Counts calls and bytes, and tracks live and peak bytes.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grew(bytes: u64) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        grew(layout.size() as u64);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        grew(layout.size() as u64);
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REALLOCS.fetch_add(1, Relaxed);
        let old = layout.size() as u64;
        let new = new_size as u64;
        if new >= old {
            BYTES.fetch_add(new - old, Relaxed);
            grew(new - old);
        } else {
            LIVE.fetch_sub(old - new, Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Clone, Copy)]
struct Counts {
    allocs: u64,
    reallocs: u64,
    bytes: u64,
}

fn counts() -> Counts {
    Counts {
        allocs: ALLOCS.load(Relaxed),
        reallocs: REALLOCS.load(Relaxed),
        bytes: BYTES.load(Relaxed),
    }
}

fn main() {
    let mut only: Vec<String> = Vec::new();
    let mut scale = 1.0f64;
    let mut check = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--only" => only.push(args.next().expect("--only takes w1, w2, w3, w4 or w6")),
            "--scale" => {
                scale = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--scale takes a number")
            }
            "--no-verify" => check = false,
            _ => {} // `cargo bench` passes `--bench`; criterion-style filters do not apply here.
        }
    }

    // What building and dropping an empty simulation costs, for reference.
    let before = counts();
    drop(builder().build());
    let empty = counts().allocs - before.allocs;

    println!(
        "{:<4} {:>10} {:<13} {:>10} {:>9} {:>12} {:>11} {:>12} {:>11} {:>10}",
        "",
        "events",
        "unit",
        "time",
        "ns/event",
        "events/s",
        "allocs",
        "allocs/event",
        "bytes/event",
        "peak MiB"
    );
    for w in FULL {
        if !only.is_empty() && !only.iter().any(|o| o == w.id()) {
            continue;
        }
        let w: Workload = if scale == 1.0 { w } else { w.scaled(scale) };
        if check {
            drop(verify(w));
        }
        let (unit, events) = w.unit();
        let live_before = LIVE.load(Relaxed);
        PEAK.store(live_before, Relaxed);
        let before = counts();
        let start = Instant::now();
        let out = w.run(builder());
        let elapsed = start.elapsed();
        let after = counts();
        let peak = PEAK.load(Relaxed) - live_before;
        assert_eq!(out.units, events);
        drop(out);
        let allocs = after.allocs - before.allocs;
        let n = events as f64;
        println!(
            "{:<4} {:>10} {:<13} {:>8.1}ms {:>9.1} {:>12.3e} {:>11} {:>12.2} {:>11.1} {:>10.1}",
            w.id(),
            events,
            unit,
            elapsed.as_secs_f64() * 1e3,
            elapsed.as_nanos() as f64 / n,
            n / elapsed.as_secs_f64(),
            allocs,
            allocs as f64 / n,
            (after.bytes - before.bytes) as f64 / n,
            peak as f64 / (1024.0 * 1024.0),
        );
        let reallocs = after.reallocs - before.reallocs;
        if reallocs > 0 {
            println!(
                "     ({reallocs} reallocs, {:.4}/event, not included in allocs)",
                reallocs as f64 / n
            );
        }
    }
    println!("(an empty Sim costs {empty} allocations to build and drop; included above)");
}
