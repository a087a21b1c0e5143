//! `Adagrad`: torch.optim.Adagrad (lr decay, weight decay, initial accumulator), in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative, check_positive};
use crate::host::StepCount;
use crate::moments::weight_decay;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Adagrad`], with torch.optim.Adagrad's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdagradConfig {
    /// Learning rate (default 1e-2).
    pub lr: f64,
    /// Decay of the learning rate: step t uses `lr / (1 + (t - 1) lr_decay)` (default 0).
    pub lr_decay: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// The starting value of every squared-gradient sum (default 0).
    pub initial_accumulator_value: f64,
    /// Added to the denominator (default 1e-10, torch's; not 1e-8 as in Adam).
    pub eps: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

impl OptimizerConfig for AdagradConfig {
    const KIND: &'static str = "adagrad";
    const SUMMARY: &'static str =
        "torch.optim.Adagrad: lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_non_negative("lr_decay", self.lr_decay)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        check_non_negative("initial_accumulator_value", self.initial_accumulator_value)?;
        check_positive("eps", self.eps)
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Adagrad::new(self.clone()))
    }
}

/// torch.optim.Adagrad on the CPU, single-tensor path:
///
/// `clr = lr / (1 + (t - 1) lr_decay)`; `sum <- fma(g, g, sum)`; `p <- p + (-clr g) / (sqrt(sum) + eps)`,
/// with `sum` starting at `initial_accumulator_value`. The square root is correctly rounded.
#[derive(Debug, Clone)]
pub struct Adagrad<F> {
    config: AdagradConfig,
    step: StepCount,
    sum: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Adagrad<F> {
    /// A fresh Adagrad optimizer.
    pub fn new(config: AdagradConfig) -> Self {
        Self {
            config,
            step: StepCount::default(),
            sum: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Adagrad<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        if self.sum.len() != params.len() {
            // torch fills the sums in the constructor, with the initial value rounded once.
            let init = F::host(c.initial_accumulator_value);
            self.sum = params.iter().map(|p| vec![init; p.len()]).collect();
        }
        let t = self.step.advance();
        let clr = lr / (1.0 + (t - 1.0) * c.lr_decay);
        let neg_clr = F::host(-clr);
        let eps = F::host(c.eps);
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            weight_decay(p, g, c.weight_decay, false, lr);
            for ((pj, &gj), sum) in p.iter_mut().zip(g.iter()).zip(self.sum[i].iter_mut()) {
                *sum = gj.mul_add(gj, *sum);
                let std = sum.sqrt() + eps;
                *pj += (neg_clr * gj) / std;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_follows;

    /// The textbook Adagrad (Duchi et al.) in f64, with torch's lr decay.
    fn check(c: AdagradConfig) {
        let mut sum = [c.initial_accumulator_value; 4];
        let lr = c.lr;
        assert_follows(&mut Adagrad::<f64>::new(c.clone()), lr, 20, |t, p, g| {
            let clr = c.lr / (1.0 + (t as f64 - 1.0) * c.lr_decay);
            for i in 0..4 {
                let g = if c.maximize { -g[i] } else { g[i] } + c.weight_decay * p[i];
                sum[i] += g * g;
                p[i] -= clr * g / (sum[i].sqrt() + c.eps);
            }
        });
    }

    #[test]
    fn adagrad_matches_the_textbook_update() {
        check(AdagradConfig {
            lr: 0.5,
            ..Default::default()
        });
        check(AdagradConfig {
            lr: 0.5,
            lr_decay: 0.01,
            initial_accumulator_value: 0.1,
            weight_decay: 0.01,
            ..Default::default()
        });
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        let bad = |c: AdagradConfig| c.validate().unwrap_err().key;
        assert_eq!(
            bad(AdagradConfig {
                lr_decay: -1.0,
                ..Default::default()
            }),
            "lr_decay"
        );
        assert_eq!(
            bad(AdagradConfig {
                eps: -1e-10,
                ..Default::default()
            }),
            "eps"
        );
        assert_eq!(
            bad(AdagradConfig {
                initial_accumulator_value: -0.1,
                ..Default::default()
            }),
            "initial_accumulator_value"
        );
    }
}
