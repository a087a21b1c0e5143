//! `Footprint`: what a problem will hold, estimated from its config before anything is drawn, read or built.
//!
//! The runner multiplies it out (parameters, gradients, optimizer state, the loop's temporaries)
//! and refuses a config whose estimate exceeds `max_memory`, so that a size the machine cannot
//! hold is a config error instead of an allocation failure. Counts are `u128` and saturate: no
//! size a config can name overflows them.

use descent_tensor::MatrixSource;

use crate::ProblemError;

/// Resolves the shape of a matrix source without building it (for files, the runner reads only the
/// header or scans the text).
pub trait Shapes {
    /// The shape `(rows, cols)` of the matrix `source` at the problem's key `key`.
    fn shape(&mut self, key: &str, source: &MatrixSource) -> Result<(usize, usize), ProblemError>;
}

/// What a problem holds, in matrix entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    /// The key of the problem's table that sets the size (`matrix`, `batch`, `documents`), for
    /// the message when the estimate is too large.
    pub key: String,
    /// The entries of all the parameters together.
    pub parameters: u128,
    /// The entries of the prediction (and of its target).
    pub prediction: u128,
    /// The entries of everything else the problem holds or computes while it is built, each
    /// counted as an f64: its matrices and their tensors, the exact answers, and the workspaces of
    /// the factorizations that compute them.
    pub data: u128,
    /// Independent instances (`batch`), each built and factorized on its own.
    pub instances: u128,
}

/// The product of `factors` as a `u128`, saturating at `u128::MAX`.
pub fn entries(factors: &[usize]) -> u128 {
    factors
        .iter()
        .try_fold(1u128, |acc, &f| acc.checked_mul(f as u128))
        .unwrap_or(u128::MAX)
}

/// The sum of `terms`, saturating at `u128::MAX`.
pub fn total(terms: &[u128]) -> u128 {
    terms.iter().fold(0u128, |acc, &t| acc.saturating_add(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_count_exactly_and_saturate_instead_of_overflowing() {
        assert_eq!(entries(&[4, 4]), 16);
        assert_eq!(entries(&[]), 1);
        assert_eq!(entries(&[usize::MAX, 2]), usize::MAX as u128 * 2);
        assert_eq!(entries(&[usize::MAX, usize::MAX, usize::MAX]), u128::MAX);
        assert_eq!(total(&[u128::MAX, 1]), u128::MAX);
        assert_eq!(total(&[3, 4]), 7);
    }
}
