//! Fixed-size kernels of the analytic gradient for batches of small square instances (n = 2, 3, 4, 8).

use descent_tensor::Real;

/// A batch of square instances stored one after another: the parameter `x`, the constant `a`
/// and the target `t`, for `D = X A - T` (`left`) or `A X - T`, and the gradient's factor `2s`.
pub(crate) struct Blocks<'a, F> {
    pub left: bool,
    pub x: &'a [F],
    pub a: &'a [F],
    pub t: &'a [F],
    pub two_s: F,
}

impl<F: Real> Blocks<'_, F> {
    /// Every instance's residual into `d` and gradient into `g`, if `n x n` instances have a
    /// fixed-size kernel; `false` (and nothing written) otherwise.
    pub fn run(&self, n: usize, d: &mut [F], g: &mut [F]) -> bool {
        match n {
            2 => self.square::<2>(d, g),
            3 => self.square::<3>(d, g),
            4 => self.square::<4>(d, g),
            8 => self.square::<8>(d, g),
            _ => return false,
        }
        true
    }

    /// For each instance: `D = X A - T` (left) or `A X - T` (right) into `d`, and the gradient
    /// `2s D Aᵀ` (left) or `2s Aᵀ D` (right) into `g`, every block `N x N` row-major. With `N`
    /// known at compile time the loops unroll into vector code; the sums run in the same order
    /// as [`descent_tensor::gemm`]'s loops.
    fn square<const N: usize>(&self, d: &mut [F], g: &mut [F]) {
        let size = N * N;
        let (left, two_s) = (self.left, self.two_s);
        let blocks = self
            .x
            .chunks_exact(size)
            .zip(self.a.chunks_exact(size))
            .zip(self.t.chunks_exact(size))
            .zip(d.chunks_exact_mut(size).zip(g.chunks_exact_mut(size)));
        for (((x, a), t), (d, g)) in blocks {
            let rows = |s: &[F]| -> [[F; N]; N] {
                let mut out = [[F::zero(); N]; N];
                for (o, r) in out.iter_mut().zip(s.chunks_exact(N)) {
                    o.copy_from_slice(r);
                }
                out
            };
            let (x, a, t) = (rows(x), rows(a), rows(t));
            // D = L R - T, each row of D a sum of rows of R.
            let (l, r) = if left { (&x, &a) } else { (&a, &x) };
            let mut dm = [[F::zero(); N]; N];
            for i in 0..N {
                for k in 0..N {
                    for j in 0..N {
                        dm[i][j] += l[i][k] * r[k][j];
                    }
                }
                for j in 0..N {
                    dm[i][j] -= t[i][j];
                }
            }
            let mut gm = [[F::zero(); N]; N];
            for i in 0..N {
                for j in 0..N {
                    let mut s = F::zero();
                    for k in 0..N {
                        // Left: (D Aᵀ)_ij = Σ_k D_ik A_jk; right: (Aᵀ D)_ij = Σ_k A_ki D_kj.
                        s += if left {
                            dm[i][k] * a[j][k]
                        } else {
                            a[k][i] * dm[k][j]
                        };
                    }
                    gm[i][j] = two_s * s;
                }
            }
            for (out, r) in d.chunks_exact_mut(N).zip(&dm) {
                out.copy_from_slice(r);
            }
            for (out, r) in g.chunks_exact_mut(N).zip(&gm) {
                out.copy_from_slice(r);
            }
        }
    }
}
