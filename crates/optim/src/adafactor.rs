//! `Adafactor`: torch.optim.Adafactor (Shazeer and Stern, 2018, as torch departs from it): a factored second moment for matrices, no first moment.

use descent_tensor::{Real, sum_squares};
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative, check_positive};
use crate::host::{StepCount, norm, pow};
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
/// `u = g / sqrt(max(v̂, eps1^2))`; `p <- p - α / max(1, RMS(u) / d) u`. The norms are taken in
/// f64, so the bits may differ from torch's in the last place.
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
            let n = p.len() as f64;
            let alpha = c.eps2.max(norm(p) / n.sqrt()) * rho;
            if c.weight_decay != 0.0 {
                let decay = F::host(1.0 - lr * c.weight_decay);
                p.iter_mut().for_each(|x| *x *= decay);
            }
            let (row_var, col_var) = (&mut self.rows[i], &mut self.cols[i]);
            for (r, v) in row_var.iter_mut().enumerate() {
                let mean = F::host(sum_squares(&g[r * cols..(r + 1) * cols]) / cols as f64);
                *v = lerp(*v, mean, weight);
            }
            for (k, v) in col_var.iter_mut().enumerate() {
                let column: f64 = (0..rows).map(|r| g[r * cols + k].widen().powi(2)).sum();
                *v = lerp(*v, F::host(column / rows as f64), weight);
            }
            let row_mean = F::host(row_var.iter().map(|v| v.widen()).sum::<f64>() / rows as f64);
            let scale = if row_mean < eps1 { eps1 } else { row_mean };
            let u = &mut self.update;
            u.clear();
            for (r, &rv) in row_var.iter().enumerate() {
                for (k, &cv) in col_var.iter().enumerate() {
                    let v = rv * cv / scale;
                    let v = if v < eps1 * eps1 { eps1 * eps1 } else { v };
                    u.push(g[r * cols + k] / v.sqrt());
                }
            }
            let clip = 1.0f64.max(norm(u) / (n.sqrt() * c.d));
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
            assert!((got - want).abs() <= 1e-14 * want.abs(), "{got} vs {want}");
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
}
