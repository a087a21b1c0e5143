//! `Soap`: Vyas et al. (2024), "SOAP: Improving and Stabilizing Shampoo using Adam": Adam in the eigenbasis of Shampoo's factors, as nikhilvyas/SOAP's soap.py computes it.

use descent_tensor::Real;
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::pow;
use crate::kronecker::{accumulate, add_scaled, eigen, grams, matrix};
use crate::optimizer::{check_shapes, load_gradient, shapes_of};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig, Shape};

/// Config of [`Soap`], with soap.py's keys and defaults (`merge_dims`, `precondition_1d`,
/// `max_precond_dim` and `normalize_grads` are not offered: every parameter is a matrix and both
/// of its sides are preconditioned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SoapConfig {
    /// Learning rate (default 3e-3).
    pub lr: f64,
    /// Adam's β1 and β2 (default [0.95, 0.95]).
    pub betas: [f64; 2],
    /// The factors' decay (default: none, meaning β2).
    pub shampoo_beta: Option<f64>,
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    /// Decoupled weight decay, applied after the step (default 0.01).
    pub weight_decay: f64,
    /// Refresh the eigenbasis every this many steps (default 10).
    pub precondition_frequency: u32,
    /// Adam's bias correction (default true).
    pub correct_bias: bool,
}

impl Default for SoapConfig {
    fn default() -> Self {
        Self {
            lr: 3e-3,
            betas: [0.95, 0.95],
            shampoo_beta: None,
            eps: 1e-8,
            weight_decay: 0.01,
            precondition_frequency: 10,
            correct_bias: true,
        }
    }
}

impl OptimizerConfig for SoapConfig {
    const KIND: &'static str = "soap";
    const SUMMARY: &'static str = "SOAP (nikhilvyas/SOAP): Adam in the eigenbasis of Shampoo's factors; lr, betas, shampoo_beta, eps, weight_decay, precondition_frequency, correct_bias";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        if let Some(b) = self.shampoo_beta
            && !(0.0..1.0).contains(&b)
        {
            return Err(Invalid::new(
                "shampoo_beta",
                format!("must be in [0, 1), got {b}"),
            ));
        }
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        if self.precondition_frequency == 0 {
            return Err(Invalid::new("precondition_frequency", "must be at least 1"));
        }
        Ok(())
    }

    fn state_slots(&self) -> usize {
        2
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Soap::new(self.clone()))
    }
}

/// One parameter's state.
#[derive(Debug, Clone)]
struct State {
    left: Mat<f64>,
    right: Mat<f64>,
    q_left: Mat<f64>,
    q_right: Mat<f64>,
    exp_avg: Mat<f64>,
    exp_avg_sq: Mat<f64>,
}

/// SOAP on each `r x c` parameter, as soap.py:
///
/// The first call only builds the factors `L = (1 - β_s) G Gᵀ`, `R = (1 - β_s) Gᵀ G` and their
/// eigenbases `Q_L`, `Q_R` (faer's eigendecomposition, eigenvalues descending); it does not move
/// the parameters. Then, with `t` counting from 1 at the second call: `G' = Q_Lᵀ G Q_R`;
/// `m <- β1 m + (1 - β1) G`; `v <- β2 v + (1 - β2) G'^2`; `p <- p - lr sqrt(1 - β2^t) / (1 -
/// β1^t) Q_L ((Q_Lᵀ m Q_R) / (sqrt(v) + eps)) Q_Rᵀ`; `p <- p - lr wd p`; the factors move by
/// `lerp(·, G Gᵀ, 1 - β_s)`; every `precondition_frequency` steps each basis is refreshed by one
/// power iteration and a QR (faer's), its columns first sorted by the estimated eigenvalues
/// `diag(Qᵀ L Q)` with `v` permuted alike. State and arithmetic are f64.
#[derive(Debug, Clone)]
pub struct Soap<F> {
    config: SoapConfig,
    shapes: Vec<Shape>,
    t: u32,
    states: Vec<State>,
    scratch: Vec<F>,
}

