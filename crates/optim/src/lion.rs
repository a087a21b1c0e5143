//! `Lion`: Chen et al. (2023), "Symbolic Discovery of Optimization Algorithms", as lucidrains/lion-pytorch computes it.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative};
use crate::host::sign;
use crate::moments::zeros_like;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Lion`], with lion-pytorch's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LionConfig {
    /// Learning rate (default 1e-4: every entry moves by lr).
    pub lr: f64,
    /// β1 interpolates the update's direction, β2 the momentum (default [0.9, 0.99]).
    pub betas: [f64; 2],
    /// Decoupled weight decay (default 0; optax's `lion` uses 1e-3).
    pub weight_decay: f64,
    /// Maximize the objective (default false; not in lion-pytorch).
    pub maximize: bool,
}

impl Default for LionConfig {
    fn default() -> Self {
        Self {
            lr: 1e-4,
            betas: [0.9, 0.99],
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

impl OptimizerConfig for LionConfig {
    const KIND: &'static str = "lion";
    const SUMMARY: &'static str = "Lion (lucidrains/lion-pytorch): p <- p (1 - lr wd) - lr sign(β1 m + (1 - β1) g); lr, betas, weight_decay, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn state_slots(&self) -> usize {
        1
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Lion::new(self.clone()))
    }
}

/// Lion as lion-pytorch's `Lion.step` (lion_pytorch/lion_pytorch.py) computes it, in torch's float
/// rules, per entry:
///
/// `p <- p (1 - lr wd)`; `c <- fma(1 - β1, g, m β1)`; `p <- fma(-lr, sign(c), p)`;
/// `m <- fma(1 - β2, g, m β2)`, with `m` starting at zero.
#[derive(Debug, Clone)]
pub struct Lion<F> {
    config: LionConfig,
    m: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Lion<F> {
    /// A fresh Lion optimizer.
    pub fn new(config: LionConfig) -> Self {
        Self {
            config,
            m: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Lion<F> {
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
        }
        let c = &self.config;
        let [b1, b2] = c.betas;
        let (beta1, w1, beta2, w2) = (
            F::host(b1),
            F::host(1.0 - b1),
            F::host(b2),
            F::host(1.0 - b2),
        );
        let (decay, neg_lr) = (F::host(1.0 - lr * c.weight_decay), F::host(-lr));
        for ((p, g_in), m) in params.iter_mut().zip(grads).zip(&mut self.m) {
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            for ((p, &g), m) in p.iter_mut().zip(g.iter()).zip(m.iter_mut()) {
                *p *= decay;
                let direction = w1.mul_add(g, *m * beta1);
                *p = neg_lr.mul_add(sign(direction), *p);
                *m = w2.mul_add(g, *m * beta2);
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

    /// The paper's Algorithm 2 in f64 (decay applied to p before the signed step).
    fn check(c: LionConfig) {
        let mut m = [0.0f64; 4];
        let (lr, [b1, b2], wd) = (c.lr, c.betas, c.weight_decay);
        assert_follows(&mut Lion::<f64>::new(c.clone()), lr, 40, |_, p, g| {
            for i in 0..4 {
                let g = if c.maximize { -g[i] } else { g[i] };
                let u = b1 * m[i] + (1.0 - b1) * g;
                p[i] = p[i] * (1.0 - lr * wd) - lr * u.signum() * f64::from(u != 0.0);
                m[i] = b2 * m[i] + (1.0 - b2) * g;
            }
        });
    }

    #[test]
    fn lion_matches_the_papers_update() {
        check(LionConfig {
            lr: 0.01,
            ..Default::default()
        });
        check(LionConfig {
            lr: 0.03,
            betas: [0.8, 0.95],
            weight_decay: 0.1,
            maximize: false,
        });
    }

    #[test]
    fn every_entry_moves_by_lr_on_the_first_step() {
        let mut opt = Lion::<f64>::new(LionConfig::default());
        let mut p = vec![vec![1.0, -2.0, 0.5]];
        opt.step(
            &mut p,
            &[vec![3.0, -1e-9, 0.0]],
            0.25,
            &mut crate::NoClosure,
        )
        .expect("step");
        assert_eq!(p[0], [0.75, -1.75, 0.5]);
    }
}
