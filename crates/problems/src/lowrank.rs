//! `LowRank`: the best rank-k approximation U Vᵀ ≈ A, whose optimum is the truncated SVD (Eckart–Young).
//!
//! `||A - U Vᵀ||²` has no spurious local minima: every minimum is a factorisation of the truncated
//! SVD `A_k`, and the other critical points are saddles, so gradient descent reaches the optimum
//! from almost every start (Baldi and Hornik, 1989). The factors are not unique (`U G`, `V G⁻ᵀ` give
//! the same product for any invertible G), so a run is compared through its product: the found
//! `U Vᵀ` is refactored as the balanced `P √Σ`, `Q √Σ` of its own SVD, signed like the exact balanced
//! factors `U_k √Σ_k`, `V_k √Σ_k`. The summary reports the gap to the Eckart–Young error and the
//! largest principal angle between the found and the top-k singular subspaces.

use candle_core::{Result, Tensor};
use descent_tensor::{Matrix, MatrixSource, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::report::{number, numbers};
use crate::subspace::largest_angle;
use crate::{
    BuildContext, Errors, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes,
    entries, total,
};

/// Config of [`LowRank`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LowRankConfig {
    /// The matrix A (m x n).
    pub matrix: MatrixSource,
    /// The rank k of the approximation (required; at most A's rank).
    pub rank: usize,
}

impl ProblemConfig for LowRankConfig {
    const KIND: &'static str = "lowrank";
    const SUMMARY: &'static str =
        "U, V with U V^T the best rank-k approximation of A (Eckart-Young); keys: matrix, rank";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("matrix", &self.matrix)?;
        let k = self.rank.min(m.min(n));
        // A as given, rounded and as a tensor; the thin SVD of A and of a found product.
        Ok(Some(Footprint {
            key: "matrix".into(),
            parameters: total(&[entries(&[m, k]), entries(&[n, k])]),
            prediction: entries(&[m, n]),
            data: total(&[
                entries(&[m, n]).saturating_mul(6),
                entries(&[m.max(n), m.min(n)]).saturating_mul(4),
            ]),
            instances: 1,
        }))
    }

    fn build(
        &self,
        ctx: &mut dyn BuildContext,
    ) -> std::result::Result<Box<dyn Problem>, ProblemError> {
        let a = ctx.matrix("matrix", &self.matrix)?;
        let rank = exact::rank(&a)?;
        if self.rank == 0 || self.rank > rank {
            return Err(ProblemError::invalid(
                "rank",
                format!(
                    "must be between 1 and the rank of A, {rank} (A is {}x{}), got {}",
                    a.rows(),
                    a.cols(),
                    self.rank
                ),
            ));
        }
        Ok(Box::new(LowRank::new(a, self.rank, ctx)?))
    }
}

/// The best rank-k approximation by optimization: minimise `loss(U Vᵀ, A)`.
#[derive(Debug)]
pub struct LowRank {
    a_matrix: Matrix,
    a: Tensor,
    k: usize,
    singular_values: Vec<f64>,
    exact: [Matrix; 2],
    /// A's top-k singular vectors, `m x k` and `n x k`.
    top: [Matrix; 2],
    parameters: [Parameter; 2],
}

/// `U √Σ`: the balanced factor of singular vectors `u` and values `s`.
fn balanced(u: &Matrix, s: &[f64]) -> Matrix {
    Matrix::from_fn(u.rows(), s.len(), |i, j| u.get(i, j) * s[j].sqrt())
}

impl LowRank {
    /// The problem of approximating `a` with rank `k` (between 1 and A's rank).
    pub fn new(
        a: Matrix,
        k: usize,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let (m, n) = a.shape();
        let f = exact::svd(&a)?;
        let top = [
            Matrix::from_fn(m, k, |i, j| f.u.get(i, j)),
            Matrix::from_fn(n, k, |i, j| f.v.get(i, j)),
        ];
        let exact = [balanced(&top[0], &f.s[..k]), balanced(&top[1], &f.s[..k])];
        let p = |name: &str, rows| Parameter {
            name: name.into(),
            rows,
            cols: k,
        };
        Ok(Self {
            a: a.to_tensor(ctx.dtype(), ctx.device())?,
            a_matrix: a,
            k,
            singular_values: f.s,
            exact,
            top,
            parameters: [p("U", m), p("V", n)],
        })
    }

    /// `U Vᵀ` of host factors.
    pub(crate) fn product(u: &Matrix, v: &Matrix) -> Matrix {
        Matrix::from_faer((u.to_faer() * v.to_faer().transpose()).as_ref())
    }

