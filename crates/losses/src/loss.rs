//! The `Loss` trait: prediction and target in, a scalar tensor out.

use candle_core::{Result, Tensor};

/// A loss between a prediction and its target.
///
/// Implementations build the value from candle operations so that `backward` can differentiate it.
/// The trait is object-safe: a run holds a `Box<dyn Loss>` chosen by name in the config.
pub trait Loss: Send + Sync {
    /// The name used in configs (`kind = "mse"`).
    fn name(&self) -> &str;
    /// The loss of `prediction` against `target` (same shape), as a 0-dimensional tensor.
    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor>;
}
