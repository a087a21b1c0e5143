//! The errors of the tensor crate: shapes, exact linear algebra and candle failures.

/// What can go wrong when building matrices or computing exact answers.
#[derive(Debug, thiserror::Error)]
pub enum TensorError {
    /// The rows of a matrix literal do not all have the same length.
    #[error("row {row} has {found} entries, but row 0 has {expected}")]
    Ragged {
        /// Index of the offending row.
        row: usize,
        /// Length of row 0.
        expected: usize,
        /// Length of the offending row.
        found: usize,
    },
    /// A matrix with no entries where one is needed.
    #[error("the matrix is empty")]
    Empty,
    /// A non-finite entry.
    #[error("entry ({row}, {col}) is {value}, not a finite number")]
    NotFinite {
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// The value found.
        value: f64,
    },
    /// An operation that needs a square matrix got another shape.
    #[error("the matrix is {rows}x{cols}, not square")]
    NotSquare {
        /// Number of rows.
        rows: usize,
        /// Number of columns.
        cols: usize,
    },
    /// A value that cannot be used, with the reason.
    #[error("{0}")]
    Invalid(String),
    /// Shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The matrix has no inverse (to working precision).
    #[error("the matrix is singular (smallest singular value {smallest:e}, largest {largest:e})")]
    Singular {
        /// Smallest singular value.
        smallest: f64,
        /// Largest singular value.
        largest: f64,
    },
    /// faer could not compute a decomposition.
    #[error("faer failed to compute the {0}")]
    Decomposition(&'static str),
    /// The device is not available in this build.
    #[error("device `{0}` is not available in this build (descent is built for the CPU)")]
    Device(String),
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}
