//! Losses: how far a prediction is from its target, as a scalar candle tensor that autodiff can differentiate.
#![deny(missing_docs)]

mod config;
mod loss;
mod mse;

pub use config::LossConfig;
pub use loss::Loss;
pub use mse::{Mse, MseConfig};
