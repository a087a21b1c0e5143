//! `Adafactor`: torch.optim.Adafactor (Shazeer and Stern, 2018, as torch departs from it): a factored second moment for matrices, no first moment.

use descent_tensor::{Real, torch_sum, torch_vector_norm};
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative, check_positive};
use crate::host::{StepCount, pow};
use crate::optimizer::{check_shapes, load_gradient, shapes_of};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig, Shape, lerp};

/// Config of [`Adafactor`], with torch.optim.Adafactor's keys and defaults; torch's
/// `eps = (None, 1e-3)` is the two keys `eps1` and `eps2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdafactorConfig {
    /// Learning rate; the relative step is `min(lr, 1 / sqrt(t))` (default 1e-2).
    pub lr: f64,
    /// The second moment's decay is `1 - t^beta2_decay` (default -0.8).
    pub beta2_decay: f64,
    /// The floor of the second moment's estimate (absent: the dtype's machine epsilon, torch's
    /// `None`).
    pub eps1: Option<f64>,
    /// The floor of the parameter's RMS in the step size (default 1e-3).
    pub eps2: f64,
    /// The clipping threshold of the update's RMS (default 1.0).
    pub d: f64,
    /// Decoupled weight decay: `p <- p (1 - lr wd)` (default 0).
    pub weight_decay: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdafactorConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            beta2_decay: -0.8,
            eps1: None,
            eps2: 1e-3,
            d: 1.0,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

impl OptimizerConfig for AdafactorConfig {
    const KIND: &'static str = "adafactor";
    const SUMMARY: &'static str =
        "torch.optim.Adafactor: lr, beta2_decay, eps1 (None), eps2, d, weight_decay, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        if !(self.beta2_decay <= 0.0 && self.beta2_decay.is_finite()) {
            return Err(Invalid::new(
                "beta2_decay",
                format!("must be <= 0, got {}", self.beta2_decay),
            ));
        }
        if let Some(e) = self.eps1 {
            check_non_negative("eps1", e)?;
        }
        check_non_negative("eps2", self.eps2)?;
        check_positive("d", self.d)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn state_slots(&self) -> usize {
        1
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Adafactor::new(self.clone()))
    }
}

/// torch.optim.Adafactor on the CPU, single-tensor path (torch/optim/_adafactor.py), for a
/// `r x c` parameter (every descent parameter is a matrix, as a 2-D torch tensor):
///
/// `ρ = min(lr, 1/sqrt(t))`; `α = max(eps2, RMS(p)) ρ`; `p <- p (1 - lr wd)`; row and column
/// means of `g^2` tracked by `lerp(·, t^beta2_decay)`; `v̂ = row col / max(mean(row), eps1)`;
/// `u = g / sqrt(max(v̂, eps1^2))`; `p <- p - α / max(1, RMS(u) / d) u`. Every reduction is
/// torch's, in the element type and its order: the RMS norms and the row norms are
/// `torch.linalg.vector_norm` over contiguous entries ([`torch_vector_norm`]), the column norms
/// add the squares down each column in order (ATen's strided reduction; a one-column matrix is
/// contiguous and takes the first), each norm is squared again as torch squares it, the mean of
/// the rows is torch's sum divided by the count, and `u` is `g` times `rsqrt(v̂)`, as torch
/// rounds it. The run's `numel ** 0.5` is Python's `pow`.
#[derive(Debug, Clone)]
pub struct Adafactor<F> {
    config: AdafactorConfig,
    shapes: Vec<Shape>,
    step: StepCount,
    rows: Vec<Vec<F>>,
    cols: Vec<Vec<F>>,
    scratch: Vec<F>,
    update: Vec<F>,
}

