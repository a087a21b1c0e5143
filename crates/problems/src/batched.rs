//! `BatchedInverse`: many independent inverse problems (`batch = N`) solved at once with batched tensor products.

use candle_core::{Result, Tensor};
use descent_losses::Loss;
use descent_tensor::{ConstSide, matmul_const};
use descent_tensor::{Matrix, exact};

use crate::inverse::{Side, inverse_error, singular_in};
use crate::report::number;
use crate::{BuildContext, Fact, Parameter, Problem, ProblemError};

/// N inverse problems `X_k A_k = I` (or `A_k X_k = I`), each with its own matrix and start. The
/// parameter stacks the X_k (N n rows, n columns); the objective is the sum of the instances'
/// losses, so each instance moves exactly as it would in a run of its own.
#[derive(Debug)]
pub struct BatchedInverse {
    side: Side,
    batch: usize,
    n: usize,
    a: Tensor,
    identity: Tensor,
    matrices: Vec<Matrix>,
    exact: [Matrix; 1],
    conditions: Vec<f64>,
    parameters: [Parameter; 1],
}

/// Stack n x m matrices on top of each other.
fn stack(ms: &[Matrix]) -> Matrix {
    let (n, m) = ms.first().map_or((0, 0), Matrix::shape);
    let data: Vec<f64> = ms.iter().flat_map(|a| a.data().iter().copied()).collect();
    Matrix::new(ms.len() * n, m, data).unwrap_or_else(|_| Matrix::zeros(0, 0))
}

/// Instance `k` (rows `k n .. (k + 1) n`) of a stacked matrix.
fn instance(m: &Matrix, k: usize, n: usize) -> Matrix {
    Matrix::from_fn(n, m.cols(), |i, j| m.get(k * n + i, j))
}

/// Each instance's exact inverse and condition number, checked to be invertible in `dtype`.
fn exact_answers(
    matrices: &[Matrix],
    n: usize,
    dtype: descent_tensor::Dtype,
) -> std::result::Result<(Vec<Matrix>, Vec<f64>), ProblemError> {
    let mut inverses = Vec::with_capacity(matrices.len());
    let mut conditions = Vec::with_capacity(matrices.len());
    for (k, a) in matrices.iter().enumerate() {
        let (inverse, condition) =
            exact::inverse_and_condition(a).map_err(|e| match inverse_error(e) {
                ProblemError::Invalid { key, reason } => ProblemError::Invalid {
                    key,
                    reason: format!("instance {k}: {reason}"),
                },
                other => other,
            })?;
        singular_in(dtype, n, condition)
            .map_err(|reason| ProblemError::invalid("matrix", format!("instance {k}: {reason}")))?;
        inverses.push(inverse);
        conditions.push(condition);
    }
    Ok((inverses, conditions))
}

impl BatchedInverse {
    /// The batch of the square, non-singular `matrices` (all n x n).
    pub fn new(
        matrices: Vec<Matrix>,
        side: Side,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let batch = matrices.len();
        let n = matrices.first().map_or(0, Matrix::rows);
        let (inverses, conditions) =
            exact::sequential(|| exact_answers(&matrices, n, ctx.dtype()))?;
        let stacked = stack(&matrices);
        Ok(Self {
            side,
            batch,
            n,
            a: stacked
                .to_tensor(ctx.dtype(), ctx.device())?
                .reshape((batch, n, n))?,
            identity: stack(&vec![Matrix::identity(n); batch])
                .to_tensor(ctx.dtype(), ctx.device())?,
            matrices,
            exact: [stack(&inverses)],
            conditions,
            parameters: [Parameter {
                name: "X".into(),
                rows: batch * n,
                cols: n,
            }],
        })
    }

    /// Each instance's relative Frobenius error of `x` (stacked) against its exact inverse.
    fn instance_errors(&self, x: &Matrix) -> Vec<f64> {
        (0..self.batch)
            .map(|k| {
                let found = instance(x, k, self.n);
                let want = instance(&self.exact[0], k, self.n);
                found
                    .sub(&want)
                    .map_or(f64::NAN, |d| d.frobenius_norm() / want.frobenius_norm())
            })
            .collect()
    }
}

