//! `MatrixRng` and `RandomStreams`: the seeded generators a run draws its random matrices from, torch-compatible or native.

use serde::{Deserialize, Serialize};

use crate::{Dtype, Matrix, NativeRng, TorchRng};

/// The generators of one run: one stream per kind, seeded with the run's seed and shared by every
/// draw in order (the problem's random matrices first, then the starting point), as a notebook that
/// calls `torch.manual_seed(seed)` once; a draw with its own seed gets a fresh generator instead.
#[derive(Debug, Clone)]
pub struct RandomStreams {
    seed: u64,
    torch: Option<MatrixRng>,
    native: Option<MatrixRng>,
}

impl RandomStreams {
    /// The streams of a run with this seed (generators are made on first use).
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            torch: None,
            native: None,
        }
    }

    /// Whether nothing has been drawn from the run's streams yet (draws with a seed of their
    /// own do not count).
    pub fn untouched(&self) -> bool {
        self.torch.is_none() && self.native.is_none()
    }

    /// Draw with the run's stream of `kind`, or with a fresh generator when `own_seed` is given.
    pub fn draw<R>(
        &mut self,
        kind: RngKind,
        own_seed: Option<u64>,
        f: impl FnOnce(&mut MatrixRng) -> R,
    ) -> R {
        if let Some(seed) = own_seed {
            return f(&mut MatrixRng::new(kind, seed));
        }
        let seed = self.seed;
        let slot = match kind {
            RngKind::Torch => &mut self.torch,
            RngKind::Native => &mut self.native,
        };
        f(slot.get_or_insert_with(|| MatrixRng::new(kind, seed)))
    }
}

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

    /// `rows x cols` standard normals times `std` plus `mean`, in the given dtype.
    ///
    /// With the torch generator this is `torch.randn(rows, cols, dtype) * std + mean` (two roundings),
    /// bit for bit in float32 (see [`TorchRng::randn_f32`]).
    pub fn normal(
        &mut self,
        rows: usize,
        cols: usize,
        mean: f64,
        std: f64,
        dtype: Dtype,
    ) -> Matrix {
        let n = rows * cols;
        let data: Vec<f64> = match (self, dtype) {
            (Self::Torch(r), Dtype::F32) => {
                let (m, s) = (mean as f32, std as f32);
                r.randn_f32(n)
                    .into_iter()
                    .map(|v| f64::from(v * s + m))
                    .collect()
            }
            (Self::Torch(r), Dtype::F64) => {
                r.randn_f64(n).into_iter().map(|v| v * std + mean).collect()
            }
            (Self::Native(r), Dtype::F32) => {
                let (m, s) = (mean as f32, std as f32);
                (0..n)
                    .map(|_| f64::from(r.normal_f64() as f32 * s + m))
                    .collect()
            }
            (Self::Native(r), Dtype::F64) => (0..n).map(|_| r.normal_f64() * std + mean).collect(),
        };
        Matrix::from_fn(rows, cols, |i, j| data[i * cols + j])
    }

    /// A random orthogonal `n x n` matrix, Haar-distributed: the Q of the QR factorisation of an
    /// f64 standard-normal matrix, with the signs of R's diagonal moved into Q.
    pub fn orthogonal(&mut self, n: usize) -> Matrix {
        let g = self.normal(n, n, 0.0, 1.0, Dtype::F64).to_faer();
        let qr = g.qr();
        let (q, r) = (qr.compute_Q(), qr.R());
        Matrix::from_fn(n, n, |i, j| {
            if r[(j, j)] < 0.0 {
                -q[(i, j)]
            } else {
                q[(i, j)]
            }
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_matrices_are_orthogonal() {
        let mut rng = MatrixRng::new(RngKind::Torch, 5);
        for n in [1, 2, 5, 8] {
            let q = rng.orthogonal(n).to_faer();
            let qtq = q.transpose() * &q;
            for i in 0..n {
                for j in 0..n {
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((qtq[(i, j)] - want).abs() < 1e-14, "n = {n}");
                }
            }
        }
    }

    #[test]
    fn torch_normal_in_f32_is_randn_times_std_plus_mean() {
        let m = MatrixRng::new(RngKind::Torch, 314).normal(4, 4, 1.0, 0.5, Dtype::F32);
        let z = TorchRng::new(314).randn_f32(16);
        for (got, z) in m.data().iter().zip(z) {
            assert_eq!(*got, f64::from(z * 0.5 + 1.0));
        }
    }

    #[test]
    fn streams_continue_one_generator_and_an_own_seed_starts_afresh() {
        let mut streams = RandomStreams::new(314);
        let a = streams.draw(RngKind::Torch, None, |r| {
            r.uniform(1, 2, 0.0, 1.0, Dtype::F32)
        });
        let b = streams.draw(RngKind::Torch, None, |r| {
            r.uniform(1, 2, 0.0, 1.0, Dtype::F32)
        });
        let c = streams.draw(RngKind::Torch, Some(314), |r| {
            r.uniform(1, 2, 0.0, 1.0, Dtype::F32)
        });
        let all = MatrixRng::new(RngKind::Torch, 314).uniform(1, 4, 0.0, 1.0, Dtype::F32);
        assert_eq!(a.data(), &all.data()[..2]);
        assert_eq!(b.data(), &all.data()[2..]);
        assert_eq!(c.data(), a.data());
    }
}
