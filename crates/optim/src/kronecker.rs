//! The Kronecker-factored pieces Shampoo and SOAP share: the factors G Gᵀ and Gᵀ G, eigenbases and inverse roots by faer, in f64.

use descent_tensor::Real;
use faer::{Mat, MatRef, Side};

use crate::OptimError;

/// A parameter's gradient as an f64 `rows x cols` matrix.
pub(crate) fn matrix<F: Real>(g: &[F], rows: usize, cols: usize) -> Mat<f64> {
    Mat::from_fn(rows, cols, |i, j| g[i * cols + j].widen())
}

/// `(G Gᵀ, Gᵀ G)`: the left and right factors' increments.
pub(crate) fn grams(g: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    (g * g.transpose(), g.transpose() * g)
}

/// `into <- β into + w add` (β = 1 and w = 1 for a running sum).
pub(crate) fn accumulate(into: &mut Mat<f64>, add: &Mat<f64>, beta: f64, w: f64) {
    for j in 0..into.ncols() {
        for i in 0..into.nrows() {
            into[(i, j)] = beta * into[(i, j)] + w * add[(i, j)];
        }
    }
}

/// The symmetric eigendecomposition of `m`: eigenvalues in nondecreasing order and the
/// eigenvectors as columns.
pub(crate) fn eigen(m: MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>), OptimError> {
    let evd = m.self_adjoint_eigen(Side::Lower).map_err(|e| {
        OptimError::Numeric(format!(
            "the symmetric eigendecomposition of a {} x {} preconditioner failed: {e:?}",
            m.nrows(),
            m.ncols()
        ))
    })?;
    let s = evd.S().column_vector();
    let values = (0..m.nrows()).map(|i| s[i]).collect();
    Ok((values, evd.U().to_owned()))
}

/// `(m + eps I)^(-1/root)` by the eigendecomposition, negative eigenvalues (rounding) taken as 0.
pub(crate) fn inverse_root(
    m: MatRef<'_, f64>,
    eps: f64,
    root: f64,
) -> Result<Mat<f64>, OptimError> {
    let (values, q) = eigen(m)?;
    let n = values.len();
    let scaled = Mat::from_fn(n, n, |i, j| {
        q[(i, j)] * (values[j].max(0.0) + eps).powf(-1.0 / root)
    });
    Ok(&scaled * q.transpose())
}

/// Apply `f64` values back to a parameter: `p <- p + step · u`, with `step` rounded once.
pub(crate) fn add_scaled<F: Real>(p: &mut [F], u: MatRef<'_, f64>, step: f64) {
    let (cols, step) = (u.ncols(), F::host(step));
    for (k, p) in p.iter_mut().enumerate() {
        *p = step.mul_add(F::host(u[(k / cols, k % cols)]), *p);
    }
}
