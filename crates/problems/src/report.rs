//! Shared helpers for problems' reports: number formatting and the scaled-transpose start.

use descent_tensor::Matrix;

/// A number as reports print it: six significant digits, scientific when very large or small.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{x:.5e}")
    } else {
        let digits = if a == 0.0 {
            0
        } else {
            (5 - a.log10().floor() as i32).max(0) as usize
        };
        format!("{x:.digits$}")
    }
}

/// A list of numbers: `[2.59111, 1.58654, 0.877091]`.
pub fn numbers(xs: &[f64]) -> String {
    format!(
        "[{}]",
        xs.iter().map(|&x| number(x)).collect::<Vec<_>>().join(", ")
    )
}

/// `A^T / (||A||_1 ||A||_inf)`: the classical safe start of inverse iterations (Pan and Schreiber),
/// for which `I - X0 A` has spectral radius below 1.
pub fn scaled_transpose(a: &Matrix) -> Matrix {
    let (rows, cols) = a.shape();
    let norm_1 = (0..cols)
        .map(|j| (0..rows).map(|i| a.get(i, j).abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let norm_inf = (0..rows)
        .map(|i| (0..cols).map(|j| a.get(i, j).abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let scale = norm_1 * norm_inf;
    let t = a.transpose();
    Matrix::from_fn(cols, rows, |i, j| {
        if scale > 0.0 {
            t.get(i, j) / scale
        } else {
            0.0
        }
    })
}

/// How a square matrix's condition number was found, for its fact: nothing for the 2-norm one
/// (from its singular values), `, 1-norm, from its LU` above
/// [`descent_tensor::exact::SVD_CONDITION_MAX`].
pub(crate) fn condition_norm(a: &Matrix) -> &'static str {
    if a.rows() == a.cols() && descent_tensor::exact::condition_is_estimated(a.rows()) {
        ", 1-norm, from its LU"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_with_six_significant_digits() {
        assert_eq!(number(2.591109), "2.59111");
        assert_eq!(number(0.8770906), "0.877091");
        assert_eq!(number(4.0), "4.00000");
        assert_eq!(number(1.5e-7), "1.50000e-7");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn scaled_transpose_of_a_diagonal_divides_by_the_squared_largest_entry() {
        let x0 = scaled_transpose(&Matrix::diag(&[1.0, 2.0, 3.0, 4.0]));
        assert_eq!(
            x0,
            Matrix::diag(&[1.0 / 16.0, 2.0 / 16.0, 3.0 / 16.0, 4.0 / 16.0])
        );
    }
}
