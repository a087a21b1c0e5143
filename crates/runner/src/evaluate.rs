//! `Evaluator`: the objective and its autodiff gradient at host parameter values, through candle.

use candle_core::{Device, Tensor, Var};
use descent_losses::Loss;
use descent_optim::{Closure, Evaluation, OptimError};
use descent_problems::Problem;
use descent_tensor::{Matrix, Real, TensorError, with_host};

/// Evaluates a problem's objective under a loss, with gradients by candle's autodiff.
pub struct Evaluator<'a> {
    /// The problem.
    pub problem: &'a dyn Problem,
    /// The loss.
    pub loss: &'a dyn Loss,
    /// The device the tensors live on.
    pub device: Device,
}

impl Evaluator<'_> {
    fn tensors<F: Real>(&self, params: &[Vec<F>]) -> candle_core::Result<Vec<Var>> {
        params
            .iter()
            .zip(self.problem.parameters())
            .map(|(p, spec)| Var::from_slice(p, (spec.rows, spec.cols), &self.device))
            .collect()
    }

    /// The objective and the gradient of every parameter at `params`.
    pub fn evaluate_at<F: Real>(&self, params: &[Vec<F>]) -> candle_core::Result<Evaluation<F>> {
        let vars = self.tensors(params)?;
        let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let objective = self.problem.objective(&tensors, self.loss)?;
        let loss = if objective.dtype() == F::DTYPE {
            objective.to_scalar::<F>()?.widen()
        } else {
            objective
                .to_dtype(candle_core::DType::F64)?
                .to_scalar::<f64>()?
        };
        let store = objective.backward()?;
        let grads = vars
            .iter()
            .zip(params)
            .map(|(v, p)| match store.get(v.as_tensor()) {
                Some(g) => host_values::<F>(g),
                None => Ok(vec![F::zero(); p.len()]),
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Evaluation { loss, grads })
    }

    /// The prediction at `params` as a host matrix (e.g. `X @ A`).
    pub fn prediction<F: Real>(&self, params: &[Vec<F>]) -> Result<Matrix, TensorError> {
        let vars = self.tensors(params)?;
        let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_detached_tensor()).collect();
        Matrix::from_tensor(&self.problem.prediction(&tensors)?)
    }

    /// The target as a host matrix (e.g. `I`).
    pub fn target(&self) -> Result<Matrix, TensorError> {
        Matrix::from_tensor(self.problem.target())
    }
}

impl<F: Real> Closure<F> for Evaluator<'_> {
    fn evaluate(&mut self, params: &[Vec<F>]) -> Result<Evaluation<F>, OptimError> {
        self.evaluate_at(params)
            .map_err(|e| OptimError::Evaluation(e.to_string()))
    }
}

/// A tensor's entries, row-major, as a host `Vec`: copied straight from CPU storage when the
/// layout is contiguous (no reshape op, no new tensor), else through `flatten_all`.
fn host_values<F: Real>(t: &Tensor) -> candle_core::Result<Vec<F>> {
    match with_host::<F, _>(t, <[F]>::to_vec) {
        Some(values) => Ok(values),
        None => t.flatten_all()?.to_vec1::<F>(),
    }
}
