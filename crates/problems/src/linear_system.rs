//! `LinearSystem`: find x with A x = b (one or several right-hand sides); least squares when A is tall.

use candle_core::{Result, Tensor};
use descent_tensor::{ConstSide, matmul_const};
use descent_tensor::{Matrix, MatrixSource, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::report::{number, scaled_transpose};
use crate::{
    BuildContext, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes,
    entries, total,
};

/// The right-hand side: a vector `b = [5.0, 4.0]` or a matrix source whose columns are right-hand sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a vector of numbers or a matrix such as { rows = [[..]] }"
)]
pub enum RightHandSide {
    /// One right-hand side.
    Vector(Vec<f64>),
    /// Several right-hand sides, one per column.
    Matrix(MatrixSource),
}

impl RightHandSide {
    /// Its shape (m x r) under the key `b`, without building it.
    pub fn shape(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<(usize, usize), ProblemError> {
        match self {
            RightHandSide::Vector(v) => Ok((v.len(), 1)),
            RightHandSide::Matrix(source) => shapes.shape("b", source),
        }
    }

    /// The matrix (m x r), resolved and rounded by the run under the key `b`.
    pub fn resolve(&self, ctx: &mut dyn BuildContext) -> std::result::Result<Matrix, ProblemError> {
        match self {
            // A vector is one column; as a one-row source it gets the same checks and rounding.
            RightHandSide::Vector(v) => Ok(ctx
                .matrix("b", &MatrixSource::Rows(vec![v.clone()]))?
                .transpose()),
            RightHandSide::Matrix(source) => ctx.matrix("b", source),
        }
    }
}

/// Config of [`LinearSystem`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearSystemConfig {
    /// The matrix A (m x n, m >= n, full column rank).
    pub a: MatrixSource,
    /// The right-hand side(s) b (m entries, or m x r).
    pub b: RightHandSide,
}

impl ProblemConfig for LinearSystemConfig {
    const KIND: &'static str = "linear_system";
    const SUMMARY: &'static str =
        "x with A x = b (least squares when A has more rows than columns); keys: a, b";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("a", &self.a)?;
        let (mb, k) = self.b.shape(shapes)?;
        let (a, b) = (entries(&[m, n]), entries(&[mb, k]));
        // A and b as given, rounded and as tensors; the exact solution; the thin SVD of A
        // (U is m x min(m, n), V and the triangle min(m, n) square) for the least-squares answer.
        let small = m.min(n);
        Ok(Some(Footprint {
            key: if b > a { "b" } else { "a" }.into(),
            parameters: entries(&[n, k]),
            prediction: entries(&[m.max(mb), k]),
            data: total(&[
                a.saturating_mul(6),
                b.saturating_mul(4),
                entries(&[small, small]).saturating_mul(3),
                entries(&[n, k]).saturating_mul(2),
            ]),
            instances: 1,
        }))
    }

    fn build(
        &self,
        ctx: &mut dyn BuildContext,
    ) -> std::result::Result<Box<dyn Problem>, ProblemError> {
        let a = ctx.matrix("a", &self.a)?;
        let b = self.b.resolve(ctx)?;
        Ok(Box::new(LinearSystem::new(a, b, ctx)?))
    }
}

/// A x = b by optimization: minimise `loss(A x, b)`.
#[derive(Debug)]
pub struct LinearSystem {
    a_matrix: Matrix,
    b_matrix: Matrix,
    a: Tensor,
    b: Tensor,
    exact: [Matrix; 1],
    condition: f64,
    square: bool,
    parameters: [Parameter; 1],
}