    /// The Eckart–Young error `||A - A_k||_F = sqrt(Σ_{i>k} σ_i²)`.
    pub fn optimal_error(&self) -> f64 {
        self.singular_values[self.k..]
            .iter()
            .map(|s| s * s)
            .sum::<f64>()
            .sqrt()
    }

    /// `||A - U Vᵀ||_F`.
    pub fn error(&self, u: &Matrix, v: &Matrix) -> f64 {
        (Self::product(u, v).to_faer() - self.a_matrix.to_faer()).norm_l2()
    }

    /// The found product refactored as the exact answer is: the balanced factors of its own
    /// rank-k SVD, each pair of singular vectors signed so its left vector has a non-negative dot
    /// product with the exact one.
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<[Matrix; 2], TensorError> {
        let [u, v] = iterate else {
            return Err(TensorError::Shape(format!(
                "{} parameters, expected 2 (U, V)",
                iterate.len()
            )));
        };
        balanced_like(u, v, &self.top[0])
    }
}

/// The product `U Vᵀ` refactored as the balanced `P √Σ`, `Q √Σ` of its own rank-k SVD (k: the
/// columns of `left`), each pair signed so that its left vector has a non-negative dot product
/// with the matching column of `left`: how `lowrank` and `completion` compare factors that are
/// unique only through their product.
pub(crate) fn balanced_like(
    u: &Matrix,
    v: &Matrix,
    left: &Matrix,
) -> std::result::Result<[Matrix; 2], TensorError> {
    let f = exact::svd(&LowRank::product(u, v))?;
    let k = left.cols();
    let sign: Vec<f64> = (0..k)
        .map(|j| {
            let dot: f64 = (0..u.rows()).map(|i| f.u.get(i, j) * left.get(i, j)).sum();
            if dot < 0.0 { -1.0 } else { 1.0 }
        })
        .collect();
    let side =
        |w: &Matrix| Matrix::from_fn(w.rows(), k, |i, j| sign[j] * w.get(i, j) * f.s[j].sqrt());
    Ok([side(&f.u), side(&f.v)])
}

impl Problem for LowRank {
    fn kind(&self) -> &str {
        LowRankConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        params[0].matmul(&params[1].t()?)
    }

    fn prediction_label(&self) -> String {
        "U V^T".into()
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

    fn compared(&self, iterate: &[Matrix]) -> Option<Vec<Matrix>> {
        self.aligned(iterate).ok().map(Vec::from)
    }

    fn errors(&self, iterate: &[Matrix]) -> std::result::Result<Errors, TensorError> {
        Errors::between(&self.aligned(iterate)?, &self.exact)
    }

    fn compared_note(&self) -> String {
        "The found factors are shown as the errors compare them: their product U V^T refactored \
         as the balanced P sqrt(S), Q sqrt(S) of its own SVD, signs matched to the exact ones \
         (any U G, V G^-T give the same product; result_*.npy holds U and V as the run left them)."
            .into()
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let optimal = self.optimal_error();
        let mut facts = vec![
            Fact::new(
                "exact answer",
                "the truncated SVD by faer, f64, as balanced factors U_k sqrt(S_k), V_k sqrt(S_k); the found product is refactored alike",
            ),
            Fact::new("singular values", numbers(&self.singular_values)),
            Fact::new(
                "Eckart-Young",
                format!(
                    "||A - A_k|| = {} (k = {}): no rank-{} matrix is closer",
                    number(optimal),
                    self.k,
                    self.k
                ),
            ),
        ];
        let (k, s) = (self.k, &self.singular_values);
        if s.get(k).is_some_and(|next| s[k - 1] - next <= 1e-12 * s[0]) {
            facts.push(Fact::new(
                "not unique",
                format!(
                    "sigma_{k} = sigma_{} = {}: the best rank-{k} subspace is not unique, so the factors may differ from faer's while the error is optimal",
                    k + 1,
                    number(s[k - 1])
                ),
            ));
        }
        if let [u, v] = result {
            let found = self.error(u, v);
            facts.push(Fact::new(
                "found error",
                format!(
                    "||A - U V^T|| = {}, {} above the optimum ({} of ||A||)",
                    number(found),
                    number(found - optimal),
                    number(
                        (found - optimal) / self.a_matrix.frobenius_norm().max(f64::MIN_POSITIVE)
                    )
                ),
            ));
            if let (Ok(left), Ok(right)) = (
                largest_angle(u, &self.top[0]),
                largest_angle(v, &self.top[1]),
            ) {
                facts.push(Fact::new(
                    "subspace angle",
                    format!(
                        "largest principal angle to the top-{k} singular subspaces: {} (left), {} (right) radians",
                        number(left),
                        number(right)
                    ),
                ));
            }
        }
        facts
    }
}
