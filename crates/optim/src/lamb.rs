//! `Lamb`: You et al. (2020), layer-wise adaptive moments, as cybertronai/pytorch-lamb computes it.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::norm;
use crate::moments::zeros_like;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Lamb`], with pytorch-lamb's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LambConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// β1 and β2 (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to the denominator (default 1e-6, as the code has it; its docstring says 1e-8).
    pub eps: f64,
    /// Added to the Adam direction as `wd p` before the trust ratio (default 0).
    pub weight_decay: f64,
    /// Trust ratio 1: plain Adam without bias correction (default false; the reference's `adam`).
    pub adam: bool,
}

impl Default for LambConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: [0.9, 0.999],
            eps: 1e-6,
            weight_decay: 0.0,
            adam: false,
        }
    }
}

impl OptimizerConfig for LambConfig {
    const KIND: &'static str = "lamb";
    const SUMMARY: &'static str = "LAMB (cybertronai/pytorch-lamb): Adam's direction times ||p|| / ||r|| per parameter; lr, betas, eps, weight_decay, adam";

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
        Box::new(Lamb::new(self.clone()))
    }
}

/// LAMB as pytorch-lamb's `Lamb.step` computes it, per parameter (one "layer"):
///
/// `m <- β1 m + (1 - β1) g`; `v <- β2 v + (1 - β2) g^2` (no bias correction, as the paper's v3);
/// `r <- m / (sqrt(v) + eps) + wd p`; `φ = min(||p||, 10)`; trust ratio `φ / ||r||` (1 when either
/// norm is 0, or with `adam`); `p <- p - lr ratio r`. The norms are summed in f64 and rounded once.
#[derive(Debug, Clone)]
pub struct Lamb<F> {
    config: LambConfig,
    m: Vec<Vec<F>>,
    v: Vec<Vec<F>>,
    scratch: Vec<F>,
    direction: Vec<F>,
}

impl<F: Real> Lamb<F> {
    /// A fresh LAMB optimizer.
    pub fn new(config: LambConfig) -> Self {
        Self {
            config,
            m: Vec::new(),
            v: Vec::new(),
            scratch: Vec::new(),
            direction: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Lamb<F> {
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
            self.v = zeros_like(params);
        }
        let c = &self.config;
        let [b1, b2] = c.betas;
        let (beta1, w1, beta2, w2) = (
            F::host(b1),
            F::host(1.0 - b1),
            F::host(b2),
            F::host(1.0 - b2),
        );
        let (eps, wd) = (F::host(c.eps), F::host(c.weight_decay));
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, false);
            let r = &mut self.direction;
            r.clear();
            let moments = self.m[i].iter_mut().zip(self.v[i].iter_mut());
            for ((m, v), (&g, &p)) in moments.zip(g.iter().zip(p.iter())) {
                *m = w1.mul_add(g, *m * beta1);
                *v = (w2 * g).mul_add(g, *v * beta2);
                r.push(wd.mul_add(p, *m / (v.sqrt() + eps)));
            }
            let (weight, update) = (norm(p).min(10.0), norm(r));
            let ratio = if c.adam || weight == 0.0 || update == 0.0 {
                1.0
            } else {
                weight / update
            };
            let step = F::host(-lr * ratio);
            for (p, &r) in p.iter_mut().zip(r.iter()) {
                *p = step.mul_add(r, *p);
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

    /// You et al.'s Algorithm 2 without bias correction, φ(z) = min(z, 10), in f64.
    fn check(c: LambConfig) {
        let (mut m, mut v) = ([0.0f64; 4], [0.0f64; 4]);
        let (lr, [b1, b2], eps, wd) = (c.lr, c.betas, c.eps, c.weight_decay);
        assert_follows(&mut Lamb::<f64>::new(c.clone()), lr, 30, |_, p, g| {
            let mut r = [0.0; 4];
            for i in 0..4 {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                r[i] = m[i] / (v[i].sqrt() + eps) + wd * p[i];
            }
            let phi = p.iter().map(|x| x * x).sum::<f64>().sqrt().min(10.0);
            let rn = r.iter().map(|x| x * x).sum::<f64>().sqrt();
            let ratio = if c.adam { 1.0 } else { phi / rn };
            for i in 0..4 {
                p[i] -= lr * ratio * r[i];
            }
        });
    }

    #[test]
    fn lamb_matches_the_papers_update() {
        check(LambConfig {
            lr: 0.02,
            ..Default::default()
        });
        check(LambConfig {
            lr: 0.02,
            betas: [0.8, 0.99],
            eps: 1e-8,
            weight_decay: 0.01,
            adam: false,
        });
        check(LambConfig {
            lr: 0.02,
            adam: true,
            ..Default::default()
        });
    }

    #[test]
    fn a_zero_parameter_takes_the_adam_step() {
        let mut opt = Lamb::<f64>::new(LambConfig::default());
        let mut p = vec![vec![0.0, 0.0]];
        opt.step(&mut p, &[vec![1.0, -4.0]], 0.1, &mut crate::NoClosure)
            .expect("step");
        // m = 0.1 g, v = 0.001 g^2: r = 0.1 g / (sqrt(0.001) |g| + 1e-6), ratio 1.
        for (p, g) in p[0].iter().zip([1.0f64, -4.0]) {
            let want = -0.1 * (0.1 * g / (0.001f64.sqrt() * g.abs() + 1e-6));
            assert!((p - want).abs() < 1e-15, "{p} vs {want}");
        }
    }
}
