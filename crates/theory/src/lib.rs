//! Gradient descent on quadratics: why a run converges as it does, what would be best, and its exact predicted trajectory.
//!
//! A problem whose prediction is linear in its parameter, under a squared loss, is a quadratic
//! `f(X) = s ||X A - T||^2` (or `A X`). In the eigenbasis of its Hessian the error splits into
//! independent components, each following its own linear recurrence (Goh, "Why Momentum Really
//! Works", Distill 2017). From that:
//! - [`Quadratic`]: the decomposition of a [`descent_problems::LinearForm`]; its [`Spectrum`]
//!   (L, μ, κ, the null space);
//! - [`bounds`]: stable and optimal learning rates and momenta, with their rates;
//! - [`Predictor`]: the loss of a run of torch.optim.SGD (momentum, dampening, Nesterov, weight
//!   decay, any lr sequence) from its own start, iteration by iteration, in f64;
//! - [`rate`]: the measured rate of a loss curve and the iterations to a tolerance;
//! - [`verdict`]: converged, converging, stalled, plateau or diverging;
//! - [`filters`]: ridge's spectral filter beside gradient descent stopped early.
//!
//! Nothing here does I/O; adaptive optimizers are not predicted (see `docs/theory.md`).
#![deny(missing_docs)]

pub mod bounds;
mod error;
pub mod filters;
mod predict;
mod quadratic;
pub mod rate;
mod settings;
pub mod verdict;

pub use error::TheoryError;
pub use predict::{Predictor, merged};
pub use quadratic::{Mode, Quadratic, Spectrum};
pub use settings::Sgd;
pub use verdict::{Evidence, Verdict};
