//! The `Loss` trait: prediction and target in, a scalar tensor out.

use candle_core::{Result, Tensor};

use crate::Elementwise;

/// A loss between a prediction and its target.
///
/// Implementations build the value from candle operations so that `backward` can differentiate it.
/// The trait is object-safe: a run holds a `Box<dyn Loss>` chosen by name in the config.
pub trait Loss: Send + Sync {
    /// The name used in configs (`kind = "mse"`).
    fn name(&self) -> &str;
    /// The loss of `prediction` against `target` (same shape), as a 0-dimensional tensor.
    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor>;
    /// For a loss that is a constant multiple of `sum(d^2)` over `entries` entries: that multiple
    /// (`mse`: `1 / entries`, `sse`: 1). `None` otherwise. The runner uses it to name the largest
    /// stable plain-SGD learning rate of a quadratic problem.
    fn square_sum_scale(&self, entries: usize) -> Option<f64> {
        let _ = entries;
        None
    }
    /// The loss as `scale · Σ f(prediction_i - target_i)` over `entries` entries, for gradients
    /// on host buffers (`gradient = "auto"`, the default); `None` (the default for a loss of
    /// one's own) makes runs differentiate [`Loss::loss`] with candle's autodiff instead.
    fn elementwise(&self, entries: usize) -> Option<Elementwise> {
        let _ = entries;
        None
    }
    /// Whether the loss sums over the entries (`sse`) rather than averaging them (every other
    /// built-in loss, the default). A batch of independent problems uses it to weigh each
    /// instance as a run of its own.
    fn sums(&self) -> bool {
        false
    }
}
