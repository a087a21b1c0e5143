//! The check that a problem's matrix is square and symmetric, shared by `cholesky` and `eigen`.

use descent_tensor::Matrix;

use crate::ProblemError;
use crate::report::number;

/// How far from symmetric a matrix may be, relative to its largest entry.
pub(crate) const SYMMETRY: f64 = 1e-12;

/// `Ok` when `a` is square and symmetric within [`SYMMETRY`]; otherwise an error on `matrix` that
/// says why `needs` (what the problem is: `a Cholesky factor`) cannot use it.
pub(crate) fn check_symmetric(a: &Matrix, needs: &str) -> Result<(), ProblemError> {
    let (m, n) = a.shape();
    if m != n {
        return Err(ProblemError::invalid(
            "matrix",
            format!("A is {m}x{n}: {needs} needs a square matrix"),
        ));
    }
    let asymmetry = a.sub(&a.transpose())?.max_abs();
    if asymmetry > SYMMETRY * a.max_abs() {
        return Err(ProblemError::invalid(
            "matrix",
            format!(
                "A is not symmetric: max |A - A^T| = {} (largest entry {}); {needs} needs a symmetric one",
                number(asymmetry),
                number(a.max_abs())
            ),
        ));
    }
    Ok(())
}
