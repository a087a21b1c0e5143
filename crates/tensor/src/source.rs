//! `MatrixSource`: how a config names a matrix (`{ rows = .. }`, `{ diag = .. }`, `{ identity = n }`).
//!
//! This is data only. Building the matrix from it is [`MatrixSource::build`] for the sources that need
//! no files; a file-backed source (added later) is resolved by the runner, which does the I/O.

use serde::{Deserialize, Serialize};

use crate::{Matrix, TensorError};

/// A matrix as written in a config: exactly one of `rows`, `diag`, `identity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MatrixSource {
    /// The rows of the matrix: `{ rows = [[2.0, 1.0], [1.0, 3.0]] }`.
    Rows(Vec<Vec<f64>>),
    /// A diagonal matrix: `{ diag = [1.0, 2.0, 3.0, 4.0] }`.
    Diag(Vec<f64>),
    /// The identity of size n: `{ identity = 3 }`.
    Identity(usize),
}

impl MatrixSource {
    /// The matrix this source describes; checked to be non-empty and finite.
    pub fn build(&self) -> Result<Matrix, TensorError> {
        let m = match self {
            Self::Rows(rows) => Matrix::from_rows(rows)?,
            Self::Diag(d) => Matrix::diag(d),
            Self::Identity(n) => Matrix::identity(*n),
        };
        if m.rows() == 0 || m.cols() == 0 {
            return Err(TensorError::Empty);
        }
        m.check_finite()?;
        Ok(m)
    }
}
