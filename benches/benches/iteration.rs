//! Time per iteration of the notebook problem (diag4) with sgd and adam, beside a plain-Rust floor.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use descent_benches::config;
use descent_runner::{Config, Experiment, Registry};

fn run_iterations(c: &mut Criterion) {
    let registry = Registry::default();
    for optimizer in ["sgd", "adam"] {
        let sets = vec![
            format!("optimizer.kind={optimizer}"),
            "log_every=0".to_string(),
            "iterations=1000".to_string(),
        ];
        let experiment = Config::load(&config("diag4.toml"), &sets, &registry)
            .and_then(Experiment::new)
            .expect("diag4 config");
        // One measurement is 1000 iterations of the loop (objective, backward, step) plus set-up;
        // criterion reports the time per 1000.
        c.bench_function(&format!("diag4 {optimizer} f32, 1000 iterations"), |b| {
            b.iter(|| experiment.run(&mut []).expect("run"))
        });
    }
}

/// The floor: the same 1000 SGD iterations on the 4x4 problem as a hand-written scalar loop.
fn plain_rust_floor(c: &mut Criterion) {
    let a = [1.0f32, 2.0, 3.0, 4.0];
    let lr = 0.4605170185988092f64 as f32;
    c.bench_function("diag4 sgd f32 plain-Rust floor, 1000 iterations", |b| {
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
}

criterion_group!(benches, run_iterations, plain_rust_floor);
criterion_main!(benches);
