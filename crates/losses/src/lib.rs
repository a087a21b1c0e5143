//! Losses: how far a prediction is from its target, as a scalar candle tensor that autodiff can differentiate.
#![deny(missing_docs)]

mod loss;
mod mse;

pub use loss::Loss;
pub use mse::Mse;
