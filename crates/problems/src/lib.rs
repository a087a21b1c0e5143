//! Problems with exact answers: what is optimized, the objective, and how far an iterate is from the answer.
//!
//! A [`Problem`] names its parameters, computes a prediction from them as candle tensors (so autodiff
//! can differentiate the objective), and carries its exact answer from faer. [`ProblemConfig`] is the
//! TOML side: a serde struct that builds the problem, resolving matrices through a [`BuildContext`]
//! supplied by the runner (which does any file reading).
#![deny(missing_docs)]

mod error;
mod errors;
mod inverse;
mod problem;

pub use error::ProblemError;
pub use errors::Errors;
pub use inverse::{Inverse, InverseConfig, Side};
pub use problem::{BuildContext, Fact, Parameter, Problem, ProblemConfig};
