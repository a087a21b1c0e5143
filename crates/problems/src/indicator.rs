//! `Indicator`: a left inverse of a random documents x words 0/1 matrix B, as in the seed notebook.
//!
//! Gradient descent on `loss(X B, I)` changes X only along B's column space: the gradient of
//! `||X B - I||^2` is `2 (X B - I) B^T`, and `B^T (I - P) = 0` for the projector `P = B pinv(B)`. So
//! the part `X0 (I - P)` of the start never moves, and plain gradient descent converges to
//! `X0 (I - P) + pinv(B)`, which is `pinv(B)` only when `X0 (I - P) = 0` (for instance X0 = 0).

use candle_core::{Result, Tensor};
use descent_tensor::{ConstSide, matmul_const};
use descent_tensor::{Dtype, Matrix, MatrixSource, RngKind, exact};
use serde::{Deserialize, Serialize};

use crate::report::{number, numbers, scaled_transpose};
use crate::{
    BuildContext, Errors, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes,
    entries, total,
};

fn default_documents() -> usize {
    17
}

fn default_words() -> usize {
    3
}

fn default_p() -> f64 {
    0.2
}

/// Config of [`Indicator`]: B is drawn (`documents`, `words`, `p`) unless `matrix` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorConfig {
    /// Number of documents, the rows of B (default 17, the notebook's).
    #[serde(default = "default_documents")]
    pub documents: usize,
    /// Number of words, the columns of B (default 3).
    #[serde(default = "default_words")]
    pub words: usize,
    /// Probability that a word occurs in a document (default 0.2): `B = rand(documents, words) < p`.
    #[serde(default = "default_p")]
    pub p: f64,
    /// The generator of the draw: `torch` (default, the notebook's numbers) or `native`.
    #[serde(default)]
    pub rng: RngKind,
    /// Its own seed for the draw; by default the run's seed (the draw comes first in the stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// B given instead of drawn (entries 0 or 1; other values are allowed but reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<MatrixSource>,
}

impl ProblemConfig for IndicatorConfig {
    const KIND: &'static str = "indicator";
    const SUMMARY: &'static str = "X (words x documents) with X B = I for a documents x words 0/1 matrix B; \
         keys: documents, words, p, rng, seed, matrix";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let ((d, w), key) = match &self.matrix {
            Some(source) => (shapes.shape("matrix", source)?, "matrix"),
            None if self.documents >= self.words => ((self.documents, self.words), "documents"),
            None => ((self.documents, self.words), "words"),
        };
        // B drawn (uniform, then 0/1), rounded and as a tensor; pinv(B) and the thin SVD of B.
        Ok(Some(Footprint {
            key: key.into(),
            parameters: entries(&[w, d]),
            prediction: entries(&[w, w]),
            data: total(&[
                entries(&[d, w]).saturating_mul(8),
                entries(&[d.min(w), d.min(w)]).saturating_mul(3),
            ]),
            instances: 1,
        }))
    }

    fn build(
        &self,
        ctx: &mut dyn BuildContext,
    ) -> std::result::Result<Box<dyn Problem>, ProblemError> {
        let b = match &self.matrix {
            Some(source) => ctx.matrix("matrix", source)?,
            None => draw(ctx, self.documents, self.words, self.p, self.rng, self.seed)?,
        };
        Ok(Box::new(Indicator::new(b, ctx)?))
    }
}

/// A documents x words 0/1 matrix `B = rand(documents, words) < p`, drawn from the run's stream of
/// `rng` (or a fresh one with `seed`): the notebook's draw, shared by the problems on such data.
/// Errors name the key (`documents`, `words`, `p`).
pub fn draw(
    ctx: &mut dyn BuildContext,
    documents: usize,
    words: usize,
    p: f64,
    rng: RngKind,
    seed: Option<i64>,
) -> std::result::Result<Matrix, ProblemError> {
    if documents == 0 {
        return Err(ProblemError::invalid("documents", "must be at least 1"));
    }
    if words == 0 {
        return Err(ProblemError::invalid("words", "must be at least 1"));
    }
    if !(0.0..=1.0).contains(&p) {
        return Err(ProblemError::invalid(
            "p",
            format!("is a probability, in [0, 1], got {p}"),
        ));
    }
    let (d, w, p) = (documents, words, p as f32);
    let u = ctx.random().draw(rng, seed.map(|s| s as u64), |r| {
        r.uniform(d, w, 0.0, 1.0, Dtype::F32)
    });
    Ok(Matrix::from_fn(d, w, |i, j| {
        if (u.get(i, j) as f32) < p { 1.0 } else { 0.0 }
    }))
}

/// A left inverse of B by optimization: minimise `loss(X B, I)` over X (words x documents).
#[derive(Debug)]
pub struct Indicator {
    b_matrix: Matrix,
    b: Tensor,
    identity: Tensor,
    pinv: [Matrix; 1],
    singular_values: Vec<f64>,
    rank: usize,
    parameters: [Parameter; 1],
}

impl Indicator {
    /// The problem for B (documents x words).
    pub fn new(b: Matrix, ctx: &dyn BuildContext) -> std::result::Result<Self, ProblemError> {
        let (documents, words) = b.shape();
        let pinv = exact::pinv(&b)?;
        let singular_values = exact::singular_values(&b)?;
        let rank = exact::rank(&b)?;
        Ok(Self {
            b: b.to_tensor(ctx.dtype(), ctx.device())?,
            identity: Matrix::identity(words).to_tensor(ctx.dtype(), ctx.device())?,
            b_matrix: b,
            pinv: [pinv],
            singular_values,
            rank,
            parameters: [Parameter {
                name: "X".into(),
                rows: words,
                cols: documents,
            }],
        })
    }

