//! The starting point of the parameters, drawn from `[init]` with the run's seed.

use descent_problems::Parameter;
use descent_tensor::{Dtype, Matrix, MatrixRng};

use crate::config::{InitConfig, InitKind};

/// The starting value of each parameter, in order, drawn from one generator seeded with `seed`
/// (so one parameter of shape (m, n) with the torch generator is `torch.manual_seed(seed); torch.rand(m, n)`).
pub fn initial_values(
    init: &InitConfig,
    seed: i64,
    dtype: Dtype,
    parameters: &[Parameter],
) -> Vec<Matrix> {
    let mut rng = MatrixRng::new(init.rng, seed as u64);
    parameters
        .iter()
        .map(|p| match init.kind {
            InitKind::Uniform => rng.uniform(p.rows, p.cols, init.low, init.high, dtype),
            InitKind::Zeros => Matrix::zeros(p.rows, p.cols),
            InitKind::Identity => {
                Matrix::from_fn(p.rows, p.cols, |i, j| if i == j { 1.0 } else { 0.0 })
            }
        })
        .collect()
}
