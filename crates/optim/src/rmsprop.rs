//! `RmsProp`: torch.optim.RMSprop (smoothing alpha, centered, momentum, weight decay), in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative, check_positive};
use crate::moments::{weight_decay, zeros_like};
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig, lerp};

/// Config of [`RmsProp`], with torch.optim.RMSprop's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RmsPropConfig {
    /// Learning rate (default 1e-2).
    pub lr: f64,
    /// Smoothing constant α of the squared-gradient average (default 0.99).
    pub alpha: f64,
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Momentum factor (default 0).
    pub momentum: f64,
    /// Divide by the centered second moment, an estimate of the gradient's variance (default false).
    pub centered: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

impl OptimizerConfig for RmsPropConfig {
    const KIND: &'static str = "rmsprop";
    const SUMMARY: &'static str =
        "torch.optim.RMSprop: lr, alpha, eps, weight_decay, momentum, centered, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(Invalid::new(
                "alpha",
                format!("must be in [0, 1], got {}", self.alpha),
            ));
        }
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        check_non_negative("momentum", self.momentum)
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(RmsProp::new(self.clone()))
    }
}

/// torch.optim.RMSprop on the CPU, single-tensor path:
///
/// `sq <- fma((1 - α) g, g, sq α)`; centered: `ga <- lerp(ga, g, 1 - α)`,
/// `avg = sqrt(fma(-ga, ga, sq)) + eps`, else `avg = sqrt(sq) + eps`;
/// with momentum μ: `buf <- buf μ + g / avg`, `p <- fma(-lr, buf, p)`; else `p <- p + (-lr g) / avg`.
/// The square root is correctly rounded (torch's MKL one is not): iterates agree to about 1e-7.
#[derive(Debug, Clone)]
pub struct RmsProp<F> {
    config: RmsPropConfig,
    sq: Vec<Vec<F>>,
    grad_avg: Vec<Vec<F>>,
    buf: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> RmsProp<F> {
    /// A fresh RMSprop optimizer.
    pub fn new(config: RmsPropConfig) -> Self {
        Self {
            config,
            sq: Vec::new(),
            grad_avg: Vec::new(),
            buf: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for RmsProp<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        if self.sq.len() != params.len() {
            self.sq = zeros_like(params);
            if c.centered {
                self.grad_avg = zeros_like(params);
            }
        }
        if c.momentum > 0.0 && self.buf.len() != params.len() {
            // Created when momentum first becomes positive (a schedule may set it later).
            self.buf = zeros_like(params);
        }
        let alpha = F::host(c.alpha);
        let one_minus_alpha = F::host(1.0 - c.alpha);
        let eps = F::host(c.eps);
        let neg_lr = F::host(-lr);
        let mu = F::host(c.momentum);
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            weight_decay(p, g, c.weight_decay, false, lr);
            for j in 0..p.len() {
                let gj = g[j];
                let sq = &mut self.sq[i][j];
                *sq = (one_minus_alpha * gj).mul_add(gj, *sq * alpha);
                let avg = if c.centered {
                    let ga = &mut self.grad_avg[i][j];
                    *ga = lerp(*ga, gj, one_minus_alpha);
                    (-*ga).mul_add(*ga, *sq).sqrt()
                } else {
                    sq.sqrt()
                } + eps;
                if c.momentum > 0.0 {
                    let b = &mut self.buf[i][j];
                    *b = *b * mu + gj / avg;
                    p[j] = neg_lr.mul_add(*b, p[j]);
                } else {
                    p[j] += (neg_lr * gj) / avg;
                }
            }
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
    use crate::testing::assert_follows;

    /// The textbook RMSprop (Hinton; Graves for the centered form) in f64.
    fn check(c: RmsPropConfig) {
        let n = 4;
        let (mut sq, mut ga, mut buf) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let lr = c.lr;
        assert_follows(&mut RmsProp::<f64>::new(c.clone()), lr, 20, |_, p, g| {
            for i in 0..n {
                let g = if c.maximize { -g[i] } else { g[i] } + c.weight_decay * p[i];
                sq[i] = c.alpha * sq[i] + (1.0 - c.alpha) * g * g;
                ga[i] = c.alpha * ga[i] + (1.0 - c.alpha) * g;
                let var = if c.centered {
                    sq[i] - ga[i] * ga[i]
                } else {
                    sq[i]
                };
                let avg = var.sqrt() + c.eps;
                if c.momentum > 0.0 {
                    buf[i] = c.momentum * buf[i] + g / avg;
                    p[i] -= lr * buf[i];
                } else {
                    p[i] -= lr * g / avg;
                }
            }
        });
    }

    #[test]
    fn rmsprop_matches_the_textbook_update() {
        check(RmsPropConfig::default());
        check(RmsPropConfig {
            lr: 0.05,
            alpha: 0.9,
            weight_decay: 0.01,
            ..Default::default()
        });
    }

    #[test]
    fn centered_rmsprop_with_momentum_matches_the_textbook_update() {
        check(RmsPropConfig {
            lr: 0.01,
            centered: true,
            momentum: 0.9,
            ..Default::default()
        });
        check(RmsPropConfig {
            lr: 0.01,
            centered: true,
            maximize: true,
            ..Default::default()
        });
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        let bad = |c: RmsPropConfig| c.validate().unwrap_err().key;
        assert_eq!(
            bad(RmsPropConfig {
                alpha: 1.5,
                ..Default::default()
            }),
            "alpha"
        );
        assert_eq!(
            bad(RmsPropConfig {
                eps: 0.0,
                ..Default::default()
            }),
            "eps"
        );
        assert_eq!(
            bad(RmsPropConfig {
                momentum: -0.5,
                ..Default::default()
            }),
            "momentum"
        );
        assert_eq!(
            bad(RmsPropConfig {
                lr: 0.0,
                ..Default::default()
            }),
            "lr"
        );
    }
}
