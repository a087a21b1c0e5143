//! `Yogi`: Zaheer et al. (2018), Adam whose second moment moves additively, as optax's `yogi` computes it.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::{StepCount, pow, sign};
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Yogi`], with optax's keys and defaults (`b1`, `b2` as `betas`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YogiConfig {
    /// Learning rate (default 1e-2, optax's example value; optax has no default).
    pub lr: f64,
    /// β1 and β2 (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to the denominator (default 1e-3).
    pub eps: f64,
    /// Added under the square root (default 0).
    pub eps_root: f64,
    /// Both moments start at this value (default 1e-6).
    pub initial_accumulator_value: f64,
}

impl Default for YogiConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            betas: [0.9, 0.999],
            eps: 1e-3,
            eps_root: 0.0,
            initial_accumulator_value: 1e-6,
        }
    }
}

impl OptimizerConfig for YogiConfig {
    const KIND: &'static str = "yogi";
    const SUMMARY: &'static str = "Yogi (optax.yogi): v <- v - (1 - β2) sign(v - g^2) g^2; lr, betas, eps, eps_root, initial_accumulator_value";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        check_positive("eps", self.eps)?;
        check_non_negative("eps_root", self.eps_root)?;
        check_positive("initial_accumulator_value", self.initial_accumulator_value)
    }

    fn state_slots(&self) -> usize {
        2
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Yogi::new(self.clone()))
    }
}

/// Yogi as optax's `scale_by_yogi` followed by `scale_by_learning_rate`, per entry:
///
/// `m <- (1 - β1) g + β1 m`; `v <- v - (1 - β2) sign(v - g^2) g^2`; `p <- p - lr m̂ / (sqrt(v̂ +
/// eps_root) + eps)` with `m̂ = m / (1 - β1^t)`, `v̂ = v / (1 - β2^t)`; both moments start at
/// `initial_accumulator_value`.
#[derive(Debug, Clone)]
pub struct Yogi<F> {
    config: YogiConfig,
    step: StepCount,
    m: Vec<Vec<F>>,
    v: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Yogi<F> {
    /// A fresh Yogi optimizer.
    pub fn new(config: YogiConfig) -> Self {
        Self {
            config,
            step: StepCount::default(),
            m: Vec::new(),
            v: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Yogi<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        if self.m.len() != params.len() {
            let start = F::host(c.initial_accumulator_value);
            self.m = params.iter().map(|p| vec![start; p.len()]).collect();
            self.v = self.m.clone();
        }
        let t = self.step.advance();
        let [b1, b2] = c.betas;
        let (beta1, w1, w2) = (F::host(b1), F::host(1.0 - b1), F::host(1.0 - b2));
        let (bc1, bc2) = (F::host(1.0 - pow(b1, t)), F::host(1.0 - pow(b2, t)));
        let (eps, eps_root, neg_lr) = (F::host(c.eps), F::host(c.eps_root), F::host(-lr));
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, false);
            let moments = self.m[i].iter_mut().zip(self.v[i].iter_mut());
            for ((m, v), (p, &g)) in moments.zip(p.iter_mut().zip(g.iter())) {
                *m = w1 * g + beta1 * *m;
                let g2 = g * g;
                *v = *v - w2 * sign(*v - g2) * g2;
                let update = (*m / bc1) / ((*v / bc2 + eps_root).sqrt() + eps);
                *p = neg_lr.mul_add(update, *p);
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

    /// Zaheer et al.'s Algorithm 2 with optax's bias corrections and start values, in f64.
    fn check(c: YogiConfig) {
        let (mut m, mut v) = (
            [c.initial_accumulator_value; 4],
            [c.initial_accumulator_value; 4],
        );
        let (lr, [b1, b2]) = (c.lr, c.betas);
        assert_follows(&mut Yogi::<f64>::new(c.clone()), lr, 30, |t, p, g| {
            let t = t as i32;
            for i in 0..4 {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                let g2 = g[i] * g[i];
                v[i] -= (1.0 - b2) * g2 * (v[i] - g2).signum() * f64::from(v[i] != g2);
                let m_hat = m[i] / (1.0 - b1.powi(t));
                let v_hat = v[i] / (1.0 - b2.powi(t));
                p[i] -= lr * m_hat / ((v_hat + c.eps_root).sqrt() + c.eps);
            }
        });
    }

    #[test]
    fn yogi_matches_the_papers_update() {
        check(YogiConfig {
            lr: 0.05,
            ..Default::default()
        });
        check(YogiConfig {
            lr: 0.1,
            betas: [0.8, 0.99],
            eps: 1e-6,
            eps_root: 1e-8,
            initial_accumulator_value: 0.5,
        });
    }
}
