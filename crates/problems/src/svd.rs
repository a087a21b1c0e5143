//! `Svd`: the singular value decomposition by optimization, U diag(s) V^T ~ A with orthonormality penalties.
//!
//! The objective is `loss(U diag(s) V^T, A) + w (loss(U^T U, I) + loss(V^T V, I))`. Its minimisers are
//! the (rank-k truncated) SVDs of A, up to the order of the triplets and the sign of each; errors
//! against faer's SVD are taken after sorting the found triplets by |s| and matching signs.

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

/// Config of [`Svd`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SvdConfig {
    /// The matrix A (m x n).
    pub matrix: MatrixSource,
    /// How many singular triplets to find (default min(m, n)); fewer gives the best rank-k approximation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// Weight w of the orthogonality penalty `loss(U^T U, I) + loss(V^T V, I)` (default 1).
    #[serde(default = "default_orthogonality")]
    pub orthogonality: f64,
}

impl ProblemConfig for SvdConfig {
    const KIND: &'static str = "svd";
    const SUMMARY: &'static str =
        "U, s, V with U diag(s) V^T = A and orthonormal U, V; keys: matrix, rank, orthogonality";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("matrix", &self.matrix)?;
        let k = self.rank.unwrap_or(m.min(n)).min(m.min(n));
        // A as given, rounded and as a tensor; the thin SVD (U, V) as exact answer and workspace.
        Ok(Some(Footprint {
            key: "matrix".into(),
            parameters: total(&[entries(&[m, k]), entries(&[n, k]), k as u128]),
            prediction: total(&[entries(&[m, n]), entries(&[k, k]).saturating_mul(2)]),
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
        let full = a.rows().min(a.cols());
        let k = self.rank.unwrap_or(full);
        if k == 0 || k > full {
            return Err(ProblemError::invalid(
                "rank",
                format!(
                    "must be between 1 and min(m, n) = {full} for a {}x{} matrix, got {k}",
                    a.rows(),
                    a.cols()
                ),
            ));
        }
        if !(self.orthogonality.is_finite() && self.orthogonality >= 0.0) {
            return Err(ProblemError::invalid(
                "orthogonality",
                format!("must be a finite number >= 0, got {}", self.orthogonality),
            ));
        }
        Ok(Box::new(Svd::new(a, k, self.orthogonality, ctx)?))
    }
}

/// The SVD by optimization.
#[derive(Debug)]
pub struct Svd {
    a_matrix: Matrix,
    a: Tensor,
    identity: Tensor,
    weight: f64,
    exact: [Matrix; 3],
    all_singular_values: Vec<f64>,
    condition: f64,
    parameters: [Parameter; 3],
}

impl Svd {
    /// The problem of finding `k` singular triplets of `a`, with penalty weight `weight`.
    pub fn new(
        a: Matrix,
        k: usize,
        weight: f64,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let (m, n) = a.shape();
        let f = exact::svd(&a)?;
        let exact = [
            Matrix::from_fn(m, k, |i, j| f.u.get(i, j)),
            Matrix::from_fn(1, k, |_, j| f.s[j]),
            Matrix::from_fn(n, k, |i, j| f.v.get(i, j)),
        ];
        let condition = exact::condition_of(&f.s);
        let p = |name: &str, rows, cols| Parameter {
            name: name.into(),
            rows,
            cols,
        };
        Ok(Self {
            a: a.to_tensor(ctx.dtype(), ctx.device())?,
            identity: Matrix::identity(k).to_tensor(ctx.dtype(), ctx.device())?,
            a_matrix: a,
            weight,
            exact,
            all_singular_values: f.s,
            condition,
            parameters: [p("U", m, k), p("s", 1, k), p("V", n, k)],
        })
    }

    /// The host objective in `F` under `loss`.
    fn host<F: descent_tensor::Real>(&self, loss: &dyn Loss) -> Option<crate::SvdHost<F>> {
        let (m, n) = self.a_matrix.shape();
        let k = self.parameters[1].cols;
        crate::SvdHost::new(self.a_matrix.data(), (m, n, k), self.weight, loss)
    }

    /// The found triplets sorted by |s| (largest first), each signed to match the exact one:
    /// `s >= 0`, and `u . u_exact >= 0` (flipping u and v together).
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<[Matrix; 3], TensorError> {
        let [u, s, v] = iterate else {
            return Err(TensorError::Shape(format!(
                "{} parameters, expected 3 (U, s, V)",
                iterate.len()
            )));
        };
        let k = s.cols();
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&x, &y| s.get(0, y).abs().total_cmp(&s.get(0, x).abs()));
        let eu = &self.exact[0];
        let sign_s: Vec<f64> = order
            .iter()
            .map(|&c| if s.get(0, c) < 0.0 { -1.0 } else { 1.0 })
            .collect();
        let sign_uv: Vec<f64> = order
            .iter()
            .enumerate()
            .map(|(j, &c)| {
                let dot: f64 = (0..u.rows())
                    .map(|i| sign_s[j] * u.get(i, c) * eu.get(i, j))
                    .sum();
                if dot < 0.0 { -1.0 } else { 1.0 }
            })
            .collect();
        Ok([
            Matrix::from_fn(u.rows(), k, |i, j| {
                sign_s[j] * sign_uv[j] * u.get(i, order[j])
            }),
            Matrix::from_fn(1, k, |_, j| s.get(0, order[j]).abs()),
            Matrix::from_fn(v.rows(), k, |i, j| sign_uv[j] * v.get(i, order[j])),
        ])
    }

    /// `||U diag(s) V^T - A||_F / ||A||_F`.
    pub fn reconstruction_error(&self, u: &Matrix, s: &Matrix, v: &Matrix) -> f64 {
        let us = Matrix::from_fn(u.rows(), u.cols(), |i, j| u.get(i, j) * s.get(0, j));
        let r = us.to_faer() * v.to_faer().transpose() - self.a_matrix.to_faer();
        r.norm_l2() / self.a_matrix.frobenius_norm().max(f64::MIN_POSITIVE)
    }

    /// `max(||U^T U - I||_F, ||V^T V - I||_F)`.
    pub fn orthogonality_error(u: &Matrix, v: &Matrix) -> f64 {
        let off = |m: &Matrix| {
            let m = m.to_faer();
            let g = m.transpose() * &m;
            let k = g.nrows();
            (g - faer::Mat::<f64>::identity(k, k)).norm_l2()
        };
        off(u).max(off(v))
    }
}

impl Problem for Svd {
    fn kind(&self) -> &str {
        SvdConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        params[0].broadcast_mul(&params[1])?.matmul(&params[2].t()?)
    }

