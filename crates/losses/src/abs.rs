//! `abs_torch`: |d| whose gradient is torch's `sgn(d)` (0 at 0), which candle's `abs` (+1 at 0) is not.

use candle_core::{Result, Tensor};

/// `|d|` computed as `d * sign(d)` with the sign held constant: the value is exactly `|d|` and the
/// gradient is `sign(d)`, 0 where `d = 0`, as torch's `abs` backward.
pub fn abs_torch(d: &Tensor) -> Result<Tensor> {
    d.mul(&d.sign()?.detach())
}
