//! `Huber`: quadratic near the target, linear far from it (torch's `huber_loss`, mean).

use candle_core::{Result, Tensor};

use crate::abs::abs_torch;
use crate::{Invalid, Loss};

/// Huber loss with threshold `delta`, averaged over all entries: per entry, with `d = p - t`,
/// `0.5 d^2` where `|d| < delta` and `delta (|d| - 0.5 delta)` elsewhere. Gradient per entry:
/// `d / n` where `|d| < delta`, `delta sign(d) / n` elsewhere. `torch.nn.functional.huber_loss`.
#[derive(Debug, Clone, Copy)]
pub struct Huber {
    /// The threshold between the quadratic and the linear part (> 0).
    pub delta: f64,
}

impl Loss for Huber {
    fn name(&self) -> &str {
        "huber"
    }

    fn elementwise(&self, entries: usize) -> Option<crate::Elementwise> {
        Some(crate::Elementwise {
            f: crate::Pointwise::Huber { delta: self.delta },
            mean: true,
            entries,
        })
    }

    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
        let d = prediction.sub(target)?;
        let a = abs_torch(&d)?;
        let quadratic = d.sqr()?.affine(0.5, 0.0)?;
        let linear = a.affine(self.delta, -0.5 * self.delta * self.delta)?;
        let near = a.lt(self.delta)?;
        near.where_cond(&quadratic, &linear)?.mean_all()
    }
}

fn default_delta() -> f64 {
    1.0
}

/// Config of [`Huber`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuberConfig {
    /// The threshold (torch's default 1.0); finite and > 0.
    #[serde(default = "default_delta")]
    pub delta: f64,
}

impl crate::LossConfig for HuberConfig {
    const KIND: &'static str = "huber";
    const SUMMARY: &'static str = "mean of 0.5 d^2 (|d| < delta) or delta (|d| - delta / 2), d = prediction - target; keys: delta (1.0)";

    fn validate(&self) -> std::result::Result<(), Invalid> {
        if self.delta.is_finite() && self.delta > 0.0 {
            Ok(())
        } else {
            Err(Invalid::new(
                "delta",
                format!("must be finite and > 0, got {}", self.delta),
            ))
        }
    }

    fn build(&self) -> Box<dyn Loss> {
        Box::new(Huber { delta: self.delta })
    }
}
