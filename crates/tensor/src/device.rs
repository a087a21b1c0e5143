//! The device a run computes on.

use serde::{Deserialize, Serialize};

use crate::TensorError;

/// Where candle computes. descent is built for the CPU; the choice exists so that configs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// The CPU (the only device in this build).
    #[default]
    Cpu,
    /// An NVIDIA GPU; not compiled in, so choosing it is an error.
    Cuda,
}

impl DeviceKind {
    /// The candle device, or an error if this build cannot use it.
    pub fn candle(self) -> Result<candle_core::Device, TensorError> {
        match self {
            DeviceKind::Cpu => Ok(candle_core::Device::Cpu),
            DeviceKind::Cuda => Err(TensorError::Device("cuda".into())),
        }
    }
}
