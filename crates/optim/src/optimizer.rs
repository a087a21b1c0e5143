//! The `Optimizer` trait and the `Closure` through which an optimizer may re-evaluate the objective.

use descent_tensor::Real;

use crate::OptimError;

/// The objective and its gradient at some point, as a closure-based optimizer (L-BFGS) sees it.
#[derive(Debug, Clone)]
pub struct Evaluation<F> {
    /// The objective's value, as an `f64` holding the dtype's value exactly.
    pub loss: f64,
    /// The gradient of each parameter, flattened row-major.
    pub grads: Vec<Vec<F>>,
}

/// A way to evaluate the objective and its gradient at other parameter values, inside a step.
///
/// torch.optim passes a `closure` to `step`; this is the same idea. First-order optimizers ignore it.
pub trait Closure<F> {
    /// The objective and gradient at `params`.
    fn evaluate(&mut self, params: &[Vec<F>]) -> Result<Evaluation<F>, OptimError>;
}

/// A closure for contexts without an objective (unit tests of first-order rules): evaluating fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClosure;

impl<F> Closure<F> for NoClosure {
    fn evaluate(&mut self, _params: &[Vec<F>]) -> Result<Evaluation<F>, OptimError> {
        Err(OptimError::Evaluation(
            "no objective is available here".into(),
        ))
    }
}

/// A parameter's shape. Every parameter in descent is a matrix (a vector is `n x 1`), stored
/// row-major; matrix-aware optimizers (Muon, Shampoo, SOAP, Adafactor) need the two sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
}

impl Shape {
    /// A `rows x cols` shape.
    pub fn new(rows: usize, cols: usize) -> Self {
        Self { rows, cols }
    }

    /// The shape a parameter of `len` values has when nobody said: a column vector.
    pub fn column(len: usize) -> Self {
        Self { rows: len, cols: 1 }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Whether the shape has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The averaged iterate an optimizer keeps beside its parameters.
#[derive(Debug, Clone, Copy)]
pub struct Averaged<'a, F> {
    /// One buffer per parameter, shaped like the parameters.
    pub point: &'a [Vec<F>],
    /// Whether the method's answer is this point rather than the parameters (schedule-free's `x`,
    /// where the gradient is taken at `y`); ASGD's average is a by-product (`false`).
    pub is_answer: bool,
}

/// A gradient-based optimizer over parameters of element type `F` (`f32` or `f64`).
///
/// Parameters and gradients are host buffers, flattened row-major, one `Vec` per parameter, in the
/// problem's order. The optimizer keeps whatever state it needs (momentum buffers, moments, step
/// counts) between calls. The trait is object-safe: a run holds a `Box<dyn Optimizer<F>>`.
pub trait Optimizer<F: Real>: Send {
    /// One update of every parameter at learning rate `lr`, from `grads` (the gradient at `params`).
    ///
    /// `closure` re-evaluates the objective elsewhere, for methods that need it (line searches,
    /// L-BFGS); the loop always provides one, so no optimizer is a special case.
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError>;

    /// Set the momentum for the following steps (SGD's `momentum`, RMSprop's `momentum`, the Adam
    /// family's β1), as torch's OneCycleLR writes it into the param group. Returns `false` when
    /// the optimizer has no momentum, which is the default.
    fn set_momentum(&mut self, momentum: f64) -> bool {
        let _ = momentum;
        false
    }

    /// The parameters' shapes, in order, told once before the first step. Matrix-aware methods
    /// keep them; the default ignores them. An optimizer never told treats each parameter as a
    /// column vector ([`Shape::column`]). Fails when a shape does not suit the method.
    fn set_shapes(&mut self, shapes: &[Shape]) -> Result<(), OptimError> {
        let _ = shapes;
        Ok(())
    }

    /// The averaged iterate the method keeps, if it keeps one (ASGD's `ax`, schedule-free's `x`);
    /// `None` by default. The runner records its loss and error beside the iterate's.
    fn averaged(&self) -> Option<Averaged<'_, F>> {
        None
    }
}

/// The shape of each parameter: the one told ([`Optimizer::set_shapes`]) or, when none was, a
/// column vector; checked against the parameter's length.
pub(crate) fn shapes_of<F>(told: &[Shape], params: &[Vec<F>]) -> Result<Vec<Shape>, OptimError> {
    params
        .iter()
        .enumerate()
        .map(|(index, p)| match told.get(index) {
            None => Ok(Shape::column(p.len())),
            Some(s) if s.len() == p.len() => Ok(*s),
            Some(s) => Err(OptimError::Shape {
                index,
                reason: format!("told {} x {} but it has {} values", s.rows, s.cols, p.len()),
            }),
        })
        .collect()
}

/// Check that every parameter has a gradient of the same length.
pub(crate) fn check_shapes<F>(params: &[Vec<F>], grads: &[Vec<F>]) -> Result<(), OptimError> {
    if params.len() != grads.len() {
        return Err(OptimError::Shape {
            index: params.len().min(grads.len()),
            reason: format!("{} parameters but {} gradients", params.len(), grads.len()),
        });
    }
    for (index, (p, g)) in params.iter().zip(grads).enumerate() {
        if p.len() != g.len() {
            return Err(OptimError::Shape {
                index,
                reason: format!("{} values but {} gradient entries", p.len(), g.len()),
            });
        }
    }
    Ok(())
}

/// Copy a gradient into `scratch`, negated when maximizing (torch's first step: `g <- -g`).
pub(crate) fn load_gradient<F: Real>(scratch: &mut Vec<F>, grad: &[F], maximize: bool) {
    scratch.clear();
    if maximize {
        scratch.extend(grad.iter().map(|&x| -x));
    } else {
        scratch.extend_from_slice(grad);
    }
}
