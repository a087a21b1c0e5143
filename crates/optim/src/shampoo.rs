//! `Shampoo`: Gupta et al. (2018), a Kronecker-factored preconditioner L^(-1/4) G R^(-1/4), with facebookresearch/optimizers' DistributedShampoo defaults.

use descent_tensor::Real;
use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative, check_positive};
use crate::host::pow;
use crate::kronecker::{accumulate, add_scaled, grams, inverse_root, matrix};
use crate::optimizer::{check_shapes, load_gradient, shapes_of};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig, Shape};

/// Config of [`Shampoo`], with DistributedShampoo's keys and defaults (no grafting, no blocking).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShampooConfig {
    /// Learning rate (default 1e-2).
    pub lr: f64,
    /// β1 filters the gradient; β2 decays the factors, 1 summing them as AdaGrad (default [0.9, 1.0]).
    pub betas: [f64; 2],
    /// Added to the factors' eigenvalues before the root (default 1e-12).
    pub epsilon: f64,
    /// Decoupled weight decay (default 0).
    pub weight_decay: f64,
    /// Recompute the inverse roots every this many steps (default 1).
    pub precondition_frequency: u32,
    /// The first step that preconditions; before it the step is the filtered gradient
    /// (default: none, meaning `precondition_frequency`).
    pub start_preconditioning_step: Option<u32>,
    /// Divide by `1 - β^t` (default true).
    pub use_bias_correction: bool,
}

impl Default for ShampooConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            betas: [0.9, 1.0],
            epsilon: 1e-12,
            weight_decay: 0.0,
            precondition_frequency: 1,
            start_preconditioning_step: None,
            use_bias_correction: true,
        }
    }
}

