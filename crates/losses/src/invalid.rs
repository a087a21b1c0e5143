//! `Invalid`: a loss parameter that cannot be used, with its key and the reason.

/// A loss parameter that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct Invalid {
    /// The key inside `[loss]`.
    pub key: String,
    /// Why.
    pub reason: String,
}

impl Invalid {
    /// An error for `key`.
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }
}
