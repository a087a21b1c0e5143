//! `AdaBelief`: Zhuang et al. (2020), Adam whose second moment tracks the belief (g - m)^2, as adabelief-pytorch 0.2 computes it.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::{StepCount, maximum, pow};
use crate::moments::{weight_decay, zeros_like};
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`AdaBelief`], with adabelief-pytorch 0.2's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdaBeliefConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// β1 and β2 (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to the belief every step and to the denominator (default 1e-16).
    pub eps: f64,
    /// Weight decay (default 0).
    pub weight_decay: f64,
    /// Decoupled (AdamW-like) weight decay: `p <- p (1 - lr wd)` (default true); else L2.
    pub weight_decouple: bool,
    /// With `weight_decouple`, decay by `1 - wd`, not `1 - lr wd` (default false).
    pub fixed_decay: bool,
    /// RAdam's rectification of the early steps (default true).
    pub rectify: bool,
    /// With `rectify`: take an SGD-with-momentum step while the variance is intractable
    /// (default true); else no step.
    pub degenerated_to_sgd: bool,
    /// Normalise by the running maximum of the belief (default false).
    pub amsgrad: bool,
}

impl Default for AdaBeliefConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: [0.9, 0.999],
            eps: 1e-16,
            weight_decay: 0.0,
            weight_decouple: true,
            fixed_decay: false,
            rectify: true,
            degenerated_to_sgd: true,
            amsgrad: false,
        }
    }
}

impl OptimizerConfig for AdaBeliefConfig {
    const KIND: &'static str = "adabelief";
    const SUMMARY: &'static str = "AdaBelief (adabelief-pytorch 0.2): lr, betas, eps, weight_decay, weight_decouple, fixed_decay, rectify, degenerated_to_sgd, amsgrad";

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
        Box::new(AdaBelief::new(self.clone()))
    }
}

