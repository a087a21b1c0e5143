//! Spectral filters: how ridge regression and gradient descent stopped early each weight the singular directions of a least-squares problem.
//!
//! Write A = Σ σ_i u_i v_iᵀ. The least-squares solution is `Σ (u_iᵀ b / σ_i) v_i`; a regularised
//! one keeps a fraction `φ(σ_i)` of each term. Ridge (Tikhonov) keeps `σ² / (σ² + λ)`. Gradient
//! descent from x = 0 on `s ||A x - b||²` with learning rate `lr` multiplies the error along v_i by
//! `1 - η σ_i²` per step, `η = 2 s lr`, so after t steps it keeps `1 - (1 - η σ²)^t`. Both pass the
//! large singular values and damp the small ones, and they cross over near the same place when
//! `λ ≈ 1 / (η t)`: stopping early acts as a ridge penalty (Hansen, "Rank-Deficient and Discrete
//! Ill-Posed Problems", 1998, ch. 6; Yao, Rosasco and Caponnetto, 2007).

use serde::{Deserialize, Serialize};

/// The fraction of the least-squares term along a singular value `sigma` that ridge with weight
/// `lambda` keeps: `σ² / (σ² + λ)` (1 when both are 0).
pub fn tikhonov(lambda: f64, sigma: f64) -> f64 {
    let s2 = sigma * sigma;
    if s2 + lambda == 0.0 {
        1.0
    } else {
        s2 / (s2 + lambda)
    }
}

/// The fraction that `iterations` steps of gradient descent from 0 keep, with `step` = η, the lr
/// times the Hessian's scale (`2 s` for `s ||A x - b||²`): `1 - (1 - η σ²)^t`. Above 1 where
/// `η σ² > 2` (the step diverges along that direction).
pub fn early_stopping(step: f64, iterations: usize, sigma: f64) -> f64 {
    let t = i32::try_from(iterations).unwrap_or(i32::MAX);
    1.0 - (1.0 - step * sigma * sigma).powi(t)
}

/// The ridge weight whose filter crosses one half where early stopping's nearly does:
/// `λ = 1 / (η t)` (for small `η σ²`, `(1 - η σ²)^t ≈ exp(-η t σ²)`).
pub fn equivalent_lambda(step: f64, iterations: usize) -> f64 {
    1.0 / (step * iterations.max(1) as f64)
}

/// Both filters of a run, for `filters.svg`: sampled on a logarithmic grid of singular values
/// spanning the problem's own, which are marked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// The ridge weight λ.
    pub lambda: f64,
    /// η: the lr times the Hessian's scale.
    pub step: f64,
    /// t: the run's iterations.
    pub iterations: usize,
    /// `1 / (η t)`.
    pub equivalent_lambda: f64,
    /// The problem's singular values (of A, without the ridge rows), largest first.
    pub sigma: Vec<f64>,
    /// The grid of singular values the curves are sampled on.
    pub grid: Vec<f64>,
    /// [`tikhonov`] on the grid.
    pub ridge: Vec<f64>,
    /// [`early_stopping`] on the grid.
    pub early: Vec<f64>,
    /// [`tikhonov`] at the [`equivalent_lambda`] on the grid: the ridge early stopping acts like.
    pub equivalent: Vec<f64>,
}

/// Points on the grid.
const GRID: usize = 121;

