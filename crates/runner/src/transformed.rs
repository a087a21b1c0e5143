//! `Transformed`: the objective as the optimizer sees it, the evaluator's gradient after the `[[transform]]` list.

use descent_optim::{Closure, Evaluation, OptimError, Transform};
use descent_tensor::Real;

use crate::analytic::Analytic;
use crate::evaluate::Evaluator;

/// The evaluator with the configured gradient transforms applied, in order, to every gradient
/// it hands out: the loop's own, and each one a closure-based optimizer (L-BFGS) asks for.
pub struct Transformed<'a, F> {
    /// The objective and its autodiff gradient.
    pub evaluator: Evaluator<'a>,
    /// The closed-form gradient, used instead of autodiff when the config asks for it.
    pub analytic: Option<&'a Analytic>,
    /// The transforms, in config order.
    pub transforms: Vec<Box<dyn Transform<F>>>,
}

impl<F: Real> Transformed<'_, F> {
    /// The loss and the untransformed gradient at `params`: analytic when configured, else autodiff.
    pub fn raw(&self, params: &[Vec<F>]) -> candle_core::Result<Evaluation<F>> {
        match self.analytic {
            Some(a) => a.evaluate(params),
            None => self.evaluator.evaluate_at(params),
        }
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
