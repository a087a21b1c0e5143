//! Fused multiply-add loops over slices, compiled for the CPU's best instruction set and chosen at run time (pulp).
//!
//! `f32::mul_add` is one instruction only where the compiler may assume FMA; the portable x86-64
//! target may not, so each call goes through a library function. pulp detects the CPU once and
//! runs the loop in a copy compiled with AVX2 and FMA where the CPU has them. The result is the
//! same: a fused multiply-add rounds once, whichever instruction computes it.

use descent_tensor::Real;
use pulp::{Arch, Simd, WithSimd};

/// `y_i <- fma(alpha, x_i, y_i)` for every `i`: torch's `y.add_(x, alpha=alpha)` on the CPU.
/// Extra entries of the longer slice are left alone.
pub fn axpy<F: Real>(y: &mut [F], alpha: F, x: &[F]) {
    Arch::new().dispatch(Axpy { y, alpha, x });
}

struct Axpy<'a, F> {
    y: &'a mut [F],
    alpha: F,
    x: &'a [F],
}

impl<F: Real> WithSimd for Axpy<'_, F> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let alpha = self.alpha;
        for (y, &x) in self.y.iter_mut().zip(self.x) {
            *y = alpha.mul_add(x, *y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fused result rounds once: `1 + 2⁻²³ · (1 + 2⁻²³)` keeps the `2⁻⁴⁶` term's effect on the
    /// rounding that a separate multiply would drop, exactly as the scalar `mul_add` does, for
    /// every position in a vector and its tail.
    #[test]
    fn axpy_rounds_once_like_the_scalar_fma() {
        let e = f32::EPSILON; // 2^-23
        let alpha = 0.5 * e;
        let x = 1.0 + e; // alpha * x = 2^-24 + 2^-47: above half an ulp of 1
        for len in [1usize, 7, 8, 9, 33] {
            let mut y = vec![1.0f32; len];
            axpy(&mut y, alpha, &vec![x; len]);
            let want = alpha.mul_add(x, 1.0);
            assert_eq!(want, 1.0 + e, "the reference itself rounds once");
            assert!(y.iter().all(|&v| v == want), "len {len}: {y:?}");
        }
    }

    /// In f64 as in f32, and a shorter `x` leaves the rest of `y` alone.
    #[test]
    fn axpy_in_f64_stops_at_the_shorter_slice() {
        let mut y = vec![1.0f64, 2.0, 3.0];
        axpy(&mut y, -2.0, &[0.5, 0.25]);
        assert_eq!(y, [0.0, 1.5, 3.0]);
    }
}
