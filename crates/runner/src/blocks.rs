//! Fixed-size kernels of the analytic gradient for batches of small square instances (n = 2, 3, 4, 8).

use descent_tensor::Real;

/// One square instance's residual `D = X A - T` (left) or `A X - T` (right) into `d`, and its
/// gradient `2s D Aᵀ` (left) or `2s Aᵀ D` (right) into `g`, every slice `N x N` row-major. With
/// `N` known at compile time the loops unroll into vector code; the sums run in the same order
/// as [`descent_tensor::gemm`]'s loops.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn square<const N: usize, F: Real>(
    left: bool,
    x: &[F],
    a: &[F],
    t: &[F],
    d: &mut [F],
    g: &mut [F],
    two_s: F,
) {
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

/// The whole batch of `n x n` instances through the fixed-size kernel, if `n` has one; `false`
/// (and nothing written) otherwise. Slices hold the instances one after another.
#[allow(clippy::too_many_arguments)]
pub(crate) fn batch<F: Real>(
    n: usize,
    left: bool,
    x: &[F],
    a: &[F],
    t: &[F],
    d: &mut [F],
    g: &mut [F],
    two_s: F,
) -> bool {
    fn run<const N: usize, F: Real>(
        left: bool,
        x: &[F],
        a: &[F],
        t: &[F],
        d: &mut [F],
        g: &mut [F],
        two_s: F,
    ) {
        let size = N * N;
        let blocks = x
            .chunks_exact(size)
            .zip(a.chunks_exact(size))
            .zip(t.chunks_exact(size))
            .zip(d.chunks_exact_mut(size).zip(g.chunks_exact_mut(size)));
        for (((x, a), t), (d, g)) in blocks {
            square::<N, F>(left, x, a, t, d, g, two_s);
        }
    }
    match n {
        2 => run::<2, F>(left, x, a, t, d, g, two_s),
        3 => run::<3, F>(left, x, a, t, d, g, two_s),
        4 => run::<4, F>(left, x, a, t, d, g, two_s),
        8 => run::<8, F>(left, x, a, t, d, g, two_s),
        _ => return false,
    }
    true
}
