//! Criterion benchmarks: checking generated linearizable histories.
//!
//! Run with `cargo bench -p sandtable-check --bench check`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sandtable_check::gen::{register_history, RegisterSpec};
use sandtable_check::{check, models, CheckOptions, Verdict};

fn options() -> CheckOptions {
    CheckOptions::default().threads(1)
}

fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("register");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    for (processes, ops) in [
        (10, 1_000),
        (10, 10_000),
        (50, 1_000),
        (50, 10_000),
        (100, 10_000),
        (100, 100_000),
    ] {
        let history = register_history(&RegisterSpec::register(processes, ops, 1));
        assert_eq!(
            check(&history, &models::Register, &options()).verdict,
            Verdict::Linearizable
        );
        group.throughput(Throughput::Elements(ops as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("{processes}p"), ops),
            &history,
            |b, h| b.iter(|| check(h, &models::Register, &options())),
        );
    }
    group.finish();
}

fn etcd_like(c: &mut Criterion) {
    let mut group = c.benchmark_group("etcd-like");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    for (processes, ops, keys) in [(20, 2_000, 4), (30, 5_000, 8)] {
        let history = register_history(&RegisterSpec::etcd_like(processes, ops, keys, 1));
        assert_eq!(
            check(&history, &models::CasRegister, &options()).verdict,
            Verdict::Linearizable
        );
        group.throughput(Throughput::Elements(ops as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("{processes}p-{keys}k"), ops),
            &history,
            |b, h| b.iter(|| check(h, &models::CasRegister, &options())),
        );
    }
    group.finish();
}

criterion_group!(benches, register, etcd_like);
criterion_main!(benches);
