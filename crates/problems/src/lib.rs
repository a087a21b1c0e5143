//! Problems with exact answers: what is optimized, the objective, and how far an iterate is from the answer.
//!
//! A [`Problem`] names its parameters, computes a prediction from them as candle tensors (so autodiff
//! can differentiate the objective), and carries its exact answer from faer. [`ProblemConfig`] is the
//! TOML side: a serde struct that builds the problem, resolving matrices through a [`BuildContext`]
//! supplied by the runner (which does any file reading). The problems: [`Inverse`],
//! [`LinearSystem`], [`Ridge`], [`Indicator`], [`Svd`], [`LowRank`], [`Cholesky`], [`Qr`], [`Eigen`], [`Polar`], [`Completion`] and [`Nmf`].
#![deny(missing_docs)]

mod batched;
mod cholesky;
mod completion;
mod eigen;
mod error;
mod errors;
mod footprint;
mod host;
mod indicator;
mod inverse;
mod linear_host;
mod linear_system;
mod lowrank;
mod nmf;
mod polar;
mod problem;
mod projection;
mod qr;
mod report;
mod ridge;
mod subspace;
mod svd;
mod svd_host;
mod symmetric;

pub use batched::BatchedInverse;
pub use cholesky::{Cholesky, CholeskyConfig};
pub use completion::{Completion, CompletionConfig, soft_impute};
pub use eigen::{Eigen, EigenConfig, EigenMethod, Which, gershgorin_shift};
pub use error::ProblemError;
pub use errors::Errors;
pub use footprint::{Footprint, Shapes, entries, total};
pub use host::{HostEval, HostObjective};
pub use indicator::{Indicator, IndicatorConfig, draw as draw_indicator, limit as indicator_limit};
pub use inverse::{Inverse, InverseConfig, Side};
pub use linear_host::LinearHost;
pub use linear_system::{LinearSystem, LinearSystemConfig, RightHandSide};
pub use lowrank::{LowRank, LowRankConfig};
pub use nmf::{Nmf, NmfConfig, hals};
pub use polar::{Polar, PolarConfig};
pub use problem::{BuildContext, Fact, LinearForm, Parameter, Problem, ProblemConfig};
pub use projection::Projection;
pub use qr::{Qr, QrConfig};
pub use report::{number, numbers, scaled_transpose};
pub use ridge::{Ridge, RidgeConfig};
pub use subspace::largest_angle;
pub use svd::{Svd, SvdConfig};
pub use svd_host::SvdHost;
