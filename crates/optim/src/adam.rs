//! `Adam` and `AdamW`: adaptive moments as torch.optim.Adam and AdamW (weight decay, amsgrad, maximize), in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_betas, check_lr, check_non_negative, check_positive};
use crate::host::pow;
use crate::moments::{Moments, Prepare, zeros_like};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

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
    /// Weight decay (default 0): an L2 penalty added to the gradient, or decoupled.
    pub weight_decay: f64,
    /// Use the running maximum of the second moment (default false).
    pub amsgrad: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
    /// Decay the parameters directly, `p <- p (1 - lr wd)`, as AdamW (default false).
    pub decoupled_weight_decay: bool,
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
            decoupled_weight_decay: false,
        }
    }
}

impl AdamConfig {
    fn check(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_betas(self.betas)?;
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)
    }
}

impl OptimizerConfig for AdamConfig {
    const KIND: &'static str = "adam";
    const SUMMARY: &'static str =
        "torch.optim.Adam: lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        self.check()
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Adam::new(self.clone()))
    }
}

/// Config of AdamW: torch.optim.AdamW's keys and defaults, which are Adam's with decoupled weight
/// decay and `weight_decay` = 1e-2. It builds an [`Adam`] with `decoupled_weight_decay = true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamWConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Decay rates (β1, β2) of the moments (default [0.9, 0.999]).
    pub betas: [f64; 2],
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    /// Decoupled weight decay, `p <- p (1 - lr wd)` before the moments (default 1e-2).
    pub weight_decay: f64,
    /// Use the running maximum of the second moment (default false).
    pub amsgrad: bool,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self {
            weight_decay: 1e-2,
            ..Self::from(AdamConfig::default())
        }
    }
}

impl From<AdamConfig> for AdamWConfig {
    fn from(c: AdamConfig) -> Self {
        Self {
            lr: c.lr,
            betas: c.betas,
            eps: c.eps,
            weight_decay: c.weight_decay,
            amsgrad: c.amsgrad,
            maximize: c.maximize,
        }
    }
}

impl AdamWConfig {
    /// The equivalent Adam config.
    pub fn adam(&self) -> AdamConfig {
        AdamConfig {
            lr: self.lr,
            betas: self.betas,
            eps: self.eps,
            weight_decay: self.weight_decay,
            amsgrad: self.amsgrad,
            maximize: self.maximize,
            decoupled_weight_decay: true,
        }
    }
}

impl OptimizerConfig for AdamWConfig {
    const KIND: &'static str = "adamw";
    const SUMMARY: &'static str = "torch.optim.AdamW: Adam with decoupled weight decay (default 1e-2): lr, betas, eps, weight_decay, amsgrad, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        self.adam().check()
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Adam::new(self.adam()))
    }
}

/// torch.optim.Adam on the CPU, single-tensor path. Per step, with `t` counted in f32:
///
/// weight decay (decoupled: `p <- p (1 - lr wd)`; L2: `g <- fma(wd, p, g)`);
/// `m <- lerp(m, g, 1 - β1)`; `v <- fma((1 - β2) g, g, v β2)`;
/// `denom = sqrt(v) / sqrt(1 - β2^t) + eps`; `p <- p + (-(lr / (1 - β1^t)) m) / denom`,
/// every host scalar an f64 rounded once to `F`, powers by `pow`. The square root is correctly
/// rounded (PyTorch's MKL float32 sqrt is not), so float32 iterates agree with torch to about 1e-7.
#[derive(Debug, Clone)]
pub struct Adam<F> {
    config: AdamConfig,
    moments: Moments<F>,
    vmax: Vec<Vec<F>>,
}

impl<F: Real> Adam<F> {
    /// A fresh Adam optimizer.
    pub fn new(config: AdamConfig) -> Self {
        Self {
            config,
            moments: Moments::new(),
            vmax: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Adam<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        let t = self.moments.begin(params, grads)?;
        let c = &self.config;
        if c.amsgrad && self.vmax.len() != params.len() {
            self.vmax = zeros_like(params);
        }
        let [beta1, beta2] = c.betas;
        let bias_correction1 = 1.0 - pow(beta1, t);
        let bias_correction2 = 1.0 - pow(beta2, t);
        let neg_step_size = F::host(-(lr / bias_correction1));
        let bc2_sqrt = F::host(pow(bias_correction2, 0.5));
        let eps = F::host(c.eps);
        let how = Prepare {
            maximize: c.maximize,
            weight_decay: c.weight_decay,
            decoupled: c.decoupled_weight_decay,
            lr,
            betas: c.betas,
        };
        let (amsgrad, vmax) = (c.amsgrad, &mut self.vmax);
        self.moments.update(params, grads, how, |i, p, _g, m, v| {
            for j in 0..p.len() {
                let u = if amsgrad {
                    let vmax = &mut vmax[i][j];
                    // torch.maximum: NaN propagates.
                    if (*vmax).partial_cmp(&v[j]).is_none_or(|o| o.is_lt()) {
                        *vmax = v[j];
                    }
                    *vmax
                } else {
                    v[j]
                };
                let denom = u.sqrt() / bc2_sqrt + eps;
                p[j] += (neg_step_size * m[j]) / denom;
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
    use crate::NoClosure;
    use crate::testing::assert_follows;

    /// Textbook Adam (Kingma and Ba, with torch's eps placement) in f64, for comparison.
    fn check_against_reference(c: AdamConfig) {
        let n = 4;
        let (mut m, mut v, mut vmax) = (vec![0.0; n], vec![0.0; n], vec![0.0f64; n]);
        let lr = c.lr;
        assert_follows(&mut Adam::<f64>::new(c.clone()), lr, 20, |t, p, g| {
            for i in 0..n {
                let mut g = if c.maximize { -g[i] } else { g[i] };
                if c.decoupled_weight_decay {
                    p[i] *= 1.0 - c.lr * c.weight_decay;
                } else {
                    g += c.weight_decay * p[i];
                }
                m[i] = c.betas[0] * m[i] + (1.0 - c.betas[0]) * g;
                v[i] = c.betas[1] * v[i] + (1.0 - c.betas[1]) * g * g;
                vmax[i] = vmax[i].max(v[i]);
                let u = if c.amsgrad { vmax[i] } else { v[i] };
                let m_hat = m[i] / (1.0 - c.betas[0].powi(t as i32));
                let denom = u.sqrt() / (1.0 - c.betas[1].powi(t as i32)).sqrt() + c.eps;
                p[i] -= c.lr * m_hat / denom;
            }
        });
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
    fn adamw_decays_the_parameters_instead_of_the_gradient() {
        let w = AdamWConfig {
            lr: 0.05,
            weight_decay: 0.1,
            amsgrad: true,
            ..Default::default()
        };
        assert_eq!(AdamWConfig::default().weight_decay, 1e-2);
        check_against_reference(w.adam());
        // Decoupled decay differs from L2 decay: the same keys give another trajectory.
        let l2 = AdamConfig {
            decoupled_weight_decay: false,
            ..w.adam()
        };
        let (mut a, mut b) = (Adam::<f64>::new(w.adam()), Adam::<f64>::new(l2));
        let (mut pa, mut pb) = (vec![vec![2.0]], vec![vec![2.0]]);
        for _ in 0..3 {
            a.step(&mut pa, &[vec![1.0]], 0.05, &mut NoClosure).unwrap();
            b.step(&mut pb, &[vec![1.0]], 0.05, &mut NoClosure).unwrap();
        }
        assert!((pa[0][0] - pb[0][0]).abs() > 1e-4, "{pa:?} {pb:?}");
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
