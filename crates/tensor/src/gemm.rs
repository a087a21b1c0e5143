//! Row-major host matrix products `dst = alpha · L · R`: plain loops for small shapes, faer's gemm (threaded) for large ones.

use faer::linalg::matmul::matmul as faer_matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::Real;

/// Below this many multiply-adds (`m k n`) a product runs as plain loops: faer's dispatch and
/// packing cost more than they save on tiny shapes.
const LOOP_FLOPS: usize = 32 * 32 * 32;

/// Below this many multiply-adds one thread does the product: a second thread does not pay for
/// itself at n <= 256 on a two-core machine (shared/reference/performance.md).
const PARALLEL_FLOPS: usize = 128 * 128 * 128;

/// One operand of a product: a row-major matrix, used as it is or transposed.
#[derive(Debug, Clone, Copy)]
pub struct Operand<'a, F> {
    /// The entries, row-major, of the stored `rows x cols` matrix.
    pub data: &'a [F],
    /// Rows of the stored matrix.
    pub rows: usize,
    /// Columns of the stored matrix.
    pub cols: usize,
    /// Use the transpose of the stored matrix.
    pub transposed: bool,
}

impl<'a, F: Real> Operand<'a, F> {
    /// The stored `rows x cols` matrix, as it is.
    pub fn new(data: &'a [F], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    /// The transpose of the stored `rows x cols` matrix.
    pub fn t(data: &'a [F], rows: usize, cols: usize) -> Self {
        Self {
            transposed: true,
            ..Self::new(data, rows, cols)
        }
    }

    /// The shape of the matrix the product uses.
    fn shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// Entry `(i, j)` of the matrix the product uses.
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> F {
        if self.transposed {
            self.data[j * self.cols + i]
        } else {
            self.data[i * self.cols + j]
        }
    }

    fn faer(&self) -> MatRef<'a, F> {
        let m = MatRef::from_row_major_slice(self.data, self.rows, self.cols);
        if self.transposed { m.transpose() } else { m }
    }
}

/// `dst = alpha · lhs · rhs`, with `dst` row-major `m x n` (its old values are not read).
///
/// # Panics
/// When the shapes do not agree or a slice is not as long as its shape says: a programming
/// error, never user data (callers build operands from matrices they own).
pub fn matmul<F: Real>(dst: &mut [F], lhs: Operand<'_, F>, rhs: Operand<'_, F>, alpha: F) {
    let ((m, k), (k2, n)) = (lhs.shape(), rhs.shape());
    assert!(
        k == k2 && dst.len() == m * n,
        "matmul: {m}x{k} times {k2}x{n} into {} entries",
        dst.len()
    );
    assert!(lhs.data.len() == lhs.rows * lhs.cols && rhs.data.len() == rhs.rows * rhs.cols);
    let flops = m * k * n;
    if m == k && k == n {
        match n {
            2 => return fixed::<F, 2>(dst, lhs, rhs, alpha),
            3 => return fixed::<F, 3>(dst, lhs, rhs, alpha),
            4 => return fixed::<F, 4>(dst, lhs, rhs, alpha),
            8 => return fixed::<F, 8>(dst, lhs, rhs, alpha),
            16 => return fixed::<F, 16>(dst, lhs, rhs, alpha),
            _ => {}
        }
    }
    if flops < LOOP_FLOPS {
        loops(dst, lhs, rhs, alpha, (m, k, n));
        return;
    }
    let par = if flops < PARALLEL_FLOPS {
        Par::Seq
    } else {
        Par::rayon(0)
    };
    let out = MatMut::from_row_major_slice_mut(dst, m, n);
    faer_matmul(out, Accum::Replace, lhs.faer(), rhs.faer(), alpha, par);
}

/// The product of two `N x N` matrices with `N` known at compile time, so that the loops unroll
/// (a batch of 10,000 4x4 instances calls this 10,000 times). The sums run in the same order as
/// [`loops`], so the bits are the same.
fn fixed<F: Real, const N: usize>(
    dst: &mut [F],
    lhs: Operand<'_, F>,
    rhs: Operand<'_, F>,
    alpha: F,
) {
    let (mut l, mut r) = ([[F::zero(); N]; N], [[F::zero(); N]; N]);
    for i in 0..N {
        for j in 0..N {
            l[i][j] = lhs.at(i, j);
            r[i][j] = rhs.at(i, j);
        }
    }
    for (i, row) in dst.chunks_exact_mut(N).enumerate() {
        for (j, out) in row.iter_mut().enumerate() {
            let mut s = F::zero();
            for p in 0..N {
                s += l[i][p] * r[p][j];
            }
            *out = alpha * s;
        }
    }
}

