//! The element type of a run: `f32` (as the notebook and PyTorch's default) or `f64`.

use serde::{Deserialize, Serialize};

/// The floating-point type that parameters, gradients and optimizer state use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// 32-bit IEEE floats, PyTorch's default dtype.
    #[default]
    F32,
    /// 64-bit IEEE floats.
    F64,
}

impl Dtype {
    /// The candle dtype.
    pub fn candle(self) -> candle_core::DType {
        match self {
            Dtype::F32 => candle_core::DType::F32,
            Dtype::F64 => candle_core::DType::F64,
        }
    }

    /// The unit roundoff (machine epsilon) of this type.
    pub fn epsilon(self) -> f64 {
        match self {
            Dtype::F32 => f64::from(f32::EPSILON),
            Dtype::F64 => f64::EPSILON,
        }
    }

    /// The name used in configs.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }
}
