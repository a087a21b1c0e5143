//! `Polar`: A = U P with U's columns orthonormal and P symmetric positive semidefinite, P = B Bᵀ.
//!
//! P is parametrised by a square B, so `P = B Bᵀ` is symmetric positive semidefinite by
//! construction; the objective is `loss(U B Bᵀ, A) + w loss(Uᵀ U, I)`. For A (m x n, m >= n) of full
//! column rank the polar decomposition is unique: with A's thin SVD `W Σ Vᵀ`, `U = W Vᵀ` (the
//! orthonormal matrix closest to A) and `P = V Σ Vᵀ = (Aᵀ A)^(1/2)`. B is unique only up to `B O`
//! (O orthogonal), so a run is compared through `(B Bᵀ)^(1/2)`, against `P^(1/2) = V Σ^(1/2) Vᵀ`.
//! (A lower-triangular B, the Cholesky factor, was tried first: it stopped at rank-deficient P from
//! three random starts in eight, where a diagonal entry of B would have had to cross zero.)

use candle_core::{Result, Tensor};
use descent_losses::Loss;
use descent_tensor::{Matrix, MatrixSource, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::report::{number, numbers};
use crate::{
    BuildContext, Errors, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes,
    entries, total,
};

fn default_orthogonality() -> f64 {
    1.0
}

/// Config of [`Polar`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolarConfig {
    /// The matrix A (m x n, m >= n), of full column rank.
    pub matrix: MatrixSource,
    /// Weight w of the orthogonality penalty `loss(U^T U, I)` (default 1).
    #[serde(default = "default_orthogonality")]
    pub orthogonality: f64,
}

impl ProblemConfig for PolarConfig {
    const KIND: &'static str = "polar";
    const SUMMARY: &'static str = "U, P = B B^T with U P = A, U^T U = I as a penalty and P symmetric positive semidefinite; keys: matrix, orthogonality";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("matrix", &self.matrix)?;
        Ok(Some(Footprint {
            key: "matrix".into(),
            parameters: total(&[entries(&[m, n]), entries(&[n, n])]),
            prediction: total(&[entries(&[m, n]), entries(&[n, n]).saturating_mul(3)]),
            data: total(&[
                entries(&[m, n]).saturating_mul(6),
                entries(&[m.max(n), n]).saturating_mul(4),
            ]),
            instances: 1,
        }))
    }

    fn build(
        &self,
        ctx: &mut dyn BuildContext,
    ) -> std::result::Result<Box<dyn Problem>, ProblemError> {
        ProblemError::check_positive(
            "orthogonality",
            self.orthogonality,
            "without the penalty U P = A has no unique answer",
        )?;
        let a = ctx.matrix("matrix", &self.matrix)?;
        let (m, n) = a.shape();
        if m < n {
            return Err(ProblemError::invalid(
                "matrix",
                format!(
                    "A is {m}x{n}: the polar decomposition U P here needs at least as many rows as columns (for a wide A, decompose A^T)"
                ),
            ));
        }
        let rank = exact::rank(&a)?;
        if rank < n {
            return Err(ProblemError::invalid(
                "matrix",
                format!(
                    "A ({m}x{n}) has rank {rank} < n = {n}: P is unique but U is not, and P is not positive definite"
                ),
            ));
        }
        Ok(Box::new(Polar::new(a, self.orthogonality, ctx)?))
    }
}

/// The polar decomposition by optimization.
#[derive(Debug)]
pub struct Polar {
    a_matrix: Matrix,
    a: Tensor,
    identity: Tensor,
    weight: f64,
    /// `[U, P^(1/2)]`.
    exact: [Matrix; 2],
    p: Matrix,
    singular_values: Vec<f64>,
    parameters: [Parameter; 2],
}

/// `x yᵀ` of host matrices.
fn times_transpose(x: &Matrix, y: &Matrix) -> Matrix {
    Matrix::from_faer((x.to_faer() * y.to_faer().transpose()).as_ref())
}

impl Polar {
    /// The problem for `a` (m x n, m >= n) of full column rank.
    pub fn new(
        a: Matrix,
        weight: f64,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let (m, n) = a.shape();
        let f = exact::svd(&a)?;
        let u = times_transpose(&f.u, &f.v);
        let with = |power: f64| {
            let scaled = Matrix::from_fn(n, n, |i, j| f.v.get(i, j) * f.s[j].powf(power));
            let p = times_transpose(&scaled, &f.v);
            Matrix::from_fn(n, n, |i, j| 0.5 * (p.get(i, j) + p.get(j, i)))
        };
        let (p, root) = (with(1.0), with(0.5));
        let q = |name: &str, rows, cols| Parameter {
            name: name.into(),
            rows,
            cols,
        };
        Ok(Self {
            a: a.to_tensor(ctx.dtype(), ctx.device())?,
            identity: Matrix::identity(n).to_tensor(ctx.dtype(), ctx.device())?,
            a_matrix: a,
            weight,
            exact: [u, root],
            p,
            singular_values: f.s,
            parameters: [q("U", m, n), q("B", n, n)],
        })
    }

    /// The iterate as it is compared: U, and `(B Bᵀ)^(1/2)` in place of B.
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<[Matrix; 2], TensorError> {
        let [u, b] = iterate else {
            return Err(TensorError::Shape(format!(
                "{} parameters, expected 2 (U, B)",
                iterate.len()
            )));
        };
        let e = exact::symmetric_eigen(&times_transpose(b, b))?;
        let n = b.rows();
        let scaled = Matrix::from_fn(n, n, |i, j| {
            e.vectors.get(i, j) * e.values[j].max(0.0).sqrt()
        });
        Ok([u.clone(), times_transpose(&scaled, &e.vectors)])
    }

