//! Reductions over a flat vector in the order torch's CPU kernels use for L-BFGS's 0-dim results.
//!
//! torch-optim.md pins `dot`'s order for 16 elements (BLAS sdot: four interleaved accumulators
//! added as `(acc0 + acc2) + (acc1 + acc3)`); other lengths keep that scheme, which may differ
//! from MKL's in the last bits. `sum` is torch's CPU sum for every length and dtype
//! (`descent_tensor::TorchSum`).

use descent_tensor::Real;

/// `x · y` with four interleaved accumulators.
pub(crate) fn dot<F: Real>(x: &[F], y: &[F]) -> F {
    let mut acc = [F::zero(); 4];
    for (i, (&a, &b)) in x.iter().zip(y).enumerate() {
        acc[i % 4] += a * b;
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// `Σ |x_i|` in the order of torch's CPU `sum` ([`descent_tensor::TorchSum`]: for 16 float32
/// elements, the upper half folded onto the lower, then left to right; for float64, four lanes).
pub(crate) fn sum_abs<F: Real>(x: &[F]) -> F {
    let mut sum = descent_tensor::TorchSum::new(x.len());
    for v in x {
        sum.push(v.abs());
    }
    sum.finish()
}

/// `max |x_i|` (exact in any order; NaN propagates, as torch's max).
pub(crate) fn max_abs<F: Real>(x: &[F]) -> F {
    x.iter().fold(F::zero(), |m, v| {
        let a = v.abs();
        if a.is_nan() || m.is_nan() {
            F::nan()
        } else if a > m {
            a
        } else {
            m
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_adds_four_lanes_pairwise() {
        // Lanes 0 and 2 hold 1e8 and -1e8; lanes 1 and 3 hold 1 and 1.
        let x = [1e8f32, 1.0, -1e8, 1.0];
        let y = [1.0f32; 4];
        assert_eq!(dot(&x, &y), 2.0);
        // Left to right would lose the 1: (1e8 + 1) - 1e8 + 1 = 1 in f32.
        assert_eq!(x.iter().fold(0.0f32, |s, v| s + v), 1.0);
    }

    #[test]
    fn sum_of_16_folds_the_upper_half_first() {
        // Ones at 1..8 and 1e8 at 8: folded, 1e8 comes first and absorbs every 1 (ulp 8);
        // left to right, the ones add up to 7 first and survive as 1e8 + 8.
        let mut x = [0.0f32; 16];
        x[1..8].fill(1.0);
        x[8] = -1e8;
        assert_eq!(sum_abs(&x), 1e8);
        assert_eq!(x.iter().fold(0.0f32, |s, v| s + v.abs()), 100_000_008.0);
        assert_eq!(max_abs(&[1.0f32, -3.0, 2.0]), 3.0);
        assert!(max_abs(&[1.0f32, f32::NAN]).is_nan());
    }
}
