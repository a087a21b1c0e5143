//! The element types that optimizers compute in, with PyTorch's rule for host scalars.

/// An element type of parameters and gradients: `f32` or `f64`.
///
/// Optimizers are written once, generically, over `Real`. Arithmetic comes from
/// [`num_traits::Float`] (including `mul_add`, a fused multiply-add with one rounding), and
/// [`Real::host`] applies PyTorch's rule R1: a hyper-parameter is an `f64` host number, rounded once
/// to the tensor's type at the point of use.
pub trait Real:
    candle_core::WithDType
    + num_traits::Float
    + faer::traits::RealField
    + std::fmt::Debug
    + std::fmt::Display
    + Send
    + Sync
    + 'static
{
    /// Round an `f64` host scalar to this type once (round to nearest even).
    fn host(x: f64) -> Self;
    /// The exact `f64` value of this number.
    fn widen(self) -> f64;
}

impl Real for f32 {
    #[inline(always)]
    fn host(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    #[inline(always)]
    fn host(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
}
