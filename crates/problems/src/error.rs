//! The errors of building a problem.

use descent_tensor::TensorError;

/// Why a problem could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ProblemError {
    /// A config value that cannot be used, with the key (inside the problem's table) and the reason.
    #[error("{key}: {reason}")]
    Invalid {
        /// The key inside `[problem]`, e.g. `matrix`.
        key: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A tensor or linear-algebra failure.
    #[error(transparent)]
    Tensor(#[from] TensorError),
}

impl ProblemError {
    /// An `Invalid` error for `key`.
    pub fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// `Ok` when the weight `value` of `key` is a finite number > 0, else an `Invalid` error
    /// saying so, and `why` the weight is needed.
    pub fn check_positive(key: &str, value: f64, why: &str) -> Result<(), Self> {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(Self::invalid(
                key,
                format!("must be a finite number > 0 ({why}), got {value}"),
            ))
        }
    }
}

impl From<candle_core::Error> for ProblemError {
    fn from(e: candle_core::Error) -> Self {
        Self::Tensor(e.into())
    }
}
