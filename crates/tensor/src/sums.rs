//! Sums of squares of host slices in `f64`, with independent partial sums so the loop vectorizes.
//!
//! Each sum runs in a copy compiled for the CPU's best instruction set, chosen at run time by
//! pulp (AVX2 where the CPU has it; the portable x86-64 target has only SSE2's two `f64` lanes).
//! The arithmetic is the same in every copy (no fused multiply-add), so the result is too.

use pulp::{Arch, Simd, WithSimd};

use crate::Real;

/// Partial sums kept apart: an in-order sum is one long chain of dependent additions.
pub const SUM_LANES: usize = 8;
const LANES: usize = SUM_LANES;

/// `Σ x_i²`, each term widened to `f64` exactly, summed in eight interleaved partial sums
/// that are then added in order. The result differs from the in-order sum only by the rounding
/// of the `f64` additions (relative error at most about `len · 2⁻⁵³`).
pub fn sum_squares<F: Real>(x: &[F]) -> f64 {
    Arch::new().dispatch(SumSquares(x))
}

struct SumSquares<'a, F>(&'a [F]);

impl<F: Real> WithSimd for SumSquares<'_, F> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) -> f64 {
        squares(self.0)
    }
}

#[inline(always)]
fn squares<F: Real>(x: &[F]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    add_squares(&mut lanes, x);
    lanes.iter().sum()
}

/// The squares of `x`'s entries, each widened to `f64` exactly, added into the partial sums
/// `lanes` as [`sum_squares`] adds them (the tail into the first lanes): for one sum over many
/// slices. Inlined into the caller, so it runs in the caller's instruction set.
#[inline(always)]
pub fn add_squares<F: Real>(lanes: &mut [f64; SUM_LANES], x: &[F]) {
    let (chunks, rest) = x.as_chunks::<LANES>();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            let v = v.widen();
            *lane += v * v;
        }
    }
    for (lane, v) in lanes.iter_mut().zip(rest) {
        let v = v.widen();
        *lane += v * v;
    }
}

/// `Σ (p_i - t_i)²` over the common length, each difference rounded in `F` (as a tensor
/// subtraction is) and then squared and summed in `f64` as [`sum_squares`] does.
pub fn sum_squared_differences<F: Real>(p: &[F], t: &[F]) -> f64 {
    Arch::new().dispatch(SumSquaredDifferences(p, t))
}

struct SumSquaredDifferences<'a, F>(&'a [F], &'a [F]);

impl<F: Real> WithSimd for SumSquaredDifferences<'_, F> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) -> f64 {
        squared_differences(self.0, self.1)
    }
}

#[inline(always)]
fn squared_differences<F: Real>(p: &[F], t: &[F]) -> f64 {
    let len = p.len().min(t.len());
    let (pc, pr) = p[..len].as_chunks::<LANES>();
    let (tc, tr) = t[..len].as_chunks::<LANES>();
    let mut lanes = [0.0f64; LANES];
    for (a, b) in pc.iter().zip(tc) {
        for ((lane, &a), &b) in lanes.iter_mut().zip(a).zip(b) {
            let v = (a - b).widen();
            *lane += v * v;
        }
    }
    finish(lanes, pr.iter().zip(tr).map(|(&a, &b)| (a - b).widen()))
}

/// Add the squares of the tail `rest` (shorter than a chunk) into the lanes, then the lanes in order.
#[inline(always)]
fn finish(mut lanes: [f64; LANES], rest: impl Iterator<Item = f64>) -> f64 {
    for (lane, v) in lanes.iter_mut().zip(rest) {
        *lane += v * v;
    }
    lanes.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small integers square and add exactly in `f64`, so the lane order cannot matter:
    /// the result is the closed form `Σ_{k=1}^{n} k² = n (n + 1) (2n + 1) / 6`, for lengths
    /// below, at and above the lane count.
    #[test]
    fn sum_of_squares_of_one_to_n_is_the_closed_form() {
        for n in [0usize, 1, 7, 8, 9, 100, 1001] {
            let x: Vec<f32> = (1..=n).map(|k| k as f32).collect();
            let want = (n * (n + 1) * (2 * n + 1) / 6) as f64;
            assert_eq!(sum_squares(&x), want, "n = {n}");
        }
    }

    /// Differences are rounded in the element type first, then squared in f64; a shorter
    /// slice bounds the sum.
    #[test]
    fn squared_differences_round_the_difference_in_the_element_type() {
        // 1 + 2^-24 rounds to 1 in f32, so (1 - 2^-24) - 1 is -2^-24 exactly, not rounded away.
        let p = [1.0f32 - f32::EPSILON / 2.0, 3.0, 5.0];
        let t = [1.0f32, 1.0];
        let want = (f64::from(f32::EPSILON) / 2.0).powi(2) + 4.0;
        assert_eq!(sum_squared_differences(&p, &t), want);
    }

    /// The dispatched copy gives the bits of the same loops compiled for the portable target, on
    /// random (inexact) data whose sum shows any change in the order or the rounding.
    #[test]
    fn the_dispatched_sums_equal_the_portable_loops() {
        let mut rng = crate::NativeRng::new(11);
        for len in [0usize, 5, 8, 13, 4096, 4099] {
            let p: Vec<f32> = (0..len).map(|_| rng.normal_f64() as f32).collect();
            let t: Vec<f32> = (0..len).map(|_| rng.normal_f64() as f32).collect();
            assert_eq!(sum_squares(&p).to_bits(), squares(&p).to_bits());
            assert_eq!(
                sum_squared_differences(&p, &t).to_bits(),
                squared_differences(&p, &t).to_bits()
            );
        }
    }

    /// Each term is widened before squaring: `f32` squares that would round in `f32` do not.
    #[test]
    fn terms_are_squared_in_f64() {
        let v = 4097.0f32; // 4097² = 16785409 needs 25 bits
        assert_eq!(sum_squares(&[v]), 16_785_409.0);
    }
}
