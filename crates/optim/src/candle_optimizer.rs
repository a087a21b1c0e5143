//! `DescentOptimizer`: any descent optimizer, schedule and transform chain as a `candle_nn::Optimizer`.
//!
//! candle-nn's training loops call `opt.backward_step(&loss)`. This adapter copies each variable
//! and its gradient to host buffers, applies the `[[transform]]` chain, takes the schedule's
//! learning rate (and momentum, for `onecycle`), steps the optimizer and writes the variables
//! back, then advances the schedule with the loss, in the order of descent's own loop, so a run
//! through it has the same bits. Every descent optimizer computes on host buffers, so on a GPU
//! device the variables and gradients are copied to the host and back at each step.

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use descent_tensor::Real;

use crate::{Closure, Evaluation, NoClosure, OptimError, Optimizer, Schedule, Shape, Transform};

/// What a [`DescentOptimizer`] is made of: the optimizer, the schedule and the gradient
/// transforms, built in the element type of the variables (`f32` or `f64`).
pub struct Parts<F: Real> {
    /// The optimizer (fresh: no state yet).
    pub optimizer: Box<dyn Optimizer<F>>,
    /// The learning-rate schedule (`Constant` for a fixed rate).
    pub schedule: Box<dyn Schedule>,
    /// The gradient transforms, applied in order before each step.
    pub transforms: Vec<Box<dyn Transform<F>>>,
}

/// A descent optimizer over candle variables; see the module documentation.
pub struct DescentOptimizer<F: Real> {
    vars: Vec<Var>,
    params: Vec<Vec<F>>,
    grads: Vec<Vec<F>>,
    parts: Parts<F>,
    /// A rate set by [`candle_nn::Optimizer::set_learning_rate`], which replaces the schedule's.
    fixed_lr: Option<f64>,
    /// The loss of the last `backward_step`, which the schedule steps with (`plateau` reads it).
    loss: f64,
    steps: usize,
}

/// An error of the adapter as a candle error.
fn candle_error(e: impl std::fmt::Display) -> candle_core::Error {
    candle_core::Error::Msg(e.to_string())
}

/// The values of `t`, flattened row-major, in `F`.
fn host<F: Real>(t: &Tensor) -> Result<Vec<F>> {
    t.flatten_all()?.to_dtype(F::DTYPE)?.to_vec1::<F>()
}

/// A variable's shape as descent's matrix-aware optimizers see it: rows x cols for a matrix, a
/// column for a vector or a scalar, and the first dimension by the rest for higher ranks.
fn shape_of(v: &Var) -> Shape {
    match v.dims() {
        [] => Shape::new(1, 1),
        [n] => Shape::column(*n),
        [r, rest @ ..] => Shape::new(*r, rest.iter().product()),
    }
}

impl<F: Real> DescentOptimizer<F> {
    /// The adapter over `vars` (floating-point ones of dtype `F`; others are left out, as
    /// candle-nn's optimizers leave them).
    pub fn with_parts(vars: Vec<Var>, mut parts: Parts<F>) -> Result<Self> {
        let vars: Vec<Var> = vars.into_iter().filter(|v| v.dtype().is_float()).collect();
        if let Some(v) = vars.iter().find(|v| v.dtype() != F::DTYPE) {
            return Err(candle_error(format!(
                "a variable of dtype {:?} in an optimizer built for {:?}: build it with the variables' dtype",
                v.dtype(),
                F::DTYPE
            )));
        }
        let shapes: Vec<Shape> = vars.iter().map(shape_of).collect();
        parts.optimizer.set_shapes(&shapes).map_err(candle_error)?;
        let params = vars
            .iter()
            .map(|v| host::<F>(v.as_tensor()))
            .collect::<Result<Vec<_>>>()?;
        let grads = params.iter().map(|p| vec![F::zero(); p.len()]).collect();
        Ok(Self {
            vars,
            params,
            grads,
            parts,
            fixed_lr: None,
            loss: f64::NAN,
            steps: 0,
        })
    }

    /// The steps taken so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// One step for closure-based optimizers (L-BFGS), as torch's `optimizer.step(closure)`:
    /// `loss` computes the objective from the variables as they are, and is called again at
    /// every point the optimizer tries (the variables are set to that point first). Its first
    /// value is returned. First-order optimizers call it once.
    pub fn step_with_closure(&mut self, mut loss: impl FnMut() -> Result<Tensor>) -> Result<f64> {
        self.read_params()?;
        let first = loss()?;
        let value = scalar(&first)?;
        let store = first.backward()?;
        self.read_grads(&store)?;
        for t in self.parts.transforms.iter_mut() {
            t.apply(&mut self.grads);
        }
        self.loss = value;
        let vars = self.vars.clone();
        let mut closure = VarClosure {
            vars: &vars,
            loss: &mut loss,
            transforms: &mut self.parts.transforms,
        };
        Self::apply(
            &mut self.parts.optimizer,
            &mut *self.parts.schedule,
            self.fixed_lr,
            &mut self.params,
            &self.grads,
            value,
            &mut closure,
        )?;
        self.steps += 1;
        self.write_params()?;
        Ok(value)
    }