impl<F: Real> Adafactor<F> {
    /// A fresh Adafactor optimizer.
    pub fn new(config: AdafactorConfig) -> Self {
        Self {
            config,
            shapes: Vec::new(),
            step: StepCount::default(),
            rows: Vec::new(),
            cols: Vec::new(),
            scratch: Vec::new(),
            update: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Adafactor<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let shapes = shapes_of(&self.shapes, params)?;
        if self.rows.len() != params.len() {
            self.rows = shapes.iter().map(|s| vec![F::zero(); s.rows]).collect();
            self.cols = shapes.iter().map(|s| vec![F::zero(); s.cols]).collect();
        }
        let c = &self.config;
        let t = self.step.advance();
        let weight = F::host(pow(t, c.beta2_decay));
        let rho = lr.min(1.0 / pow(t, 0.5));
        let eps1 = F::host(c.eps1.unwrap_or_else(|| F::epsilon().widen()));
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let Shape { rows, cols } = shapes[i];
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            let root_n = pow(p.len() as f64, 0.5);
            let alpha = c.eps2.max(torch_vector_norm(p).widen() / root_n) * rho;
            if c.weight_decay != 0.0 {
                let decay = F::host(1.0 - lr * c.weight_decay);
                p.iter_mut().for_each(|x| *x *= decay);
            }
            let (row_var, col_var) = (&mut self.rows[i], &mut self.cols[i]);
            // torch: vector_norm(g, dim).square_().div_(size).
            for (r, v) in row_var.iter_mut().enumerate() {
                let norm = torch_vector_norm(&g[r * cols..(r + 1) * cols]);
                *v = lerp(*v, norm * norm / F::host(cols as f64), weight);
            }
            for (k, v) in col_var.iter_mut().enumerate() {
                let norm = if cols == 1 {
                    torch_vector_norm(g)
                } else {
                    (0..rows)
                        .fold(F::zero(), |s, r| s + g[r * cols + k] * g[r * cols + k])
                        .sqrt()
                };
                *v = lerp(*v, norm * norm / F::host(rows as f64), weight);
            }
            let row_mean = torch_sum(row_var) / F::host(rows as f64);
            let scale = if row_mean < eps1 { eps1 } else { row_mean };
            let u = &mut self.update;
            u.clear();
            for (r, &rv) in row_var.iter().enumerate() {
                for (k, &cv) in col_var.iter().enumerate() {
                    let v = rv * cv / scale;
                    let v = if v < eps1 * eps1 { eps1 * eps1 } else { v };
                    u.push(v.sqrt().recip() * g[r * cols + k]);
                }
            }
            let clip = 1.0f64.max(torch_vector_norm(u).widen() / (root_n * c.d));
            let step = F::host(-alpha / clip);
            for (p, &u) in p.iter_mut().zip(u.iter()) {
                *p = step.mul_add(u, *p);
            }
        }
        Ok(())
    }

