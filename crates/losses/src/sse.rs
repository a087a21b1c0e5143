//! `Sse`: the sum of squared differences, `sum((prediction - target)^2)` = the squared Frobenius norm.

use candle_core::{Result, Tensor};

use crate::Loss;

/// Sum of squared errors over all entries: `||p - t||_F^2`. Gradient: `2 (p - t)`.
/// `torch.nn.functional.mse_loss(p, t, reduction = "sum")`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sse;

impl Loss for Sse {
    fn name(&self) -> &str {
        "sse"
    }

    fn elementwise(&self, entries: usize) -> Option<crate::Elementwise> {
        Some(crate::Elementwise {
            f: crate::Pointwise::Square,
            mean: false,
            entries,
        })
    }

    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
        crate::squares::squared_error(prediction, target, false)
    }

    fn square_sum_scale(&self, _entries: usize) -> Option<f64> {
        Some(1.0)
    }

    fn sums(&self) -> bool {
        true
    }
}

/// Config of [`Sse`]: no keys.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SseConfig {}

impl crate::LossConfig for SseConfig {
    const KIND: &'static str = "sse";
    const SUMMARY: &'static str =
        "sum((prediction - target)^2) over all entries (the squared Frobenius norm)";

    fn build(&self) -> Box<dyn Loss> {
        Box::new(Sse)
    }
}