impl BatchedInverse {
    /// Each instance's mean squared residual `mean((X_k A_k - I)^2)` (or `A_k X_k`), in f64.
    fn instance_residuals(&self, x: &Matrix) -> Vec<f64> {
        let n = self.n;
        (0..self.batch)
            .map(|k| {
                let xk = instance(x, k, n).to_faer();
                let ak = self.matrices[k].to_faer();
                let p = match self.side {
                    Side::Left => &xk * &ak,
                    Side::Right => &ak * &xk,
                };
                let mut sum = 0.0;
                for i in 0..n {
                    for j in 0..n {
                        let d = p[(i, j)] - if i == j { 1.0 } else { 0.0 };
                        sum += d * d;
                    }
                }
                sum / (n * n) as f64
            })
            .collect()
    }
}

impl Problem for BatchedInverse {
    fn kind(&self) -> &str {
        "inverse"
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        let x = params[0].reshape((self.batch, self.n, self.n))?;
        let p = match self.side {
            Side::Left => matmul_const(&x, &self.a, ConstSide::Right)?,
            Side::Right => matmul_const(&x, &self.a, ConstSide::Left)?,
        };
        p.reshape((self.batch * self.n, self.n))
    }

    fn prediction_label(&self) -> String {
        match self.side {
            Side::Left => "X_k @ A_k".into(),
            Side::Right => "A_k @ X_k".into(),
        }
    }

    fn target(&self) -> &Tensor {
        &self.identity
    }

    fn target_label(&self) -> String {
        "I".into()
    }

    /// The sum of the instances' losses: the loss over all entries, times N for a loss that
    /// averages its entries.
    fn objective(&self, params: &[Tensor], loss: &dyn Loss) -> Result<Tensor> {
        let all = loss.loss(&self.prediction(params)?, &self.identity)?;
        if loss.sums() {
            Ok(all)
        } else {
            all * self.batch as f64
        }
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![(
            format!("A_0 (the first of {})", self.batch),
            self.matrices[0].clone(),
        )]
    }

    fn linear_form(&self) -> Option<crate::LinearForm> {
        Some(crate::LinearForm {
            a: stack(&self.matrices),
            left: self.side == Side::Left,
            target: stack(&vec![Matrix::identity(self.n); self.batch]),
            batch: self.batch,
        })
    }

    fn curvature(&self) -> Option<f64> {
        exact::sequential(|| {
            self.matrices
                .iter()
                .filter_map(|a| exact::singular_values(a).ok()?.first().copied())
                .map(|s| 2.0 * s * s)
                .reduce(f64::max)
        })
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let (lo, hi) = self
            .conditions
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &c| (a.min(c), b.max(c)));
        let mut facts = vec![
            Fact::new(
                "exact answer",
                format!(
                    "inv(A_k) for each of {} instances by faer (LU), f64",
                    self.batch
                ),
            ),
            Fact::new(
                "condition numbers",
                format!("{} to {} (of the A_k)", number(lo), number(hi)),
            ),
        ];
        if let Some(x) = result.first() {
            let errors = self.instance_errors(x);
            let worst = errors
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(k, _)| k);
            facts.push(Fact::new(
                "instance errors",
                format!(
                    "relative Frobenius: {}",
                    spread(&errors, &format!(" (instance {worst})"))
                ),
            ));
            let residuals = exact::sequential(|| self.instance_residuals(x));
            facts.push(Fact::new(
                "instance losses",
                format!("mean squared residual: {}", spread(&residuals, "")),
            ));
            if self.batch <= 8 {
                for (k, (e, r)) in errors.iter().zip(&residuals).enumerate() {
                    facts.push(Fact::new(
                        format!("instance {k}"),
                        format!(
                            "relative error {}, mean squared residual {}",
                            number(*e),
                            number(*r)
                        ),
                    ));
                }
            }
        }
        facts
    }
}

/// `median m, worst w<after_worst>, best b` of per-instance figures (smaller is better; the
/// median is the upper one of an even count).
fn spread(values: &[f64], after_worst: &str) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match (sorted.first(), sorted.last()) {
        (Some(&best), Some(&worst)) => format!(
            "median {}, worst {}{after_worst}, best {}",
            number(sorted[sorted.len() / 2]),
            number(worst),
            number(best)
        ),
        _ => "none".into(),
    }
}