    fn set_shapes(&mut self, shapes: &[Shape]) -> Result<(), OptimError> {
        self.shapes = shapes.to_vec();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoClosure;

    /// PyTorch 2.15's `Adafactor([p], lr=0.05, weight_decay=0.01)` on a 3 x 2 float64 parameter,
    /// 20 steps of `p.grad = w * (p - 1)` with w = 1..6: the final parameters, as `float.hex()`.
    #[test]
    fn adafactor_follows_torch_in_f64() {
        let c = AdafactorConfig {
            lr: 0.05,
            weight_decay: 0.01,
            ..Default::default()
        };
        let mut opt = Adafactor::<f64>::new(c);
        opt.set_shapes(&[Shape::new(3, 2)]).expect("shapes");
        let mut p = vec![vec![0.3, -0.7, 2.5, 1.2, 0.0, 4.0]];
        for _ in 0..20 {
            let g: Vec<f64> = p[0]
                .iter()
                .enumerate()
                .map(|(i, x)| (i as f64 + 1.0) * (x - 1.0))
                .collect();
            opt.step(&mut p, &[g], 0.05, &mut NoClosure).expect("step");
        }
        let want = crate::testing::torch_hex(&TORCH);
        for (got, want) in p[0].iter().zip(&want) {
            assert_eq!(got.to_bits(), want.to_bits(), "{got} vs {want}");
        }
    }

    const TORCH: [&str; 6] = [
        "0x1.e3ac31c80e5f0p-1",
        "0x1.01e69947c59abp-1",
        "0x1.ffbb4c9fc5ac3p-1",
        "0x1.00ff49b107106p+0",
        "0x1.bd2f47add728fp-1",
        "0x1.5053c79343b33p+1",
    ];

    /// PyTorch 2.15's `Adafactor([p], lr=0.05, weight_decay=0.01)` (one thread) on float32 and
    /// float64 parameters of four shapes, one column and one row included, starting from
    /// `p_i = 2 sin(i + 1)`, 20 steps of `p.grad = w * (p - 1)` with w = 1..rows cols: the final
    /// parameters as `float.hex()`, bit for bit.
    #[test]
    fn adafactor_equals_torch_bit_for_bit_in_both_dtypes_and_every_shape() {
        for (dtype, rows, cols, want) in CASES {
            let want = crate::testing::torch_hex(want);
            let got = match dtype {
                "f32" => run::<f32>(rows, cols),
                _ => run::<f64>(rows, cols),
            };
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    g.to_bits(),
                    w.to_bits(),
                    "{dtype} {rows}x{cols} entry {k}: {g:e} vs {w:e}"
                );
            }
        }
    }

    fn run<F: Real>(rows: usize, cols: usize) -> Vec<f64> {
        let c = AdafactorConfig {
            lr: 0.05,
            weight_decay: 0.01,
            ..Default::default()
        };
        let mut opt = Adafactor::<F>::new(c);
        opt.set_shapes(&[Shape::new(rows, cols)]).expect("shapes");
        let mut p = vec![
            (0..rows * cols)
                .map(|i| F::host(2.0 * (i as f64 + 1.0).sin()))
                .collect::<Vec<F>>(),
        ];
        for _ in 0..20 {
            let g: Vec<F> = p[0]
                .iter()
                .enumerate()
                .map(|(i, &x)| F::host(i as f64 + 1.0) * (x - F::one()))
                .collect();
            opt.step(&mut p, &[g], 0.05, &mut NoClosure).expect("step");
        }
        p[0].iter().map(|x| x.widen()).collect()
    }

    const CASES: [(&str, usize, usize, &[&str]); 8] = [
        (
            "f32",
            3,
            2,
            &[
                "0x1.2a0baa0000000p+0",
                "0x1.06d7620000000p+0",
                "0x1.1dcd340000000p-1",
                "-0x1.75ea300000000p-3",
                "-0x1.a72d860000000p-1",
                "0x1.5e84380000000p-3",
            ],
        ),
        (
            "f32",
            7,
            1,
            &[
                "0x1.0790d60000000p+0",
                "0x1.14b77a0000000p+0",
                "0x1.e76bb80000000p-1",
                "-0x1.0782b60000000p-1",
                "-0x1.cd78480000000p-1",
                "0x1.7547580000000p-2",
                "0x1.ffa4ee0000000p-1",
            ],
        ),
        (
            "f32",
            1,
            5,
            &[
                "0x1.04f4b40000000p+0",
                "0x1.0fa1860000000p+0",
                "0x1.ee5b140000000p-1",
                "-0x1.cdf0f60000000p-2",
                "-0x1.abc48e0000000p-1",
            ],
        ),
        (
            "f32",
            5,
            3,
            &[
                "0x1.1e1d5c0000000p+0",
                "0x1.1b62ec0000000p+0",
                "0x1.fc638c0000000p-1",
                "-0x1.7b6cd20000000p-2",
                "-0x1.c266cc0000000p-1",
                "0x1.3224c40000000p-2",
                "0x1.00b89c0000000p+0",
                "0x1.11453e0000000p+0",
                "0x1.fe41da0000000p-1",
                "-0x1.6524ac0000000p-4",
                "-0x1.f408580000000p-1",
                "-0x1.474a2c0000000p-5",
                "0x1.fde6760000000p-1",
                "0x1.11ba380000000p+0",
                "0x1.005bdc0000000p+0",
            ],
        ),
        (
            "f64",
            3,
            2,
            &[
                "0x1.2a0bad795ac8fp+0",
                "0x1.06d7644a9baa5p+0",
                "0x1.1dcd3906f0502p-1",
                "-0x1.75ea516ef3af9p-3",
                "-0x1.a72d8d6c9e959p-1",
                "0x1.5e84360b226c6p-3",
            ],
        ),
        (
            "f64",
            7,
            1,
            &[
                "0x1.0790d6722d884p+0",
                "0x1.14b780dd30acdp+0",
                "0x1.e76bbc48c604fp-1",
                "-0x1.0782c16dd341bp-1",
                "-0x1.cd7853f3b18b1p-1",
                "0x1.75475bec0596cp-2",
                "0x1.ffa4ee63579b8p-1",
            ],
        ),
        (
            "f64",
            1,
            5,
            &[
                "0x1.04f4b67d38559p+0",
                "0x1.0fa1869e6422ep+0",
                "0x1.ee5b19e51f622p-1",
                "-0x1.cdf109cb365e6p-2",
                "-0x1.abc49fab04667p-1",
            ],
        ),
        (
            "f64",
            5,
            3,
            &[
                "0x1.1e1d61e5e1ac0p+0",
                "0x1.1b62ee769cda8p+0",
                "0x1.fc6390eed1939p-1",
                "-0x1.7b6ce4aab1379p-2",
                "-0x1.c266d98a4a383p-1",
                "0x1.3224c62376138p-2",
                "0x1.00b89e46e0c74p+0",
                "0x1.1145441e3dcefp+0",
                "0x1.fe41ddca6d1d6p-1",
                "-0x1.6524b17e784acp-4",
                "-0x1.f408636ad922fp-1",
                "-0x1.4749fc2f708ebp-5",
                "0x1.fde6789b38773p-1",
                "0x1.11ba39a6cd111p+0",
                "0x1.005bdcde6d9fap+0",
            ],
        ),
    ];
}
