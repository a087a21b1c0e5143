//! The test kit for optimizer authors: step beside an independent reference, descend on random quadratics, follow a PyTorch trajectory.
//!
//! The built-in optimizers are tested with these; an extension crate can use them the same way
//! (docs/extending.md, "Testing an optimizer").

use descent_tensor::Real;
use serde::Deserialize;

use crate::{NoClosure, Optimizer};

/// The gradient of f(p) = sum_i (i + 1) (p_i - 1)^2: a quadratic with gradients of both signs.
pub fn quadratic_gradient(p: &[f64]) -> Vec<f64> {
    p.iter()
        .enumerate()
        .map(|(i, x)| 2.0 * (i as f64 + 1.0) * (x - 1.0))
        .collect()
}

/// Step `optimizer` (at constant `lr`) and `reference` side by side for `steps` steps on
/// [`quadratic_gradient`] from `[0.3, -0.7, 2.5, 1.2]`, and fail at the first iterate that
/// differs by more than `rel_tol` (relative, or absolute below 1).
///
/// `reference(t, p, g)` applies the update of step `t` (1-based), written independently in f64
/// (the paper's formulas, not the code under test), to `p` in place, from the gradient `g` at `p`.
pub fn follows(
    optimizer: &mut dyn Optimizer<f64>,
    lr: f64,
    steps: usize,
    rel_tol: f64,
    mut reference: impl FnMut(usize, &mut [f64], &[f64]),
) -> Result<(), String> {
    let start = [0.3, -0.7, 2.5, 1.2];
    let mut p = vec![start.to_vec()];
    let mut want = start.to_vec();
    for t in 1..=steps {
        let g = quadratic_gradient(&p[0]);
        optimizer
            .step(&mut p, &[g], lr, &mut NoClosure)
            .map_err(|e| format!("step {t}: {e}"))?;
        let g = quadratic_gradient(&want);
        reference(t, &mut want, &g);
        for (i, (got, want)) in p[0].iter().zip(&want).enumerate() {
            let close = (got - want).abs() <= rel_tol * want.abs().max(1.0);
            if !close {
                return Err(format!(
                    "step {t}, entry {i}: the optimizer has {got}, the reference {want}"
                ));
            }
        }
    }
    Ok(())
}

/// [`follows`] at a relative tolerance of 1e-12, panicking with the mismatch.
pub fn assert_follows(
    optimizer: &mut dyn Optimizer<f64>,
    lr: f64,
    steps: usize,
    reference: impl FnMut(usize, &mut [f64], &[f64]),
) {
    if let Err(e) = follows(optimizer, lr, steps, 1e-12, reference) {
        panic!("{e}");
    }
}

/// A convex quadratic `f(p) = ½ (p - m)ᵀ A (p - m)` with `A` symmetric positive definite.
#[derive(Debug, Clone, PartialEq)]
pub struct Quadratic {
    /// The dimension.
    pub n: usize,
    /// `A`, row-major `n x n`.
    pub a: Vec<f64>,
    /// The minimiser `m`.
    pub minimum: Vec<f64>,
}

impl Quadratic {
    /// A random quadratic from `seed`: `A = Q diag(s) Qᵀ` with `Q` a product of `n` seeded Givens
    /// rotations and eigenvalues `s` in [1, 10] (condition at most 10), and every entry of `m` in
    /// ±[0.5, 1], so that a method whose steps have a fixed size (Lion's, lr per entry) does not
    /// overshoot a minimum next to its start.
    pub fn random(seed: u64, n: usize) -> Self {
        // SplitMix64: a well-mixed, seeded stream without another dependency.
        let mut state = seed;
        let mut uniform = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        };
        let s: Vec<f64> = (0..n).map(|_| 1.0 + 9.0 * uniform()).collect();
        let mut q = vec![0.0; n * n];
        for i in 0..n {
            q[i * n + i] = 1.0;
        }
        for _ in 0..n {
            if n < 2 {
                break;
            }
            let i = (uniform() * n as f64) as usize % n;
            let j = (i + 1 + (uniform() * (n - 1) as f64) as usize % (n - 1)) % n;
            let theta = std::f64::consts::TAU * uniform();
            let (c, sn) = (theta.cos(), theta.sin());
            for r in 0..n {
                let (qi, qj) = (q[r * n + i], q[r * n + j]);
                q[r * n + i] = c * qi - sn * qj;
                q[r * n + j] = sn * qi + c * qj;
            }
        }
        let mut a = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                a[r * n + c] = (0..n).map(|k| q[r * n + k] * s[k] * q[c * n + k]).sum();
            }
        }
        let minimum = (0..n)
            .map(|_| {
                let magnitude = 0.5 + 0.5 * uniform();
                if uniform() < 0.5 {
                    -magnitude
                } else {
                    magnitude
                }
            })
            .collect();
        Self { n, a, minimum }
    }

    /// `f(p)`.
    pub fn value(&self, p: &[f64]) -> f64 {
        let d: Vec<f64> = p.iter().zip(&self.minimum).map(|(p, m)| p - m).collect();
        let ad = self.times(&d);
        0.5 * d.iter().zip(&ad).map(|(d, a)| d * a).sum::<f64>()
    }

    /// `∇f(p) = A (p - m)`.
    pub fn gradient(&self, p: &[f64]) -> Vec<f64> {
        let d: Vec<f64> = p.iter().zip(&self.minimum).map(|(p, m)| p - m).collect();
        self.times(&d)
    }

    fn times(&self, x: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|r| (0..self.n).map(|c| self.a[r * self.n + c] * x[c]).sum())
            .collect()
    }
}

