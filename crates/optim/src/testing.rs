//! Test support: run an optimizer beside an independent f64 recomputation of its textbook update.

use crate::{NoClosure, Optimizer};

/// The gradient of f(p) = sum_i (i + 1) (p_i - 1)^2: a quadratic with gradients of both signs.
pub(crate) fn quadratic_gradient(p: &[f64]) -> Vec<f64> {
    p.iter()
        .enumerate()
        .map(|(i, x)| 2.0 * (i as f64 + 1.0) * (x - 1.0))
        .collect()
}

/// Step `optimizer` (at constant `lr`) and `reference` side by side for `steps` steps on the
/// quadratic from a fixed start, asserting that every iterate agrees to 1e-12 relative.
///
/// `reference(t, p, g)` applies the textbook update for step `t` (1-based) to `p` in place.
pub(crate) fn assert_follows(
    optimizer: &mut dyn Optimizer<f64>,
    lr: f64,
    steps: usize,
    mut reference: impl FnMut(usize, &mut [f64], &[f64]),
) {
    let start = [0.3, -0.7, 2.5, 1.2];
    let mut p = vec![start.to_vec()];
    let mut want = start.to_vec();
    for t in 1..=steps {
        let g = quadratic_gradient(&p[0]);
        optimizer
            .step(&mut p, &[g], lr, &mut NoClosure)
            .expect("step");
        let g = quadratic_gradient(&want);
        reference(t, &mut want, &g);
        for (got, want) in p[0].iter().zip(&want) {
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "step {t}: {got} vs {want}"
            );
        }
    }
}

/// The learning rates of the first `n` iterations of the schedule `config` builds from `base`
/// for a run of `n` iterations.
pub(crate) fn lrs<C: crate::ScheduleConfig>(config: &C, base: f64, n: usize) -> Vec<f64> {
    config.validate().expect("valid config");
    let mut s = config.build(base, n).expect("schedule");
    (0..n)
        .map(|_| {
            let lr = s.lr();
            s.step(0.0);
            lr
        })
        .collect()
}

/// Python's `float.hex()` strings of normal numbers (`0x1.999999999999ap-4`) as `f64`s: how the
/// tests keep PyTorch's reference values exactly.
pub(crate) fn torch_hex(values: &[&str]) -> Vec<f64> {
    values
        .iter()
        .map(|h| {
            let (m, e) = h.trim_start_matches("0x1.").split_once('p').expect("hex");
            let m = u64::from_str_radix(m, 16).expect("mantissa");
            let e: i32 = e.parse().expect("exponent");
            f64::from_bits(((1023 + e) as u64) << 52 | m)
        })
        .collect()
}
