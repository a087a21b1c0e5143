//! The largest principal angle between two column spaces, how `lowrank` and `eigen` measure a subspace.

use descent_tensor::{Matrix, TensorError, exact};

/// The largest principal angle (radians) between the column space of `x` and that of the
/// orthonormal `basis` (k columns each): `asin` of the largest singular value of
/// `(I - basis basisᵀ) Q`, with Q an orthonormal basis of x's columns (the sine is accurate for
/// small angles, where the cosine's `acos` is not). π/2 when x has lower rank.
pub fn largest_angle(x: &Matrix, basis: &Matrix) -> Result<f64, TensorError> {
    let k = basis.cols();
    let q = exact::svd(x)?;
    if q.s.len() < k || q.s[k - 1] <= exact::rank_tolerance(x, q.s[0]) {
        return Ok(std::f64::consts::FRAC_PI_2);
    }
    let (b, q) = (basis.to_faer(), q.u.to_faer());
    let rest = Matrix::from_faer((&q - &b * (b.transpose() * &q)).as_ref());
    let sines = exact::singular_values(&rest)?;
    Ok(sines.first().map_or(0.0, |s| s.clamp(0.0, 1.0).asin()))
}