    /// The point plain gradient descent converges to from `x0`: `X0 (I - P) + pinv(B)`, `P = B pinv(B)`.
    pub fn limit(&self, x0: &Matrix) -> Matrix {
        limit(&self.b_matrix, &self.pinv[0], x0)
    }

    /// Why B has no left inverse, in words: empty words and words with equal columns.
    fn deficiency(&self) -> String {
        let (d, w) = self.b_matrix.shape();
        let column = |j: usize| (0..d).map(|i| self.b_matrix.get(i, j)).collect::<Vec<_>>();
        let mut reasons = Vec::new();
        for j in 0..w {
            if column(j).iter().all(|&v| v == 0.0) {
                reasons.push(format!("word {j} is in no document"));
            }
        }
        for j in 0..w {
            for k in j + 1..w {
                if column(j) == column(k) && column(j).iter().any(|&v| v != 0.0) {
                    reasons.push(format!("words {j} and {k} occur in the same documents"));
                }
            }
        }
        if reasons.is_empty() {
            reasons.push("its columns are linearly dependent".into());
        }
        reasons.join("; ")
    }
}

/// `X0 (I - P) + pinv(B)` with `P = B pinv(B)`, computed in f64 with faer.
pub fn limit(b: &Matrix, pinv: &Matrix, x0: &Matrix) -> Matrix {
    let (b, pinv, x0) = (b.to_faer(), pinv.to_faer(), x0.to_faer());
    let projector = &b * &pinv;
    let x = &x0 - &x0 * &projector + &pinv;
    Matrix::from_faer(x.as_ref())
}

impl Problem for Indicator {
    fn kind(&self) -> &str {
        IndicatorConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        matmul_const(&params[0], &self.b, ConstSide::Right)
    }

    fn prediction_label(&self) -> String {
        "X @ B".into()
    }

    fn target(&self) -> &Tensor {
        &self.identity
    }

    fn target_label(&self) -> String {
        "I".into()
    }

    /// `pinv(B)`, the minimum-norm left inverse (or least-squares solution); see [`Indicator::limit`]
    /// for the point a run from another start approaches.
    fn exact(&self) -> &[Matrix] {
        &self.pinv
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![("B (documents x words)".into(), self.b_matrix.clone())]
    }

    fn scaled_transpose(&self) -> Option<Vec<Matrix>> {
        Some(vec![scaled_transpose(&self.b_matrix)])
    }

    fn curvature(&self) -> Option<f64> {
        self.singular_values.first().map(|s| 2.0 * s * s)
    }

    fn linear_form(&self) -> Option<crate::LinearForm> {
        Some(crate::LinearForm {
            a: self.b_matrix.clone(),
            left: true,
            target: Matrix::identity(self.b_matrix.cols()),
            batch: 1,
        })
    }

    fn facts(&self, start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let words = self.b_matrix.cols();
        let s = &self.singular_values;
        let s_max = s.first().copied().unwrap_or(0.0);
        let mut facts = vec![
            Fact::new("exact answer", "pinv(B) by faer (thin SVD), f64"),
            Fact::new("rank of B", format!("{} of {words} words", self.rank)),
            Fact::new("singular values", numbers(s)),
        ];
        if self.rank == words {
            facts.push(Fact::new(
                "condition number",
                format!("{} (of B)", number(s_max / s[words - 1])),
            ));
        } else {
            facts.push(Fact::new(
                "condition number",
                "infinite (B is rank-deficient)",
            ));
            facts.push(Fact::new(
                "left inverse",
                format!(
                    "none: B has rank {} < {words} words ({}), so X B = I has no solution; \
                     the run goes to the least-squares solutions of X B ~ I instead",
                    self.rank,
                    self.deficiency()
                ),
            ));
        }
        let (Some(x0), Some(x)) = (start.first(), result.first()) else {
            return facts;
        };
        let limit = self.limit(x0);
        let to = |target: &Matrix| {
            Errors::between(std::slice::from_ref(x), std::slice::from_ref(target))
        };
        if let (Ok(to_pinv), Ok(to_limit)) = (to(&self.pinv[0]), to(&limit)) {
            facts.push(Fact::new(
                "distance to pinv(B)",
                format!(
                    "max abs {}, relative {}",
                    number(to_pinv.max_abs),
                    number(to_pinv.rel_frobenius)
                ),
            ));
            facts.push(Fact::new(
                "distance to limit",
                format!(
                    "max abs {}, relative {} (limit = X0 (I - P) + pinv(B), P = B pinv(B))",
                    number(to_limit.max_abs),
                    number(to_limit.rel_frobenius)
                ),
            ));
            let start_part = limit
                .sub(&self.pinv[0])
                .map(|d| d.max_abs())
                .unwrap_or(f64::NAN);
            let approaches = if start_part <= 1e-12 * (1.0 + self.pinv[0].max_abs()) {
                "pinv(B), which is also the limit here: the start has no part outside B's column space".to_string()
            } else if to_limit.rel_frobenius < to_pinv.rel_frobenius {
                "the limit X0 (I - P) + pinv(B), not pinv(B): the gradient 2 (X B - I) B^T / n lies in \
                 B's column space, so gradient steps never change the part X0 (I - P) of the start"
                    .to_string()
            } else {
                "pinv(B) more than the plain-gradient limit: this optimizer does not keep the part \
                 X0 (I - P) of the start fixed (an adaptive or decoupled update)"
                    .to_string()
            };
            facts.push(Fact::new("approaches", approaches));
        }
        facts
    }
}