/// AdaBelief as adabelief-pytorch 0.2's `AdaBelief.step` computes it, per entry:
///
/// decay (`p <- p (1 - lr wd)`, or `g <- g + wd p`); `m <- β1 m + (1 - β1) g`;
/// `s <- β2 s + (1 - β2) (g - m)^2`, then `s <- s + eps` (in place, every step, as the reference
/// does); without `rectify`: `p <- p - lr / (1 - β1^t) m / (sqrt(s) / sqrt(1 - β2^t) + eps)`;
/// with it, RAdam's rule: while `ρ_t >= 5`, `p <- p - lr r_t / (1 - β1^t) m / (sqrt(s) + eps)`,
/// before that `p <- p - lr / (1 - β1^t) m` (`degenerated_to_sgd`) or nothing. `amsgrad`'s maximum
/// only enters the unrectified step, as in the reference.
#[derive(Debug, Clone)]
pub struct AdaBelief<F> {
    config: AdaBeliefConfig,
    step: StepCount,
    m: Vec<Vec<F>>,
    s: Vec<Vec<F>>,
    s_max: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> AdaBelief<F> {
    /// A fresh AdaBelief optimizer.
    pub fn new(config: AdaBeliefConfig) -> Self {
        Self {
            config,
            step: StepCount::default(),
            m: Vec::new(),
            s: Vec::new(),
            s_max: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

/// A rectified step at step `t`: whether it is adaptive (RAdam's length of the approximated SMA
/// `ρ_t >= 5`) and its size before lr (`r_t / (1 - β1^t)`, or `1 / (1 - β1^t)` for the SGD step).
fn rectified(t: f64, [b1, b2]: [f64; 2]) -> (bool, f64) {
    let b2t = pow(b2, t);
    let rho_max = 2.0 / (1.0 - b2) - 1.0;
    let rho = rho_max - 2.0 * t * b2t / (1.0 - b2t);
    if rho >= 5.0 {
        let r = ((1.0 - b2t) * (rho - 4.0) / (rho_max - 4.0) * (rho - 2.0) / rho * rho_max
            / (rho_max - 2.0))
            .sqrt();
        (true, r / (1.0 - pow(b1, t)))
    } else {
        (false, 1.0 / (1.0 - pow(b1, t)))
    }
}

impl<F: Real> Optimizer<F> for AdaBelief<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        if self.m.len() != params.len() {
            self.m = zeros_like(params);
            self.s = zeros_like(params);
            self.s_max = zeros_like(params);
        }
        let c = &self.config;
        let t = self.step.advance();
        let [b1, b2] = c.betas;
        let (beta1, w1, beta2, w2) = (
            F::host(b1),
            F::host(1.0 - b1),
            F::host(b2),
            F::host(1.0 - b2),
        );
        let eps = F::host(c.eps);
        let sqrt_bc2 = F::host((1.0 - pow(b2, t)).sqrt());
        let (adaptive, size) = if c.rectify {
            rectified(t, c.betas)
        } else {
            (true, 1.0 / (1.0 - pow(b1, t)))
        };
        let skip = c.rectify && !adaptive && !c.degenerated_to_sgd;
        let neg_step = F::host(-(size * lr));
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, false);
            if c.weight_decouple {
                let factor = if c.fixed_decay {
                    1.0 - c.weight_decay
                } else {
                    1.0 - lr * c.weight_decay
                };
                let factor = F::host(factor);
                p.iter_mut().for_each(|x| *x *= factor);
            } else {
                weight_decay(p, g, c.weight_decay, false, lr);
            }
            let entries = p
                .iter_mut()
                .zip(g.iter())
                .zip(self.m[i].iter_mut().zip(self.s[i].iter_mut()))
                .zip(self.s_max[i].iter_mut());
            for (((p, &g), (m, s)), s_max) in entries {
                *m = w1.mul_add(g, *m * beta1);
                let r = g - *m;
                *s = (w2 * r).mul_add(r, *s * beta2) + eps;
                let belief = if c.amsgrad {
                    *s_max = maximum(*s_max, *s);
                    *s_max
                } else {
                    *s
                };
                if skip {
                    continue;
                }
                *p = if !c.rectify {
                    *p + neg_step * *m / (belief.sqrt() / sqrt_bc2 + eps)
                } else if adaptive {
                    // The reference's rectified branch reads the belief itself, even with amsgrad.
                    *p + neg_step * *m / (s.sqrt() + eps)
                } else {
                    neg_step.mul_add(*m, *p)
                };
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

    /// The paper's Algorithm 2 (with the reference's eps inside the belief every step) and, with
    /// `rectify`, Liu et al.'s RAdam rule, in f64.
    fn check(c: AdaBeliefConfig, steps: usize) {
        let (mut m, mut s, mut s_max) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
        let (lr, [b1, b2], eps, wd) = (c.lr, c.betas, c.eps, c.weight_decay);
        assert_follows(
            &mut AdaBelief::<f64>::new(c.clone()),
            lr,
            steps,
            |t, p, g| {
                let t = t as f64;
                let rho_inf = 2.0 / (1.0 - b2) - 1.0;
                let rho = rho_inf - 2.0 * t * b2.powf(t) / (1.0 - b2.powf(t));
                for i in 0..4 {
                    let mut g = g[i];
                    if c.weight_decouple {
                        p[i] *= 1.0 - if c.fixed_decay { wd } else { lr * wd };
                    } else {
                        g += wd * p[i];
                    }
                    m[i] = b1 * m[i] + (1.0 - b1) * g;
                    s[i] = b2 * s[i] + (1.0 - b2) * (g - m[i]).powi(2) + eps;
                    s_max[i] = s_max[i].max(s[i]);
                    let v = if c.amsgrad { s_max[i] } else { s[i] };
                    let m_hat = m[i] / (1.0 - b1.powf(t));
                    if !c.rectify {
                        let v_hat = v / (1.0 - b2.powf(t));
                        p[i] -= lr * m_hat / (v_hat.sqrt() + eps);
                    } else if rho >= 5.0 {
                        let r = ((rho - 4.0) * (rho - 2.0) * rho_inf
                            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
                            .sqrt();
                        let l = (1.0 - b2.powf(t)).sqrt() / (s[i].sqrt() + eps);
                        p[i] -= lr * r * m_hat * l;
                    } else if c.degenerated_to_sgd {
                        p[i] -= lr * m_hat;
                    }
                }
            },
        );
    }

    #[test]
    fn adabelief_matches_the_papers_update() {
        check(
            AdaBeliefConfig {
                lr: 0.05,
                rectify: false,
                ..Default::default()
            },
            30,
        );
        check(
            AdaBeliefConfig {
                lr: 0.05,
                betas: [0.9, 0.9],
                eps: 1e-8,
                weight_decay: 0.01,
                weight_decouple: false,
                amsgrad: true,
                rectify: false,
                ..Default::default()
            },
            30,
        );
    }

    #[test]
    fn rectified_adabelief_matches_radams_rule() {
        // β2 = 0.9: ρ_t reaches 5 at step 6, so both branches run.
        check(
            AdaBeliefConfig {
                lr: 0.05,
                betas: [0.9, 0.9],
                weight_decay: 0.01,
                ..Default::default()
            },
            30,
        );
        check(
            AdaBeliefConfig {
                lr: 0.05,
                betas: [0.8, 0.9],
                weight_decay: 0.1,
                fixed_decay: true,
                degenerated_to_sgd: false,
                ..Default::default()
            },
            30,
        );
    }
}
