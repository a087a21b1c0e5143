//! `Adam`: adaptive moments as torch.optim.Adam (L2 weight decay, amsgrad, maximize), in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative};
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig, lerp};

/// Config of [`Adam`], with torch.optim.Adam's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Decay rates (β1, β2) of the first and second moments (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to the denominator for stability (default 1e-8).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Use the running maximum of the second moment (default false).
    pub amsgrad: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
        }
    }
}

impl OptimizerConfig for AdamConfig {
    const KIND: &'static str = "adam";
    const SUMMARY: &'static str =
        "torch.optim.Adam: lr, betas, eps, weight_decay, amsgrad, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        for b in self.betas {
            if !(0.0..1.0).contains(&b) {
                return Err(Invalid::new(
                    "betas",
                    format!("each beta must be in [0, 1), got {b}"),
                ));
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Invalid::new(
                "eps",
                format!("must be a finite number > 0, got {}", self.eps),
            ));
        }
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Adam::new(self.clone()))
    }
}

#[derive(Debug, Clone)]
struct State<F> {
    m: Vec<F>,
    v: Vec<F>,
    vmax: Vec<F>,
}

/// torch.optim.Adam on the CPU, single-tensor path. Per step, with `t` counted in f32:
///
/// `m <- lerp(m, g, 1 - β1)`; `v <- fma((1 - β2) g, g, v β2)`;
/// `denom = sqrt(v) / sqrt(1 - β2^t) + eps`; `p <- p + (-(lr / (1 - β1^t)) m) / denom`,
/// every host scalar an f64 rounded once to `F`, powers by `pow`. The square root is correctly
/// rounded (PyTorch's MKL float32 sqrt is not), so float32 iterates agree with torch to about 1e-7.
#[derive(Debug, Clone)]
pub struct Adam<F> {
    config: AdamConfig,
    step: f32,
    states: Vec<State<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Adam<F> {
    /// A fresh Adam optimizer.
    pub fn new(config: AdamConfig) -> Self {
        Self {
            config,
            step: 0.0,
            states: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

/// `base ** exp` as Python computes it (glibc `pow`); `black_box` keeps LLVM from rewriting it.
pub(crate) fn pow(base: f64, exp: f64) -> f64 {
    base.powf(std::hint::black_box(exp))
}

impl<F: Real> Optimizer<F> for Adam<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        if self.states.len() != params.len() {
            self.states = params
                .iter()
                .map(|p| State {
                    m: vec![F::zero(); p.len()],
                    v: vec![F::zero(); p.len()],
                    vmax: if c.amsgrad {
                        vec![F::zero(); p.len()]
                    } else {
                        Vec::new()
                    },
                })
                .collect();
        }
        // torch keeps the step count in a float32 tensor and reads it back as a Python float.
        self.step += 1.0;
        let t = f64::from(self.step);
        let [beta1, beta2] = c.betas;
        let w1 = F::host(1.0 - beta1);
        let b2 = F::host(beta2);
        let one_minus_b2 = F::host(1.0 - beta2);
        let wd = F::host(c.weight_decay);
        let bias_correction1 = 1.0 - pow(beta1, t);
        let bias_correction2 = 1.0 - pow(beta2, t);
        let neg_step_size = F::host(-(lr / bias_correction1));
        let bc2_sqrt = F::host(pow(bias_correction2, 0.5));
        let eps = F::host(c.eps);
        for ((p, g_in), s) in params.iter_mut().zip(grads).zip(&mut self.states) {
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            for i in 0..p.len() {
                let mut gi = g[i];
                if c.weight_decay != 0.0 {
                    gi = wd.mul_add(p[i], gi);
                }
                s.m[i] = lerp(s.m[i], gi, w1);
                s.v[i] = (one_minus_b2 * gi).mul_add(gi, s.v[i] * b2);
                let u = if c.amsgrad {
                    // torch.maximum: NaN propagates.
                    if s.vmax[i].partial_cmp(&s.v[i]).is_none_or(|o| o.is_lt()) {
                        s.vmax[i] = s.v[i];
                    }
                    s.vmax[i]
                } else {
                    s.v[i]
                };
                let denom = u.sqrt() / bc2_sqrt + eps;
                p[i] += (neg_step_size * s.m[i]) / denom;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoClosure;

    /// Textbook Adam (Kingma and Ba, with torch's eps placement) in f64, for comparison.
    fn reference(
        c: &AdamConfig,
        p0: &[f64],
        grad: impl Fn(&[f64]) -> Vec<f64>,
        steps: usize,
    ) -> Vec<Vec<f64>> {
        let n = p0.len();
        let (mut p, mut m, mut v, mut vmax) =
            (p0.to_vec(), vec![0.0; n], vec![0.0; n], vec![0.0f64; n]);
        let mut out = Vec::new();
        for t in 1..=steps {
            let mut g = grad(&p);
            for i in 0..n {
                if c.maximize {
                    g[i] = -g[i];
                }
                g[i] += c.weight_decay * p[i];
                m[i] = c.betas[0] * m[i] + (1.0 - c.betas[0]) * g[i];
                v[i] = c.betas[1] * v[i] + (1.0 - c.betas[1]) * g[i] * g[i];
                vmax[i] = vmax[i].max(v[i]);
                let u = if c.amsgrad { vmax[i] } else { v[i] };
                let m_hat = m[i] / (1.0 - c.betas[0].powi(t as i32));
                let denom = u.sqrt() / (1.0 - c.betas[1].powi(t as i32)).sqrt() + c.eps;
                p[i] -= c.lr * m_hat / denom;
            }
            out.push(p.clone());
        }
        out
    }

    fn check_against_reference(c: AdamConfig) {
        // A quadratic with gradients of both signs: f(p) = sum_i (i + 1) (p_i - 1)^2.
        let grad = |p: &[f64]| {
            p.iter()
                .enumerate()
                .map(|(i, x)| 2.0 * (i as f64 + 1.0) * (x - 1.0))
                .collect()
        };
        let p0 = [0.3, -0.7, 2.5, 1.2];
        let want = reference(&c, &p0, grad, 20);
        let mut adam = Adam::<f64>::new(c.clone());
        let mut p = vec![p0.to_vec()];
        for (t, w) in want.iter().enumerate() {
            let g = grad(&p[0]);
            adam.step(&mut p, &[g], c.lr, &mut NoClosure).unwrap();
            for (got, want) in p[0].iter().zip(w) {
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "step {}: {got} vs {want} ({c:?})",
                    t + 1
                );
            }
        }
    }

    #[test]
    fn adam_matches_the_textbook_update_with_bias_correction() {
        check_against_reference(AdamConfig {
            lr: 0.1,
            ..Default::default()
        });
    }

    #[test]
    fn adam_amsgrad_weight_decay_and_maximize_match_the_textbook_update() {
        check_against_reference(AdamConfig {
            lr: 0.05,
            amsgrad: true,
            ..Default::default()
        });
        check_against_reference(AdamConfig {
            lr: 0.05,
            weight_decay: 0.01,
            ..Default::default()
        });
        check_against_reference(AdamConfig {
            lr: 0.05,
            maximize: true,
            betas: [0.8, 0.99],
            ..Default::default()
        });
    }

    #[test]
    fn first_f32_step_moves_each_entry_by_about_lr_against_its_gradient_sign() {
        let mut p = vec![vec![1.0f32, -2.0, 0.5]];
        let mut adam = Adam::<f32>::new(AdamConfig {
            lr: 0.1,
            ..Default::default()
        });
        adam.step(&mut p, &[vec![3.0, -0.5, 1e-3]], 0.1, &mut NoClosure)
            .unwrap();
        // m_hat / sqrt(v_hat) = sign(g) at t = 1, up to eps and rounding.
        for (got, want) in p[0].iter().zip([0.9f32, -1.9, 0.4]) {
            assert!((got - want).abs() < 2e-5, "{got} vs {want}");
        }
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        let bad = |c: AdamConfig| c.validate().unwrap_err().key;
        assert_eq!(
            bad(AdamConfig {
                betas: [1.0, 0.999],
                ..Default::default()
            }),
            "betas"
        );
        assert_eq!(
            bad(AdamConfig {
                eps: 0.0,
                ..Default::default()
            }),
            "eps"
        );
        assert_eq!(
            bad(AdamConfig {
                lr: f64::INFINITY,
                ..Default::default()
            }),
            "lr"
        );
    }
}
