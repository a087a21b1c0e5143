//! The errors an optimizer step can report.

/// Why an optimizer step failed.
#[derive(Debug, thiserror::Error)]
pub enum OptimError {
    /// The closure that re-evaluates the objective failed.
    #[error("re-evaluating the objective failed: {0}")]
    Evaluation(String),
    /// The parameters and gradients handed to `step` do not fit together or the state.
    #[error("parameter {index}: {reason}")]
    Shape {
        /// Index of the parameter.
        index: usize,
        /// What does not fit.
        reason: String,
    },
    /// A numerical routine (an eigendecomposition) failed.
    #[error("{0}")]
    Numeric(String),
}
