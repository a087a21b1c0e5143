//! `LossConfig`: how a loss is named in TOML and built.

use serde::{Serialize, de::DeserializeOwned};

use crate::Loss;

/// The configuration of a loss: its TOML table (minus `kind`) and how to build it.
pub trait LossConfig: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name in configs (`kind = "mse"`).
    const KIND: &'static str;
    /// One line for listings: the formula.
    const SUMMARY: &'static str;
    /// Check the parameters; the error names the key.
    fn validate(&self) -> Result<(), crate::Invalid> {
        Ok(())
    }
    /// The loss.
    fn build(&self) -> Box<dyn Loss>;
}
