//! The `Problem` trait, its config trait, and the context a config builds in.

use candle_core::{Device, Result, Tensor};
use descent_losses::Loss;
use descent_tensor::{Dtype, Matrix, MatrixSource, RandomStreams};
use serde::{Serialize, de::DeserializeOwned};

use crate::{Errors, Footprint, HostObjective, LinearHost, ProblemError, Shapes};

/// One parameter matrix of a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Its name in reports and files (`X`).
    pub name: String,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
}

/// A fact about a problem for the summary: a label and its value, both ready to print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    /// What it is (`condition number`).
    pub label: String,
    /// Its value (`4`).
    pub value: String,
}

impl Fact {
    /// A fact.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A problem whose exact answer is known: fit `prediction(params)` to `target`.
///
/// The trait is object-safe; a run holds a `Box<dyn Problem>`. Parameters are handed in as candle
/// tensors in the order of [`Problem::parameters`]; the runner makes them variables so that the
/// objective can be differentiated. The problem never does I/O.
pub trait Problem: Send + Sync {
    /// The name in configs (`inverse`).
    fn kind(&self) -> &str;
    /// The parameters, in order.
    fn parameters(&self) -> &[Parameter];
    /// What the parameters produce, e.g. `X @ A`.
    fn prediction(&self, params: &[Tensor]) -> Result<Tensor>;
    /// How the prediction is written in reports, e.g. `X @ A`.
    fn prediction_label(&self) -> String;
    /// What the prediction should equal, e.g. `I`.
    fn target(&self) -> &Tensor;
    /// How the target is written in reports, e.g. `I`.
    fn target_label(&self) -> String;
    /// The scalar objective; by default `loss(prediction, target)`.
    fn objective(&self, params: &[Tensor], loss: &dyn Loss) -> Result<Tensor> {
        loss.loss(&self.prediction(params)?, self.target())
    }
    /// The exact answer, one matrix per parameter, from faer.
    fn exact(&self) -> &[Matrix];
    /// The problem's data worth showing before a run (`A`, `b`, the indicator matrix `B`).
    fn inputs(&self) -> Vec<(String, Matrix)> {
        Vec::new()
    }
    /// The classical safe start `A^T / (||A||_1 ||A||_inf)` (or this problem's analogue), one matrix
    /// per parameter; `None` where the problem has none.
    fn scaled_transpose(&self) -> Option<Vec<Matrix>> {
        None
    }
    /// Facts for the summary, given the start and the final iterate (one matrix per parameter each):
    /// where the exact answer comes from, the condition number, and the problem's own figures.
    fn facts(&self, start: &[Matrix], result: &[Matrix]) -> Vec<Fact>;
    /// For a prediction linear in the parameters: the largest eigenvalue of the Hessian of
    /// `sum((prediction - target)^2)`, `2 σ_max^2` of the matrix the parameters are multiplied by.
    /// A loss that scales the sum (mse divides by the number of entries) scales it alike. `None`
    /// for problems that are not quadratic (`svd`). The runner's divergence message uses it.
    fn curvature(&self) -> Option<f64> {
        None
    }
    /// The weight λ of a Tikhonov term `λ ||x||²` that the problem's linear form carries as
    /// `√λ I` rows below its matrix (`ridge`); `None` (the default) for problems without one. The
    /// theory uses it to set the spectral filter of early stopping beside the ridge filter.
    fn tikhonov(&self) -> Option<f64> {
        None
    }
    /// For a problem with one parameter whose prediction is linear in it: `X A` or `A X`, with the
    /// matrix `A` and the target, as the problem really uses them (rounded to the run's dtype).
    /// The default host gradient ([`Problem::host_f32`]) is built from it; `None` otherwise.
    fn linear_form(&self) -> Option<LinearForm> {
        None
    }
    /// The objective under `loss` and its exact gradient on host buffers in `f32`, without
    /// candle's autodiff (`gradient = "auto"`, the default, uses it where there is one). By
    /// default it is built from [`Problem::linear_form`]; `None` when the problem has no linear
    /// form or the loss no [`Loss::elementwise`] form, and runs fall back to autodiff.
    fn host_f32(&self, loss: &dyn Loss) -> Option<Box<dyn HostObjective<f32>>> {
        let form = self.linear_form()?;
        Some(Box::new(LinearHost::<f32>::new(&form, loss)?))
    }
    /// [`Problem::host_f32`] in `f64`.
    fn host_f64(&self, loss: &dyn Loss) -> Option<Box<dyn HostObjective<f64>>> {
        let form = self.linear_form()?;
        Some(Box::new(LinearHost::<f64>::new(&form, loss)?))
    }
    /// The iterate as [`Problem::errors`] compares it with the exact answer, where that differs from
    /// the iterate itself (the SVD: triplets sorted by |s|, signs matched), for reports to show
    /// beside the exact answer; `None` (the default) where the iterate is compared as it is.
    fn compared(&self, iterate: &[Matrix]) -> Option<Vec<Matrix>> {
        let _ = iterate;
        None
    }
    /// The entries of parameter `index` (row-major) that are not free: held at zero from the start
    /// to the end, whatever the optimizer does (`cholesky`'s upper triangle). `true` marks a fixed
    /// entry. The run zeroes them in the start, in every gradient it hands out and after every
    /// step, so they stay zero bit for bit. `None` (the default): every entry is free.
    fn fixed(&self, index: usize) -> Option<&[bool]> {
        let _ = index;
        None
    }
    /// The constraint set of parameter `index`, which the run projects the start onto and the
    /// parameters after every optimizer step (`nmf`'s factors: [`crate::Projection::Nonnegative`]). A
    /// config's top-level `project` can add one to any problem. Default: none.
    fn projection(&self, index: usize) -> crate::Projection {
        let _ = index;
        crate::Projection::None
    }
    /// How [`Problem::compared`] makes an iterate comparable, in a sentence for the report (shown
    /// where `compared` gives `Some`).
    fn compared_note(&self) -> String {
        "The found parameters are shown as the errors compare them with the exact answer \
         (result_*.npy holds them as the run left them)."
            .into()
    }
    /// The error of an iterate (one matrix per parameter) against the exact answer.
    fn errors(
        &self,
        iterate: &[Matrix],
    ) -> std::result::Result<Errors, descent_tensor::TensorError> {
        Errors::between(iterate, self.exact())
    }
}

/// The prediction of a problem linear in its one parameter X: `X A` (left) or `A X` (right).
#[derive(Debug, Clone, PartialEq)]
pub struct LinearForm {
    /// The matrix multiplying the parameter.
    pub a: Matrix,
    /// `true` for `X A`, `false` for `A X`.
    pub left: bool,
    /// The target of the prediction.
    pub target: Matrix,
    /// Independent instances stacked in `a`, `target` and the parameter (1: a single problem);
    /// the objective is the sum of their losses.
    pub batch: usize,
}

/// What a problem config needs from the runner while it builds: dtype, device, and matrices.
pub trait BuildContext {
    /// The dtype the run computes in.
    fn dtype(&self) -> Dtype;
    /// The device the run computes on.
    fn device(&self) -> &Device;
    /// The matrix a source describes, for the key `key` of the problem's table, rounded to the run's
    /// dtype (so exact answers are those of the matrix the run really uses). The runner resolves
    /// sources that need files or random numbers; errors name the key.
    fn matrix(
        &mut self,
        key: &str,
        source: &MatrixSource,
    ) -> std::result::Result<Matrix, ProblemError>;
    /// The run's random streams, for problems that draw their own data (seeded with the run's seed).
    fn random(&mut self) -> &mut RandomStreams;
}

/// The configuration of a problem: its TOML table (minus `kind`) and how to build it.
pub trait ProblemConfig: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name in configs (`kind = "inverse"`).
    const KIND: &'static str;
    /// One line for listings.
    const SUMMARY: &'static str;
    /// What the problem will hold, from the config and the shapes of its matrices alone: nothing
    /// is drawn, read or built. The runner refuses a config whose estimate exceeds `max_memory`.
    /// `None` (the default): not estimated, and only the shape of each matrix is guarded.
    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let _ = shapes;
        Ok(None)
    }
    /// Build the problem; errors name the key that is wrong.
    fn build(
        &self,
        ctx: &mut dyn BuildContext,
    ) -> std::result::Result<Box<dyn Problem>, ProblemError>;
}
