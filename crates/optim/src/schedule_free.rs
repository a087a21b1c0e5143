//! Schedule-Free SGD and AdamW: Defazio et al. (2024), "The Road Less Scheduled", as facebookresearch/schedule_free's reference implementations compute them.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::pow;
use crate::moments::zeros_like;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Averaged, Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`ScheduleFree`] as SGD, with `SGDScheduleFreeReference`'s keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleFreeSgdConfig {
    /// Learning rate (default 1.0).
    pub lr: f64,
    /// The interpolation β between the average x and the SGD sequence z (default 0.9).
    pub momentum: f64,
    /// L2 penalty, taken at the gradient point y (default 0).
    pub weight_decay: f64,
    /// Linear warmup of the learning rate over this many steps (default 0).
    pub warmup_steps: u32,
    /// Polynomial weighting of the average, `(t)^r` (default 0).
    pub r: f64,
    /// The average's weights are `lr_max^weight_lr_power` (default 2).
    pub weight_lr_power: f64,
}

impl Default for ScheduleFreeSgdConfig {
    fn default() -> Self {
        Self {
            lr: 1.0,
            momentum: 0.9,
            weight_decay: 0.0,
            warmup_steps: 0,
            r: 0.0,
            weight_lr_power: 2.0,
        }
    }
}

/// Config of [`ScheduleFree`] as AdamW, with `AdamWScheduleFreeReference`'s keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleFreeAdamWConfig {
    /// Learning rate (default 0.0025).
    pub lr: f64,
    /// β1 interpolates between x and z; β2 is Adam's second moment (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    /// Decoupled weight decay (default 0).
    pub weight_decay: f64,
    /// Linear warmup of the learning rate over this many steps (default 0).
    pub warmup_steps: u32,
    /// Polynomial weighting of the average (default 0).
    pub r: f64,
    /// The average's weights are `lr_max^weight_lr_power` (default 2).
    pub weight_lr_power: f64,
    /// Decay at z rather than at y (default false).
    pub decay_at_z: bool,
}

impl Default for ScheduleFreeAdamWConfig {
    fn default() -> Self {
        Self {
            lr: 0.0025,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: 0.0,
            warmup_steps: 0,
            r: 0.0,
            weight_lr_power: 2.0,
            decay_at_z: false,
        }
    }
}

fn check_weights(r: f64, power: f64) -> Result<(), Invalid> {
    check_non_negative("r", r)?;
    check_non_negative("weight_lr_power", power)
}

impl OptimizerConfig for ScheduleFreeSgdConfig {
    const KIND: &'static str = "schedule_free_sgd";
    const SUMMARY: &'static str = "Schedule-Free SGD (facebookresearch/schedule_free, reference): loss and error at the average x; lr, momentum, weight_decay, warmup_steps, r, weight_lr_power";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        if !(self.momentum > 0.0 && self.momentum < 1.0) {
            return Err(Invalid::new(
                "momentum",
                format!("must be in (0, 1), got {}", self.momentum),
            ));
        }
        check_non_negative("weight_decay", self.weight_decay)?;
        check_weights(self.r, self.weight_lr_power)
    }

    fn state_slots(&self) -> usize {
        2
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(ScheduleFree::sgd(self.clone()))
    }
}

impl OptimizerConfig for ScheduleFreeAdamWConfig {
    const KIND: &'static str = "schedule_free_adamw";
    const SUMMARY: &'static str = "Schedule-Free AdamW (facebookresearch/schedule_free, reference): loss and error at the average x; lr, betas, eps, weight_decay, warmup_steps, r, weight_lr_power, decay_at_z";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        check_weights(self.r, self.weight_lr_power)
    }

    fn state_slots(&self) -> usize {
        3
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(ScheduleFree::adamw(self.clone()))
    }
}

/// Which base method drives z.
#[derive(Debug, Clone)]
enum Base {
    Sgd(ScheduleFreeSgdConfig),
    AdamW(ScheduleFreeAdamWConfig),
}

