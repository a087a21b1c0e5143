//! Host-side arithmetic shared by the optimizers: Python's `pow` and torch's float32 step counter.

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