    /// The exact P = (Aᵀ A)^(1/2).
    pub fn exact_p(&self) -> &Matrix {
        &self.p
    }
}

impl Problem for Polar {
    fn kind(&self) -> &str {
        PolarConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        let p = params[1].matmul(&params[1].t()?)?;
        params[0].matmul(&p)
    }

    fn prediction_label(&self) -> String {
        "U B B^T".into()
    }

    fn target(&self) -> &Tensor {
        &self.a
    }

    fn target_label(&self) -> String {
        "A".into()
    }

    fn objective(&self, params: &[Tensor], loss: &dyn Loss) -> Result<Tensor> {
        let fit = loss.loss(&self.prediction(params)?, &self.a)?;
        let gram = params[0].t()?.matmul(&params[0])?;
        fit + loss.loss(&gram, &self.identity)?.affine(self.weight, 0.0)?
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![("A".into(), self.a_matrix.clone())]
    }

    /// `U = A / sqrt(||A||_1 ||A||_inf)` (so `||U||_2 <= 1` and `Uᵀ A` is positive definite:
    /// the start lies on the polar factor's side of every local minimum) and `B = I`.
    fn scaled_transpose(&self) -> Option<Vec<Matrix>> {
        let a = &self.a_matrix;
        let (m, n) = a.shape();
        let norm_1 = (0..n)
            .map(|j| (0..m).map(|i| a.get(i, j).abs()).sum::<f64>())
            .fold(0.0, f64::max);
        let norm_inf = (0..m)
            .map(|i| (0..n).map(|j| a.get(i, j).abs()).sum::<f64>())
            .fold(0.0, f64::max);
        let c = (norm_1 * norm_inf).sqrt().max(f64::MIN_POSITIVE);
        Some(vec![
            Matrix::from_fn(m, n, |i, j| a.get(i, j) / c),
            Matrix::identity(n),
        ])
    }

    fn compared(&self, iterate: &[Matrix]) -> Option<Vec<Matrix>> {
        self.aligned(iterate).ok().map(Vec::from)
    }

    fn compared_note(&self) -> String {
        "The found factors are shown as the errors compare them: U, and (B B^T)^(1/2) in place \
         of B (any B O gives the same P = B B^T; result_*.npy holds B as the run left it)."
            .into()
    }

    fn errors(&self, iterate: &[Matrix]) -> std::result::Result<Errors, TensorError> {
        Errors::between(&self.aligned(iterate)?, &self.exact)
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let mut facts = vec![
            Fact::new(
                "exact answer",
                "from faer's SVD A = W S V^T, f64: U = W V^T and P = V S V^T = (A^T A)^(1/2); B is compared as (B B^T)^(1/2) against V S^(1/2) V^T",
            ),
            Fact::new("singular values", numbers(&self.singular_values)),
        ];
        if let [u, b] = result {
            let p = times_transpose(b, b);
            let norm = self.a_matrix.frobenius_norm().max(f64::MIN_POSITIVE);
            let fit = Matrix::from_faer((u.to_faer() * p.to_faer()).as_ref())
                .sub(&self.a_matrix)
                .map_or(f64::NAN, |d| d.frobenius_norm() / norm);
            let uf = u.to_faer();
            let n = u.cols();
            let gram = (uf.transpose() * &uf - faer::Mat::<f64>::identity(n, n)).norm_l2();
            let p_error = p.sub(&self.p).map_or(f64::NAN, |d| {
                d.frobenius_norm() / self.p.frobenius_norm().max(f64::MIN_POSITIVE)
            });
            facts.push(Fact::new(
                "reconstruction",
                format!("||U P - A|| / ||A|| = {}", number(fit)),
            ));
            facts.push(Fact::new(
                "orthogonality",
                format!("||U^T U - I|| = {}", number(gram)),
            ));
            // Uᵀ A is the polar P when U is the polar factor; a negative eigenvalue of its
            // symmetric part says U is flipped along that direction.
            let ua = Matrix::from_faer((uf.transpose() * self.a_matrix.to_faer()).as_ref());
            let sym = Matrix::from_fn(n, n, |i, j| 0.5 * (ua.get(i, j) + ua.get(j, i)));
            if let Ok(e) = exact::symmetric_eigen(&sym) {
                let negative: Vec<f64> = e
                    .values
                    .iter()
                    .copied()
                    .filter(|&v| v < -1e-8 * self.singular_values[0])
                    .collect();
                if !negative.is_empty() {
                    facts.push(Fact::new(
                        "flipped",
                        format!(
                            "U^T A has eigenvalue(s) {}: U is the polar factor flipped along those directions, a local minimum of this cost (P = B B^T cannot follow a sign through 0); start from `[init] kind = \"scaled_transpose\"` (U = A / sqrt(||A||_1 ||A||_inf), B = I)",
                            numbers(&negative)
                        ),
                    ));
                }
            }
            facts.push(Fact::new(
                "P",
                format!(
                    "||B B^T - P|| / ||P|| = {} against (A^T A)^(1/2)",
                    number(p_error)
                ),
            ));
        }
        facts
    }
}
