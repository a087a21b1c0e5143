//! `Sgd`: stochastic gradient descent with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative};
use crate::fused;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Sgd`], with torch.optim.SGD's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SgdConfig {
    /// Learning rate (torch default 1e-3).
    pub lr: f64,
    /// Momentum factor μ (default 0: no momentum buffer).
    pub momentum: f64,
    /// Dampening τ of the momentum (default 0).
    pub dampening: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Nesterov momentum (default false; needs momentum > 0 and dampening = 0).
    pub nesterov: bool,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

impl OptimizerConfig for SgdConfig {
    const KIND: &'static str = "sgd";
    const SUMMARY: &'static str =
        "torch.optim.SGD: lr, momentum, dampening, weight_decay, nesterov, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_non_negative("momentum", self.momentum)?;
        check_non_negative("dampening", self.dampening)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Invalid::new(
                "nesterov",
                "Nesterov momentum requires momentum > 0 and dampening = 0",
            ));
        }
        Ok(())
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Sgd::new(self.clone()))
    }
}

/// torch.optim.SGD on the CPU, single-tensor path, with its exact float operation order:
///
/// 1. `g <- fma(wd, p, g)` if weight decay;
/// 2. with momentum μ: the buffer starts as a copy of `g`, then `b <- fma(1 - τ, g, b * μ)`;
///    `g <- fma(μ, b, g)` (Nesterov) or `g <- b`;
/// 3. `p <- fma(-lr, g, p)`: one rounding.
#[derive(Debug, Clone)]
pub struct Sgd<F> {
    config: SgdConfig,
    buffers: Vec<Option<Vec<F>>>,
    scratch: Vec<F>,
}

impl<F: Real> Sgd<F> {
    /// A fresh SGD optimizer.
    pub fn new(config: SgdConfig) -> Self {
        Self {
            config,
            buffers: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Sgd<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        self.buffers.resize(params.len(), None);
        let neg_lr = F::host(-lr);
        let wd = F::host(c.weight_decay);
        let mu = F::host(c.momentum);
        let one_minus_dampening = F::host(1.0 - c.dampening);
        for ((p, g_in), buffer) in params.iter_mut().zip(grads).zip(&mut self.buffers) {
            if c.weight_decay == 0.0 && c.momentum == 0.0 && !c.maximize {
                // Plain SGD: the update reads the gradient as it is, without a copy.
                fused::axpy(p, neg_lr, g_in);
                continue;
            }
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            if c.weight_decay != 0.0 {
                for (gi, &pi) in g.iter_mut().zip(p.iter()) {
                    *gi = wd.mul_add(pi, *gi);
                }
            }
            if c.momentum != 0.0 {
                match buffer {
                    None => *buffer = Some(g.clone()),
                    Some(b) => {
                        for (bi, &gi) in b.iter_mut().zip(g.iter()) {
                            *bi = one_minus_dampening.mul_add(gi, *bi * mu);
                        }
                    }
                }
                if let Some(b) = buffer {
                    if c.nesterov {
                        for (gi, &bi) in g.iter_mut().zip(b.iter()) {
                            *gi = mu.mul_add(bi, *gi);
                        }
                    } else {
                        g.copy_from_slice(b);
                    }
                }
            }
            fused::axpy(p, neg_lr, g);
        }
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

    fn run(config: SgdConfig, p0: f64, grads: &[f64], lr: f64) -> Vec<f64> {
        let mut sgd = Sgd::<f64>::new(config);
        let mut p = vec![vec![p0]];
        grads
            .iter()
            .map(|&g| {
                sgd.step(&mut p, &[vec![g]], lr, &mut NoClosure).unwrap();
                p[0][0]
            })
            .collect()
    }

    #[test]
    fn plain_sgd_subtracts_lr_times_gradient_in_one_rounding() {
        let (p, g, lr) = (
            0.719_635_5_f32,
            1.337_251_6_f32,
            0.460_517_018_598_809_2_f64,
        );
        let mut params = vec![vec![p]];
        Sgd::new(SgdConfig {
            lr,
            ..Default::default()
        })
        .step(&mut params, &[vec![g]], lr, &mut NoClosure)
        .unwrap();
        // The exact value of p - r32(lr) g, rounded once to f32.
        let want = (f64::from(p) - f64::from(lr as f32) * f64::from(g)) as f32;
        assert_eq!(params[0][0].to_bits(), want.to_bits());
    }

    #[test]
    fn momentum_buffer_starts_as_the_gradient_then_accumulates() {
        // mu = 0.5, lr = 0.5, g = 1: b = 1, 1.5, 1.75; p = 1 - 0.5, -0.25, -1.125 (worked by hand).
        let c = SgdConfig {
            momentum: 0.5,
            ..Default::default()
        };
        assert_eq!(run(c, 1.0, &[1.0, 1.0, 1.0], 0.5), [0.5, -0.25, -1.125]);
    }

    #[test]
    fn nesterov_steps_along_gradient_plus_mu_times_buffer() {
        // b = 1 then 1.5; step directions 1 + 0.5 * 1 = 1.5 and 1 + 0.5 * 1.5 = 1.75.
        let c = SgdConfig {
            momentum: 0.5,
            nesterov: true,
            ..Default::default()
        };
        assert_eq!(run(c, 1.0, &[1.0, 1.0], 0.5), [1.0 - 0.75, 0.25 - 0.875]);
    }

    #[test]
    fn dampening_and_weight_decay_follow_torch() {
        // wd = 0.5, mu = 0.5, tau = 0.5, lr = 1, g = 1, p0 = 2:
        // t1: g' = 1 + 0.5 * 2 = 2, b = 2 (undamped copy), p = 0;
        // t2: g' = 1 + 0 = 1, b = 0.5 * 2 + 0.5 * 1 = 1.5, p = -1.5.
        let c = SgdConfig {
            momentum: 0.5,
            dampening: 0.5,
            weight_decay: 0.5,
            ..Default::default()
        };
        assert_eq!(run(c, 2.0, &[1.0, 1.0], 1.0), [0.0, -1.5]);
    }

    #[test]
    fn maximize_ascends() {
        let c = SgdConfig {
            maximize: true,
            ..Default::default()
        };
        assert_eq!(run(c, 1.0, &[2.0], 0.25), [1.5]);
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        let bad = |c: SgdConfig| c.validate().unwrap_err().key;
        assert_eq!(
            bad(SgdConfig {
                lr: -1.0,
                ..Default::default()
            }),
            "lr"
        );
        assert_eq!(
            bad(SgdConfig {
                lr: f64::NAN,
                ..Default::default()
            }),
            "lr"
        );
        assert_eq!(
            bad(SgdConfig {
                momentum: -0.1,
                ..Default::default()
            }),
            "momentum"
        );
        assert_eq!(
            bad(SgdConfig {
                nesterov: true,
                ..Default::default()
            }),
            "nesterov"
        );
        assert!(SgdConfig::default().validate().is_ok());
    }
}
