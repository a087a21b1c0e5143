//! The matrix vocabulary of descent: element types, devices, host matrices, random numbers and exact answers.
//!
//! Everything numeric that the other crates share lives here: [`Dtype`] and [`DeviceKind`] choose how
//! candle computes, [`Matrix`] is the plain host matrix that configs, references and reports speak,
//! [`TorchRng`] draws exactly what PyTorch draws on the CPU, [`NativeRng`] is the fast alternative, and
//! [`exact`] computes reference answers with faer. No I/O happens here.
#![deny(missing_docs)]

mod cephes;
mod const_matmul;
mod denormal;
mod device;
mod dtype;
mod error;
pub mod exact;
pub mod gemm;
mod host;
mod matrix;
mod native_rng;
mod real;
mod rng;
mod source;
mod sums;
#[cfg(test)]
mod test_hex;
mod torch_norm;
mod torch_rng;
mod torch_sum;

pub use const_matmul::{ConstSide, matmul_const};
pub use denormal::{flush_denormal_supported, set_flush_denormal};
pub use device::DeviceKind;
pub use dtype::Dtype;
pub use error::TensorError;
pub use host::with_host;
pub use matrix::Matrix;
pub use native_rng::NativeRng;
pub use real::Real;
pub use rng::{MatrixRng, RandomStreams, RngKind};
pub use source::{MatrixSource, Random, check_file_matrix};
pub use sums::{SUM_LANES, add_squares, sum_squared_differences, sum_squares};
pub use torch_norm::torch_vector_norm;
pub use torch_rng::TorchRng;
pub use torch_sum::{TorchSum, torch_sum};

/// candle, re-exported so that downstream crates and user extensions name one version.
pub use candle_core as candle;
