//! Time of the inverse problem's loop (objective, autodiff gradient, update) by size, optimizer and dtype, with floors.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group};
use descent_benches::{CASES, experiment};
use descent_runner::Experiment;

/// The allocator `cargo xtask` runs with, so the benchmarks time what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The time of `iters` runs' loops: each run's own clock around its iterations (the summary's
/// `wall_seconds`), without the set-up before the loop and the final evaluation after it.
fn loops(experiment: &Experiment, iters: u64) -> Duration {
    (0..iters)
        .map(|_| {
            let summary = experiment.run(&mut []).expect("run");
            Duration::from_secs_f64(summary.wall_seconds)
        })
        .sum()
}

/// Each measurement is the loop of one run of `case.iterations` iterations: criterion's time
/// divided by the iterations is the time per iteration.
fn inverse(c: &mut Criterion) {
    let mut group = c.benchmark_group("inverse");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for case in CASES {
        let experiment = experiment(case).expect("bench config");
        group.bench_function(BenchmarkId::new(case.id(), case.n), |b| {
            b.iter_custom(|iters| loops(&experiment, iters))
        });
    }
    group.finish();
}

/// 10,000 independent 4x4 problems as one batch, with autodiff and with the analytic gradient.
fn batched(c: &mut Criterion) {
    let mut group = c.benchmark_group("batched");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for gradient in descent_benches::BATCH_GRADIENTS {
        let experiment = descent_benches::batched_experiment(gradient).expect("batched config");
        group.bench_function(
            BenchmarkId::new(
                descent_benches::batched_id(gradient),
                descent_benches::BATCH,
            ),
            |b| b.iter_custom(|iters| loops(&experiment, iters)),
        );
    }
    group.finish();
}

/// The floors: the 4x4 SGD problem as a hand-written scalar loop (1000 iterations), and one f32
/// 1024x1024 matrix product through candle.
fn floors(c: &mut Criterion) {
    let a = [1.0f32, 2.0, 3.0, 4.0];
    let lr = 0.4605170185988092f64 as f32;
    let mut group = c.benchmark_group("floor");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("plain-rust-4x4-sgd-k1000", |b| {
        b.iter(|| {
            let mut x = [0.5f32; 16];
            for _ in 0..1000 {
                for i in 0..4 {
                    for j in 0..4 {
                        let target = if i == j { 1.0 } else { 0.0 };
                        let g = (x[i * 4 + j] * a[j] - target) * 2.0 / 16.0 * a[j];
                        x[i * 4 + j] = (-lr).mul_add(g, x[i * 4 + j]);
                    }
                }
            }
            std::hint::black_box(x)
        })
    });
    let (a, b) = descent_benches::matmul_operands(1024).expect("operands");
    group.bench_function("candle-matmul-f32-1024", |bench| {
        bench.iter(|| a.matmul(&b).expect("matmul"))
    });
    group.finish();
}

criterion_group!(benches, inverse, batched, floors);

/// criterion's `main`, after fixing candle's thread counts as `cargo xtask bench` does: without
/// `RAYON_NUM_THREADS` candle asks the system for the CPU count on every matrix product (about
/// 30 us each), and a plain `cargo bench` would time that instead of the loop; and candle's pool of
/// spinning element-wise workers (`CANDLE_NUM_THREADS`) gets one thread, as in `cargo xtask`.
fn main() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: first thing in `main`, before criterion, rayon or candle start any thread: no
    // other thread can read the environment concurrently.
    #[allow(unsafe_code)]
    unsafe {
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
        }
        if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
            std::env::set_var("CANDLE_NUM_THREADS", "1");
        }
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
