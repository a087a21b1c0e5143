//! Host-side arithmetic shared by the optimizers: Python's `pow`, torch's float32 step counter, torch.sign and maximum, the f64 norm.

/// `base ** exp` as Python computes it (glibc `pow`); `black_box` keeps LLVM from rewriting it
/// into a `sqrt` or a product, which round differently (torch-optim.md, rule R6).
pub(crate) fn pow(base: f64, exp: f64) -> f64 {
    base.powf(std::hint::black_box(exp))
}

/// torch's `step` state: a float32 counter, incremented by 1.0 and read back as a Python float
/// (exact up to 2^24, after which it stops increasing, as in torch).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StepCount(f32);

impl StepCount {
    /// Count one step and return the new count `t` as an `f64`.
    pub(crate) fn advance(&mut self) -> f64 {
        self.0 += 1.0;
        f64::from(self.0)
    }
}

/// torch.sign: -1, 0 or 1 (a signed zero for a zero), NaN for NaN.
pub(crate) fn sign<F: descent_tensor::Real>(x: F) -> F {
    if x > F::zero() {
        F::one()
    } else if x < F::zero() {
        -F::one()
    } else {
        x * F::zero()
    }
}

/// torch.maximum: the larger, NaN when either is NaN (Rust's `max` would drop the NaN).
pub(crate) fn maximum<F: descent_tensor::Real>(a: F, b: F) -> F {
    if a.is_nan() || b.is_nan() {
        F::nan()
    } else if a > b {
        a
    } else {
        b
    }
}

/// The Euclidean norm, its squares summed in f64 (descent_tensor's `sum_squares`).
pub(crate) fn norm<F: descent_tensor::Real>(x: &[F]) -> f64 {
    descent_tensor::sum_squares(x).sqrt()
}
