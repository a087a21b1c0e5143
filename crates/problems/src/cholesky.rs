//! `Cholesky`: the lower-triangular L with L Lᵀ = A for a symmetric positive definite A, the upper triangle held at zero.
//!
//! The parameter is the lower triangle only: its upper entries are fixed ([`Problem::fixed`]), so
//! the run keeps them at zero in the start, the gradients and after every step (masked, not
//! penalised). `L Lᵀ = A` has exactly the solutions `L* D` with `D = diag(±1)`: the run is compared
//! after flipping the columns whose diagonal entry is negative, against faer's factor with its
//! positive diagonal.

use candle_core::{Result, Tensor};
use descent_tensor::{Matrix, MatrixSource, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::report::number;
use crate::{
    BuildContext, Errors, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes,
    entries, total,
};

/// Config of [`Cholesky`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CholeskyConfig {
    /// The symmetric positive definite matrix A (n x n).
    pub matrix: MatrixSource,
}

/// How far from symmetric a matrix may be, relative to its largest entry.
const SYMMETRY: f64 = 1e-12;

impl ProblemConfig for CholeskyConfig {
    const KIND: &'static str = "cholesky";
    const SUMMARY: &'static str = "lower-triangular L with L L^T = A (A symmetric positive definite; the upper triangle held at 0); keys: matrix";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("matrix", &self.matrix)?;
        Ok(Some(Footprint {
            key: "matrix".into(),
            parameters: entries(&[m, n]),
            prediction: entries(&[m, n]),
            data: total(&[entries(&[m, n]).saturating_mul(6)]),
            instances: 1,
        }))
    }

    fn build(
        &self,
        ctx: &mut dyn BuildContext,
    ) -> std::result::Result<Box<dyn Problem>, ProblemError> {
        let a = ctx.matrix("matrix", &self.matrix)?;
        Ok(Box::new(Cholesky::new(a, ctx)?))
    }
}

/// The Cholesky factor by optimization: minimise `loss(L Lᵀ, A)` over lower-triangular L.
#[derive(Debug)]
pub struct Cholesky {
    a_matrix: Matrix,
    a: Tensor,
    exact: [Matrix; 1],
    upper: Vec<bool>,
    condition: f64,
    parameters: [Parameter; 1],
}

impl Cholesky {
    /// The problem for a symmetric positive definite `a`; anything else is an error on `matrix`.
    pub fn new(a: Matrix, ctx: &dyn BuildContext) -> std::result::Result<Self, ProblemError> {
        let (m, n) = a.shape();
        if m != n {
            return Err(ProblemError::invalid(
                "matrix",
                format!("A is {m}x{n}: a Cholesky factor needs a square matrix"),
            ));
        }
        let asymmetry = a.sub(&a.transpose())?.max_abs();
        if asymmetry > SYMMETRY * a.max_abs() {
            return Err(ProblemError::invalid(
                "matrix",
                format!(
                    "A is not symmetric: max |A - A^T| = {} (largest entry {})",
                    number(asymmetry),
                    number(a.max_abs())
                ),
            ));
        }
        let l = exact::cholesky(&a).map_err(|e| match e {
            TensorError::Decomposition(_) => {
                let smallest = exact::singular_values(&a)
                    .ok()
                    .and_then(|s| s.last().copied());
                ProblemError::invalid(
                    "matrix",
                    format!(
                        "A is not positive definite (faer's Cholesky factorisation fails{}): \
                         L L^T = A has no real solution",
                        smallest.map_or_else(String::new, |s| format!(
                            "; its smallest singular value is {}",
                            number(s)
                        ))
                    ),
                )
            }
            other => ProblemError::invalid("matrix", other.to_string()),
        })?;
        let condition = exact::condition_number(&a)?;
        Ok(Self {
            a: a.to_tensor(ctx.dtype(), ctx.device())?,
            a_matrix: a,
            exact: [l],
            upper: (0..n * n).map(|k| k % n > k / n).collect(),
            condition,
            parameters: [Parameter {
                name: "L".into(),
                rows: n,
                cols: n,
            }],
        })
    }

    /// `l` with every column whose diagonal entry is negative flipped: the same `L Lᵀ`.
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<Matrix, TensorError> {
        let [l] = iterate else {
            return Err(TensorError::Shape(format!(
                "{} parameters, expected 1 (L)",
                iterate.len()
            )));
        };
        Ok(Matrix::from_fn(l.rows(), l.cols(), |i, j| {
            if l.get(j, j) < 0.0 {
                -l.get(i, j)
            } else {
                l.get(i, j)
            }
        }))
    }

    /// `||L Lᵀ - A||_F / ||A||_F`.
    pub fn residual(&self, l: &Matrix) -> f64 {
        let l = l.to_faer();
        (&l * l.transpose() - self.a_matrix.to_faer()).norm_l2()
            / self.a_matrix.frobenius_norm().max(f64::MIN_POSITIVE)
    }
}

impl Problem for Cholesky {
    fn kind(&self) -> &str {
        CholeskyConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        params[0].matmul(&params[0].t()?)
    }

    fn prediction_label(&self) -> String {
        "L L^T".into()
    }

    fn target(&self) -> &Tensor {
        &self.a
    }

    fn target_label(&self) -> String {
        "A".into()
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![("A".into(), self.a_matrix.clone())]
    }

    fn fixed(&self, index: usize) -> Option<&[bool]> {
        (index == 0).then_some(self.upper.as_slice())
    }

    fn compared(&self, iterate: &[Matrix]) -> Option<Vec<Matrix>> {
        self.aligned(iterate).ok().map(|l| vec![l])
    }

    fn compared_note(&self) -> String {
        "The found L is shown as the errors compare it: every column whose diagonal entry is \
         negative flipped (for any D = diag(±1), (L D)(L D)^T = L L^T; result.npy holds L as the \
         run left it)."
            .into()
    }

    fn errors(&self, iterate: &[Matrix]) -> std::result::Result<Errors, TensorError> {
        Errors::between(&[self.aligned(iterate)?], &self.exact)
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let mut facts = vec![
            Fact::new(
                "exact answer",
                "Cholesky factor by faer (LL^T, positive diagonal), f64; the upper triangle is held at 0",
            ),
            Fact::new(
                "condition number",
                format!("{} (of A; L's is its square root)", number(self.condition)),
            ),
        ];
        if let [l] = result {
            let flipped = (0..l.rows()).filter(|&j| l.get(j, j) < 0.0).count();
            facts.push(Fact::new(
                "residual",
                format!("||L L^T - A|| / ||A|| = {}", number(self.residual(l))),
            ));
            facts.push(Fact::new(
                "signs",
                if flipped == 0 {
                    "every diagonal entry of the found L is positive, as faer's".to_string()
                } else {
                    format!(
                        "{flipped} column(s) of the found L have a negative diagonal entry: L D with D = diag(±1) is another solution, flipped for the comparison"
                    )
                },
            ));
        }
        facts
    }
}