    fn read_params(&mut self) -> Result<()> {
        for (p, v) in self.params.iter_mut().zip(&self.vars) {
            *p = host::<F>(v.as_tensor())?;
        }
        Ok(())
    }

    fn read_grads(&mut self, store: &GradStore) -> Result<()> {
        for (g, v) in self.grads.iter_mut().zip(&self.vars) {
            match store.get(v.as_tensor()) {
                Some(t) => *g = host::<F>(t)?,
                None => g.iter_mut().for_each(|x| *x = F::zero()),
            }
        }
        Ok(())
    }

    fn write_params(&self) -> Result<()> {
        write(&self.vars, &self.params)
    }

    /// The loop's order after the transforms: the schedule's momentum, the step at the
    /// schedule's rate (or the fixed one), then the schedule advanced with the loss.
    fn apply(
        optimizer: &mut Box<dyn Optimizer<F>>,
        schedule: &mut dyn Schedule,
        fixed_lr: Option<f64>,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        loss: f64,
        closure: &mut dyn Closure<F>,
    ) -> Result<()> {
        if let Some(m) = schedule.momentum() {
            optimizer.set_momentum(m);
        }
        let lr = fixed_lr.unwrap_or_else(|| schedule.lr());
        optimizer
            .step(params, grads, lr, closure)
            .map_err(candle_error)?;
        schedule.step(loss);
        Ok(())
    }
}

/// Set each variable to its host values.
fn write<F: Real>(vars: &[Var], params: &[Vec<F>]) -> Result<()> {
    for (v, p) in vars.iter().zip(params) {
        let t = Tensor::from_slice(p, v.shape(), v.device())?;
        v.set(&t)?;
    }
    Ok(())
}

/// A scalar tensor's value as an `f64` holding the dtype's value exactly.
fn scalar(t: &Tensor) -> Result<f64> {
    t.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()
}

/// The user's loss closure as a descent [`Closure`]: set the variables, evaluate, differentiate,
/// and transform the gradients as the loop's closure does.
struct VarClosure<'a, F: Real, L> {
    vars: &'a [Var],
    loss: &'a mut L,
    transforms: &'a mut Vec<Box<dyn Transform<F>>>,
}

impl<F: Real, L: FnMut() -> Result<Tensor>> VarClosure<'_, F, L> {
    fn evaluate_at(&mut self, params: &[Vec<F>]) -> Result<Evaluation<F>> {
        write(self.vars, params)?;
        let t = (self.loss)()?;
        let value = scalar(&t)?;
        let store = t.backward()?;
        let mut grads = self
            .vars
            .iter()
            .zip(params)
            .map(|(v, p)| match store.get(v.as_tensor()) {
                Some(g) => host::<F>(g),
                None => Ok(vec![F::zero(); p.len()]),
            })
            .collect::<Result<Vec<_>>>()?;
        for t in self.transforms.iter_mut() {
            t.apply(&mut grads);
        }
        Ok(Evaluation { loss: value, grads })
    }
}

impl<F: Real, L: FnMut() -> Result<Tensor>> Closure<F> for VarClosure<'_, F, L> {
    fn evaluate(&mut self, params: &[Vec<F>]) -> std::result::Result<Evaluation<F>, OptimError> {
        self.evaluate_at(params)
            .map_err(|e| OptimError::Evaluation(e.to_string()))
    }
}

impl<F: Real> candle_nn::Optimizer for DescentOptimizer<F> {
    type Config = Parts<F>;

    fn new(vars: Vec<Var>, config: Parts<F>) -> Result<Self> {
        Self::with_parts(vars, config)
    }

    /// One step from gradients computed elsewhere. The schedule steps with the loss of the last
    /// [`candle_nn::Optimizer::backward_step`] (NaN when there was none: `plateau` needs
    /// `backward_step`). Closure-based optimizers need [`DescentOptimizer::step_with_closure`].
    fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.read_params()?;
        self.read_grads(grads)?;
        for t in self.parts.transforms.iter_mut() {
            t.apply(&mut self.grads);
        }
        Self::apply(
            &mut self.parts.optimizer,
            &mut *self.parts.schedule,
            self.fixed_lr,
            &mut self.params,
            &self.grads,
            self.loss,
            &mut NoClosure,
        )?;
        self.steps += 1;
        self.write_params()
    }

    fn learning_rate(&self) -> f64 {
        self.fixed_lr.unwrap_or_else(|| self.parts.schedule.lr())
    }

    /// Fix the rate from now on, in place of the schedule's.
    fn set_learning_rate(&mut self, lr: f64) {
        self.fixed_lr = Some(lr);
    }

    fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        self.loss = scalar(loss)?;
        let grads = loss.backward()?;
        self.step(&grads)
    }
}