/// The product by loops: each row of `dst` is a sum of rows of `rhs` (contiguous when `rhs` is
/// not transposed), else dot products.
fn loops<F: Real>(
    dst: &mut [F],
    lhs: Operand<'_, F>,
    rhs: Operand<'_, F>,
    alpha: F,
    (m, k, n): (usize, usize, usize),
) {
    for (i, row) in dst.chunks_exact_mut(n).take(m).enumerate() {
        if rhs.transposed {
            for (j, out) in row.iter_mut().enumerate() {
                let mut s = F::zero();
                for p in 0..k {
                    s += lhs.at(i, p) * rhs.at(p, j);
                }
                *out = alpha * s;
            }
        } else {
            row.fill(F::zero());
            for (p, r) in rhs.data.chunks_exact(n).take(k).enumerate() {
                let l = lhs.at(i, p);
                for (out, &v) in row.iter_mut().zip(r) {
                    *out += l * v;
                }
            }
            if alpha != F::one() {
                row.iter_mut().for_each(|v| *v = alpha * *v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], (m, k, n): (usize, usize, usize)) -> Vec<f64> {
        (0..m * n)
            .map(|ij| (0..k).map(|p| a[ij / n * k + p] * b[p * n + ij % n]).sum())
            .collect()
    }

    fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        (0..rows * cols)
            .map(|ij| a[(ij % rows) * cols + ij / rows])
            .collect()
    }

    /// Every operand orientation, below and above the loop and thread limits, against the
    /// textbook triple sum (integer-valued entries, so both are exact).
    #[test]
    fn products_equal_the_triple_sum_in_every_orientation() {
        for (m, k, n) in [
            (1, 1, 1),
            (2, 2, 2),
            (3, 3, 3),
            (4, 4, 4),
            (8, 8, 8),
            (3, 5, 2),
            (40, 33, 41),
            (70, 300, 65),
        ] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 5) % 13) as f64 - 6.0).collect();
            let want: Vec<f64> = naive(&a, &b, (m, k, n)).iter().map(|v| 2.0 * v).collect();
            let (at, bt) = (transpose(&a, m, k), transpose(&b, k, n));
            for (lhs, rhs) in [
                (Operand::new(&a, m, k), Operand::new(&b, k, n)),
                (Operand::t(&at, k, m), Operand::new(&b, k, n)),
                (Operand::new(&a, m, k), Operand::t(&bt, n, k)),
                (Operand::t(&at, k, m), Operand::t(&bt, n, k)),
            ] {
                let mut dst = vec![f64::NAN; m * n];
                matmul(&mut dst, lhs, rhs, 2.0);
                assert_eq!(dst, want, "{m}x{k}x{n}");
            }
        }
    }

    /// The fixed-size kernels give the bits of the general loops, with random (inexact) entries
    /// where the order of the sums shows.
    #[test]
    fn fixed_sizes_give_the_bits_of_the_general_loops() {
        let mut rng = crate::NativeRng::new(3);
        for n in [2, 3, 4, 8, 16] {
            let a: Vec<f32> = (0..n * n).map(|_| rng.normal_f64() as f32).collect();
            let b: Vec<f32> = (0..n * n).map(|_| rng.normal_f64() as f32).collect();
            for (lt, rt) in [(false, false), (true, false), (false, true), (true, true)] {
                let op = |d, t| {
                    if t {
                        Operand::t(d, n, n)
                    } else {
                        Operand::new(d, n, n)
                    }
                };
                let (mut got, mut want) = (vec![f32::NAN; n * n], vec![f32::NAN; n * n]);
                matmul(&mut got, op(&a, lt), op(&b, rt), 0.3);
                loops(&mut want, op(&a, lt), op(&b, rt), 0.3, (n, n, n));
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "n = {n}, {lt} {rt}");
            }
        }
    }
}
