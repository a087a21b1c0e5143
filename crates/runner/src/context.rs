//! `RunContext`: the runner's side of building a problem (dtype, device, resolving matrix sources).

use candle_core::Device;
use descent_problems::{BuildContext, ProblemError};
use descent_tensor::{Dtype, Matrix, MatrixSource};

/// What a problem config builds in: the run's dtype and device; matrices are resolved here.
#[derive(Debug)]
pub struct RunContext {
    dtype: Dtype,
    device: Device,
}

impl RunContext {
    /// A context for `dtype` on `device`.
    pub fn new(dtype: Dtype, device: Device) -> Self {
        Self { dtype, device }
    }
}

impl BuildContext for RunContext {
    fn dtype(&self) -> Dtype {
        self.dtype
    }

    fn device(&self) -> &Device {
        &self.device
    }

    fn matrix(&mut self, key: &str, source: &MatrixSource) -> Result<Matrix, ProblemError> {
        source
            .build()
            .map_err(|e| ProblemError::invalid(key, e.to_string()))
    }
}
