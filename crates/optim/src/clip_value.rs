//! `ClipValue`: clamp every gradient entry to [-clip_value, clip_value], as torch.nn.utils.clip_grad_value_.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::check_positive;
use crate::{Invalid, Transform, TransformConfig};

/// Config of [`ClipValue`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipValueConfig {
    /// The largest absolute entry let through (required).
    pub clip_value: f64,
}

impl TransformConfig for ClipValueConfig {
    const KIND: &'static str = "clip_value";
    const SUMMARY: &'static str =
        "torch clip_grad_value_: each entry clamped to [-clip_value, clip_value] (required)";

    fn validate(&self) -> Result<(), Invalid> {
        check_positive("clip_value", self.clip_value)
    }

    fn build<F: Real>(&self, _seed: i64) -> Box<dyn Transform<F>> {
        Box::new(ClipValue {
            limit: self.clip_value,
        })
    }
}

/// Clamp each entry to `[-c, c]` (`c` rounded once to the element type); NaN stays NaN.
#[derive(Debug, Clone)]
pub struct ClipValue {
    limit: f64,
}

impl<F: Real> Transform<F> for ClipValue {
    fn apply(&mut self, grads: &mut [Vec<F>]) {
        let c = F::host(self.limit);
        for g in grads.iter_mut().flatten() {
            if *g > c {
                *g = c;
            } else if *g < -c {
                *g = -c;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_ends_within_the_bound_and_small_ones_are_untouched() {
        let mut t = ClipValueConfig { clip_value: 0.5 }.build::<f32>(0);
        let mut g = vec![vec![2.0f32, -3.0, 0.25, -0.5, f32::NAN]];
        t.apply(&mut g);
        assert_eq!(&g[0][..4], [0.5, -0.5, 0.25, -0.5]);
        assert!(g[0][4].is_nan());
    }
}
