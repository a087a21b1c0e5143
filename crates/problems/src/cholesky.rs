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
use crate::symmetric::check_symmetric;
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
    /// Independent instances solved at once, each drawing its own `matrix` (default 1).
    #[serde(default = "one")]
    pub batch: usize,
}

fn one() -> usize {
    1
}

impl ProblemConfig for CholeskyConfig {
    const KIND: &'static str = "cholesky";
    const SUMMARY: &'static str = "lower-triangular L with L L^T = A (A symmetric positive definite; the upper triangle held at 0); keys: matrix, batch";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("matrix", &self.matrix)?;
        let b = self.batch.max(1);
        Ok(Some(Footprint {
            key: if b > 1 { "batch" } else { "matrix" }.into(),
            parameters: entries(&[b, m, n]),
            prediction: entries(&[b, m, n]),
            data: total(&[entries(&[b, m, n]).saturating_mul(6)]),
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
        let matrices = (0..self.batch)
            .map(|_| ctx.matrix("matrix", &self.matrix))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Box::new(Cholesky::new(matrices, ctx)?))
    }
}

/// The Cholesky factor by optimization: minimise `loss(L Lᵀ, A)` over lower-triangular L. With
/// `batch = N` the parameter stacks N factors (N n rows) and the objective is the loss over all
/// instances' products, batched.
#[derive(Debug)]
pub struct Cholesky {
    a_matrix: Matrix,
    a: Tensor,
    batch: usize,
    n: usize,
    exact: [Matrix; 1],
    upper: Vec<bool>,
    condition: f64,
    parameters: [Parameter; 1],
}

/// Instance `k` (rows `k n .. (k + 1) n`) of a stacked matrix.
fn instance(m: &Matrix, k: usize, n: usize) -> Matrix {
    Matrix::from_fn(n, m.cols(), |i, j| m.get(k * n + i, j))
}

impl Cholesky {
    /// The problem for symmetric positive definite matrices (one per instance, all n x n);
    /// anything else is an error on `matrix` naming the instance.
    pub fn new(
        matrices: Vec<Matrix>,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let batch = matrices.len();
        let mut factors = Vec::with_capacity(batch);
        let mut condition = 0.0f64;
        for (k, a) in matrices.iter().enumerate() {
            let (l, c) = Self::factor(a).map_err(|e| match e {
                ProblemError::Invalid { key, reason } if batch > 1 => ProblemError::Invalid {
                    key,
                    reason: format!("instance {k}: {reason}"),
                },
                other => other,
            })?;
            factors.push(l);
            condition = condition.max(c);
        }
        let n = matrices.first().map_or(0, Matrix::rows);
        let stack = |ms: &[Matrix]| Matrix::from_fn(batch * n, n, |r, j| ms[r / n].get(r % n, j));
        let a = stack(&matrices);
        Ok(Self {
            a: a.to_tensor(ctx.dtype(), ctx.device())?,
            a_matrix: a,
            batch,
            n,
            exact: [stack(&factors)],
            upper: (0..batch * n * n).map(|e| e % n > (e / n) % n).collect(),
            condition,
            parameters: [Parameter {
                name: "L".into(),
                rows: batch * n,
                cols: n,
            }],
        })
    }

    /// One instance's exact factor and condition number, or why it has none.
    fn factor(a: &Matrix) -> std::result::Result<(Matrix, f64), ProblemError> {
        check_symmetric(a, "a Cholesky factor")?;
        let l = exact::cholesky(a).map_err(|e| match e {
            TensorError::Decomposition(_) => {
                let smallest = exact::singular_values(a)
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
        let condition = exact::condition_number(a)?;
        Ok((l, condition))
    }

    /// `l` with every column (of each instance) whose diagonal entry is negative flipped: the
    /// same `L Lᵀ`.
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<Matrix, TensorError> {
        let [l] = iterate else {
            return Err(TensorError::Shape(format!(
                "{} parameters, expected 1 (L)",
                iterate.len()
            )));
        };
        let n = self.n;
        Ok(Matrix::from_fn(l.rows(), l.cols(), |r, j| {
            if l.get(r - r % n + j, j) < 0.0 {
                -l.get(r, j)
            } else {
                l.get(r, j)
            }
        }))
    }

    /// The largest over the instances of `||L Lᵀ - A||_F / ||A||_F`.
    pub fn residual(&self, l: &Matrix) -> f64 {
        (0..self.batch)
            .map(|k| {
                let (lk, ak) = (instance(l, k, self.n), instance(&self.a_matrix, k, self.n));
                let lf = lk.to_faer();
                (&lf * lf.transpose() - ak.to_faer()).norm_l2()
                    / ak.frobenius_norm().max(f64::MIN_POSITIVE)
            })
            .fold(0.0, f64::max)
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
        let (b, n) = (self.batch, self.n);
        let l = params[0].reshape((b, n, n))?;
        l.matmul(&l.t()?)?.reshape((b * n, n))
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
            let flipped = (0..l.rows())
                .filter(|&r| l.get(r, r % self.n) < 0.0)
                .count();
            facts.push(Fact::new(
                "residual",
                format!(
                    "||L L^T - A|| / ||A|| = {}{}",
                    number(self.residual(l)),
                    if self.batch > 1 {
                        format!(" (the largest of {} instances)", self.batch)
                    } else {
                        String::new()
                    }
                ),
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
