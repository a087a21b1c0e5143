//! `TorchSum`: a sum in the element type with the exact order of PyTorch's CPU `sum` of a contiguous tensor (ATen's cascade sum), streaming.
//!
//! ATen's `SumKernel.cpp` (`vectorized_inner_sum`) loads the data as vectors of `V` lanes (8 for
//! float32 and 4 for float64 with AVX2 kernels, as PyTorch 2.15 runs on this machine), reads them
//! as rows of four (`row_sum`'s ILP factor), and sums the rows in a cascade of four levels whose
//! steps are `2^max(4, ceil(log2(rows)) / 4)` rows (`multi_row_sum`); the vectors past the last
//! full row go into the first column's accumulator, the four columns are added in order, and the
//! scalar tail is summed before the vector's lanes, left to right (fewer values than a vector go
//! through the same cascade one at a time: `scalar_inner_sum`). Every addition rounds in the
//! element type. One thread: above 32,768 elements torch splits a sum by thread, and its result
//! then depends on the thread count (`torch.set_num_threads(1)` gives these bits).

use crate::Real;

const LEVELS: usize = 4;
const COLUMNS: usize = 4;
/// The widest vector (float32's 8 lanes); float64 uses the first 4.
const MAX_LANES: usize = 8;

/// A sum of `n` values pushed in order, rounded in `F` as PyTorch's CPU `sum` rounds it.
#[derive(Debug, Clone)]
pub struct TorchSum<F> {
    lanes: usize,
    /// Full rows of four vectors that go through the cascade (torch's `size_ilp`).
    rows: usize,
    /// Vectors in all (torch's `vec_size`).
    vectors: usize,
    level_power: u32,
    level_mask: usize,
    /// The cascade's first level, one accumulator vector per column.
    acc0: [[F; MAX_LANES]; COLUMNS],
    /// Its upper levels, only for sums long enough to reach them (`rows >= 2^level_power`).
    upper: Option<[[[F; MAX_LANES]; COLUMNS]; LEVELS - 1]>,
    /// The vector being filled.
    current: [F; MAX_LANES],
    filled: usize,
    /// Vectors completed.
    done: usize,
    /// Rows completed.
    row: usize,
    /// The scalar tail's running sum.
    tail: F,
    pushed: usize,
    n: usize,
}

/// torch's `CeilLog2`: 1 up to 2, else `floor(log2(x - 1)) + 1`.
fn ceil_log2(x: usize) -> u32 {
    if x <= 2 {
        1
    } else {
        usize::BITS - (x - 1).leading_zeros()
    }
}

impl<F: Real> TorchSum<F> {
    /// A sum that will be given exactly `n` values.
    pub fn new(n: usize) -> Self {
        let vector = if std::mem::size_of::<F>() == 4 { 8 } else { 4 };
        // Fewer values than a vector: torch's scalar_inner_sum, the same cascade on lanes of one.
        let lanes = if n < vector { 1 } else { vector };
        let vectors = n / lanes;
        let rows = vectors / COLUMNS;
        let level_power = 4.max(ceil_log2(rows) / LEVELS as u32);
        Self {
            lanes,
            rows,
            vectors,
            level_power,
            level_mask: (1usize << level_power) - 1,
            acc0: [[F::zero(); MAX_LANES]; COLUMNS],
            upper: (rows >= 1 << level_power)
                .then_some([[[F::zero(); MAX_LANES]; COLUMNS]; LEVELS - 1]),
            current: [F::zero(); MAX_LANES],
            filled: 0,
            done: 0,
            row: 0,
            tail: F::zero(),
            pushed: 0,
            n,
        }
    }

    /// Add the next value.
    #[inline]
    pub fn push(&mut self, x: F) {
        self.pushed += 1;
        if self.done == self.vectors {
            self.tail += x;
            return;
        }
        self.current[self.filled] = x;
        self.filled += 1;
        if self.filled == self.lanes {
            self.filled = 0;
            self.vector();
        }
    }

