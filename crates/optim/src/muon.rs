//! `Muon`: momentum orthogonalized by Newton-Schulz, as torch.optim.Muon and as Keller Jordan's original muon.py compute it.

use descent_tensor::Real;
use descent_tensor::gemm::{Operand, matmul};
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative, check_positive};
use crate::host::norm;
use crate::moments::zeros_like;
use crate::optimizer::{check_shapes, load_gradient, shapes_of};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig, Shape, lerp};

/// How torch.optim.Muon scales lr by the parameter's shape `A x B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustLr {
    /// `lr sqrt(max(1, A / B))` (torch's `None`, Keller Jordan's scaling).
    #[default]
    Original,
    /// `0.2 lr sqrt(max(A, B))`: the update's RMS matches AdamW's.
    MatchRmsAdamw,
    /// `lr sqrt(A / B)`.
    SpectralUnclamped,
}

impl AdjustLr {
    fn factor(self, s: Shape) -> f64 {
        let (a, b) = (s.rows as f64, s.cols as f64);
        match self {
            Self::Original => (1.0f64).max(a / b).sqrt(),
            Self::MatchRmsAdamw => 0.2 * a.max(b).sqrt(),
            Self::SpectralUnclamped => (a / b).sqrt(),
        }
    }
}

/// Config of [`Muon`] as torch.optim.Muon, with its keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MuonConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Decoupled weight decay (default 0.1).
    pub weight_decay: f64,
    /// Momentum (default 0.95).
    pub momentum: f64,
    /// Nesterov momentum (default true).
    pub nesterov: bool,
    /// The quintic's coefficients (a, b, c) (default [3.4445, -4.7750, 2.0315]).
    pub ns_coefficients: [f64; 3],
    /// The normalisation's floor: `X / max(||X||_F, eps)` (default 1e-7).
    pub eps: f64,
    /// Newton-Schulz iterations (default 5; fewer than 100).
    pub ns_steps: u32,
    /// How lr is scaled by the shape (default "original").
    pub adjust_lr_fn: AdjustLr,
}

impl Default for MuonConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            weight_decay: 0.1,
            momentum: 0.95,
            nesterov: true,
            ns_coefficients: [3.4445, -4.7750, 2.0315],
            eps: 1e-7,
            ns_steps: 5,
            adjust_lr_fn: AdjustLr::Original,
        }
    }
}

/// Config of [`Muon`] in Keller Jordan's original form (KellerJordan/Muon, muon.py), with its
/// defaults: `X / (||X||_F + 1e-7)`, Nesterov momentum, no weight decay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MuonKellerConfig {
    /// Learning rate (default 0.02).
    pub lr: f64,
    /// Decoupled weight decay (default 0).
    pub weight_decay: f64,
    /// Momentum (default 0.95).
    pub momentum: f64,
    /// Newton-Schulz iterations (default 5).
    pub ns_steps: u32,
}

impl Default for MuonKellerConfig {
    fn default() -> Self {
        Self {
            lr: 0.02,
            weight_decay: 0.0,
            momentum: 0.95,
            ns_steps: 5,
        }
    }
}

fn check_muon(momentum: f64, ns_steps: u32, weight_decay: f64) -> Result<(), Invalid> {
    if !(0.0..1.0).contains(&momentum) {
        return Err(Invalid::new(
            "momentum",
            format!("must be in [0, 1), got {momentum}"),
        ));
    }
    if ns_steps >= 100 {
        return Err(Invalid::new(
            "ns_steps",
            format!("must be less than 100, got {ns_steps}"),
        ));
    }
    check_non_negative("weight_decay", weight_decay)
}

impl OptimizerConfig for MuonConfig {
    const KIND: &'static str = "muon";
    const SUMMARY: &'static str = "torch.optim.Muon (Newton-Schulz in the run's dtype, not bf16): lr, weight_decay, momentum, nesterov, ns_coefficients, eps, ns_steps, adjust_lr_fn";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_muon(self.momentum, self.ns_steps, self.weight_decay)?;
        check_positive("eps", self.eps)?;
        if self.ns_coefficients.iter().any(|c| !c.is_finite()) {
            return Err(Invalid::new("ns_coefficients", "must be finite"));
        }
        Ok(())
    }

    fn state_slots(&self) -> usize {
        3
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Muon::new(self.clone(), Form::Torch))
    }
}

impl OptimizerConfig for MuonKellerConfig {
    const KIND: &'static str = "muon_keller";
    const SUMMARY: &'static str = "Muon as Keller Jordan's muon.py (Newton-Schulz in the run's dtype, not bf16): lr, weight_decay, momentum, ns_steps";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_muon(self.momentum, self.ns_steps, self.weight_decay)
    }

    fn state_slots(&self) -> usize {
        3
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        let c = MuonConfig {
            lr: self.lr,
            weight_decay: self.weight_decay,
            momentum: self.momentum,
            ns_steps: self.ns_steps,
            ..MuonConfig::default()
        };
        Box::new(Muon::new(c, Form::Keller))
    }
}