impl<F: Real> Soap<F> {
    /// A fresh SOAP optimizer.
    pub fn new(config: SoapConfig) -> Self {
        Self {
            config,
            shapes: Vec::new(),
            t: 0,
            states: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

/// The eigenvectors of `m` as columns, by descending eigenvalue (soap.py flips torch's ascending
/// `eigh` and adds 1e-30 to the diagonal).
fn descending_basis(m: MatRef<'_, f64>) -> Result<Mat<f64>, OptimError> {
    let n = m.nrows();
    let shifted = Mat::from_fn(n, n, |i, j| m[(i, j)] + if i == j { 1e-30 } else { 0.0 });
    let (_, q) = eigen(shifted.as_ref())?;
    Ok(Mat::from_fn(n, n, |i, j| q[(i, n - 1 - j)]))
}

/// soap.py's `get_orthogonal_matrix_QR` for one side: sort `q`'s columns by `diag(qᵀ m q)`
/// descending (returning the order), then `qr(m q).Q`.
fn refresh(m: MatRef<'_, f64>, q: MatRef<'_, f64>) -> (Vec<usize>, Mat<f64>) {
    let n = m.nrows();
    let mq = m * q;
    let estimate: Vec<f64> = (0..n)
        .map(|j| (0..n).map(|i| q[(i, j)] * mq[(i, j)]).sum())
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| estimate[b].total_cmp(&estimate[a]));
    let sorted = Mat::from_fn(n, n, |i, j| q[(i, order[j])]);
    let power = m * &sorted;
    (order, power.qr().compute_thin_Q())
}

impl<F: Real> Optimizer<F> for Soap<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let shapes = shapes_of(&self.shapes, params)?;
        let c = &self.config;
        let [b1, b2] = c.betas;
        let bs = c.shampoo_beta.unwrap_or(b2);
        let first = self.states.len() != params.len();
        if first {
            self.states.clear();
            for (s, g_in) in shapes.iter().zip(grads) {
                let g = &mut self.scratch;
                load_gradient(g, g_in, false);
                let g = matrix(g, s.rows, s.cols);
                let (mut left, mut right) = grams(g.as_ref());
                accumulate(&mut left, &Mat::zeros(s.rows, s.rows), 1.0 - bs, 0.0);
                accumulate(&mut right, &Mat::zeros(s.cols, s.cols), 1.0 - bs, 0.0);
                self.states.push(State {
                    q_left: descending_basis(left.as_ref())?,
                    q_right: descending_basis(right.as_ref())?,
                    left,
                    right,
                    exp_avg: Mat::zeros(s.rows, s.cols),
                    exp_avg_sq: Mat::zeros(s.rows, s.cols),
                });
            }
            return Ok(());
        }
        self.t += 1;
        let t = f64::from(self.t);
        let step_size = if c.correct_bias {
            lr * (1.0 - pow(b2, t)).sqrt() / (1.0 - pow(b1, t))
        } else {
            lr
        };
        let refresh_now = self.t.is_multiple_of(c.precondition_frequency);
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let Shape { rows, cols } = shapes[i];
            let g = &mut self.scratch;
            load_gradient(g, g_in, false);
            let g = matrix(g, rows, cols);
            let s = &mut self.states[i];
            let projected = s.q_left.transpose() * &g * &s.q_right;
            accumulate(&mut s.exp_avg, &g, b1, 1.0 - b1);
            let squares = Mat::from_fn(rows, cols, |a, b| projected[(a, b)].powi(2));
            accumulate(&mut s.exp_avg_sq, &squares, b2, 1.0 - b2);
            let m = s.q_left.transpose() * &s.exp_avg * &s.q_right;
            let scaled = Mat::from_fn(rows, cols, |a, b| {
                m[(a, b)] / (s.exp_avg_sq[(a, b)].sqrt() + c.eps)
            });
            let direction = &s.q_left * &scaled * s.q_right.transpose();
            add_scaled(p, direction.as_ref(), -step_size);
            if c.weight_decay > 0.0 {
                let decay = F::host(-lr * c.weight_decay);
                p.iter_mut().for_each(|x| *x = decay.mul_add(*x, *x));
            }
            let (gl, gr) = grams(g.as_ref());
            accumulate(&mut s.left, &gl, bs, 1.0 - bs);
            accumulate(&mut s.right, &gr, bs, 1.0 - bs);
            if refresh_now {
                let (rows_order, q_left) = refresh(s.left.as_ref(), s.q_left.as_ref());
                let (cols_order, q_right) = refresh(s.right.as_ref(), s.q_right.as_ref());
                let v = &s.exp_avg_sq;
                s.exp_avg_sq = Mat::from_fn(rows, cols, |a, b| v[(rows_order[a], cols_order[b])]);
                s.q_left = q_left;
                s.q_right = q_right;
            }
        }
        Ok(())
    }

    fn set_shapes(&mut self, shapes: &[Shape]) -> Result<(), OptimError> {
        self.shapes = shapes.to_vec();
        Ok(())
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.config.betas[0] = momentum;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoClosure;

    /// With diagonal gradients every factor is diagonal, the eigenbases are permutations (up to
    /// sign), and SOAP is Adam entry by entry (after its first call, which only builds the
    /// bases): checked against Adam's update written out in f64, over 25 steps with refreshes.
    #[test]
    fn soap_with_diagonal_gradients_is_adam() {
        let c = SoapConfig {
            lr: 0.05,
            betas: [0.9, 0.99],
            weight_decay: 0.01,
            precondition_frequency: 3,
            ..Default::default()
        };
        let mut opt = Soap::<f64>::new(c.clone());
        opt.set_shapes(&[Shape::new(3, 3)]).expect("shapes");
        let weights = [1.0, 3.0, 0.5];
        let grad = |p: &[f64]| -> Vec<f64> {
            (0..9)
                .map(|k| {
                    if k % 4 == 0 {
                        weights[k / 4] * (p[k] - 1.0)
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let start = vec![0.3, 0.0, 0.0, 0.0, -0.7, 0.0, 0.0, 0.0, 2.5];
        let mut p = vec![start.clone()];
        let g = grad(&p[0]);
        opt.step(&mut p, &[g], c.lr, &mut NoClosure).expect("step");
        assert_eq!(p[0], start, "the first call builds the bases only");
        let mut want = start;
        let (mut m, mut v) = ([0.0; 9], [0.0; 9]);
        for t in 1..=25 {
            let g = grad(&p[0]);
            opt.step(&mut p, &[g], c.lr, &mut NoClosure).expect("step");
            let g = grad(&want);
            for k in 0..9 {
                m[k] = 0.9 * m[k] + 0.1 * g[k];
                v[k] = 0.99 * v[k] + 0.01 * g[k] * g[k];
                let size = c.lr * (1.0 - 0.99f64.powi(t)).sqrt() / (1.0 - 0.9f64.powi(t));
                want[k] -= size * m[k] / (v[k].sqrt() + c.eps);
                want[k] -= c.lr * c.weight_decay * want[k];
            }
            // The refreshed bases are permutations up to rounding (about 1e-17); through Adam's
            // division, eps = 1e-8 bounds that rounding's effect to about lr 1e-9 per step.
            for (got, w) in p[0].iter().zip(&want) {
                assert!(
                    (got - w).abs() <= 1e-7 * w.abs().max(1.0),
                    "step {t}: {got} vs {w}"
                );
            }
        }
    }

    /// On a general (non-diagonal) problem SOAP lowers the loss of a rotated quadratic.
    #[test]
    fn soap_descends_on_a_rotated_quadratic() {
        let mut opt = Soap::<f64>::new(SoapConfig {
            lr: 0.05,
            ..Default::default()
        });
        opt.set_shapes(&[Shape::new(2, 2)]).expect("shapes");
        // f(X) = ||A X - I||^2 with a rotated, ill-conditioned A.
        let a = [[2.0, 1.0], [1.0, 3.0]];
        let grad = |x: &[f64]| -> (f64, Vec<f64>) {
            let mut r = [0.0; 4];
            for i in 0..2 {
                for j in 0..2 {
                    r[i * 2 + j] =
                        (0..2).map(|k| a[i][k] * x[k * 2 + j]).sum::<f64>() - f64::from(i == j);
                }
            }
            let g = (0..4)
                .map(|k| 2.0 * (0..2).map(|i| a[i][k / 2] * r[i * 2 + k % 2]).sum::<f64>())
                .collect();
            (r.iter().map(|x| x * x).sum(), g)
        };
        let mut p = vec![vec![0.0; 4]];
        let start = grad(&p[0]).0;
        for _ in 0..200 {
            let g = grad(&p[0]).1;
            opt.step(&mut p, &[g], 0.05, &mut NoClosure).expect("step");
        }
        let end = grad(&p[0]).0;
        assert!(end < 1e-2 * start, "{start} -> {end}");
    }
}
