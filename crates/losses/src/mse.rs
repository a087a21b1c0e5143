//! `Mse`: the element-wise mean of squared differences, `mean((prediction - target)^2)`, as the notebook.

use candle_core::{Result, Tensor};

use crate::Loss;

/// Mean squared error over all entries: `sum_ij (p_ij - t_ij)^2 / (rows * cols)`.
///
/// Its gradient with respect to the prediction is `2 (p - t) / (rows * cols)`. This is
/// `torch.nn.functional.mse_loss` with `reduction = "mean"` and the notebook's
/// `((I - X @ A) ** 2).mean()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mse;

impl Loss for Mse {
    fn name(&self) -> &str {
        "mse"
    }

    fn elementwise(&self, entries: usize) -> Option<crate::Elementwise> {
        Some(crate::Elementwise {
            f: crate::Pointwise::Square,
            mean: true,
            entries,
        })
    }

    fn loss(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
        crate::squares::squared_error(prediction, target, true)
    }

    fn square_sum_scale(&self, entries: usize) -> Option<f64> {
        Some(1.0 / entries as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn mse_is_the_mean_of_squares_and_its_gradient_is_two_diff_over_n() -> Result<()> {
        let p = Var::new(&[[1.0f64, 2.0], [3.0, 5.0]], &Device::Cpu)?;
        let t = Tensor::new(&[[0.0f64, 2.0], [1.0, 1.0]], &Device::Cpu)?;
        let loss = Mse.loss(&p, &t)?;
        // (1 + 0 + 4 + 16) / 4
        assert_eq!(loss.to_scalar::<f64>()?, 21.0 / 4.0);
        let grads = loss.backward()?;
        let g = grads.get(&p).expect("gradient of p").to_vec2::<f64>()?;
        assert_eq!(g, vec![vec![0.5, 0.0], vec![1.0, 2.0]]);
        Ok(())
    }
}

/// Config of [`Mse`]: no keys.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MseConfig {}

impl crate::LossConfig for MseConfig {
    const KIND: &'static str = "mse";
    const SUMMARY: &'static str = "mean((prediction - target)^2) over all entries";

    fn build(&self) -> Box<dyn Loss> {
        Box::new(Mse)
    }
}