impl Filters {
    /// The filters for singular values `sigma` (any order), ridge weight `lambda`, and `iterations`
    /// steps of size `step` (η).
    pub fn new(sigma: &[f64], lambda: f64, step: f64, iterations: usize) -> Self {
        let mut sigma: Vec<f64> = sigma
            .iter()
            .copied()
            .filter(|s| s.is_finite() && *s > 0.0)
            .collect();
        sigma.sort_by(|a, b| b.total_cmp(a));
        let (top, low) = (
            sigma.first().copied().unwrap_or(1.0),
            sigma.last().copied().unwrap_or(1.0),
        );
        // A decade either side of A's singular values, but short of where a step of η diverges
        // (η σ² > 2, cut at 0.9 of that σ) unless A's own singular values are there.
        let stable = if step > 0.0 {
            (2.0 / step).sqrt()
        } else {
            f64::INFINITY
        };
        let (from, to) = (
            (low / 10.0).ln(),
            (top * 10.0).min(0.9 * stable).max(top).ln(),
        );
        let grid: Vec<f64> = (0..GRID)
            .map(|k| (from + (to - from) * k as f64 / (GRID - 1) as f64).exp())
            .collect();
        Self {
            lambda,
            step,
            iterations,
            equivalent_lambda: equivalent_lambda(step, iterations),
            ridge: grid.iter().map(|&s| tikhonov(lambda, s)).collect(),
            equivalent: grid
                .iter()
                .map(|&s| tikhonov(equivalent_lambda(step, iterations), s))
                .collect(),
            // Where a step diverges the power overflows: kept as ±f64::MAX, which JSON can hold.
            early: grid
                .iter()
                .map(|&s| early_stopping(step, iterations, s).clamp(-f64::MAX, f64::MAX))
                .collect(),
            sigma,
            grid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Gradient descent run step by step from 0 on `s (σ x - β)²` lands on the early-stopping
        /// filter times the least-squares answer β / σ.
        #[test]
        fn gradient_descent_from_zero_keeps_the_early_stopping_fraction(
            sigma in 0.05f64..3.0,
            beta in -5.0f64..5.0,
            scale in 0.01f64..1.0,
            t in 1usize..200,
            fraction in 0.05f64..0.95,
        ) {
            // An lr that is stable along σ: η σ² = 2 s lr σ² = fraction * 2.
            let lr = fraction / (scale * sigma * sigma);
            let mut x = 0.0f64;
            for _ in 0..t {
                x -= lr * 2.0 * scale * sigma * (sigma * x - beta);
            }
            let want = early_stopping(2.0 * scale * lr, t, sigma) * beta / sigma;
            prop_assert!((x - want).abs() <= 1e-9 * (1.0 + want.abs()), "{x} vs {want}");
        }

        /// Ridge's answer `argmin (σ x - β)² + λ x²` is the Tikhonov fraction of β / σ.
        #[test]
        fn ridge_keeps_the_tikhonov_fraction(
            sigma in 0.01f64..10.0,
            beta in -5.0f64..5.0,
            lambda in 0.0f64..10.0,
        ) {
            let ridge = sigma * beta / (sigma * sigma + lambda);
            let want = tikhonov(lambda, sigma) * beta / sigma;
            prop_assert!((ridge - want).abs() <= 1e-12 * (1.0 + want.abs()));
        }
    }

    #[test]
    fn the_filters_cross_one_half_near_each_other_at_the_equivalent_lambda() {
        let (step, t) = (0.01, 500);
        let lambda = equivalent_lambda(step, t);
        // Ridge keeps half at σ² = λ; early stopping keeps 1 - e^-1 ≈ 0.63 there.
        let s = lambda.sqrt();
        assert!((tikhonov(lambda, s) - 0.5).abs() < 1e-15);
        let e = early_stopping(step, t, s);
        assert!((e - (1.0 - (-1.0f64).exp())).abs() < 1e-3, "{e}");
        let f = Filters::new(&[2.0, 0.5, 0.01], lambda, step, t);
        assert_eq!(f.sigma, [2.0, 0.5, 0.01]);
        assert_eq!(f.grid.len(), GRID);
        // A decade below the smallest singular value; above, short of where a step diverges:
        // 0.9 sqrt(2 / η) = 12.7 < 20.
        assert!((f.grid[0] - 0.001).abs() < 1e-12);
        assert!((f.grid[GRID - 1] - 0.9 * (2.0f64 / step).sqrt()).abs() < 1e-9);
        assert!(
            f.early.iter().all(|e| (-1e-9..=2.0 + 1e-9).contains(e)),
            "{:?}",
            f.early
        );
        assert!(
            f.ridge.windows(2).all(|w| w[0] <= w[1]),
            "ridge keeps more of larger σ"
        );
    }
}
