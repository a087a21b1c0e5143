//! Losses: how far a prediction is from its target, as a scalar candle tensor that autodiff can differentiate.
//!
//! `mse` (the notebook's), `sse`, `mae`, `huber` and `log_cosh`; each file documents its formula and
//! its gradient, and each is built from candle operations so that `backward` differentiates it.
#![deny(missing_docs)]

mod abs;
mod config;
mod huber;
mod invalid;
mod log_cosh;
mod loss;
mod mae;
mod mse;
mod pointwise;
mod squares;
mod sse;

pub use config::LossConfig;
pub use huber::{Huber, HuberConfig};
pub use invalid::Invalid;
pub use log_cosh::{LogCosh, LogCoshConfig};
pub use loss::Loss;
pub use mae::{Mae, MaeConfig};
pub use mse::{Mse, MseConfig};
pub use pointwise::{Elementwise, Pointwise, Term, WithTerm, add_terms};
pub use squares::squared_error;
pub use sse::{Sse, SseConfig};
