//! Reductions over a flat vector in the order torch's CPU kernels use for L-BFGS's 0-dim results.
//!
//! `dot` is BLAS's (MKL in PyTorch's x86 wheels). For float32, torch-optim.md pins the order for
//! 16 elements (four interleaved accumulators added as `(acc0 + acc2) + (acc1 + acc3)`); other
//! lengths keep that scheme, which may differ from MKL's in the last bits. For float64 the order
//! was measured against PyTorch 2.15 (one thread) for every length from 1 to 40 and 17 longer
//! ones up to 100,001, all bit for bit: see [`dot`]. `sum` is torch's CPU sum for every length and
//! dtype (`descent_tensor::TorchSum`).

use descent_tensor::Real;

/// `x · y` in MKL's order for the element type: [`sdot`] for float32, [`ddot`] for float64.
pub(crate) fn dot<F: Real>(x: &[F], y: &[F]) -> F {
    if std::mem::size_of::<F>() == 4 {
        sdot(x, y)
    } else {
        ddot(x, y)
    }
}

/// Four interleaved accumulators added as `(acc0 + acc2) + (acc1 + acc3)`: MKL's sdot for 16
/// elements (torch-optim.md).
fn sdot<F: Real>(x: &[F], y: &[F]) -> F {
    let mut acc = [F::zero(); 4];
    for (i, (&a, &b)) in x.iter().zip(y).enumerate() {
        acc[i % 4] += a * b;
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// MKL's ddot as measured: four accumulators of two lanes take blocks of eight products
/// (accumulator `k`, lane `j` gets entry `8b + 2k + j`), the pairs left after the last block go
/// into the first accumulator, and an odd last product into its first lane; each lane then adds
/// its accumulators in order, and lane 0 adds lane 1. No fused multiply-adds.
#[allow(clippy::needless_range_loop)] // MKL's lanes, index for index.
fn ddot<F: Real>(x: &[F], y: &[F]) -> F {
    let n = x.len().min(y.len());
    let mut acc = [[F::zero(); 2]; 4];
    let blocks = n - n % 8;
    for i in 0..blocks {
        acc[(i % 8) / 2][i % 2] += x[i] * y[i];
    }
    for i in blocks..n {
        acc[0][(i - blocks) % 2] += x[i] * y[i];
    }
    let mut lanes = [F::zero(); 2];
    for j in 0..2 {
        lanes[j] = ((acc[0][j] + acc[1][j]) + acc[2][j]) + acc[3][j];
    }
    lanes[0] + lanes[1]
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
    fn float32_dot_adds_four_lanes_pairwise() {
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

    /// PyTorch 2.15's float64 `torch.dot(x, y)` (one thread) for `x, y = torch.randn(n)` twice
    /// after `torch.manual_seed(seed)`, as `float.hex()`. Each seed is the first for which summing
    /// left to right and the float32 scheme both give other bits (below 5 entries they coincide).
    const DDOT: [(usize, u64, &str); 22] = [
        (5, 2, "-0x1.2a88dfe7ee498p+0"),
        (6, 0, "0x1.0d90252e9fb3ap+1"),
        (7, 2, "-0x1.7d7cff09f0020p-5"),
        (8, 0, "-0x1.0d56cb9b5312dp-1"),
        (9, 0, "-0x1.b8101e8e22b2ap+0"),
        (10, 1, "0x1.5b9e6d8ae606cp-1"),
        (11, 1, "-0x1.4ae897155c980p-6"),
        (12, 0, "-0x1.05c5ed0a952bep+1"),
        (13, 1, "0x1.bc9fb0a03e478p+1"),
        (14, 3, "-0x1.a4033c31c6536p-1"),
        (15, 0, "0x1.54673121bde95p+0"),
        (16, 0, "-0x1.cf244e58643e7p+2"),
        (17, 1, "0x1.5a472b2867c6fp+1"),
        (18, 0, "-0x1.47924ee1bdf32p+2"),
        (19, 0, "0x1.34852c46a62c8p-1"),
        (20, 1, "0x1.0441b588740a3p+2"),
        (21, 2, "-0x1.64850f1c86224p-2"),
        (22, 1, "-0x1.ffcccab72d920p-3"),
        (23, 1, "0x1.c48f8d85f8a14p-4"),
        (24, 2, "-0x1.e6fa45bf0deacp+1"),
        (100, 0, "0x1.079eaed5f9152p+1"),
        (1001, 0, "-0x1.89a6312287165p+2"),
    ];

    #[test]
    fn float64_dot_equals_torchs_bit_for_bit() {
        for (n, seed, want) in DDOT {
            let mut rng = descent_tensor::TorchRng::new(seed);
            let x = rng.randn_f64(n);
            let y = rng.randn_f64(n);
            let want = crate::testing::torch_hex(&[want])[0];
            assert_eq!(
                dot(&x, &y).to_bits(),
                want.to_bits(),
                "n = {n}, seed {seed}"
            );
        }
    }
}
