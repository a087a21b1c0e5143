//! `Mae`: the mean absolute difference, `mean(|prediction - target|)`.

use candle_core::{Result, Tensor};

use crate::Loss;
use crate::abs::abs_torch;

/// Mean absolute error over all entries: `sum |p - t| / n`. Gradient: `sign(p - t) / n`, 0 where
/// `p = t` (torch's `l1_loss` with `reduction = "mean"`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Mae;

impl Loss for Mae {
    fn name(&self) -> &str {
        "mae"
    }

    fn elementwise(&self, entries: usize) -> Option<crate::Elementwise> {
        Some(crate::Elementwise {
            f: crate::Pointwise::Abs,
            mean: true,
            entries,
        })
    }

    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
        abs_torch(&prediction.sub(target)?)?.mean_all()
    }
}

/// Config of [`Mae`]: no keys.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaeConfig {}

impl crate::LossConfig for MaeConfig {
    const KIND: &'static str = "mae";
    const SUMMARY: &'static str = "mean(|prediction - target|) over all entries (torch's l1_loss)";

    fn build(&self) -> Box<dyn Loss> {
        Box::new(Mae)
    }
}
