//! `Qr`: Q R = A with R upper-triangular (its lower part held at zero) and Qᵀ Q = I as a penalty.
//!
//! The objective is `loss(Q R, A) + w loss(Qᵀ Q, I)`. For A of full rank k = min(m, n) its minima
//! are the thin QR factorisations of A, unique up to the signs `Q D`, `D R` with D = diag(±1); the
//! run is compared after flipping the pairs whose diagonal entry of R is negative, against faer's
//! Householder QR signed so that R's diagonal is positive.

use candle_core::{Result, Tensor};
use descent_losses::Loss;
use descent_tensor::{Matrix, MatrixSource, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::report::number;
use crate::{
    BuildContext, Errors, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes,
    entries, total,
};

fn default_orthogonality() -> f64 {
    1.0
}

/// Config of [`Qr`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QrConfig {
    /// The matrix A (m x n), of full rank min(m, n).
    pub matrix: MatrixSource,
    /// Weight w of the orthogonality penalty `loss(Q^T Q, I)` (default 1).
    #[serde(default = "default_orthogonality")]
    pub orthogonality: f64,
}

impl ProblemConfig for QrConfig {
    const KIND: &'static str = "qr";
    const SUMMARY: &'static str = "Q, R with Q R = A, R upper-triangular (its lower part held at 0) and Q^T Q = I as a penalty; keys: matrix, orthogonality";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("matrix", &self.matrix)?;
        let k = m.min(n);
        Ok(Some(Footprint {
            key: "matrix".into(),
            parameters: total(&[entries(&[m, k]), entries(&[k, n])]),
            prediction: total(&[entries(&[m, n]), entries(&[k, k]).saturating_mul(2)]),
            data: total(&[
                entries(&[m, n]).saturating_mul(6),
                entries(&[m.max(n), k]).saturating_mul(4),
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
            "without the penalty Q R = A has no unique answer",
        )?;
        let a = ctx.matrix("matrix", &self.matrix)?;
        let (m, n) = a.shape();
        let rank = exact::rank(&a)?;
        if rank < m.min(n) {
            return Err(ProblemError::invalid(
                "matrix",
                format!(
                    "A ({m}x{n}) has rank {rank} < min(m, n) = {}: its QR factors are not unique",
                    m.min(n)
                ),
            ));
        }
        Ok(Box::new(Qr::new(a, self.orthogonality, ctx)?))
    }
}

/// The QR factorisation by optimization.
#[derive(Debug)]
pub struct Qr {
    a_matrix: Matrix,
    a: Tensor,
    identity: Tensor,
    weight: f64,
    exact: [Matrix; 2],
    lower: Vec<bool>,
    parameters: [Parameter; 2],
}

impl Qr {
    /// The problem for a full-rank `a` with penalty weight `weight`.
    pub fn new(
        a: Matrix,
        weight: f64,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let (m, n) = a.shape();
        let k = m.min(n);
        let (q, r) = exact::qr(&a)?;
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
            exact: [q, r],
            lower: (0..k * n).map(|e| e % n < e / n).collect(),
            parameters: [p("Q", m, k), p("R", k, n)],
        })
    }

    /// The found factors with each pair (column j of Q, row j of R) flipped where `R_jj < 0`.
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<[Matrix; 2], TensorError> {
        let [q, r] = iterate else {
            return Err(TensorError::Shape(format!(
                "{} parameters, expected 2 (Q, R)",
                iterate.len()
            )));
        };
        let sign = |j: usize| if r.get(j, j) < 0.0 { -1.0 } else { 1.0 };
        Ok([
            Matrix::from_fn(q.rows(), q.cols(), |i, j| sign(j) * q.get(i, j)),
            Matrix::from_fn(r.rows(), r.cols(), |i, j| sign(i) * r.get(i, j)),
        ])
    }
}

impl Problem for Qr {
    fn kind(&self) -> &str {
        QrConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        params[0].matmul(&params[1])
    }

    fn prediction_label(&self) -> String {
        "Q R".into()
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

    fn fixed(&self, index: usize) -> Option<&[bool]> {
        (index == 1).then_some(self.lower.as_slice())
    }

    fn compared(&self, iterate: &[Matrix]) -> Option<Vec<Matrix>> {
        self.aligned(iterate).ok().map(Vec::from)
    }

    fn compared_note(&self) -> String {
        "The found factors are shown as the errors compare them: each column of Q and row of R \
         flipped together where R's diagonal entry is negative (Q D, D R give the same product; \
         result_*.npy holds them as the run left them)."
            .into()
    }

    fn errors(&self, iterate: &[Matrix]) -> std::result::Result<Errors, TensorError> {
        Errors::between(&self.aligned(iterate)?, &self.exact)
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let mut facts = vec![Fact::new(
            "exact answer",
            "thin QR by faer (Householder), f64, signed so that R's diagonal is positive; R's lower part is held at 0",
        )];
        if let [q, r] = result {
            let qf = q.to_faer();
            let product = (&qf * r.to_faer() - self.a_matrix.to_faer()).norm_l2()
                / self.a_matrix.frobenius_norm().max(f64::MIN_POSITIVE);
            let k = q.cols();
            let gram = (qf.transpose() * &qf - faer::Mat::<f64>::identity(k, k)).norm_l2();
            facts.push(Fact::new(
                "reconstruction",
                format!("||Q R - A|| / ||A|| = {}", number(product)),
            ));
            facts.push(Fact::new(
                "orthogonality",
                format!("||Q^T Q - I|| = {}", number(gram)),
            ));
        }
        facts
    }
}
