//! `Errors`: how far an iterate is from the exact answer (max abs and relative Frobenius).

use descent_tensor::{Matrix, TensorError};

/// The error of an iterate against the exact answer, over all parameters together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Errors {
    /// `max_ij |x_ij - exact_ij|`.
    pub max_abs: f64,
    /// `||x - exact||_F / ||exact||_F` (the absolute Frobenius error when the answer is zero).
    pub rel_frobenius: f64,
}

impl Errors {
    /// The errors of `iterate` against `exact`, parameter by parameter, pooled.
    pub fn between(iterate: &[Matrix], exact: &[Matrix]) -> Result<Self, TensorError> {
        if iterate.len() != exact.len() {
            return Err(TensorError::Shape(format!(
                "{} parameters against {} exact answers",
                iterate.len(),
                exact.len()
            )));
        }
        let (mut max_abs, mut diff_sq, mut exact_sq) = (0.0f64, 0.0, 0.0);
        for (x, e) in iterate.iter().zip(exact) {
            let d = x.sub(e)?;
            max_abs = max_abs.max(d.max_abs());
            diff_sq += d.frobenius_norm().powi(2);
            exact_sq += e.frobenius_norm().powi(2);
        }
        let rel_frobenius = if exact_sq > 0.0 {
            (diff_sq / exact_sq).sqrt()
        } else {
            diff_sq.sqrt()
        };
        Ok(Self {
            max_abs,
            rel_frobenius,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_max_abs_and_relative_frobenius() {
        let exact = Matrix::diag(&[3.0, 4.0]);
        let x = Matrix::new(2, 2, vec![3.0, 0.0, 0.0, 4.5]).unwrap();
        let e = Errors::between(&[x], &[exact]).unwrap();
        assert_eq!(e.max_abs, 0.5);
        assert_eq!(e.rel_frobenius, 0.5 / 5.0);
    }
}
