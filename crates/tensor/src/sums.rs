//! Sums of squares of host slices in `f64`, with independent partial sums so the loop vectorizes.

use crate::Real;

/// Partial sums kept apart: an in-order sum is one long chain of dependent additions.
const LANES: usize = 8;

/// `Σ x_i²`, each term widened to `f64` exactly, summed in eight interleaved partial sums
/// that are then added in order. The result differs from the in-order sum only by the rounding
/// of the `f64` additions (relative error at most about `len · 2⁻⁵³`).
pub fn sum_squares<F: Real>(x: &[F]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
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

    /// Each term is widened before squaring: `f32` squares that would round in `f32` do not.
    #[test]
    fn terms_are_squared_in_f64() {
        let v = 4097.0f32; // 4097² = 16785409 needs 25 bits
        assert_eq!(sum_squares(&[v]), 16_785_409.0);
    }
}
