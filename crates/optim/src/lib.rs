//! Optimizers and learning-rate schedules with torch.optim's names, defaults and float32 arithmetic.
//!
//! An [`Optimizer`] updates host parameter buffers from their gradients; a [`Schedule`] gives the
//! learning rate of each iteration. Both are object-safe, and each comes with a serde config type
//! ([`OptimizerConfig`], [`ScheduleConfig`]) that names it in TOML. The update rules follow PyTorch's
//! CPU operation order (`shared/reference/torch-optim.md`), so float32 iterates match torch's.
#![deny(missing_docs)]

mod adagrad;
mod adam;
mod config;
mod constant;
mod error;
mod host;
mod lbfgs;
mod lerp;
mod line_search;
mod moments;
mod nadam;
mod optimizer;
mod radam;
mod reduce;
mod rmsprop;
mod scalar;
mod schedule;
mod sgd;
#[cfg(test)]
mod testing;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamWConfig};
pub use config::{Invalid, OptimizerConfig, ScheduleConfig};
pub use constant::{Constant, ConstantConfig};
pub use error::OptimError;
pub use lbfgs::{Lbfgs, LbfgsConfig, LineSearchFn};
pub use lerp::lerp;
pub use nadam::{NAdam, NAdamConfig};
pub use optimizer::{Closure, Evaluation, NoClosure, Optimizer};
pub use radam::{RAdam, RAdamConfig};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use schedule::Schedule;
pub use sgd::{Sgd, SgdConfig};
