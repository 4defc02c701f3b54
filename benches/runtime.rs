//! Criterion benchmarks of the simulator runtime: five workloads (W1–W4, W6), each iteration on
//! a fresh `Sim`. Run with `cargo bench --bench runtime`; see BENCHMARKS.md for the figures.
//!
//! The throughput criterion reports is in workload events per second: round trips (W1, W6), timer
//! firings (W2), spawn+joins (W3), deliveries (W4). Before measuring a workload, it is run once
//! with the event log on and its event counts are checked exactly (see `common::verify`).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

mod common;
use common::{builder, verify, FULL};

fn runtime(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime");
    // Iterations take 0.1–1 s: one iteration per sample, the same count in every sample.
    group.sampling_mode(SamplingMode::Flat);
    for w in FULL {
        let (_, events) = w.unit();
        group.throughput(Throughput::Elements(events));
        let mut verified = false;
        group.bench_function(w.bench_name(), |b| {
            if !verified {
                verify(w);
                verified = true;
            }
            b.iter(|| {
                let out = w.run(builder());
                assert_eq!(out.units, events);
                out
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Modest defaults for a shared 2-core machine; command-line flags override them.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = runtime
}
criterion_main!(benches);