    /// A completed vector: into its column's accumulator (a row of the cascade), or, past the
    /// last full row, into the first column's (row_sum's loop after multi_row_sum).
    #[allow(clippy::needless_range_loop)] // ATen's loops, index for index.
    fn vector(&mut self) {
        let index = self.done;
        self.done += 1;
        let (acc0, v, lanes) = (&mut self.acc0, &self.current, self.lanes);
        if index >= self.rows * COLUMNS {
            for l in 0..lanes {
                acc0[0][l] += v[l];
            }
            return;
        }
        let column = index % COLUMNS;
        for l in 0..lanes {
            acc0[column][l] += v[l];
        }
        if column != COLUMNS - 1 {
            return;
        }
        self.row += 1;
        if let Some(upper) = &mut self.upper
            && self.row.is_multiple_of(1 << self.level_power)
        {
            for j in 1..LEVELS {
                for k in 0..COLUMNS {
                    for l in 0..lanes {
                        if j == 1 {
                            upper[0][k][l] += acc0[k][l];
                            acc0[k][l] = F::zero();
                        } else {
                            upper[j - 1][k][l] += upper[j - 2][k][l];
                            upper[j - 2][k][l] = F::zero();
                        }
                    }
                }
                let mask = self.level_mask << (j as u32 * self.level_power);
                if self.row & mask != 0 {
                    break;
                }
            }
        }
        if self.row == self.rows {
            // The end of multi_row_sum: its levels into level 0 (zeros where a sum never
            // reached them; adding them still turns a -0 into +0, as torch's loop does).
            for j in 1..LEVELS {
                for k in 0..COLUMNS {
                    for l in 0..lanes {
                        let upper = self.upper.as_ref().map_or(F::zero(), |u| u[j - 1][k][l]);
                        acc0[k][l] += upper;
                    }
                }
            }
        }
    }

    /// The sum; every value must have been pushed.
    #[allow(clippy::needless_range_loop)] // ATen's loops, index for index.
    pub fn finish(&self) -> F {
        debug_assert_eq!(
            self.pushed, self.n,
            "TorchSum: {} of {} values",
            self.pushed, self.n
        );
        let acc0 = &self.acc0;
        let mut total = self.tail;
        for l in 0..self.lanes {
            let mut lane = acc0[0][l];
            for k in 1..COLUMNS {
                lane += acc0[k][l];
            }
            total += lane;
        }
        total
    }
}

/// `x`'s sum as PyTorch's CPU `torch.sum` (one thread) rounds it: [`TorchSum`].
pub fn torch_sum<F: Real>(x: &[F]) -> F {
    let mut s = TorchSum::new(x.len());
    for &v in x {
        s.push(v);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex::hex;

    fn data(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| (i as f64).sin() * 10f64.powf((i % 7) as f64 - 3.0))
            .collect()
    }

    /// PyTorch 2.15's `torch.tensor(x, dtype).sum()` with one thread, for x_i = sin(i)
    /// 10^(i mod 7 - 3) made in float64 (and rounded to float32): every size's sum bit for bit,
    /// through the short (tail only), the vector and the cascade paths.
    #[test]
    fn sums_equal_torchs_bit_for_bit() {
        for (n, want) in SIZES.iter().zip(F32) {
            let x: Vec<f32> = data(*n).iter().map(|&v| v as f32).collect();
            assert_eq!(f64::from(torch_sum(&x)), hex(want), "f32, n = {n}");
        }
        for (n, want) in SIZES.iter().zip(F64) {
            assert_eq!(torch_sum(&data(*n)), hex(want), "f64, n = {n}");
        }
    }

    const SIZES: [usize; 14] = [
        1, 3, 7, 8, 9, 31, 32, 33, 100, 257, 1000, 4097, 40000, 70001,
    ];
    const F32: [&str; 14] = [
        "0x0.0p+0",
        "0x1.96ea340000000p-4",
        "-0x1.7ea2ae0000000p+8",
        "-0x1.7ea2840000000p+8",
        "-0x1.7e9ffa0000000p+8",
        "0x1.e0c2520000000p+10",
        "0x1.e0a8740000000p+10",
        "0x1.e2095c0000000p+10",
        "0x1.4606ea0000000p+11",
        "-0x1.86b7400000000p+8",
        "-0x1.7f5d780000000p+7",
        "0x1.11dcf80000000p+11",
        "0x1.f0f8700000000p+9",
        "0x1.470eb80000000p+10",
    ];
    const F64: [&str; 14] = [
        "0x0.0p+0",
        "0x1.96ea356a87cc6p-4",
        "-0x1.7ea2af3888813p+8",
        "-0x1.7ea2842a208c9p+8",
        "-0x1.7e9ffbc75b6aap+8",
        "0x1.e0c2501627a2fp+10",
        "0x1.e0a874557161ep+10",
        "0x1.e2095e14ca91ep+10",
        "0x1.4606ea881488dp+11",
        "-0x1.86b70db48c8a4p+8",
        "-0x1.7f5cee61082c0p+7",
        "0x1.11dd06c6d7674p+11",
        "0x1.f0f849f2fb112p+9",
        "0x1.470e9275edcc0p+10",
    ];
}
