//! Why a quadratic could not be analysed.

/// Why a quadratic could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TheoryError {
    /// The shapes of the form do not fit together.
    #[error("shapes do not fit: {0}")]
    Shape(String),
    /// The singular value decomposition failed.
    #[error("the singular value decomposition failed")]
    Decomposition,
}
