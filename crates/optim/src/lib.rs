//! Optimizers and learning-rate schedules with torch.optim's names, defaults and float32 arithmetic.
//!
//! An [`Optimizer`] updates host parameter buffers from their gradients; a [`Schedule`] gives the
//! learning rate of each iteration. Both are object-safe, and each comes with a serde config type
//! ([`OptimizerConfig`], [`ScheduleConfig`]) that names it in TOML. The update rules follow PyTorch's
//! CPU operation order (`shared/reference/torch-optim.md`), so float32 iterates match torch's.
#![deny(missing_docs)]

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod asgd;
mod clip_norm;
mod clip_value;
mod config;
mod constant;
mod cosine;
mod cyclic;
mod error;
mod exponential;
mod formula;
pub mod fused;
mod host;
mod lambda;
mod lbfgs;
mod lerp;
mod line_search;
mod linear;
mod logspace;
mod moments;
mod multistep;
mod nadam;
mod noise;
mod onecycle;
mod optimizer;
mod plateau;
mod polynomial;
mod radam;
mod reduce;
mod rmsprop;
mod rprop;
mod scalar;
mod schedule;
mod sequential;
mod sgd;
mod step_lr;
#[cfg(test)]
mod testing;
mod transform;
mod warm_restarts;

pub use adadelta::{Adadelta, AdadeltaConfig};
pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamWConfig};
pub use adamax::{Adamax, AdamaxConfig};
pub use asgd::{Asgd, AsgdConfig};
pub use clip_norm::{ClipNorm, ClipNormConfig};
pub use clip_value::{ClipValue, ClipValueConfig};
pub use config::{Invalid, OptimizerConfig, ScheduleConfig};
pub use constant::{Constant, ConstantConfig};
pub use cosine::{CosineLr, CosineLrConfig};
pub use cyclic::{Cyclic, CyclicConfig, CyclicMode};
pub use error::OptimError;
pub use exponential::{ExponentialLr, ExponentialLrConfig};
pub use formula::Formula;
pub use lambda::{Lambda, LambdaConfig, Multiplicative, MultiplicativeConfig};
pub use lbfgs::{Lbfgs, LbfgsConfig, LineSearchFn};
pub use lerp::lerp;
pub use linear::{LinearLr, LinearLrConfig};
pub use logspace::{Logspace, LogspaceConfig};
pub use multistep::{MultiStepLr, MultiStepLrConfig};
pub use nadam::{NAdam, NAdamConfig};
pub use noise::{Noise, NoiseConfig};
pub use onecycle::{Anneal, OneCycle, OneCycleConfig};
pub use optimizer::{Closure, Evaluation, NoClosure, Optimizer};
pub use plateau::{Mode, Plateau, PlateauConfig, ThresholdMode};
pub use polynomial::{PolynomialLr, PolynomialLrConfig};
pub use radam::{RAdam, RAdamConfig};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use rprop::{Rprop, RpropConfig};
pub use schedule::Schedule;
pub use sequential::{Child, Sequential, SequentialConfig};
pub use sgd::{Sgd, SgdConfig};
pub use step_lr::{StepLr, StepLrConfig};
pub use transform::{Transform, TransformConfig};
pub use warm_restarts::{WarmRestarts, WarmRestartsConfig};