/// Run `optimizer` for `steps` steps at `lr` on `q` from the origin, and check that the loss ends
/// finite and below where it started; the first and last loss when it does.
pub fn descends(
    optimizer: &mut dyn Optimizer<f64>,
    q: &Quadratic,
    lr: f64,
    steps: usize,
) -> Result<(f64, f64), String> {
    let mut p = vec![vec![0.0; q.n]];
    let first = q.value(&p[0]);
    for t in 1..=steps {
        let g = q.gradient(&p[0]);
        optimizer
            .step(&mut p, &[g], lr, &mut NoClosure)
            .map_err(|e| format!("step {t}: {e}"))?;
    }
    let last = q.value(&p[0]);
    if last.is_finite() && last < first {
        Ok((first, last))
    } else {
        Err(format!(
            "the loss went from {first} to {last} in {steps} steps"
        ))
    }
}

/// A trajectory recorded with PyTorch on the diagonal quadratic whose gradient is
/// `w * (p - 1)` (computed in the trajectory's dtype): the start and the parameters after every
/// step, as JSON (docs/extending.md shows the script that writes one).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trajectory {
    /// What produced it (free text: the optimizer, its arguments, torch's version).
    #[serde(default)]
    pub optimizer: String,
    /// The learning rate of every step.
    pub lr: f64,
    /// `float32` or `float64`.
    pub dtype: String,
    /// The weights w.
    pub weights: Vec<f64>,
    /// The parameters before the first step.
    pub start: Vec<f64>,
    /// The parameters after each step.
    pub steps: Vec<Vec<f64>>,
}

impl Trajectory {
    /// Parse a trajectory from JSON text, checking that its lengths agree.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let t: Self = serde_json::from_str(text).map_err(|e| format!("trajectory JSON: {e}"))?;
        let n = t.start.len();
        if t.weights.len() != n || t.steps.iter().any(|s| s.len() != n) {
            return Err(format!(
                "trajectory JSON: `weights` and every step must have the {n} entries of `start`"
            ));
        }
        if !matches!(t.dtype.as_str(), "float32" | "float64") {
            return Err(format!(
                "trajectory JSON: `dtype` must be \"float32\" or \"float64\", got {:?}",
                t.dtype
            ));
        }
        Ok(t)
    }

    /// Step `optimizer` (in the trajectory's dtype `F`) along the recorded steps and fail at the
    /// first parameter that is not bit for bit the recorded one.
    pub fn compare<F: Real>(&self, optimizer: &mut dyn Optimizer<F>) -> Result<(), String> {
        let w: Vec<F> = self.weights.iter().map(|&x| F::host(x)).collect();
        let mut p = vec![self.start.iter().map(|&x| F::host(x)).collect::<Vec<F>>()];
        for (t, want) in self.steps.iter().enumerate() {
            let g: Vec<F> = p[0]
                .iter()
                .zip(&w)
                .map(|(&x, &w)| w * (x - F::one()))
                .collect();
            optimizer
                .step(&mut p, &[g], self.lr, &mut NoClosure)
                .map_err(|e| format!("step {}: {e}", t + 1))?;
            for (i, (got, want)) in p[0].iter().zip(want).enumerate() {
                if got.widen().to_bits() != F::host(*want).widen().to_bits() {
                    return Err(format!(
                        "step {}, entry {i}: {} here, {want} in the trajectory",
                        t + 1,
                        got.widen()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The learning rates of the first `n` iterations of the schedule `config` builds from `base`
/// for a run of `n` iterations.
pub fn lrs<C: crate::ScheduleConfig>(config: &C, base: f64, n: usize) -> Vec<f64> {
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

/// Python's `float.hex()` strings of zeros and normal numbers (`0x0.0p+0`, `0x1.999999999999ap-4`,
/// either sign) as `f64`s: how the built-in tests keep PyTorch's reference values exactly.
pub fn torch_hex(values: &[&str]) -> Vec<f64> {
    values
        .iter()
        .map(|h| {
            if let Some(rest) = h.strip_prefix('-') {
                return -torch_hex(&[rest])[0];
            }
            if *h == "0x0.0p+0" {
                return 0.0;
            }
            let (m, e) = h.trim_start_matches("0x1.").split_once('p').expect("hex");
            let m = u64::from_str_radix(m, 16).expect("mantissa");
            let e: i32 = e.parse().expect("exponent");
            f64::from_bits(((1023 + e) as u64) << 52 | m)
        })
        .collect()
}
