//! `Adadelta`: torch.optim.Adadelta (Zeiler, 2012, with a learning rate), in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative, check_positive};
use crate::moments::weight_decay;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Adadelta`], with torch.optim.Adadelta's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdadeltaConfig {
    /// Scales the step (default 1.0, torch's; Zeiler's method has none).
    pub lr: f64,
    /// Decay of both running averages (default 0.9).
    pub rho: f64,
    /// Added inside both square roots (default 1e-6).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        Self {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

impl OptimizerConfig for AdadeltaConfig {
    const KIND: &'static str = "adadelta";
    const SUMMARY: &'static str = "torch.optim.Adadelta: lr, rho, eps, weight_decay, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        if !(0.0..=1.0).contains(&self.rho) {
            return Err(Invalid::new(
                "rho",
                format!("must be in [0, 1], got {}", self.rho),
            ));
        }
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn state_slots(&self) -> usize {
        2
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Adadelta::new(self.clone()))
    }
}

/// torch.optim.Adadelta on the CPU, single-tensor path (torch/optim/adadelta.py,
/// `_single_tensor_adadelta`), per entry in float32 (or float64):
///
/// `g <- fma(wd, p, g)`; `v <- fma((1 - ρ) g, g, v ρ)`; `Δ <- (sqrt(u + eps) / sqrt(v + eps)) g`;
/// `u <- fma((1 - ρ) Δ, Δ, u ρ)`; `p <- fma(-lr, Δ, p)`, with `v` and `u` starting at 0. The
/// square roots are correctly rounded (torch's MKL float32 sqrt is not, for about a fifth of
/// inputs: torch-optim.md R5).
#[derive(Debug, Clone)]
pub struct Adadelta<F> {
    config: AdadeltaConfig,
    square_avg: Vec<Vec<F>>,
    acc_delta: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Adadelta<F> {
    /// A fresh Adadelta optimizer.
    pub fn new(config: AdadeltaConfig) -> Self {
        Self {
            config,
            square_avg: Vec::new(),
            acc_delta: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Adadelta<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        if self.square_avg.len() != params.len() {
            self.square_avg = params.iter().map(|p| vec![F::zero(); p.len()]).collect();
            self.acc_delta = self.square_avg.clone();
        }
        let (rho, one_minus_rho) = (F::host(c.rho), F::host(1.0 - c.rho));
        let (eps, neg_lr) = (F::host(c.eps), F::host(-lr));
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            weight_decay(p, g, c.weight_decay, false, lr);
            let entries = p.iter_mut().zip(g.iter()).zip(
                self.square_avg[i]
                    .iter_mut()
                    .zip(self.acc_delta[i].iter_mut()),
            );
            for ((pj, &gj), (v, u)) in entries {
                *v = (one_minus_rho * gj).mul_add(gj, *v * rho);
                let std = (*v + eps).sqrt();
                let delta = ((*u + eps).sqrt() / std) * gj;
                *u = (one_minus_rho * delta).mul_add(delta, *u * rho);
                *pj = neg_lr.mul_add(delta, *pj);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_follows;

    /// Zeiler's Adadelta (Algorithm 1) in f64, with torch's lr and weight decay.
    fn check(c: AdadeltaConfig) {
        let (mut v, mut u) = ([0.0f64; 4], [0.0f64; 4]);
        let lr = c.lr;
        assert_follows(&mut Adadelta::<f64>::new(c.clone()), lr, 30, |_, p, g| {
            for i in 0..4 {
                let g = if c.maximize { -g[i] } else { g[i] } + c.weight_decay * p[i];
                v[i] = c.rho * v[i] + (1.0 - c.rho) * g * g;
                let delta = (u[i] + c.eps).sqrt() / (v[i] + c.eps).sqrt() * g;
                u[i] = c.rho * u[i] + (1.0 - c.rho) * delta * delta;
                p[i] -= lr * delta;
            }
        });
    }

    #[test]
    fn adadelta_matches_zeilers_update() {
        check(AdadeltaConfig::default());
        check(AdadeltaConfig {
            lr: 0.5,
            rho: 0.95,
            eps: 1e-4,
            weight_decay: 0.1,
            maximize: false,
        });
    }

    #[test]
    fn maximizing_climbs() {
        check(AdadeltaConfig {
            maximize: true,
            ..Default::default()
        });
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        for (c, key) in [
            (
                AdadeltaConfig {
                    rho: 1.5,
                    ..Default::default()
                },
                "rho",
            ),
            (
                AdadeltaConfig {
                    eps: 0.0,
                    ..Default::default()
                },
                "eps",
            ),
            (
                AdadeltaConfig {
                    lr: -1.0,
                    ..Default::default()
                },
                "lr",
            ),
        ] {
            assert_eq!(c.validate().expect_err("invalid").key, key);
        }
    }
}