impl LinearSystem {
    /// The system for `a` (m x n, m >= n, full column rank) and `b` (m x r).
    pub fn new(
        a: Matrix,
        b: Matrix,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let (m, n) = a.shape();
        if b.rows() != m {
            return Err(ProblemError::invalid(
                "b",
                format!("has {} rows but A has {m}: they must match", b.rows()),
            ));
        }
        if m < n {
            return Err(ProblemError::invalid(
                "a",
                format!(
                    "A is {m}x{n}: fewer equations than unknowns, so A x = b has no unique solution; \
                     give A at least as many rows as columns"
                ),
            ));
        }
        let singular = |smallest: f64, largest: f64| {
            ProblemError::invalid(
                "a",
                format!(
                    "A is rank-deficient (smallest singular value {smallest:.3e}, largest {largest:.3e}): \
                     the solution is not unique"
                ),
            )
        };
        let (solution, condition) = if m == n {
            exact::solve_and_condition(&a, &b)
        } else {
            exact::lstsq_and_condition(&a, &b)
        }
        .map_err(|e| match e {
            TensorError::Singular { smallest, largest } => singular(smallest, largest),
            other => ProblemError::invalid("a", other.to_string()),
        })?;
        crate::inverse::singular_in(ctx.dtype(), m.max(n), condition)
            .map_err(|reason| ProblemError::invalid("a", reason.replace("the matrix", "A")))?;
        Ok(Self {
            a: a.to_tensor(ctx.dtype(), ctx.device())?,
            b: b.to_tensor(ctx.dtype(), ctx.device())?,
            parameters: [Parameter {
                name: "x".into(),
                rows: n,
                cols: b.cols(),
            }],
            a_matrix: a,
            b_matrix: b,
            exact: [solution],
            condition,
            square: m == n,
        })
    }

    /// `||A x - b||_F` for a host `x`.
    pub fn residual(&self, x: &Matrix) -> f64 {
        let a = self.a_matrix.to_faer();
        let r = &a * x.to_faer() - self.b_matrix.to_faer();
        r.norm_l2()
    }
}

impl Problem for LinearSystem {
    fn kind(&self) -> &str {
        LinearSystemConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        matmul_const(&params[0], &self.a, ConstSide::Left)
    }

    fn prediction_label(&self) -> String {
        "A @ x".into()
    }

    fn target(&self) -> &Tensor {
        &self.b
    }

    fn target_label(&self) -> String {
        "b".into()
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![
            ("A".into(), self.a_matrix.clone()),
            ("b".into(), self.b_matrix.clone()),
        ]
    }

    /// `x0 = A^T b / (||A||_1 ||A||_inf)`: the scaled-transpose start of the inverse applied to b.
    fn scaled_transpose(&self) -> Option<Vec<Matrix>> {
        let t = scaled_transpose(&self.a_matrix).to_faer();
        Some(vec![Matrix::from_faer(
            (&t * self.b_matrix.to_faer()).as_ref(),
        )])
    }

    fn curvature(&self) -> Option<f64> {
        let s = descent_tensor::exact::singular_values(&self.a_matrix).ok()?;
        s.first().map(|s| 2.0 * s * s)
    }

    fn linear_form(&self) -> Option<crate::LinearForm> {
        Some(crate::LinearForm {
            a: self.a_matrix.clone(),
            left: false,
            target: self.b_matrix.clone(),
            batch: 1,
        })
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let source = if self.square {
            "x = A \\ b by faer (LU with partial pivoting), f64"
        } else {
            "least-squares x by faer (Householder QR), f64"
        };
        let mut facts = vec![
            Fact::new("exact answer", source),
            Fact::new(
                "condition number",
                format!(
                    "{} (of A{})",
                    number(self.condition),
                    crate::report::condition_norm(&self.a_matrix)
                ),
            ),
        ];
        if let Some(x) = result.first() {
            facts.push(Fact::new(
                "residual",
                format!("||A x - b|| = {}", number(self.residual(x))),
            ));
        }
        if !self.square {
            facts.push(Fact::new(
                "exact residual",
                format!(
                    "||A x* - b|| = {} (the least-squares minimum)",
                    number(self.residual(&self.exact[0]))
                ),
            ));
        }
        if self.exact[0].cols() == 1 && self.exact[0].rows() <= 8 {
            facts.push(Fact::new(
                "exact x",
                crate::report::numbers(self.exact[0].data()),
            ));
            if let Some(x) = result.first() {
                facts.push(Fact::new("found x", crate::report::numbers(x.data())));
            }
        }
        facts
    }
}
