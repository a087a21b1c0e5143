//! The config traits that name an optimizer or a schedule in TOML and build it.

use descent_tensor::Real;
use serde::{Serialize, de::DeserializeOwned};

use crate::{Optimizer, Schedule};

/// A parameter that fails validation: which key and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct Invalid {
    /// The key inside the part's table (`lr`, `betas`, ...).
    pub key: &'static str,
    /// Why the value is not accepted.
    pub reason: String,
}

impl Invalid {
    /// An `Invalid` for `key`.
    pub fn new(key: &'static str, reason: impl Into<String>) -> Self {
        Self {
            key,
            reason: reason.into(),
        }
    }
}

/// Check that a learning rate is finite and positive.
pub(crate) fn check_lr(lr: f64) -> Result<(), Invalid> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(Invalid::new(
            "lr",
            format!("must be a finite number > 0, got {lr}"),
        ))
    }
}

/// Check that a coefficient is finite and `>= 0`.
pub(crate) fn check_non_negative(key: &'static str, v: f64) -> Result<(), Invalid> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(Invalid::new(
            key,
            format!("must be a finite number >= 0, got {v}"),
        ))
    }
}

/// The configuration of an optimizer: its TOML table (minus `kind`) and how to build it.
///
/// Implement this for a serde struct with torch's defaults (`#[serde(default)]`) and
/// `#[serde(deny_unknown_fields)]`; registering it makes `kind = KIND` available in configs.
pub trait OptimizerConfig: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name in configs (`kind = "sgd"`).
    const KIND: &'static str;
    /// One line for listings.
    const SUMMARY: &'static str;
    /// The base learning rate, which the schedule starts from.
    fn lr(&self) -> f64;
    /// Reject values that torch.optim rejects, naming the key.
    fn validate(&self) -> Result<(), Invalid>;
    /// How many vectors the size of the parameters the optimizer keeps (momentum buffers,
    /// moments, history), for the runner's memory estimate; by default 3, as Adam with amsgrad.
    fn state_slots(&self) -> usize {
        3
    }
    /// A fresh optimizer (no state yet) computing in `F`.
    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>>;
}

/// The configuration of a learning-rate schedule.
pub trait ScheduleConfig: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name in configs (`kind = "constant"`).
    const KIND: &'static str;
    /// One line for listings.
    const SUMMARY: &'static str;
    /// Reject invalid values, naming the key.
    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
    /// A schedule starting from the optimizer's base learning rate, for a run of `iterations` steps;
    /// an error when the keys do not fit the run (a `total_steps` shorter than the run).
    fn build(&self, base_lr: f64, iterations: usize) -> Result<Box<dyn Schedule>, Invalid>;
}

/// Check that each of `betas` lies in `[0, 1)`.
pub(crate) fn check_betas(betas: [f64; 2]) -> Result<(), Invalid> {
    for b in betas {
        if !(0.0..1.0).contains(&b) {
            return Err(Invalid::new(
                "betas",
                format!("each beta must be in [0, 1), got {b}"),
            ));
        }
    }
    Ok(())
}

/// Check that a value is finite and `> 0` (eps, factors, standard deviations).
pub(crate) fn check_positive(key: &'static str, v: f64) -> Result<(), Invalid> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Invalid::new(
            key,
            format!("must be a finite number > 0, got {v}"),
        ))
    }
}
