//! `Prodigy`: Mishchenko and Defazio (2023), Adam with an estimated distance to the solution as its step size, as prodigyopt computes it.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::pow;
use crate::moments::zeros_like;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Prodigy`], with prodigyopt's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProdigyConfig {
    /// Multiplies the estimated step size (default 1.0; the authors advise leaving it at 1).
    pub lr: f64,
    /// β1 and β2 (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Decay of the distance estimate's running sums (default: none, meaning sqrt(β2)).
    pub beta3: Option<f64>,
    /// Added to the denominator, times d (default 1e-8).
    pub eps: f64,
    /// Weight decay (default 0).
    pub weight_decay: f64,
    /// Decoupled (AdamW) weight decay (default true); else L2 in the gradient.
    pub decouple: bool,
    /// Adam's bias correction in the step (default false).
    pub use_bias_correction: bool,
    /// Leave lr out of the estimate's denominator (default false).
    pub safeguard_warmup: bool,
    /// The initial distance estimate (default 1e-6).
    pub d0: f64,
    /// Multiplies the estimate (default 1.0; the preferred way to tune the method).
    pub d_coef: f64,
    /// The most the estimate may grow by per step (default inf: unrestricted).
    pub growth_rate: f64,
}

impl Default for ProdigyConfig {
    fn default() -> Self {
        Self {
            lr: 1.0,
            betas: [0.9, 0.999],
            beta3: None,
            eps: 1e-8,
            weight_decay: 0.0,
            decouple: true,
            use_bias_correction: false,
            safeguard_warmup: false,
            d0: 1e-6,
            d_coef: 1.0,
            growth_rate: f64::INFINITY,
        }
    }
}

impl OptimizerConfig for ProdigyConfig {
    const KIND: &'static str = "prodigy";
    const SUMMARY: &'static str = "Prodigy (konstmish/prodigy): Adam at step size d lr, d estimated; lr, betas, beta3, eps, weight_decay, decouple, use_bias_correction, safeguard_warmup, d0, d_coef, growth_rate";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        if let Some(b) = self.beta3
            && !(0.0..1.0).contains(&b)
        {
            return Err(Invalid::new("beta3", format!("must be in [0, 1), got {b}")));
        }
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        check_positive("d0", self.d0)?;
        check_positive("d_coef", self.d_coef)?;
        if self.growth_rate.is_nan() || self.growth_rate < 1.0 {
            return Err(Invalid::new(
                "growth_rate",
                format!("must be >= 1 (or inf), got {}", self.growth_rate),
            ));
        }
        Ok(())
    }

    fn state_slots(&self) -> usize {
        4
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Prodigy::new(self.clone()))
    }
}

/// Prodigy as prodigyopt's `Prodigy.step` (prodigyopt/prodigy.py, `slice_p = 1`) computes it.
///
/// With `dlr = d lr` (times Adam's bias correction if asked): the numerator
/// `N <- β3 N + (d / d0) dlr <g, p0 - p>`; per entry `m <- β1 m + d (1 - β1) g`,
/// `v <- β2 v + d^2 (1 - β2) g^2`, `s <- β3 s + (d / d0) dlr g` (`d` instead of `dlr` with
/// `safeguard_warmup`); then `d̂ = d_coef N / Σ|s|`, `d` grows to `max(d, d̂)` (capped by
/// `growth_rate`), and `p <- p - dlr m / (sqrt(v) + d eps)` (decoupled decay first). A step whose
/// `Σ|s|` is 0 changes the state but not the parameters, as in the reference. The dot products
/// and sums are taken in f64.
#[derive(Debug, Clone)]
pub struct Prodigy<F> {
    config: ProdigyConfig,
    k: u32,
    d: f64,
    d_max: f64,
    numerator: f64,
    p0: Vec<Vec<F>>,
    s: Vec<Vec<F>>,
    m: Vec<Vec<F>>,
    v: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Prodigy<F> {
    /// A fresh Prodigy optimizer.
    pub fn new(config: ProdigyConfig) -> Self {
        Self {
            d: config.d0,
            d_max: config.d0,
            config,
            k: 0,
            numerator: 0.0,
            p0: Vec::new(),
            s: Vec::new(),
            m: Vec::new(),
            v: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The current distance estimate d.
    pub fn d(&self) -> f64 {
        self.d
    }
}

impl<F: Real> Optimizer<F> for Prodigy<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        if self.m.len() != params.len() {
            self.p0 = params.to_vec();
            self.s = zeros_like(params);
            self.m = zeros_like(params);
            self.v = zeros_like(params);
        }
        let c = &self.config;
        let [b1, b2] = c.betas;
        let beta3 = c.beta3.unwrap_or_else(|| b2.sqrt());
        let k = f64::from(self.k);
        let bias_correction = if c.use_bias_correction {
            (1.0 - pow(b2, k + 1.0)).sqrt() / (1.0 - pow(b1, k + 1.0))
        } else {
            1.0
        };
        let d = self.d;
        let dlr = d * lr * bias_correction;
        let mut numerator = self.numerator * beta3;
        let mut denominator = 0.0;
        let (beta1, beta2, beta3_f) = (F::host(b1), F::host(b2), F::host(beta3));
        let (w1, w2) = (F::host(d * (1.0 - b1)), F::host(d * d * (1.0 - b2)));
        let ws = F::host((d / c.d0) * if c.safeguard_warmup { d } else { dlr });
        for (i, (p, g_in)) in params.iter().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, false);
            if !c.decouple && c.weight_decay != 0.0 {
                let wd = F::host(c.weight_decay);
                for (g, &p) in g.iter_mut().zip(p.iter()) {
                    *g = wd.mul_add(p, *g);
                }
            }
            let dot: f64 = g
                .iter()
                .zip(self.p0[i].iter().zip(p.iter()))
                .map(|(g, (&p0, &p))| g.widen() * (p0 - p).widen())
                .sum();
            numerator += (d / c.d0) * dlr * dot;
            let state = self.m[i]
                .iter_mut()
                .zip(self.v[i].iter_mut())
                .zip(self.s[i].iter_mut());
            for (((m, v), s), &g) in state.zip(g.iter()) {
                *m = w1.mul_add(g, *m * beta1);
                *v = (w2 * g).mul_add(g, *v * beta2);
                *s = ws.mul_add(g, *s * beta3_f);
            }
            denominator += self.s[i].iter().map(|s| s.abs().widen()).sum::<f64>();
        }
        if denominator == 0.0 {
            return Ok(());
        }
        let d_hat = c.d_coef * numerator / denominator;
        let mut d_new = d;
        if d == c.d0 {
            d_new = d.max(d_hat);
        }
        self.d_max = self.d_max.max(d_hat);
        d_new = self.d_max.min(d_new * c.growth_rate);
        self.numerator = numerator;
        self.d = d_new;
        let eps = F::host(d_new * c.eps);
        let neg_dlr = F::host(-dlr);
        let decay = F::host(-c.weight_decay * dlr);
        for (i, p) in params.iter_mut().enumerate() {
            let moments = self.m[i].iter().zip(self.v[i].iter());
            for (p, (&m, &v)) in p.iter_mut().zip(moments) {
                if c.decouple && c.weight_decay != 0.0 {
                    *p = decay.mul_add(*p, *p);
                }
                *p += neg_dlr * (m / (v.sqrt() + eps));
            }
        }
        self.k += 1;
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

    /// Mishchenko and Defazio's Algorithm 3 (Adam version) as the reference scales it, in f64.
    fn check(c: ProdigyConfig) {
        let start = [0.3, -0.7, 2.5, 1.2];
        let (mut m, mut v, mut s) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
        let (mut d, mut d_max, mut num) = (c.d0, c.d0, 0.0);
        let [b1, b2] = c.betas;
        let b3 = c.beta3.unwrap_or(b2.sqrt());
        let (lr, wd) = (c.lr, c.weight_decay);
        assert_follows(&mut Prodigy::<f64>::new(c.clone()), lr, 40, |t, p, g| {
            let bc = if c.use_bias_correction {
                (1.0 - b2.powi(t as i32)).sqrt() / (1.0 - b1.powi(t as i32))
            } else {
                1.0
            };
            let g: Vec<f64> = (0..4)
                .map(|i| g[i] + if c.decouple { 0.0 } else { wd * p[i] })
                .collect();
            let eta = d * lr * bc;
            let scale = d / c.d0;
            num = b3 * num + scale * eta * (0..4).map(|i| g[i] * (start[i] - p[i])).sum::<f64>();
            for i in 0..4 {
                m[i] = b1 * m[i] + d * (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + d * d * (1.0 - b2) * g[i] * g[i];
                s[i] = b3 * s[i] + scale * if c.safeguard_warmup { d } else { eta } * g[i];
            }
            let d_hat = c.d_coef * num / s.iter().map(|x| x.abs()).sum::<f64>();
            let mut next = if d == c.d0 { d.max(d_hat) } else { d };
            d_max = d_max.max(d_hat);
            next = d_max.min(next * c.growth_rate);
            d = next;
            for i in 0..4 {
                if c.decouple {
                    p[i] -= wd * eta * p[i];
                }
                p[i] -= eta * m[i] / (v[i].sqrt() + d * c.eps);
            }
        });
    }

    #[test]
    fn prodigy_matches_the_papers_update() {
        check(ProdigyConfig::default());
        check(ProdigyConfig {
            lr: 0.5,
            betas: [0.8, 0.99],
            beta3: Some(0.9),
            weight_decay: 0.01,
            decouple: false,
            use_bias_correction: true,
            safeguard_warmup: true,
            d0: 1e-3,
            d_coef: 2.0,
            growth_rate: 1.5,
            ..Default::default()
        });
    }

    #[test]
    fn the_estimate_grows_from_d0() {
        let mut opt = Prodigy::<f64>::new(ProdigyConfig::default());
        let mut p = vec![vec![0.3, -0.7, 2.5, 1.2]];
        for _ in 0..50 {
            let g = crate::testing::quadratic_gradient(&p[0]);
            opt.step(&mut p, &[g], 1.0, &mut crate::NoClosure)
                .expect("step");
        }
        // The start is about 1.8 from the minimum (1, 1, 1, 1); d moves towards that scale.
        assert!(opt.d() > 1e-2, "d = {}", opt.d());
    }
}
