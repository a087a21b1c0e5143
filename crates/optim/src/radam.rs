//! `RAdam`: torch.optim.RAdam, Adam with the variance rectification of Liu et al., in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::pow;
use crate::moments::{Moments, Prepare};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`RAdam`], with torch.optim.RAdam's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RAdamConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Decay rates (β1, β2) of the moments (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    /// Weight decay (default 0): L2, or decoupled.
    pub weight_decay: f64,
    /// Decay the parameters directly, as AdamW (default false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for RAdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

impl OptimizerConfig for RAdamConfig {
    const KIND: &'static str = "radam";
    const SUMMARY: &'static str =
        "torch.optim.RAdam: lr, betas, eps, weight_decay, decoupled_weight_decay, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(RAdam::new(self.clone()))
    }
}

/// torch.optim.RAdam on the CPU, single-tensor path. Per step t, with the moments as Adam and
/// `m̂ = m / (1 - β1^t)`: `ρ∞ = 2 / (1 - β2) - 1`, `ρ_t = ρ∞ - 2 t β2^t / (1 - β2^t)`;
/// when `ρ_t > 5` the rectified step `u = m̂ lr · sqrt(1 - β2^t) / (sqrt(v) + eps) · r_t` with
/// `r_t = sqrt((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t))`, else the plain momentum step
/// `u = m̂ lr`; then `p <- p - u`. The square root is correctly rounded.
#[derive(Debug, Clone)]
pub struct RAdam<F> {
    config: RAdamConfig,
    moments: Moments<F>,
}

impl<F: Real> RAdam<F> {
    /// A fresh RAdam optimizer.
    pub fn new(config: RAdamConfig) -> Self {
        Self {
            config,
            moments: Moments::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for RAdam<F> {
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
        let bias_correction1 = 1.0 - pow(beta1, t);
        let bias_correction2 = 1.0 - pow(beta2, t);
        let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        let rho_t = rho_inf - ((2.0 * t) * pow(beta2, t)) / bias_correction2;
        let rectify = rho_t > 5.0;
        let rect = F::host(pow(
            (((rho_t - 4.0) * (rho_t - 2.0)) * rho_inf)
                / (((rho_inf - 4.0) * (rho_inf - 2.0)) * rho_t),
            0.5,
        ));
        let bc1 = F::host(bias_correction1);
        let bc2_sqrt = F::host(pow(bias_correction2, 0.5));
        let lr_f = F::host(lr);
        let eps = F::host(c.eps);
        let how = Prepare {
            maximize: c.maximize,
            weight_decay: c.weight_decay,
            decoupled: c.decoupled_weight_decay,
            lr,
            betas: c.betas,
        };
        self.moments.update(params, grads, how, |_, p, _g, m, v| {
            for j in 0..p.len() {
                let m_hat = m[j] / bc1;
                let u = if rectify {
                    let den = v[j].sqrt() + eps;
                    // torch computes `bc2_sqrt / den` as a reciprocal times the scalar.
                    let adaptive = (F::one() / den) * bc2_sqrt;
                    ((m_hat * lr_f) * adaptive) * rect
                } else {
                    m_hat * lr_f
                };
                p[j] -= u;
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

    /// RAdam as Liu et al. and torch's documentation write it, in f64.
    fn check(c: RAdamConfig) {
        let (mut m, mut v) = (vec![0.0; 4], vec![0.0; 4]);
        let [b1, b2] = c.betas;
        let lr = c.lr;
        let mut rectified = 0;
        assert_follows(&mut RAdam::<f64>::new(c.clone()), lr, 20, |t, p, g| {
            let t = t as f64;
            let rho_inf = 2.0 / (1.0 - b2) - 1.0;
            let rho = rho_inf - 2.0 * t * b2.powf(t) / (1.0 - b2.powf(t));
            for i in 0..4 {
                let mut g = if c.maximize { -g[i] } else { g[i] };
                if c.decoupled_weight_decay {
                    p[i] *= 1.0 - lr * c.weight_decay;
                } else {
                    g += c.weight_decay * p[i];
                }
                m[i] = b1 * m[i] + (1.0 - b1) * g;
                v[i] = b2 * v[i] + (1.0 - b2) * g * g;
                let m_hat = m[i] / (1.0 - b1.powf(t));
                if rho > 5.0 {
                    let l = (1.0 - b2.powf(t)).sqrt() / (v[i].sqrt() + c.eps);
                    let r = ((rho - 4.0) * (rho - 2.0) * rho_inf
                        / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
                        .sqrt();
                    p[i] -= lr * m_hat * l * r;
                    rectified += 1;
                } else {
                    p[i] -= lr * m_hat;
                }
            }
        });
        // With β2 = 0.999, steps 6 to 20 are rectified (ρ_5 < 5 < ρ_6).
        assert_eq!(rectified, 15 * 4);
    }

    #[test]
    fn radam_matches_the_textbook_update_before_and_after_rectification() {
        check(RAdamConfig {
            lr: 0.1,
            ..Default::default()
        });
        check(RAdamConfig {
            lr: 0.1,
            weight_decay: 0.01,
            decoupled_weight_decay: true,
            ..Default::default()
        });
        check(RAdamConfig {
            lr: 0.05,
            weight_decay: 0.01,
            maximize: true,
            ..Default::default()
        });
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        let bad = |c: RAdamConfig| c.validate().unwrap_err().key;
        assert_eq!(
            bad(RAdamConfig {
                betas: [1.0, 0.9],
                ..Default::default()
            }),
            "betas"
        );
        assert_eq!(
            bad(RAdamConfig {
                eps: f64::NAN,
                ..Default::default()
            }),
            "eps"
        );
        assert_eq!(
            bad(RAdamConfig {
                weight_decay: -1.0,
                ..Default::default()
            }),
            "weight_decay"
        );
    }
}
