//! `Inverse`: find X with X A = I (`side = "left"`, the notebook) or A X = I (`side = "right"`).

use candle_core::{Result, Tensor};
use descent_tensor::{ConstSide, matmul_const};
use descent_tensor::{Dtype, Matrix, MatrixSource, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::batched::BatchedInverse;
use crate::report::{number, scaled_transpose};
use crate::{
    BuildContext, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes, entries,
};

/// Which side X multiplies A from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// X A = I, as the notebook.
    #[default]
    Left,
    /// A X = I.
    Right,
}

/// Config of [`Inverse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InverseConfig {
    /// `left` (X A = I, default) or `right` (A X = I).
    #[serde(default)]
    pub side: Side,
    /// The square, non-singular matrix A.
    pub matrix: MatrixSource,
    /// Solve this many independent instances at once, each with its own draw of `matrix` and its
    /// own start, as batched tensor operations (default 1: one problem).
    #[serde(default = "one")]
    pub batch: usize,
}

fn one() -> usize {
    1
}

impl ProblemConfig for InverseConfig {
    const KIND: &'static str = "inverse";
    const SUMMARY: &'static str =
        "X with X A = I (side = \"left\") or A X = I (side = \"right\"); keys: side, matrix, batch";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (r, c) = shapes.shape("matrix", &self.matrix)?;
        let (b, n) = (self.batch.max(1), r.max(c));
        // Per instance: A as given, rounded and as a tensor; the identity target; the exact
        // inverse; the LU and SVD workspaces of computing it and the condition number.
        Ok(Some(Footprint {
            key: if self.batch > 1 { "batch" } else { "matrix" }.into(),
            parameters: entries(&[b, n, n]),
            prediction: entries(&[b, n, n]),
            data: entries(&[b, n, n]).saturating_mul(10),
            instances: b as u128,
        }))
    }

    fn build(
        &self,
        ctx: &mut dyn BuildContext,
    ) -> std::result::Result<Box<dyn Problem>, ProblemError> {
        if self.batch == 0 {
            return Err(ProblemError::invalid("batch", "must be at least 1"));
        }
        if self.batch > 1 {
            let matrices = (0..self.batch)
                .map(|_| ctx.matrix("matrix", &self.matrix))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            return Ok(Box::new(BatchedInverse::new(matrices, self.side, ctx)?));
        }
        let a = ctx.matrix("matrix", &self.matrix)?;
        Ok(Box::new(Inverse::new(a, self.side, ctx)?))
    }
}

/// The inverse of A by optimization: minimise `loss(X A, I)` (left) or `loss(A X, I)` (right).
#[derive(Debug)]
pub struct Inverse {
    side: Side,
    a: Tensor,
    identity: Tensor,
    matrix: Matrix,
    exact: [Matrix; 1],
    condition: f64,
    parameters: [Parameter; 1],
}

impl Inverse {
    /// The problem for a square, non-singular `a`, in the context's dtype and device.
    pub fn new(
        a: Matrix,
        side: Side,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let n = a.rows();
        let (inverse, condition) = exact::inverse_and_condition(&a).map_err(inverse_error)?;
        singular_in(ctx.dtype(), n, condition)
            .map_err(|reason| ProblemError::invalid("matrix", reason))?;
        Ok(Self {
            side,
            a: a.to_tensor(ctx.dtype(), ctx.device())?,
            matrix: a.clone(),
            identity: Matrix::identity(n).to_tensor(ctx.dtype(), ctx.device())?,
            exact: [inverse],
            condition,
            parameters: [Parameter {
                name: "X".into(),
                rows: n,
                cols: n,
            }],
        })
    }
}

/// Whether a matrix of size `n` with `condition` is singular to the working precision of the run's
/// `dtype` (`s_min <= n eps s_max`, the test the exact answer uses in f64): an f32 run cannot
/// resolve what only f64 can. The reason, when it is.
pub(crate) fn singular_in(
    dtype: Dtype,
    n: usize,
    condition: f64,
) -> std::result::Result<(), String> {
    let limit = 1.0 / (n as f64 * dtype.epsilon());
    if condition >= limit {
        return Err(format!(
            "the matrix is singular in {} (condition number {condition:.3e}, at least 1/(n eps) = \
             {limit:.3e}): the run's dtype cannot resolve the answer; use dtype = \"f64\"",
            dtype.name()
        ));
    }
    Ok(())
}

/// The config error for a matrix that has no inverse.
pub(crate) fn inverse_error(e: TensorError) -> ProblemError {
    match e {
        TensorError::NotSquare { rows, cols } => ProblemError::invalid(
            "matrix",
            format!("an inverse needs a square matrix, got {rows}x{cols}"),
        ),
        TensorError::Singular { smallest, largest } => ProblemError::invalid(
            "matrix",
            format!(
                "the matrix is singular (smallest singular value {smallest:.3e}, largest {largest:.3e}) and has no inverse"
            ),
        ),
        other => ProblemError::invalid("matrix", other.to_string()),
    }
}

impl Problem for Inverse {
    fn kind(&self) -> &str {
        InverseConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        match self.side {
            Side::Left => matmul_const(&params[0], &self.a, ConstSide::Right),
            Side::Right => matmul_const(&params[0], &self.a, ConstSide::Left),
        }
    }

    fn prediction_label(&self) -> String {
        match self.side {
            Side::Left => "X @ A".into(),
            Side::Right => "A @ X".into(),
        }
    }

    fn target(&self) -> &Tensor {
        &self.identity
    }

    fn target_label(&self) -> String {
        "I".into()
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![("A".into(), self.matrix.clone())]
    }

    fn scaled_transpose(&self) -> Option<Vec<Matrix>> {
        Some(vec![scaled_transpose(&self.matrix)])
    }

    fn curvature(&self) -> Option<f64> {
        let s = descent_tensor::exact::singular_values(&self.matrix).ok()?;
        s.first().map(|s| 2.0 * s * s)
    }

    fn linear_form(&self) -> Option<crate::LinearForm> {
        Some(crate::LinearForm {
            a: self.matrix.clone(),
            left: self.side == Side::Left,
            target: Matrix::identity(self.matrix.rows()),
            batch: 1,
        })
    }

    fn facts(&self, _start: &[Matrix], _result: &[Matrix]) -> Vec<Fact> {
        vec![
            Fact::new(
                "exact answer",
                "inv(A) by faer (LU with partial pivoting), f64",
            ),
            Fact::new(
                "condition number",
                format!(
                    "{} (of A{})",
                    number(self.condition),
                    crate::report::condition_norm(&self.matrix)
                ),
            ),
        ]
    }
}
