//! `LogCosh`: the mean of `log(cosh(prediction - target))`, smooth, quadratic near 0 and linear far out.

use candle_core::{Result, Tensor};

use crate::Loss;
use crate::abs::abs_torch;

/// `mean(log(cosh(d)))`, `d = p - t`, computed without overflow as
/// `|d| + log(1 + exp(-2 |d|)) - log(2)`. Gradient per entry: `tanh(d) / n`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogCosh;

impl Loss for LogCosh {
    fn name(&self) -> &str {
        "log_cosh"
    }

    fn elementwise(&self, entries: usize) -> Option<crate::Elementwise> {
        Some(crate::Elementwise {
            f: crate::Pointwise::LogCosh,
            mean: true,
            entries,
        })
    }

    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
        let a = abs_torch(&prediction.sub(target)?)?;
        let tail = a.affine(-2.0, 0.0)?.exp()?.affine(1.0, 1.0)?.log()?;
        (a + tail)?.affine(1.0, -std::f64::consts::LN_2)?.mean_all()
    }
}

/// Config of [`LogCosh`]: no keys.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogCoshConfig {}

impl crate::LossConfig for LogCoshConfig {
    const KIND: &'static str = "log_cosh";
    const SUMMARY: &'static str = "mean(log(cosh(prediction - target))) over all entries";

    fn build(&self) -> Box<dyn Loss> {
        Box::new(LogCosh)
    }
}
