//! `torch_vector_norm`: the Euclidean norm in the element type with the exact order of PyTorch's CPU `torch.linalg.vector_norm` of a contiguous tensor.
//!
//! ATen's 2-norm over the last dimension (`norm_kernel_tensor_iterator_impl`'s vectorised path,
//! taken for float32 and float64) squares and adds whole vectors into one accumulator of `V`
//! lanes (8 for float32, 4 for float64: the AVX2 width PyTorch 2.15 runs on this machine), adds
//! the lanes left to right, and then the scalar tail in order. As compiled, the tail's first four
//! values (float32 can have up to seven) are squared, rounded and added one by one, and the last
//! ones (fewer than four) go through a fused multiply-add, `s = fma(x, x, s)`. This order was
//! measured against PyTorch 2.15 (one thread; every length from 1 to 69, random ones up to 200
//! and four up to 70,001), not read from its source. The square root is correctly rounded, as
//! `std::sqrt`.

use crate::Real;

/// The widest vector (float32's 8 lanes); float64 uses the first 4.
const MAX_LANES: usize = 8;
/// The tail's leading block that is squared and added without fusing.
const TAIL_BLOCK: usize = 4;

/// `‖x‖₂` as PyTorch's CPU `torch.linalg.vector_norm(x)` rounds it, in `x`'s element type
/// (zero for an empty slice).
#[allow(clippy::needless_range_loop)] // ATen's lanes, index for index.
pub fn torch_vector_norm<F: Real>(x: &[F]) -> F {
    let lanes = if std::mem::size_of::<F>() == 4 { 8 } else { 4 };
    let mut acc = [F::zero(); MAX_LANES];
    let (vectors, tail) = x.split_at(x.len() - x.len() % lanes);
    for vector in vectors.chunks_exact(lanes) {
        for l in 0..lanes {
            acc[l] += vector[l] * vector[l];
        }
    }
    let mut s = acc[0];
    for &lane in &acc[1..lanes] {
        s += lane;
    }
    let (block, rest) = tail.split_at(tail.len() - tail.len() % TAIL_BLOCK);
    for &v in block {
        s += v * v;
    }
    for &v in rest {
        s = v.mul_add(v, s);
    }
    s.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TorchRng;
    use crate::test_hex::hex;

    /// For each length `n` from 1 to 24 a seed `s` and PyTorch 2.15's
    /// `torch.linalg.vector_norm(torch.randn(n, dtype))` after `torch.manual_seed(s)` (one
    /// thread), as `float.hex()`. Each seed was chosen, from the first ones, so that summing the
    /// tail without its fused multiply-adds, or fusing all of it, or (at 8 or more) adding the
    /// lanes as a tree would each give another result: every entry can tell those orders apart.
    const F32: [(usize, u64, &str); 24] = [
        (1, 0, "0x1.8a7eb80000000p+0"),
        (2, 16, "0x1.130e200000000p+0"),
        (3, 7, "0x1.3d475a0000000p+0"),
        (4, 2, "0x1.536fb60000000p+0"),
        (5, 275, "0x1.f570940000000p+1"),
        (6, 12, "0x1.fd05920000000p+0"),
        (7, 388, "0x1.22f52a0000000p+1"),
        (8, 0, "0x1.b29a0c0000000p+1"),
        (9, 10, "0x1.53c9ca0000000p+1"),
        (10, 10, "0x1.a23a140000000p+1"),
        (11, 10, "0x1.b318960000000p+1"),
        (12, 35, "0x1.9fb2e20000000p+1"),
        (13, 752, "0x1.d720800000000p+1"),
        (14, 86, "0x1.dff0480000000p+1"),
        (15, 90, "0x1.0999b20000000p+2"),
        (16, 2, "0x1.bb10ae0000000p+1"),
        (17, 749, "0x1.48ba3a0000000p+2"),
        (18, 94, "0x1.3062040000000p+2"),
        (19, 73, "0x1.2c03280000000p+2"),
        (20, 19, "0x1.01773c0000000p+2"),
        (21, 923, "0x1.1b4a000000000p+2"),
        (22, 253, "0x1.0dbf0a0000000p+2"),
        (23, 70, "0x1.1cc9160000000p+2"),
        (24, 2, "0x1.f627aa0000000p+1"),
    ];
    const F64: [(usize, u64, &str); 24] = [
        (1, 0, "0x1.8a7eb8902be3ap+0"),
        (2, 24, "0x1.5adfff063aff6p+0"),
        (3, 2, "0x1.1b347b771e6c3p-1"),
        (4, 10, "0x1.ba482dcb7eebbp+0"),
        (5, 335, "0x1.14488ca5455b9p+1"),
        (6, 43, "0x1.1d1674d6480b4p+1"),
        (7, 88, "0x1.7717b4a34f9bap+1"),
        (8, 1, "0x1.e55ff728a8763p+0"),
        (9, 30, "0x1.f91a666126514p+1"),
        (10, 9, "0x1.62af4d050d536p+1"),
        (11, 15, "0x1.7e0282802fe2bp+1"),
        (12, 2, "0x1.5c6be201b1293p+1"),
        (13, 405, "0x1.2e9a7ba04ca40p+2"),
        (14, 268, "0x1.cee50ada7c2d6p+1"),
        (15, 101, "0x1.34cebc7aef193p+2"),
        (16, 6, "0x1.0c79383317426p+2"),
        (17, 82, "0x1.c1168aac5657fp+1"),
        (18, 501, "0x1.3729827ad2fabp+2"),
        (19, 245, "0x1.edfc397506c56p+1"),
        (20, 14, "0x1.1f102fb114f48p+2"),
        (21, 1166, "0x1.c7afa84502a32p+1"),
        (22, 718, "0x1.552b339cb9df4p+2"),
        (23, 115, "0x1.4e55b441e491bp+2"),
        (24, 0, "0x1.45d9df54abe2cp+2"),
    ];

    #[test]
    fn norms_equal_torchs_bit_for_bit() {
        for (n, seed, want) in F32 {
            let x = TorchRng::new(seed).randn_f32(n);
            let got = torch_vector_norm(&x);
            assert_eq!(f64::from(got), hex(want), "f32, n = {n}, seed {seed}");
        }
        for (n, seed, want) in F64 {
            let x = TorchRng::new(seed).randn_f64(n);
            assert_eq!(
                torch_vector_norm(&x),
                hex(want),
                "f64, n = {n}, seed {seed}"
            );
        }
    }

    #[test]
    fn long_norms_equal_torchs_and_the_empty_norm_is_zero() {
        for (n, seed, want32, want64) in LONG {
            let x = TorchRng::new(seed).randn_f32(n);
            assert_eq!(
                f64::from(torch_vector_norm(&x)),
                hex(want32),
                "f32, n = {n}"
            );
            let x = TorchRng::new(seed).randn_f64(n);
            assert_eq!(torch_vector_norm(&x), hex(want64), "f64, n = {n}");
        }
        assert_eq!(torch_vector_norm::<f32>(&[]), 0.0);
    }

    /// Long vectors, `(n, seed, float32 norm, float64 norm)`, through the vector loop.
    const LONG: [(usize, u64, &str, &str); 4] = [
        (100, 100, "0x1.528af40000000p+3", "0x1.51911a1d46f2fp+3"),
        (1001, 1001, "0x1.e9b9ea0000000p+4", "0x1.06ad81d1bd569p+5"),
        (4099, 4099, "0x1.f0e9320000000p+5", "0x1.fc98d2f521e23p+5"),
        (70001, 70001, "0x1.07eb180000000p+8", "0x1.07df795ca7dddp+8"),
    ];
}
