//! The `Transform` trait: a change to the gradient before the optimizer sees it (clipping, noise).

use descent_tensor::Real;
use serde::{Serialize, de::DeserializeOwned};

use crate::Invalid;

/// A gradient transform, applied in place to every parameter's gradient (flattened row-major),
/// before each optimizer step and to every gradient a closure-based optimizer evaluates.
pub trait Transform<F: Real>: Send {
    /// Transform the gradients of all parameters.
    fn apply(&mut self, grads: &mut [Vec<F>]);
}

/// The configuration of a transform: one `[[transform]]` table (minus `kind`) and how to build it.
pub trait TransformConfig: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name in configs (`kind = "clip_norm"`).
    const KIND: &'static str;
    /// One line for listings.
    const SUMMARY: &'static str;
    /// Reject invalid values, naming the key.
    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
    /// The transform computing in `F`; `seed` is the run's seed, for transforms that draw.
    fn build<F: Real>(&self, seed: i64) -> Box<dyn Transform<F>>;
}
