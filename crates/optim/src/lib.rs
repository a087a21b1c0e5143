//! Optimizers and learning-rate schedules with torch.optim's names, defaults and float32 arithmetic.
//!
//! An [`Optimizer`] updates host parameter buffers from their gradients; a [`Schedule`] gives the
//! learning rate of each iteration. Both are object-safe, and each comes with a serde config type
//! ([`OptimizerConfig`], [`ScheduleConfig`]) that names it in TOML. The update rules follow PyTorch's
//! CPU operation order (`shared/reference/torch-optim.md`), so float32 iterates match torch's.
#![deny(missing_docs)]

mod adabelief;
mod adadelta;
mod adafactor;
mod adagrad;
mod adam;
mod adamax;
mod asgd;
mod average;
#[cfg(feature = "candle-nn")]
mod candle_optimizer;
mod chained;
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
mod kronecker;
mod lamb;
mod lambda;
mod lbfgs;
mod lerp;
mod line_search;
mod linear;
mod lion;
mod logspace;
mod moments;
mod multistep;
mod muon;
mod nadam;
mod noise;
mod onecycle;
mod optimizer;
mod plateau;
mod polynomial;
mod prodigy;
mod radam;
mod reduce;
mod rmsprop;
mod rprop;
mod scalar;
mod schedule;
mod schedule_free;
mod sequential;
mod sgd;
mod shampoo;
mod soap;
mod step_lr;
pub mod testing;
mod transform;
mod warm_restarts;
mod yogi;

pub use adabelief::{AdaBelief, AdaBeliefConfig};
pub use adadelta::{Adadelta, AdadeltaConfig};
pub use adafactor::{Adafactor, AdafactorConfig};
pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamWConfig};
pub use adamax::{Adamax, AdamaxConfig};
pub use asgd::{Asgd, AsgdConfig};
pub use average::{AverageConfig, AverageKind, Averager};
#[cfg(feature = "candle-nn")]
pub use candle_optimizer::{DescentOptimizer, Parts};
pub use chained::{Chained, ChainedConfig};
pub use clip_norm::{ClipNorm, ClipNormConfig};
pub use clip_value::{ClipValue, ClipValueConfig};
pub use config::{Invalid, OptimizerConfig, ScheduleConfig};
pub use constant::{Constant, ConstantConfig};
pub use cosine::{CosineLr, CosineLrConfig};
pub use cyclic::{Cyclic, CyclicConfig, CyclicMode};
pub use error::OptimError;
pub use exponential::{ExponentialLr, ExponentialLrConfig};
pub use formula::Formula;
pub use lamb::{Lamb, LambConfig};
pub use lambda::{Lambda, LambdaConfig, Multiplicative, MultiplicativeConfig};
pub use lbfgs::{Lbfgs, LbfgsConfig, LineSearchFn};
pub use lerp::lerp;
pub use linear::{LinearLr, LinearLrConfig};
pub use lion::{Lion, LionConfig};
pub use logspace::{Logspace, LogspaceConfig};
pub use multistep::{MultiStepLr, MultiStepLrConfig};
pub use muon::{AdjustLr, Muon, MuonConfig, MuonKellerConfig};
pub use nadam::{NAdam, NAdamConfig};
pub use noise::{Noise, NoiseConfig};
pub use onecycle::{Anneal, OneCycle, OneCycleConfig};
pub use optimizer::{Averaged, Closure, Evaluation, NoClosure, Optimizer, Shape};
pub use plateau::{Mode, Plateau, PlateauConfig, ThresholdMode};
pub use polynomial::{PolynomialLr, PolynomialLrConfig};
pub use prodigy::{Prodigy, ProdigyConfig};
pub use radam::{RAdam, RAdamConfig};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use rprop::{Rprop, RpropConfig};
pub use schedule::Schedule;
pub use schedule_free::{ScheduleFree, ScheduleFreeAdamWConfig, ScheduleFreeSgdConfig};
pub use sequential::{Child, Sequential, SequentialConfig};
pub use sgd::{Sgd, SgdConfig};
pub use shampoo::{Shampoo, ShampooConfig};
pub use soap::{Soap, SoapConfig};
pub use step_lr::{StepLr, StepLrConfig};
pub use transform::{Transform, TransformConfig};
pub use warm_restarts::{WarmRestarts, WarmRestartsConfig};
pub use yogi::{Yogi, YogiConfig};
