//! `ClipNorm`: scale the gradient down to a maximum Euclidean norm, as torch.nn.utils.clip_grad_norm_.

use descent_tensor::{Real, torch_vector_norm};
use serde::{Deserialize, Serialize};

use crate::config::check_positive;
use crate::{Invalid, Transform, TransformConfig};

/// Config of [`ClipNorm`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipNormConfig {
    /// The largest norm let through (required).
    pub max_norm: f64,
    /// One norm over all parameters together, as torch (default true); false clips each alone.
    #[serde(default = "yes")]
    pub global: bool,
}

fn yes() -> bool {
    true
}

impl TransformConfig for ClipNormConfig {
    const KIND: &'static str = "clip_norm";
    const SUMMARY: &'static str = "torch clip_grad_norm_: g <- g min(1, max_norm / (||g|| + 1e-6)); max_norm (required), global (default true)";

    fn validate(&self) -> Result<(), Invalid> {
        check_positive("max_norm", self.max_norm)
    }

    fn build<F: Real>(&self, _seed: i64) -> Box<dyn Transform<F>> {
        Box::new(ClipNorm {
            config: self.clone(),
            norms: Vec::new(),
        })
    }
}

/// torch's `clip_grad_norm_` with the 2-norm, in the element type and torch's order, so a
/// clipped run follows PyTorch bit for bit: each parameter's norm as `torch.linalg.vector_norm`
/// ([`torch_vector_norm`]), the total norm as the norm of those norms (torch stacks them),
/// `coef = max_norm / (total + 1e-6)` computed as torch's `Tensor.__rtruediv__` does,
/// `reciprocal(total + 1e-6) * max_norm`, clamped to at most 1 (a NaN stays NaN), and every
/// entry multiplied by it. With `global = false` each parameter is clipped by a call of its own,
/// so its total is the norm of its one norm, as torch computes it.
#[derive(Debug, Clone)]
pub struct ClipNorm<F> {
    config: ClipNormConfig,
    /// The parameters' norms, kept for the run (no allocation per step).
    norms: Vec<F>,
}

fn scale<F: Real>(norms: &mut Vec<F>, grads: &mut [Vec<F>], max_norm: f64) {
    norms.clear();
    norms.extend(grads.iter().map(|g| torch_vector_norm(g)));
    let total = torch_vector_norm(norms);
    let coef = (total + F::host(1e-6)).recip() * F::host(max_norm);
    // torch.clamp(max = 1): a NaN coefficient passes through.
    let coef = if coef > F::one() { F::one() } else { coef };
    for g in grads.iter_mut().flatten() {
        *g *= coef;
    }
}

impl<F: Real> Transform<F> for ClipNorm<F> {
    fn apply(&mut self, grads: &mut [Vec<F>]) {
        if self.config.global {
            scale(&mut self.norms, grads, self.config.max_norm);
        } else {
            for g in grads.iter_mut() {
                scale(
                    &mut self.norms,
                    std::slice::from_mut(g),
                    self.config.max_norm,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(g: &[f64]) -> f64 {
        g.iter().map(|x| x * x).sum::<f64>().sqrt()
    }

    #[test]
    fn a_long_gradient_is_scaled_to_max_norm_and_a_short_one_is_kept() {
        let mut t = ClipNormConfig {
            max_norm: 1.0,
            global: true,
        }
        .build::<f64>(0);
        let mut g = vec![vec![3.0, 0.0], vec![0.0, 4.0]];
        t.apply(&mut g);
        let all: Vec<f64> = g.iter().flatten().copied().collect();
        assert!((norm(&all) - 1.0).abs() < 1e-6 && norm(&all) <= 1.0);
        assert!(
            (g[0][0] / g[1][1] - 0.75).abs() < 1e-15,
            "the direction is kept"
        );
        let mut short = vec![vec![0.3, 0.4]];
        t.apply(&mut short);
        assert_eq!(short, [[0.3, 0.4]]);
    }

    #[test]
    fn per_parameter_clipping_bounds_each_parameter() {
        let mut t = ClipNormConfig {
            max_norm: 2.0,
            global: false,
        }
        .build::<f32>(0);
        let mut g = vec![vec![30.0f32, 40.0], vec![1.0, 0.0]];
        t.apply(&mut g);
        let n0 = (g[0][0].powi(2) + g[0][1].powi(2)).sqrt();
        assert!(n0 <= 2.0 + 1e-6 && n0 > 1.999, "{n0}");
        assert_eq!(g[1], [1.0, 0.0]);
    }
}