/// Which implementation's arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// torch.optim.Muon: `X / max(||X||, eps)`; `p <- p - (lr s) O`.
    Torch,
    /// muon.py: `X / (||X|| + 1e-7)`; `p <- p - lr (s O)`.
    Keller,
}

/// Muon on each `A x B` parameter (torch/optim/_muon.py, `_single_tensor_muon`; muon.py's
/// `muon_update`):
///
/// `b <- lerp(b, g, 1 - μ)`; `u = lerp(g, b, μ)` (Nesterov) or `b`; `O = NS(u)`: `X = u` (its
/// transpose when `A > B`) normalised by its Frobenius norm, then `ns_steps` times
/// `M = X Xᵀ`, `X <- a X + (b M + c M M) X`; `p <- p (1 - lr wd)`; `p <- p - lr s O` with `s`
/// the shape's factor ([`AdjustLr`]). torch computes NS in bfloat16; descent computes it in the
/// run's dtype, so its steps are the exact iteration's, not torch's bits. NS does not give an
/// exactly orthogonal matrix: its singular values end near, not at, 1.
#[derive(Debug, Clone)]
pub struct Muon<F> {
    config: MuonConfig,
    form: Form,
    shapes: Vec<Shape>,
    buf: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Muon<F> {
    fn new(config: MuonConfig, form: Form) -> Self {
        Self {
            config,
            form,
            shapes: Vec::new(),
            buf: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

/// Newton-Schulz's quintic on the `rows x cols` matrix `u` (row-major), in place: the result
/// approximates `U Vᵀ` of `u`'s SVD.
pub(crate) fn newton_schulz<F: Real>(
    u: &mut [F],
    Shape { rows, cols }: Shape,
    [a, b, c]: [f64; 3],
    steps: u32,
    normalise: impl Fn(f64) -> f64,
) {
    // Work on X (r x k, r <= k): the transpose when rows > cols.
    let transposed = rows > cols;
    let (r, k) = if transposed {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let mut x: Vec<F> = if transposed {
        (0..r)
            .flat_map(|i| (0..k).map(move |j| (i, j)))
            .map(|(i, j)| u[j * cols + i])
            .collect()
    } else {
        u.to_vec()
    };
    let scale = F::host(normalise(norm(&x)));
    x.iter_mut().for_each(|v| *v /= scale);
    let (a, b, c) = (F::host(a), F::host(b), F::host(c));
    let mut gram = vec![F::zero(); r * r];
    let mut square = vec![F::zero(); r * r];
    let mut next = vec![F::zero(); r * k];
    for _ in 0..steps {
        matmul(
            &mut gram,
            Operand::new(&x, r, k),
            Operand::t(&x, r, k),
            F::one(),
        );
        matmul(
            &mut square,
            Operand::new(&gram, r, r),
            Operand::new(&gram, r, r),
            F::one(),
        );
        for (m, &s) in gram.iter_mut().zip(square.iter()) {
            *m = b * *m + c * s;
        }
        matmul(
            &mut next,
            Operand::new(&gram, r, r),
            Operand::new(&x, r, k),
            F::one(),
        );
        for (x, &n) in x.iter_mut().zip(next.iter()) {
            *x = a * *x + n;
        }
    }
    if transposed {
        for i in 0..r {
            for j in 0..k {
                u[j * cols + i] = x[i * k + j];
            }
        }
    } else {
        u.copy_from_slice(&x);
    }
}

impl<F: Real> Optimizer<F> for Muon<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let shapes = shapes_of(&self.shapes, params)?;
        if self.buf.len() != params.len() {
            self.buf = zeros_like(params);
        }
        let c = &self.config;
        let mu = c.momentum;
        let (w, mu_f) = (F::host(1.0 - mu), F::host(mu));
        let eps = c.eps;
        let decay = F::host(1.0 - lr * c.weight_decay);
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let u = &mut self.scratch;
            load_gradient(u, g_in, false);
            for (u, b) in u.iter_mut().zip(self.buf[i].iter_mut()) {
                *b = lerp(*b, *u, w);
                *u = if c.nesterov { lerp(*u, *b, mu_f) } else { *b };
            }
            let factor = c.adjust_lr_fn.factor(shapes[i]);
            match self.form {
                Form::Torch => {
                    newton_schulz(u, shapes[i], c.ns_coefficients, c.ns_steps, |n| n.max(eps));
                    let step = F::host(-(lr * factor));
                    for (p, &o) in p.iter_mut().zip(u.iter()) {
                        *p = step.mul_add(o, *p * decay);
                    }
                }
                Form::Keller => {
                    newton_schulz(u, shapes[i], c.ns_coefficients, c.ns_steps, |n| n + 1e-7);
                    let (s, neg_lr) = (F::host(factor), F::host(-lr));
                    for (p, &o) in p.iter_mut().zip(u.iter()) {
                        *p = neg_lr.mul_add(o * s, *p * decay);
                    }
                }
            }
        }
        Ok(())
    }

    fn set_shapes(&mut self, shapes: &[Shape]) -> Result<(), OptimError> {
        self.shapes = shapes.to_vec();
        Ok(())
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.config.momentum = momentum;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoClosure;

    /// Naive f64 matrices: `a (r x k) · b (k x c)`.
    fn mul(a: &[f64], b: &[f64], r: usize, k: usize, c: usize) -> Vec<f64> {
        let mut out = vec![0.0; r * c];
        for i in 0..r {
            for j in 0..c {
                out[i * c + j] = (0..k).map(|p| a[i * k + p] * b[p * c + j]).sum();
            }
        }
        out
    }

    fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
        (0..c)
            .flat_map(|j| (0..r).map(move |i| a[i * c + j]))
            .collect()
    }

    /// The quintic written from muon.py's `zeropower_via_newtonschulz5`, in f64, on an `r x c`
    /// matrix with `r <= c`.
    fn quintic(g: &[f64], r: usize, c: usize, plus_eps: bool) -> Vec<f64> {
        let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        let n = if plus_eps { n + 1e-7 } else { n.max(1e-7) };
        let mut x: Vec<f64> = g.iter().map(|v| v / n).collect();
        for _ in 0..5 {
            let a = mul(&x, &transpose(&x, r, c), r, c, r);
            let aa = mul(&a, &a, r, r, r);
            let b: Vec<f64> = a
                .iter()
                .zip(&aa)
                .map(|(a, aa)| -4.7750 * a + 2.0315 * aa)
                .collect();
            let bx = mul(&b, &x, r, r, c);
            x = x.iter().zip(&bx).map(|(x, bx)| 3.4445 * x + bx).collect();
        }
        x
    }

    /// Muon on a 3 x 2 parameter (transposed inside NS) and a 2 x 3 one, 15 steps, against the
    /// update written out in f64.
    fn check(keller: bool) {
        let shapes = [Shape::new(3, 2), Shape::new(2, 3)];
        let grad = |p: &[f64]| -> Vec<f64> {
            p.iter()
                .enumerate()
                .map(|(i, x)| (i as f64 + 1.0) * (x - 0.5))
                .collect()
        };
        let start = vec![
            vec![0.3, -0.7, 2.5, 1.2, 0.0, 4.0],
            vec![1.0, 2.0, -1.0, 0.5, 0.25, 3.0],
        ];
        let (lr, wd) = (0.05, 0.1);
        let mut opt: Box<dyn Optimizer<f64>> = if keller {
            MuonKellerConfig {
                lr,
                weight_decay: wd,
                ..Default::default()
            }
            .build()
        } else {
            MuonConfig {
                lr,
                weight_decay: wd,
                ..Default::default()
            }
            .build()
        };
        opt.set_shapes(&shapes).expect("shapes");
        let mut p = start.clone();
        let mut want = start;
        let mut bufs = vec![vec![0.0; 6]; 2];
        for t in 1..=15 {
            let g: Vec<Vec<f64>> = p.iter().map(|p| grad(p)).collect();
            opt.step(&mut p, &g, lr, &mut NoClosure).expect("step");
            for (k, s) in shapes.iter().enumerate() {
                let g = grad(&want[k]);
                let b = &mut bufs[k];
                for i in 0..6 {
                    b[i] = 0.95 * b[i] + 0.05 * g[i];
                }
                let u: Vec<f64> = (0..6).map(|i| 0.05 * g[i] + 0.95 * b[i]).collect();
                let o = if s.rows > s.cols {
                    transpose(
                        &quintic(&transpose(&u, s.rows, s.cols), s.cols, s.rows, keller),
                        s.cols,
                        s.rows,
                    )
                } else {
                    quintic(&u, s.rows, s.cols, keller)
                };
                let scale = (1.0f64).max(s.rows as f64 / s.cols as f64).sqrt();
                for i in 0..6 {
                    want[k][i] = want[k][i] * (1.0 - lr * wd) - lr * scale * o[i];
                }
            }
            for (got, want) in p.iter().flatten().zip(want.iter().flatten()) {
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "step {t}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn muon_matches_torchs_update() {
        check(false);
    }

    #[test]
    fn muon_keller_matches_muon_py() {
        check(true);
    }

    #[test]
    fn a_shape_that_does_not_fit_is_an_error() {
        let mut opt = MuonConfig::default().build::<f64>();
        opt.set_shapes(&[Shape::new(3, 3)]).expect("shapes");
        let e = opt
            .step(&mut [vec![0.0; 6]], &[vec![1.0; 6]], 0.1, &mut NoClosure)
            .expect_err("9 entries told, 6 given");
        assert!(
            e.to_string().contains("told 3 x 3 but it has 6 values"),
            "{e}"
        );
    }

    #[test]
    fn newton_schulz_brings_the_singular_values_near_one() {
        // diag(3, 0.5) scaled: NS maps singular values towards [0.68, 1.13] (Keller Jordan's
        // remark), never exactly to 1.
        let mut u = vec![3.0, 0.0, 0.0, 0.5];
        newton_schulz(
            &mut u,
            Shape::new(2, 2),
            MuonConfig::default().ns_coefficients,
            5,
            |n: f64| n.max(1e-7),
        );
        for s in [u[0], u[3]] {
            assert!((0.6..1.2).contains(&s), "{s}");
        }
        assert_eq!((u[1], u[2]), (0.0, 0.0));
    }
}