/// Schedule-Free SGD or AdamW. The parameters are the gradient point
/// `y = β x + (1 - β) z`; the method's answer is the average `x`, which [`Optimizer::averaged`]
/// gives (`is_answer`), so runs report the loss and error at `x`.
///
/// Step `k` (0-based), as the reference: `lr_k = lr · warmup · sqrt(1 - β2^(k+1))` (AdamW's
/// factor only), `lr_max = max(lr_max, lr_k)`, weight `w = (k+1)^r lr_max^power`, `c = w / Σw`;
/// SGD: `z <- z - lr_k (g + wd y)`; AdamW: `z <- z - lr_k wd y` (or at z), `v <- β2 v + (1 - β2)
/// g^2`, `z <- z - lr_k g / (sqrt(v) + eps)`; then `x <- (1 - c) x + c z` and
/// `y <- β x + (1 - β) z`.
#[derive(Debug, Clone)]
pub struct ScheduleFree<F> {
    base: Base,
    k: u32,
    lr_max: f64,
    weight_sum: f64,
    z: Vec<Vec<F>>,
    x: Vec<Vec<F>>,
    v: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> ScheduleFree<F> {
    fn new(base: Base) -> Self {
        Self {
            base,
            k: 0,
            lr_max: -1.0,
            weight_sum: 0.0,
            z: Vec::new(),
            x: Vec::new(),
            v: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Schedule-Free SGD.
    pub fn sgd(config: ScheduleFreeSgdConfig) -> Self {
        Self::new(Base::Sgd(config))
    }

    /// Schedule-Free AdamW.
    pub fn adamw(config: ScheduleFreeAdamWConfig) -> Self {
        Self::new(Base::AdamW(config))
    }
}

impl<F: Real> Optimizer<F> for ScheduleFree<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        if self.z.len() != params.len() {
            self.z = params.to_vec();
            self.x = params.to_vec();
            self.v = zeros_like(params);
        }
        let k = f64::from(self.k);
        let (warmup, r, power, beta) = match &self.base {
            Base::Sgd(c) => (c.warmup_steps, c.r, c.weight_lr_power, c.momentum),
            Base::AdamW(c) => (c.warmup_steps, c.r, c.weight_lr_power, c.betas[0]),
        };
        let sched = if self.k < warmup {
            (k + 1.0) / f64::from(warmup)
        } else {
            1.0
        };
        let lr = match &self.base {
            Base::Sgd(_) => lr * sched,
            Base::AdamW(c) => lr * sched * (1.0 - pow(c.betas[1], k + 1.0)).sqrt(),
        };
        self.lr_max = self.lr_max.max(lr);
        let weight = pow(k + 1.0, r) * pow(self.lr_max, power);
        self.weight_sum += weight;
        let ckp1 = if self.weight_sum == 0.0 {
            0.0
        } else {
            weight / self.weight_sum
        };
        let (keep, take) = (F::host(1.0 - ckp1), F::host(ckp1));
        let (b, one_minus_b) = (F::host(beta), F::host(1.0 - beta));
        let neg_lr = F::host(-lr);
        for (i, (y, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, false);
            let (z, x, v) = (&mut self.z[i], &mut self.x[i], &mut self.v[i]);
            match &self.base {
                Base::Sgd(c) => {
                    let wd = F::host(c.weight_decay);
                    for ((z, &g), &y) in z.iter_mut().zip(g.iter()).zip(y.iter()) {
                        let g = if c.weight_decay != 0.0 {
                            wd.mul_add(y, g)
                        } else {
                            g
                        };
                        *z = neg_lr.mul_add(g, *z);
                    }
                }
                Base::AdamW(c) => {
                    let [_, b2] = c.betas;
                    let (beta2, w2, eps) = (F::host(b2), F::host(1.0 - b2), F::host(c.eps));
                    let decay = F::host(-lr * c.weight_decay);
                    for ((z, &g), (&y, v)) in z.iter_mut().zip(g.iter()).zip(y.iter().zip(v)) {
                        if c.weight_decay != 0.0 {
                            let at = if c.decay_at_z { *z } else { y };
                            *z = decay.mul_add(at, *z);
                        }
                        *v = (w2 * g).mul_add(g, *v * beta2);
                        *z += neg_lr * (g / (v.sqrt() + eps));
                    }
                }
            }
            for ((y, &z), x) in y.iter_mut().zip(z.iter()).zip(x.iter_mut()) {
                *x = take.mul_add(z, *x * keep);
                *y = one_minus_b.mul_add(z, *x * b);
            }
        }
        self.k += 1;
        Ok(())
    }

    fn averaged(&self) -> Option<Averaged<'_, F>> {
        (!self.x.is_empty()).then_some(Averaged {
            point: &self.x,
            is_answer: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoClosure;
    use crate::testing::quadratic_gradient;

    /// Defazio et al.'s Algorithm 1 (SGD) and its AdamW variant, in f64: y, z and x side by side
    /// with the optimizer's parameters (y) and average (x).
    fn check(opt: &mut ScheduleFree<f64>, lr: f64, adam: Option<ScheduleFreeAdamWConfig>) {
        let (beta, b2, eps, wd, warmup, r, power) = match (&opt.base, &adam) {
            (Base::Sgd(c), _) => (
                c.momentum,
                0.0,
                0.0,
                c.weight_decay,
                c.warmup_steps,
                c.r,
                c.weight_lr_power,
            ),
            (Base::AdamW(c), _) => (
                c.betas[0],
                c.betas[1],
                c.eps,
                c.weight_decay,
                c.warmup_steps,
                c.r,
                c.weight_lr_power,
            ),
        };
        let start = vec![0.3, -0.7, 2.5, 1.2];
        let (mut y, mut z, mut x, mut v) = (start.clone(), start.clone(), start.clone(), [0.0; 4]);
        let (mut lr_max, mut sum) = (0.0f64, 0.0);
        let mut p = vec![start];
        for t in 1..=40u32 {
            let g = quadratic_gradient(&p[0]);
            opt.step(&mut p, &[g], lr, &mut NoClosure).expect("step");
            let g = quadratic_gradient(&y);
            let mut gamma = lr * (f64::from(t) / f64::from(warmup.max(1))).min(1.0);
            if adam.is_some() {
                gamma *= (1.0 - b2.powi(t as i32)).sqrt();
            }
            lr_max = lr_max.max(gamma);
            let w = f64::from(t).powf(r) * lr_max.powf(power);
            sum += w;
            for i in 0..4 {
                if let Some(c) = &adam {
                    z[i] -= gamma * wd * if c.decay_at_z { z[i] } else { y[i] };
                    v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                    z[i] -= gamma * g[i] / (v[i].sqrt() + eps);
                } else {
                    z[i] -= gamma * (g[i] + wd * y[i]);
                }
                x[i] = (1.0 - w / sum) * x[i] + w / sum * z[i];
                y[i] = (1.0 - beta) * z[i] + beta * x[i];
            }
            let avg = opt.averaged().expect("average");
            assert!(avg.is_answer);
            for i in 0..4 {
                for (got, want) in [(p[0][i], y[i]), (avg.point[0][i], x[i])] {
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "step {t}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn schedule_free_sgd_matches_the_papers_algorithm() {
        check(
            &mut ScheduleFree::sgd(ScheduleFreeSgdConfig::default()),
            0.05,
            None,
        );
        let c = ScheduleFreeSgdConfig {
            lr: 0.1,
            momentum: 0.8,
            weight_decay: 0.01,
            warmup_steps: 5,
            r: 1.0,
            weight_lr_power: 1.0,
        };
        check(&mut ScheduleFree::sgd(c), 0.1, None);
    }

    #[test]
    fn schedule_free_adamw_matches_the_papers_algorithm() {
        let c = ScheduleFreeAdamWConfig::default();
        check(&mut ScheduleFree::adamw(c.clone()), 0.05, Some(c));
        let c = ScheduleFreeAdamWConfig {
            lr: 0.05,
            betas: [0.8, 0.99],
            eps: 1e-6,
            weight_decay: 0.01,
            warmup_steps: 4,
            r: 0.5,
            weight_lr_power: 2.0,
            decay_at_z: true,
        };
        check(&mut ScheduleFree::adamw(c.clone()), 0.05, Some(c));
    }
}