impl OptimizerConfig for ShampooConfig {
    const KIND: &'static str = "shampoo";
    const SUMMARY: &'static str = "Shampoo (facebookresearch/optimizers' DistributedShampoo defaults, no grafting): lr, betas, epsilon, weight_decay, precondition_frequency, start_preconditioning_step, use_bias_correction";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        let [b1, b2] = self.betas;
        if !((0.0..1.0).contains(&b1) && b2 > 0.0 && b2 <= 1.0) {
            return Err(Invalid::new(
                "betas",
                format!("needs 0 <= β1 < 1 and 0 < β2 <= 1, got [{b1}, {b2}]"),
            ));
        }
        check_positive("epsilon", self.epsilon)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        if self.precondition_frequency == 0 {
            return Err(Invalid::new("precondition_frequency", "must be at least 1"));
        }
        if self.start_preconditioning_step == Some(0) {
            return Err(Invalid::new(
                "start_preconditioning_step",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    fn state_slots(&self) -> usize {
        1
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Shampoo::new(self.clone()))
    }
}

/// One parameter's preconditioner.
#[derive(Debug, Clone)]
struct Factors {
    left: Mat<f64>,
    right: Mat<f64>,
    roots: Option<(Mat<f64>, Mat<f64>)>,
    momentum: Mat<f64>,
}

/// Shampoo on each `r x c` parameter, step `t`:
///
/// `L <- β2 L + (1 - β2) G Gᵀ`, `R <- β2 R + (1 - β2) Gᵀ G` (sums when β2 = 1); every
/// `precondition_frequency` steps from `start_preconditioning_step`, the roots
/// `(L̂ + εI)^(-1/4)` and `(R̂ + εI)^(-1/4)` by faer's symmetric eigendecomposition (L̂ = L / (1 -
/// β2^t) when β2 < 1); `M <- β1 M + (1 - β1) G`, `M̂ = M / (1 - β1^t)`;
/// `p <- p (1 - lr wd) - lr L^(-1/4) M̂ R^(-1/4)` (before the first roots: `- lr M̂`). The factors
/// and the step are kept in f64.
#[derive(Debug, Clone)]
pub struct Shampoo<F> {
    config: ShampooConfig,
    shapes: Vec<Shape>,
    t: u32,
    factors: Vec<Factors>,
    scratch: Vec<F>,
}

impl<F: Real> Shampoo<F> {
    /// A fresh Shampoo optimizer.
    pub fn new(config: ShampooConfig) -> Self {
        Self {
            config,
            shapes: Vec::new(),
            t: 0,
            factors: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Shampoo<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let shapes = shapes_of(&self.shapes, params)?;
        if self.factors.len() != params.len() {
            self.factors = shapes
                .iter()
                .map(|s| Factors {
                    left: Mat::zeros(s.rows, s.rows),
                    right: Mat::zeros(s.cols, s.cols),
                    roots: None,
                    momentum: Mat::zeros(s.rows, s.cols),
                })
                .collect();
        }
        let c = &self.config;
        self.t += 1;
        let t = f64::from(self.t);
        let [b1, b2] = c.betas;
        let (beta2, w2) = if b2 == 1.0 {
            (1.0, 1.0)
        } else {
            (b2, 1.0 - b2)
        };
        let bc1 = if c.use_bias_correction {
            1.0 - pow(b1, t)
        } else {
            1.0
        };
        let bc2 = if c.use_bias_correction && b2 < 1.0 {
            1.0 - pow(b2, t)
        } else {
            1.0
        };
        let start = c
            .start_preconditioning_step
            .unwrap_or(c.precondition_frequency);
        let refresh = self.t >= start && (self.t - start).is_multiple_of(c.precondition_frequency);
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let Shape { rows, cols } = shapes[i];
            let g = &mut self.scratch;
            load_gradient(g, g_in, false);
            let g = matrix(g, rows, cols);
            let f = &mut self.factors[i];
            let (gl, gr) = grams(g.as_ref());
            accumulate(&mut f.left, &gl, beta2, w2);
            accumulate(&mut f.right, &gr, beta2, w2);
            if refresh {
                let l = Mat::from_fn(rows, rows, |a, b| f.left[(a, b)] / bc2);
                let r = Mat::from_fn(cols, cols, |a, b| f.right[(a, b)] / bc2);
                f.roots = Some((
                    inverse_root(l.as_ref(), c.epsilon, 4.0)?,
                    inverse_root(r.as_ref(), c.epsilon, 4.0)?,
                ));
            }
            accumulate(&mut f.momentum, &g, b1, 1.0 - b1);
            let filtered = Mat::from_fn(rows, cols, |a, b| f.momentum[(a, b)] / bc1);
            let direction = match &f.roots {
                Some((l, r)) => l * &filtered * r,
                None => filtered,
            };
            if c.weight_decay != 0.0 {
                let decay = F::host(1.0 - lr * c.weight_decay);
                p.iter_mut().for_each(|x| *x *= decay);
            }
            add_scaled(p, direction.as_ref(), -lr);
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
#[allow(clippy::needless_range_loop)] // The reference is written as the paper's index formulas.
mod tests {
    use super::*;
    use crate::NoClosure;

    /// On a diagonal `n x n` gradient G = diag(d) with β1 = 0, β2 = 1 and one step, L = R = G²,
    /// so the step is `lr (G² + ε)^(-1/4) G (G² + ε)^(-1/4)`, about `lr sign(G)` on the diagonal.
    #[test]
    fn the_first_step_of_a_diagonal_gradient_is_its_sign() {
        let c = ShampooConfig {
            lr: 0.1,
            betas: [0.0, 1.0],
            ..Default::default()
        };
        let mut opt = Shampoo::<f64>::new(c);
        opt.set_shapes(&[Shape::new(2, 2)]).expect("shapes");
        let mut p = vec![vec![0.0; 4]];
        opt.step(&mut p, &[vec![4.0, 0.0, 0.0, -0.25]], 0.1, &mut NoClosure)
            .expect("step");
        let want = [-0.1, 0.0, 0.0, 0.1];
        for (got, want) in p[0].iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    /// Gupta et al.'s Algorithm 1 written out for a 2 x 3 parameter over 12 steps, with the
    /// inverse fourth roots of 2 x 2 and 3 x 3 factors from their closed forms (a 2 x 2 by its
    /// eigenvalues; the 3 x 3 by Jacobi rotations), in f64.
    #[test]
    fn shampoo_matches_the_papers_algorithm() {
        let c = ShampooConfig {
            lr: 0.05,
            betas: [0.5, 0.9],
            epsilon: 1e-6,
            weight_decay: 0.01,
            precondition_frequency: 2,
            ..Default::default()
        };
        let mut opt = Shampoo::<f64>::new(c.clone());
        opt.set_shapes(&[Shape::new(2, 3)]).expect("shapes");
        let grad = |p: &[f64]| -> Vec<f64> {
            p.iter()
                .enumerate()
                .map(|(i, x)| (i as f64 + 1.0) * (x - 1.0) + 0.1 * i as f64)
                .collect()
        };
        let start = vec![0.3, -0.7, 2.5, 1.2, 0.0, 4.0];
        let mut p = vec![start.clone()];
        let mut want = start;
        let (mut l, mut r, mut m) = ([[0.0; 2]; 2], [[0.0; 3]; 3], [0.0; 6]);
        type Roots = ([[f64; 2]; 2], [[f64; 3]; 3]);
        let mut roots: Option<Roots> = None;
        for t in 1..=12 {
            let g = grad(&p[0]);
            opt.step(&mut p, &[g], c.lr, &mut NoClosure).expect("step");
            let g = grad(&want);
            let at = |a: usize, b: usize| g[a * 3 + b];
            for a in 0..2 {
                for b in 0..2 {
                    l[a][b] =
                        0.9 * l[a][b] + 0.1 * (0..3).map(|k| at(a, k) * at(b, k)).sum::<f64>();
                }
            }
            for a in 0..3 {
                for b in 0..3 {
                    r[a][b] =
                        0.9 * r[a][b] + 0.1 * (0..2).map(|k| at(k, a) * at(k, b)).sum::<f64>();
                }
            }
            let bc2 = 1.0 - 0.9f64.powi(t);
            if t % 2 == 0 {
                roots = Some((
                    reference::root2(l.map(|row| row.map(|x| x / bc2)), 1e-6),
                    reference::root3(r.map(|row| row.map(|x| x / bc2)), 1e-6),
                ));
            }
            for k in 0..6 {
                m[k] = 0.5 * m[k] + 0.5 * g[k];
            }
            let mh: Vec<f64> = m.iter().map(|x| x / (1.0 - 0.5f64.powi(t))).collect();
            let d: Vec<f64> = match &roots {
                None => mh,
                Some((lr_, rr)) => (0..6)
                    .map(|k| {
                        let (a, b) = (k / 3, k % 3);
                        (0..2)
                            .flat_map(|x| (0..3).map(move |y| (x, y)))
                            .map(|(x, y)| lr_[a][x] * mh[x * 3 + y] * rr[y][b])
                            .sum()
                    })
                    .collect(),
            };
            for k in 0..6 {
                want[k] = want[k] * (1.0 - c.lr * c.weight_decay) - c.lr * d[k];
            }
            for (got, w) in p[0].iter().zip(&want) {
                assert!(
                    (got - w).abs() <= 1e-9 * w.abs().max(1.0),
                    "step {t}: {got} vs {w}"
                );
            }
        }
    }

    /// Inverse fourth roots of small symmetric matrices without faer.
    mod reference {
        /// `(A + eps I)^(-1/4)` of a symmetric 2 x 2 from its eigenvalues and eigenvectors.
        pub fn root2(a: [[f64; 2]; 2], eps: f64) -> [[f64; 2]; 2] {
            let (p, q, s) = (a[0][0], a[1][1], a[0][1]);
            let mean = (p + q) / 2.0;
            let rad = (((p - q) / 2.0).powi(2) + s * s).sqrt();
            let theta = 0.5 * (2.0 * s).atan2(p - q);
            let (c, sn) = (theta.cos(), theta.sin());
            let vecs = [[c, -sn], [sn, c]];
            let vals = [mean + rad, mean - rad];
            compose(&vecs, &vals, eps)
        }

        /// `(A + eps I)^(-1/4)` of a symmetric 3 x 3 by cyclic Jacobi rotations.
        pub fn root3(a: [[f64; 3]; 3], eps: f64) -> [[f64; 3]; 3] {
            let mut a = a;
            let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
            for _ in 0..50 {
                for (p, q) in [(0, 1), (0, 2), (1, 2)] {
                    if a[p][q].abs() < 1e-300 {
                        continue;
                    }
                    let theta = 0.5 * (2.0 * a[p][q]).atan2(a[q][q] - a[p][p]);
                    let (c, s) = (theta.cos(), theta.sin());
                    let mut j = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
                    j[p][p] = c;
                    j[q][q] = c;
                    j[p][q] = s;
                    j[q][p] = -s;
                    a = mul(&transpose(&j), &mul(&a, &j));
                    v = mul(&v, &j);
                }
            }
            compose(&v, &[a[0][0], a[1][1], a[2][2]], eps)
        }

        fn compose<const N: usize>(v: &[[f64; N]; N], vals: &[f64; N], eps: f64) -> [[f64; N]; N] {
            let mut out = [[0.0; N]; N];
            for i in 0..N {
                for j in 0..N {
                    out[i][j] = (0..N)
                        .map(|k| v[i][k] * (vals[k].max(0.0) + eps).powf(-0.25) * v[j][k])
                        .sum();
                }
            }
            out
        }

        fn mul<const N: usize>(a: &[[f64; N]; N], b: &[[f64; N]; N]) -> [[f64; N]; N] {
            let mut out = [[0.0; N]; N];
            for i in 0..N {
                for j in 0..N {
                    out[i][j] = (0..N).map(|k| a[i][k] * b[k][j]).sum();
                }
            }
            out
        }

        fn transpose<const N: usize>(a: &[[f64; N]; N]) -> [[f64; N]; N] {
            let mut out = [[0.0; N]; N];
            for i in 0..N {
                for j in 0..N {
                    out[i][j] = a[j][i];
                }
            }
            out
        }
    }
}
