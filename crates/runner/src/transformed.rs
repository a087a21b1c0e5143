//! `Transformed`: the objective as the optimizer sees it, the gradient (host or autodiff) after the `[[transform]]` list.

use descent_optim::{Closure, Evaluation, OptimError, Transform};
use descent_problems::{HostObjective, Projection};
use descent_tensor::{Real, sum_squares};

use crate::evaluate::Evaluator;

/// The objective with the configured gradient transforms applied, in order, to every gradient
/// it hands out: the loop's own, and each one a closure-based optimizer (L-BFGS) asks for.
pub struct Transformed<'a, F> {
    /// The objective and its autodiff gradient (the reference, and the fallback).
    pub evaluator: Evaluator<'a>,
    /// The problem's host objective, used instead of autodiff where there is one and the config
    /// does not ask for autodiff.
    pub host: Option<Box<dyn HostObjective<F>>>,
    /// The transforms, in config order.
    pub transforms: Vec<Box<dyn Transform<F>>>,
    /// Objective evaluations so far (the loop's own and every one an optimizer asked for).
    pub evaluations: usize,
    /// Per parameter, the entries held at zero (`Problem::fixed`), where there are any: their
    /// gradient is zeroed in every evaluation.
    pub fixed: Vec<Option<Vec<bool>>>,
    /// Per parameter, the constraint set the loop projects it onto after every step (the
    /// problem's own and the config's `project`).
    pub project: Vec<Projection>,
}

/// Zero the entries of each buffer that `fixed` marks.
pub fn zero_fixed<F: Real>(fixed: &[Option<Vec<bool>>], buffers: &mut [Vec<F>]) {
    for (f, b) in fixed.iter().zip(buffers.iter_mut()) {
        if let Some(f) = f {
            for (x, &held) in b.iter_mut().zip(f) {
                if held {
                    *x = F::zero();
                }
            }
        }
    }
}

impl<F: Real> Transformed<'_, F> {
    /// The loss and the gradient norm at `params`, the untransformed gradient written into
    /// `grads` (one buffer per parameter, kept by the caller: the host path allocates nothing).
    pub fn raw_into(
        &mut self,
        params: &[Vec<F>],
        grads: &mut [Vec<F>],
    ) -> candle_core::Result<(f64, f64)> {
        self.evaluations += 1;
        let (loss, norm) = match &mut self.host {
            Some(h) => {
                let e = h.evaluate(params, grads).map_err(candle_core::Error::Msg)?;
                (e.loss, e.grad_squares.sqrt())
            }
            None => {
                let e = self.evaluator.evaluate_at(params)?;
                let squares: f64 = e.grads.iter().map(|g| sum_squares(g)).sum();
                for (to, from) in grads.iter_mut().zip(e.grads) {
                    *to = from;
                }
                (e.loss, squares.sqrt())
            }
        };
        if self.fixed.iter().all(Option::is_none) {
            return Ok((loss, norm));
        }
        zero_fixed(&self.fixed, grads);
        let squares: f64 = grads.iter().map(|g| sum_squares(g)).sum();
        Ok((loss, squares.sqrt()))
    }

    /// The loss and the untransformed gradient at `params`, in fresh buffers.
    pub fn raw(&mut self, params: &[Vec<F>]) -> candle_core::Result<Evaluation<F>> {
        let mut grads: Vec<Vec<F>> = params.iter().map(|p| vec![F::zero(); p.len()]).collect();
        let (loss, _) = self.raw_into(params, &mut grads)?;
        Ok(Evaluation { loss, grads })
    }

    /// Apply every transform to `grads`, in order.
    pub fn transform(&mut self, grads: &mut [Vec<F>]) {
        for t in &mut self.transforms {
            t.apply(grads);
        }
    }
}

impl<F: Real> Closure<F> for Transformed<'_, F> {
    fn evaluate(&mut self, params: &[Vec<F>]) -> Result<Evaluation<F>, OptimError> {
        let mut e = self
            .raw(params)
            .map_err(|e| OptimError::Evaluation(e.to_string()))?;
        self.transform(&mut e.grads);
        Ok(e)
    }
}
