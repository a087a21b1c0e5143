//! `MatrixRng`: the seeded generator a run draws its random matrices from, torch-compatible or native.

use serde::{Deserialize, Serialize};

use crate::{Dtype, Matrix, NativeRng, TorchRng};

/// Which random stream a config asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RngKind {
    /// Exactly PyTorch's CPU stream: `torch.manual_seed(seed)` then `torch.rand(shape)`.
    #[default]
    Torch,
    /// xoshiro256++, faster, not PyTorch's numbers.
    Native,
}

/// A seeded generator of random matrices.
#[derive(Debug, Clone)]
pub enum MatrixRng {
    /// PyTorch's generator.
    Torch(Box<TorchRng>),
    /// The native generator.
    Native(NativeRng),
}

impl MatrixRng {
    /// A generator of the given kind for `seed`.
    pub fn new(kind: RngKind, seed: u64) -> Self {
        match kind {
            RngKind::Torch => Self::Torch(Box::new(TorchRng::new(seed))),
            RngKind::Native => Self::Native(NativeRng::new(seed)),
        }
    }

    /// `rows x cols` uniforms in [low, high), drawn row-major in the given dtype.
    ///
    /// With the torch generator and `low = 0, high = 1` this is `torch.rand(rows, cols, dtype)` bit
    /// for bit. Other bounds compute `u * (high - low) + low` in the dtype, as `Tensor.uniform_`.
    pub fn uniform(
        &mut self,
        rows: usize,
        cols: usize,
        low: f64,
        high: f64,
        dtype: Dtype,
    ) -> Matrix {
        Matrix::from_fn(rows, cols, |_, _| match dtype {
            Dtype::F32 => {
                let u = match self {
                    Self::Torch(r) => r.uniform_f32(),
                    Self::Native(r) => r.uniform_f32(),
                };
                let (lo, hi) = (low as f32, high as f32);
                f64::from(u * (hi - lo) + lo)
            }
            Dtype::F64 => {
                let u = match self {
                    Self::Torch(r) => r.uniform_f64(),
                    Self::Native(r) => r.uniform_f64(),
                };
                u * (high - low) + low
            }
        })
    }
}
