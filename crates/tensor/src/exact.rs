//! Exact reference linear algebra on faer (in `f64`): inverse, solve, singular values, condition number.
//!
//! These are the answers descent measures gradient descent against; they never come from candle.

use faer::linalg::solvers::{DenseSolveCore, Solve};

use crate::{Matrix, TensorError};

/// Singular values of `a`, largest first.
pub fn singular_values(a: &Matrix) -> Result<Vec<f64>, TensorError> {
    let mut s = a
        .to_faer()
        .singular_values()
        .map_err(|_| TensorError::Decomposition("singular value decomposition"))?;
    s.sort_by(|x, y| y.total_cmp(x));
    Ok(s)
}

/// The 2-norm condition number `s_max / s_min` (infinite when `a` is rank-deficient).
pub fn condition_number(a: &Matrix) -> Result<f64, TensorError> {
    let s = singular_values(a)?;
    let (largest, smallest) = (
        s.first().copied().unwrap_or(0.0),
        s.last().copied().unwrap_or(0.0),
    );
    Ok(if smallest > 0.0 {
        largest / smallest
    } else {
        f64::INFINITY
    })
}

/// Is `a` singular to working precision: `s_min <= n * eps * s_max`?
fn check_invertible(a: &Matrix) -> Result<(), TensorError> {
    if a.rows() != a.cols() {
        return Err(TensorError::NotSquare {
            rows: a.rows(),
            cols: a.cols(),
        });
    }
    if a.rows() == 0 {
        return Err(TensorError::Empty);
    }
    a.check_finite()?;
    let s = singular_values(a)?;
    let (largest, smallest) = (s[0], s[s.len() - 1]);
    let threshold = a.rows() as f64 * f64::EPSILON * largest;
    if smallest.partial_cmp(&threshold) != Some(std::cmp::Ordering::Greater) {
        return Err(TensorError::Singular { smallest, largest });
    }
    Ok(())
}

/// The inverse of a square, non-singular `a` (LU with partial pivoting).
pub fn inverse(a: &Matrix) -> Result<Matrix, TensorError> {
    check_invertible(a)?;
    let inv = a.to_faer().partial_piv_lu().inverse();
    Ok(Matrix::from_faer(inv.as_ref()))
}

/// The solution `x` of `a x = b` for a square, non-singular `a` (LU with partial pivoting);
/// `b` may hold several right-hand sides as columns.
pub fn solve(a: &Matrix, b: &Matrix) -> Result<Matrix, TensorError> {
    check_invertible(a)?;
    if b.rows() != a.rows() {
        return Err(TensorError::Shape(format!(
            "a is {}x{} but b has {} rows",
            a.rows(),
            a.cols(),
            b.rows()
        )));
    }
    let x = a.to_faer().partial_piv_lu().solve(b.to_faer());
    Ok(Matrix::from_faer(x.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_the_seed_system_matrix_is_the_known_one() {
        let a = Matrix::from_rows(&[vec![2.0, 1.0], vec![1.0, 3.0]]).unwrap();
        let inv = inverse(&a).unwrap();
        let expected = [0.6, -0.2, -0.2, 0.4];
        for (got, want) in inv.data().iter().zip(expected) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
    }

    #[test]
    fn solve_gives_the_seed_solution() {
        let a = Matrix::from_rows(&[vec![2.0, 1.0], vec![1.0, 3.0]]).unwrap();
        let b = Matrix::new(2, 1, vec![5.0, 4.0]).unwrap();
        let x = solve(&a, &b).unwrap();
        assert!((x.get(0, 0) - 2.2).abs() < 1e-15 && (x.get(1, 0) - 0.6).abs() < 1e-15);
    }

    #[test]
    fn singular_and_non_square_matrices_have_no_inverse() {
        let singular = Matrix::from_rows(&[vec![1.0, 2.0], vec![2.0, 4.0]]).unwrap();
        assert!(matches!(
            inverse(&singular),
            Err(TensorError::Singular { .. })
        ));
        assert!(matches!(
            inverse(&Matrix::zeros(2, 3)),
            Err(TensorError::NotSquare { rows: 2, cols: 3 })
        ));
    }

    #[test]
    fn condition_number_of_a_diagonal_is_the_ratio_of_its_extremes() {
        let c = condition_number(&Matrix::diag(&[1.0, 2.0, 3.0, 4.0])).unwrap();
        assert!((c - 4.0).abs() < 1e-14);
        assert_eq!(
            condition_number(&Matrix::diag(&[1.0, 0.0])).unwrap(),
            f64::INFINITY
        );
    }
}
