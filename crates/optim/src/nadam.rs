//! `NAdam`: torch.optim.NAdam, Adam with Nesterov momentum and momentum decay, in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::pow;
use crate::moments::{Moments, Prepare};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`NAdam`], with torch.optim.NAdam's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NAdamConfig {
    /// Learning rate (default 2e-3, torch's; not Adam's 1e-3).
    pub lr: f64,
    /// Decay rates (β1, β2) of the moments (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    /// Weight decay (default 0): L2, or decoupled.
    pub weight_decay: f64,
    /// ψ in the momentum schedule μ_t = β1 (1 - 0.96^(t ψ) / 2) (default 4e-3).
    pub momentum_decay: f64,
    /// Decay the parameters directly, as AdamW (default false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for NAdamConfig {
    fn default() -> Self {
        Self {
            lr: 2e-3,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

impl OptimizerConfig for NAdamConfig {
    const KIND: &'static str = "nadam";
    const SUMMARY: &'static str = "torch.optim.NAdam: lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        check_non_negative("momentum_decay", self.momentum_decay)
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(NAdam::new(self.clone()))
    }
}

/// torch.optim.NAdam on the CPU, single-tensor path. Per step t:
///
/// `μ_t = β1 (1 - 0.5 · 0.96^(t ψ))`; the product `Π μ` is kept in float32, as torch keeps it
/// (a float32 0-dim tensor, whatever the parameters' type); the moments as Adam;
/// `denom = sqrt(v / (1 - β2^t)) + eps`; then two updates,
/// `p <- p + (c1 g) / denom` and `p <- p + (c2 m) / denom`, with
/// `c1 = -lr (1 - μ_t) / (1 - Π_t)` and `c2 = -lr μ_{t+1} / (1 - Π_t μ_{t+1})`.
/// The square root is correctly rounded.
#[derive(Debug, Clone)]
pub struct NAdam<F> {
    config: NAdamConfig,
    moments: Moments<F>,
    mu_product: f32,
}

impl<F: Real> NAdam<F> {
    /// A fresh NAdam optimizer.
    pub fn new(config: NAdamConfig) -> Self {
        Self {
            config,
            moments: Moments::new(),
            mu_product: 1.0,
        }
    }
}

impl<F: Real> Optimizer<F> for NAdam<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        let t = self.moments.begin(params, grads)?;
        let c = &self.config;
        let [beta1, beta2] = c.betas;
        let bias_correction2 = 1.0 - pow(beta2, t);
        let psi = c.momentum_decay;
        let mu = beta1 * (1.0 - 0.5 * pow(0.96, t * psi));
        let mu_next = beta1 * (1.0 - 0.5 * pow(0.96, (t + 1.0) * psi));
        self.mu_product *= mu as f32;
        let product = f64::from(self.mu_product);
        let c1 = F::host((-lr * (1.0 - mu)) / (1.0 - product));
        let c2 = F::host((-lr * mu_next) / (1.0 - product * mu_next));
        let bc2 = F::host(bias_correction2);
        let eps = F::host(c.eps);
        let how = Prepare {
            maximize: c.maximize,
            weight_decay: c.weight_decay,
            decoupled: c.decoupled_weight_decay,
            lr,
            betas: c.betas,
        };
        self.moments.update(params, grads, how, |_, p, g, m, v| {
            for j in 0..p.len() {
                let denom = (v[j] / bc2).sqrt() + eps;
                p[j] += (c1 * g[j]) / denom;
                p[j] += (c2 * m[j]) / denom;
            }
        });
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

    /// NAdam as Dozat's paper and torch's documentation write it, in f64, except for the product
    /// of the μ_t, which torch keeps in float32.
    fn check(c: NAdamConfig) {
        let (mut m, mut v, mut product) = (vec![0.0; 4], vec![0.0; 4], 1.0f32);
        let [b1, b2] = c.betas;
        let lr = c.lr;
        let mu = |t: f64| b1 * (1.0 - 0.5 * 0.96f64.powf(t * c.momentum_decay));
        assert_follows(&mut NAdam::<f64>::new(c.clone()), lr, 20, |t, p, g| {
            let t = t as f64;
            product *= mu(t) as f32;
            let prod_t = f64::from(product);
            let prod_next = prod_t * mu(t + 1.0);
            for i in 0..4 {
                let mut g = if c.maximize { -g[i] } else { g[i] };
                if c.decoupled_weight_decay {
                    p[i] *= 1.0 - lr * c.weight_decay;
                } else {
                    g += c.weight_decay * p[i];
                }
                m[i] = b1 * m[i] + (1.0 - b1) * g;
                v[i] = b2 * v[i] + (1.0 - b2) * g * g;
                let m_hat =
                    mu(t + 1.0) * m[i] / (1.0 - prod_next) + (1.0 - mu(t)) * g / (1.0 - prod_t);
                let v_hat = v[i] / (1.0 - b2.powf(t));
                p[i] -= lr * m_hat / (v_hat.sqrt() + c.eps);
            }
        });
    }

    #[test]
    fn nadam_matches_the_textbook_update() {
        check(NAdamConfig {
            lr: 0.1,
            ..Default::default()
        });
        check(NAdamConfig {
            lr: 0.1,
            weight_decay: 0.01,
            ..Default::default()
        });
        check(NAdamConfig {
            lr: 0.1,
            weight_decay: 0.01,
            decoupled_weight_decay: true,
            maximize: true,
            ..Default::default()
        });
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        let bad = |c: NAdamConfig| c.validate().unwrap_err().key;
        assert_eq!(
            bad(NAdamConfig {
                betas: [0.9, -0.1],
                ..Default::default()
            }),
            "betas"
        );
        assert_eq!(
            bad(NAdamConfig {
                momentum_decay: -1.0,
                ..Default::default()
            }),
            "momentum_decay"
        );
        assert_eq!(NAdamConfig::default().lr, 2e-3);
    }
}