    fn prediction_label(&self) -> String {
        "U diag(s) V^T".into()
    }

    fn target(&self) -> &Tensor {
        &self.a
    }

    fn target_label(&self) -> String {
        "A".into()
    }

    fn objective(&self, params: &[Tensor], loss: &dyn Loss) -> Result<Tensor> {
        let fit = loss.loss(&self.prediction(params)?, &self.a)?;
        if self.weight == 0.0 {
            return Ok(fit);
        }
        let gram = |m: &Tensor| m.t()?.matmul(m);
        let penalty = (loss.loss(&gram(&params[0])?, &self.identity)?
            + loss.loss(&gram(&params[2])?, &self.identity)?)?;
        fit + penalty.affine(self.weight, 0.0)?
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn host_f32(&self, loss: &dyn Loss) -> Option<Box<dyn crate::HostObjective<f32>>> {
        Some(Box::new(self.host::<f32>(loss)?))
    }

    fn host_f64(&self, loss: &dyn Loss) -> Option<Box<dyn crate::HostObjective<f64>>> {
        Some(Box::new(self.host::<f64>(loss)?))
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
        "The found factors are shown as the errors compare them: the triplets sorted by |s|, \
         largest first, with signs matched to the exact ones (result_*.npy holds them as the run \
         left them)."
            .into()
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let mut facts = vec![
            Fact::new(
                "exact answer",
                "thin SVD by faer, f64 (triplets sorted, signs matched)",
            ),
            Fact::new(
                "condition number",
                format!("{} (of A)", number(self.condition)),
            ),
            Fact::new("exact s", numbers(&self.all_singular_values)),
        ];
        if let Ok([u, s, v]) = self.aligned(result) {
            facts.push(Fact::new("found s", numbers(s.data())));
            facts.push(Fact::new(
                "reconstruction",
                format!(
                    "||U diag(s) V^T - A|| / ||A|| = {}",
                    number(self.reconstruction_error(&u, &s, &v))
                ),
            ));
            facts.push(Fact::new(
                "orthogonality",
                format!(
                    "max(||U^T U - I||, ||V^T V - I||) = {}",
                    number(Self::orthogonality_error(&u, &v))
                ),
            ));
        }
        facts
    }
}
