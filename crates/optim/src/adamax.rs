//! `Adamax`: torch.optim.Adamax (Kingma and Ba, 2015, section 7.1: Adam under the infinity norm), in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::{StepCount, maximum, pow};
use crate::moments::weight_decay;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig, lerp};

/// Config of [`Adamax`], with torch.optim.Adamax's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamaxConfig {
    /// Learning rate (default 2e-3).
    pub lr: f64,
    /// β1 for the first moment, β2 for the infinity norm (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to |g| inside the maximum (default 1e-8; torch's place, not the paper's).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdamaxConfig {
    fn default() -> Self {
        Self {
            lr: 2e-3,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

impl OptimizerConfig for AdamaxConfig {
    const KIND: &'static str = "adamax";
    const SUMMARY: &'static str = "torch.optim.Adamax: lr, betas, eps, weight_decay, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn state_slots(&self) -> usize {
        2
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Adamax::new(self.clone()))
    }
}

/// torch.optim.Adamax on the CPU, single-tensor path (torch/optim/adamax.py,
/// `_single_tensor_adamax`), per entry:
///
/// `g <- fma(wd, p, g)`; `m <- lerp(m, g, 1 - β1)`; `u <- max(u β2, |g| + eps)` (NaN if either is);
/// `p <- p + ((-lr / (1 - β1^t)) m) / u`, the host scalar rounded once; nothing fused in the last
/// step (torch's `addcdiv_`).
#[derive(Debug, Clone)]
pub struct Adamax<F> {
    config: AdamaxConfig,
    step: StepCount,
    exp_avg: Vec<Vec<F>>,
    exp_inf: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Adamax<F> {
    /// A fresh Adamax optimizer.
    pub fn new(config: AdamaxConfig) -> Self {
        Self {
            config,
            step: StepCount::default(),
            exp_avg: Vec::new(),
            exp_inf: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Adamax<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        if self.exp_avg.len() != params.len() {
            self.exp_avg = params.iter().map(|p| vec![F::zero(); p.len()]).collect();
            self.exp_inf = self.exp_avg.clone();
        }
        let t = self.step.advance();
        let [b1, b2] = c.betas;
        let (w1, beta2, eps) = (F::host(1.0 - b1), F::host(b2), F::host(c.eps));
        let neg_clr = F::host(-(lr / (1.0 - pow(b1, t))));
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            weight_decay(p, g, c.weight_decay, false, lr);
            let entries = p
                .iter_mut()
                .zip(g.iter())
                .zip(self.exp_avg[i].iter_mut().zip(self.exp_inf[i].iter_mut()));
            for ((pj, &gj), (m, u)) in entries {
                *m = lerp(*m, gj, w1);
                *u = maximum(*u * beta2, gj.abs() + eps);
                *pj += (neg_clr * *m) / *u;
            }
        }
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
    use crate::testing::assert_follows;

    /// Kingma and Ba's AdaMax (Algorithm 2) in f64, with torch's eps inside the maximum.
    fn check(c: AdamaxConfig) {
        let (mut m, mut u) = ([0.0f64; 4], [0.0f64; 4]);
        let lr = c.lr;
        let [b1, b2] = c.betas;
        assert_follows(&mut Adamax::<f64>::new(c.clone()), lr, 30, |t, p, g| {
            for i in 0..4 {
                let g = if c.maximize { -g[i] } else { g[i] } + c.weight_decay * p[i];
                m[i] = b1 * m[i] + (1.0 - b1) * g;
                u[i] = (b2 * u[i]).max(g.abs() + c.eps);
                p[i] -= lr / (1.0 - b1.powi(t as i32)) * m[i] / u[i];
            }
        });
    }

    #[test]
    fn adamax_matches_the_papers_update() {
        check(AdamaxConfig {
            lr: 0.05,
            ..Default::default()
        });
        check(AdamaxConfig {
            lr: 0.1,
            betas: [0.8, 0.99],
            eps: 1e-3,
            weight_decay: 0.05,
            maximize: false,
        });
    }

    #[test]
    fn a_nan_gradient_poisons_the_norm_as_torch_maximum_does() {
        let mut opt = Adamax::<f32>::new(AdamaxConfig::default());
        let mut p = vec![vec![1.0f32, 1.0]];
        opt.step(&mut p, &[vec![f32::NAN, 1.0]], 0.01, &mut crate::NoClosure)
            .expect("step");
        assert!(p[0][0].is_nan() && p[0][1].is_finite());
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        let c = AdamaxConfig {
            betas: [1.0, 0.5],
            ..Default::default()
        };
        assert_eq!(c.validate().expect_err("invalid").key, "betas");
    }
}
