//! `Ridge`: Tikhonov-regularised least squares, x = (AᵀA + λI)⁻¹ Aᵀ b, as the linear system [A; √λ I] x = [b; 0].
//!
//! `||A x - b||² + λ ||x||²` is the squared residual of the stacked system, so the problem is a
//! [`LinearSystem`] in the stacked matrix: its linear form, exact host gradient, curvature and
//! theory come with it, and faer's least squares of the stacked system is the exact answer. The
//! squared losses (`sse`, `mse`) have it as their minimiser; `mse` averages over the `m + n` rows
//! of the stacked system, which scales the objective but not where it is least.

use candle_core::{Result, Tensor};
use descent_tensor::{Dtype, Matrix, MatrixSource, exact};
use serde::{Deserialize, Serialize};

use crate::report::{number, numbers};
use crate::{
    BuildContext, Fact, Footprint, LinearSystem, Parameter, Problem, ProblemConfig, ProblemError,
    RightHandSide, Shapes, entries, total,
};

/// Config of [`Ridge`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RidgeConfig {
    /// The matrix A (m x n, any shape when λ > 0; full column rank when λ = 0).
    pub a: MatrixSource,
    /// The right-hand side(s) b (m entries, or m x r).
    pub b: RightHandSide,
    /// The regularisation weight λ >= 0 (required).
    pub lambda: f64,
}

impl ProblemConfig for RidgeConfig {
    const KIND: &'static str = "ridge";
    const SUMMARY: &'static str = "x = (A^T A + lambda I)^-1 A^T b: minimise ||A x - b||^2 + lambda ||x||^2; keys: a, b, lambda";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("a", &self.a)?;
        let (mb, k) = self.b.shape(shapes)?;
        // A and b as given; the stacked (m + n) x n system and its right-hand side, rounded and
        // as tensors; the thin SVD of the stacked matrix for the exact answer.
        let rows = m.saturating_add(n);
        let stacked = entries(&[rows, n]);
        Ok(Some(Footprint {
            key: "a".into(),
            parameters: entries(&[n, k]),
            prediction: entries(&[rows.max(mb), k]),
            data: total(&[
                entries(&[m, n]),
                entries(&[mb, k]),
                stacked.saturating_mul(6),
                entries(&[rows, k]).saturating_mul(4),
                entries(&[n, n]).saturating_mul(3),
            ]),
            instances: 1,
        }))
    }

    fn build(
        &self,
        ctx: &mut dyn BuildContext,
    ) -> std::result::Result<Box<dyn Problem>, ProblemError> {
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(ProblemError::invalid(
                "lambda",
                format!("must be a finite number >= 0, got {}", self.lambda),
            ));
        }
        let a = ctx.matrix("a", &self.a)?;
        let b = self.b.resolve(ctx)?;
        Ridge::new(a, b, self.lambda, ctx).map(|r| Box::new(r) as Box<dyn Problem>)
    }
}

/// Ridge regression by optimization: minimise `loss([A; √λ I] x, [b; 0])`.
#[derive(Debug)]
pub struct Ridge {
    system: LinearSystem,
    a: Matrix,
    b: Matrix,
    lambda: f64,
}

impl Ridge {
    /// The ridge problem for `a` (m x n), `b` (m x r) and `lambda` >= 0; `√λ` is rounded to the
    /// run's dtype, and the exact answer is that of the rounded system.
    pub fn new(
        a: Matrix,
        b: Matrix,
        lambda: f64,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let (m, n) = a.shape();
        if b.rows() != m {
            return Err(ProblemError::invalid(
                "b",
                format!("has {} rows but A has {m}: they must match", b.rows()),
            ));
        }
        let root = match ctx.dtype() {
            Dtype::F32 => f64::from(lambda.sqrt() as f32),
            Dtype::F64 => lambda.sqrt(),
        };
        let stacked = Matrix::from_fn(m + n, n, |i, j| {
            if i < m {
                a.get(i, j)
            } else if i - m == j {
                root
            } else {
                0.0
            }
        });
        let target = Matrix::from_fn(
            m + n,
            b.cols(),
            |i, j| if i < m { b.get(i, j) } else { 0.0 },
        );
        let system = LinearSystem::new(stacked, target, ctx).map_err(|e| match e {
            // The stacked matrix is A with rows below it: its faults are A's, or λ's when λ = 0.
            ProblemError::Invalid { reason, .. } if lambda == 0.0 => ProblemError::invalid(
                "a",
                format!("{reason} (with lambda = 0 ridge is least squares; a lambda > 0 makes it unique)"),
            ),
            other => other,
        })?;
        Ok(Self {
            system,
            a,
            b,
            lambda: root * root,
        })
    }

    /// The regularisation weight as the run uses it: `√λ` rounded to the dtype, squared.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// `||A x - b||_F` for a host `x`.
    fn residual(&self, x: &Matrix) -> f64 {
        (&self.a.to_faer() * x.to_faer() - self.b.to_faer()).norm_l2()
    }
}

impl Problem for Ridge {
    fn kind(&self) -> &str {
        RidgeConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        self.system.parameters()
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        self.system.prediction(params)
    }

    fn prediction_label(&self) -> String {
        "[A; sqrt(lambda) I] @ x".into()
    }

    fn target(&self) -> &Tensor {
        self.system.target()
    }

    fn target_label(&self) -> String {
        "[b; 0]".into()
    }

    fn exact(&self) -> &[Matrix] {
        self.system.exact()
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![("A".into(), self.a.clone()), ("b".into(), self.b.clone())]
    }

    fn scaled_transpose(&self) -> Option<Vec<Matrix>> {
        self.system.scaled_transpose()
    }

    fn curvature(&self) -> Option<f64> {
        self.system.curvature()
    }

    fn linear_form(&self) -> Option<crate::LinearForm> {
        self.system.linear_form()
    }

    fn tikhonov(&self) -> Option<f64> {
        Some(self.lambda)
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let x = &self.exact()[0];
        let mut facts = vec![
            Fact::new(
                "exact answer",
                "x = (A^T A + lambda I)^-1 A^T b by faer (least squares of [A; sqrt(lambda) I] x = [b; 0], Householder QR), f64",
            ),
            Fact::new("lambda", number(self.lambda)),
        ];
        if let Ok(s) = exact::singular_values(&self.a)
            && let (Some(&top), Some(&low)) = (s.first(), s.last())
        {
            let kept = |sigma: f64| sigma * sigma / (sigma * sigma + self.lambda);
            facts.push(Fact::new(
                "ridge filter",
                format!(
                    "sigma^2 / (sigma^2 + lambda) = {} at the largest singular value {}, {} at the smallest {}",
                    number(kept(top)),
                    number(top),
                    number(kept(low)),
                    number(low)
                ),
            ));
        }
        facts.push(Fact::new(
            "exact residual",
            format!(
                "||A x* - b|| = {}, ||x*|| = {}",
                number(self.residual(x)),
                number(x.frobenius_norm())
            ),
        ));
        if let Some(found) = result.first() {
            facts.push(Fact::new(
                "found",
                format!(
                    "||A x - b|| = {}, ||x|| = {}",
                    number(self.residual(found)),
                    number(found.frobenius_norm())
                ),
            ));
            if x.cols() == 1 && x.rows() <= 8 {
                facts.push(Fact::new("exact x", numbers(x.data())));
                facts.push(Fact::new("found x", numbers(found.data())));
            }
        }
        facts
    }
}
