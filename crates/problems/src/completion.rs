//! `Completion`: a document-word matrix with entries hidden, filled in by a regularised rank-k U Vᵀ.
//!
//! The objective is `Σ_observed (U Vᵀ - B)² + λ (||U||² + ||V||²)`. Since
//! `min over U Vᵀ = X of (||U||² + ||V||²) / 2` is the nuclear norm `||X||_*`, its minimum over
//! rank-k factors is the minimum over X of the convex `||P_Ω(X - B)||² + 2λ ||X||_*` whenever that
//! has a solution X* of rank at most k (Srebro, Rennie and Jaakkola, 2005); then every local
//! minimum of the factored cost is global (Burer and Monteiro). X* is computed by soft-impute
//! (Mazumder, Hastie and Tibshirani, 2010): `X <- S_λ(P_Ω(B) + P_Ω⊥(X))`, the singular values
//! shrunk by λ, on faer's SVDs until it stops changing. A run is compared through its product,
//! refactored as balanced factors (as `lowrank`). The summary reports the error on the hidden
//! entries beside the baseline: the rank-k truncated SVD of the observed entries, zero-filled and
//! scaled by the observed fraction.

use candle_core::{Result, Tensor};
use descent_losses::Loss;
use descent_tensor::{Dtype, Matrix, MatrixSource, RngKind, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::indicator::draw;
use crate::lowrank::{LowRank, balanced_like};
use crate::report::{number, numbers};
use crate::{
    BuildContext, Errors, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes,
    entries, total,
};

fn default_documents() -> usize {
    30
}

fn default_words() -> usize {
    12
}

fn default_p() -> f64 {
    0.3
}

fn default_hidden() -> f64 {
    0.2
}

fn default_lambda() -> f64 {
    1.0
}

/// Config of [`Completion`]: B is drawn as `indicator` draws it unless `matrix` gives it; the mask
/// is drawn after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletionConfig {
    /// Number of documents, the rows of B (default 30).
    #[serde(default = "default_documents")]
    pub documents: usize,
    /// Number of words, the columns of B (default 12).
    #[serde(default = "default_words")]
    pub words: usize,
    /// Probability that a word occurs in a document (default 0.3).
    #[serde(default = "default_p")]
    pub p: f64,
    /// The generator of B's draw and the mask's: `torch` (default) or `native`.
    #[serde(default)]
    pub rng: RngKind,
    /// Its own seed for B's draw; by default the run's seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// B given instead of drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<MatrixSource>,
    /// The fraction of entries hidden, in (0, 1) (default 0.2): entry (i, j) is hidden where a
    /// uniform draw is below it.
    #[serde(default = "default_hidden")]
    pub hidden: f64,
    /// Its own seed for the mask's draw; by default the run's stream after B.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_seed: Option<i64>,
    /// The rank k of U Vᵀ (required).
    pub rank: usize,
    /// The weight λ > 0 of `||U||² + ||V||²` (default 1).
    #[serde(default = "default_lambda")]
    pub lambda: f64,
}

impl ProblemConfig for CompletionConfig {
    const KIND: &'static str = "completion";
    const SUMMARY: &'static str = "U, V with U V^T fitting the observed entries of a document-word matrix (the rest hidden), plus lambda (||U||^2 + ||V||^2); keys: documents, words, p, rng, seed, matrix, hidden, mask_seed, rank, lambda";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let ((d, w), key) = match &self.matrix {
            Some(source) => (shapes.shape("matrix", source)?, "matrix"),
            None => ((self.documents, self.words), "documents"),
        };
        let k = self.rank.min(d.min(w));
        Ok(Some(Footprint {
            key: key.into(),
            parameters: total(&[entries(&[d, k]), entries(&[w, k])]),
            prediction: entries(&[d, w]).saturating_mul(2),
            data: total(&[
                entries(&[d, w]).saturating_mul(12),
                entries(&[d.max(w), d.min(w)]).saturating_mul(4),
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
        if !(self.hidden > 0.0 && self.hidden < 1.0) {
            return Err(ProblemError::invalid(
                "hidden",
                format!(
                    "is the fraction of entries hidden, in (0, 1), got {}",
                    self.hidden
                ),
            ));
        }
        ProblemError::check_positive("lambda", self.lambda, "it makes the answer unique")?;
        let (d, w) = b.shape();
        if self.rank == 0 || self.rank > d.min(w) {
            return Err(ProblemError::invalid(
                "rank",
                format!(
                    "must be between 1 and min(documents, words) = {} (B is {d}x{w}), got {}",
                    d.min(w),
                    self.rank
                ),
            ));
        }
        let u = ctx
            .random()
            .draw(self.rng, self.mask_seed.map(|s| s as u64), |r| {
                r.uniform(d, w, 0.0, 1.0, Dtype::F32)
            });
        let hidden = self.hidden as f32;
        let observed = Matrix::from_fn(d, w, |i, j| {
            if (u.get(i, j) as f32) < hidden {
                0.0
            } else {
                1.0
            }
        });
        if observed.data().iter().all(|&m| m == 0.0) {
            return Err(ProblemError::invalid(
                "hidden",
                "the mask hides every entry: nothing is left to fit",
            ));
        }
        let problem = Completion::new(b, observed, self.rank, self.lambda, ctx)?;
        if problem.solution_rank > self.rank {
            return Err(ProblemError::invalid(
                "rank",
                format!(
                    "the minimum of ||P(X - B)||^2 + 2 lambda ||X||_* has rank {} > rank = {} at lambda = {}: rank-{} factors cannot reach it (raise rank to {} or lambda)",
                    problem.solution_rank, self.rank, self.lambda, self.rank, problem.solution_rank
                ),
            ));
        }
        Ok(Box::new(problem))
    }
}

/// Soft-impute's iterations at most, and its stopping rule (relative change of X).
const SOFT_IMPUTE_ITERATIONS: usize = 200_000;
const SOFT_IMPUTE_TOLERANCE: f64 = 1e-15;

/// Matrix completion by optimization.
#[derive(Debug)]
pub struct Completion {
    b: Matrix,
    observed: Matrix,
    mask: Tensor,
    target: Tensor,
    lambda: f64,
    k: usize,
    solution: Matrix,
    solution_values: Vec<f64>,
    solution_rank: usize,
    iterations: usize,
    baseline: Matrix,
    exact: [Matrix; 2],
    top: Matrix,
    parameters: [Parameter; 2],
}

/// `W (S - λ)_+ Vᵀ`, the singular values of `z` shrunk by λ, with the shrunk values.
fn shrink(z: &Matrix, lambda: f64) -> std::result::Result<(Matrix, Vec<f64>), TensorError> {
    let f = exact::svd(z)?;
    let s: Vec<f64> = f.s.iter().map(|x| (x - lambda).max(0.0)).collect();
    let x = Matrix::from_fn(z.rows(), z.cols(), |i, j| {
        (0..s.len())
            .map(|t| f.u.get(i, t) * s[t] * f.v.get(j, t))
            .sum()
    });
    Ok((x, s))
}

/// The minimiser of `||P_Ω(X - B)||² + 2λ ||X||_*` by soft-impute, its singular values and the
/// iterations it took.
pub fn soft_impute(
    b: &Matrix,
    observed: &Matrix,
    lambda: f64,
) -> std::result::Result<(Matrix, Vec<f64>, usize), TensorError> {
    let (d, w) = b.shape();
    let mut x = Matrix::zeros(d, w);
    let mut values = Vec::new();
    for t in 1..=SOFT_IMPUTE_ITERATIONS {
        let z = Matrix::from_fn(d, w, |i, j| {
            if observed.get(i, j) != 0.0 {
                b.get(i, j)
            } else {
                x.get(i, j)
            }
        });
        let (next, s) = shrink(&z, lambda)?;
        let change = next.sub(&x)?.frobenius_norm();
        x = next;
        values = s;
        if change <= SOFT_IMPUTE_TOLERANCE * x.frobenius_norm().max(1.0) {
            return Ok((x, values, t));
        }
    }
    Ok((x, values, SOFT_IMPUTE_ITERATIONS))
}

impl Completion {
    /// The problem for data `b`, the 0/1 `observed` mask, rank `k` and weight `lambda`.
    pub fn new(
        b: Matrix,
        observed: Matrix,
        k: usize,
        lambda: f64,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let (d, w) = b.shape();
        let (solution, values, iterations) = soft_impute(&b, &observed, lambda)?;
        let tol = values
            .first()
            .map_or(0.0, |&s| exact::rank_tolerance(&b, s.max(1.0)));
        let solution_rank = values.iter().filter(|&&s| s > tol).count();
        let f = exact::svd(&solution)?;
        let top = Matrix::from_fn(d, k, |i, j| f.u.get(i, j));
        let balanced =
            |m: &Matrix| Matrix::from_fn(m.rows(), k, |i, j| m.get(i, j) * f.s[j].max(0.0).sqrt());
        let exact = [balanced(&f.u), balanced(&f.v)];
        // The baseline: the observed entries, zero-filled and scaled by the observed fraction,
        // truncated to rank k.
        let fraction = observed.data().iter().sum::<f64>() / (d * w) as f64;
        let filled = Matrix::from_fn(d, w, |i, j| observed.get(i, j) * b.get(i, j) / fraction);
        let g = exact::svd(&filled)?;
        let baseline = Matrix::from_fn(d, w, |i, j| {
            (0..k).map(|t| g.u.get(i, t) * g.s[t] * g.v.get(j, t)).sum()
        });
        let masked = Matrix::from_fn(d, w, |i, j| observed.get(i, j) * b.get(i, j));
        let p = |name: &str, rows| Parameter {
            name: name.into(),
            rows,
            cols: k,
        };
        Ok(Self {
            mask: observed.to_tensor(ctx.dtype(), ctx.device())?,
            target: masked.to_tensor(ctx.dtype(), ctx.device())?,
            b,
            observed,
            lambda,
            k,
            solution,
            solution_values: values,
            solution_rank,
            iterations,
            baseline,
            exact,
            top,
            parameters: [p("U", d), p("V", w)],
        })
    }

    /// The root mean square of `x - B` over the hidden entries (`hidden = true`) or the observed
    /// ones.
    pub fn rms(&self, x: &Matrix, hidden: bool) -> f64 {
        let (mut sum, mut count) = (0.0, 0usize);
        for i in 0..self.b.rows() {
            for j in 0..self.b.cols() {
                if (self.observed.get(i, j) == 0.0) == hidden {
                    sum += (x.get(i, j) - self.b.get(i, j)).powi(2);
                    count += 1;
                }
            }
        }
        if count == 0 {
            0.0
        } else {
            (sum / count as f64).sqrt()
        }
    }

    /// `||P_Ω(X - B)||² + 2λ ||X||_*`, the convex objective, which the factored cost equals at
    /// balanced factors of X.
    pub fn convex_objective(&self, x: &Matrix) -> f64 {
        let fit: f64 = (0..x.data().len())
            .map(|t| self.observed.data()[t] * (x.data()[t] - self.b.data()[t]).powi(2))
            .sum();
        let nuclear: f64 = exact::singular_values(x).map_or(f64::NAN, |s| s.iter().sum());
        fit + 2.0 * self.lambda * nuclear
    }

    /// The convex problem's solution X*, computed by soft-impute.
    pub fn solution(&self) -> &Matrix {
        &self.solution
    }

    /// The baseline: the rank-k truncated SVD of the zero-filled observed entries over the
    /// observed fraction.
    pub fn baseline(&self) -> &Matrix {
        &self.baseline
    }

    /// The 0/1 mask of observed entries.
    pub fn observed(&self) -> &Matrix {
        &self.observed
    }
}

impl Problem for Completion {
    fn kind(&self) -> &str {
        CompletionConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        params[0].matmul(&params[1].t()?)?.mul(&self.mask)
    }

    fn prediction_label(&self) -> String {
        "M * (U V^T)".into()
    }

    fn target(&self) -> &Tensor {
        &self.target
    }

    fn target_label(&self) -> String {
        "M * B".into()
    }

    /// The sum of squares over the observed entries plus the penalty, whatever `[loss]` says:
    /// the exact answer is that of this objective.
    fn objective(&self, params: &[Tensor], _loss: &dyn Loss) -> Result<Tensor> {
        let fit = self
            .prediction(params)?
            .sub(&self.target)?
            .sqr()?
            .sum_all()?;
        let norms = (params[0].sqr()?.sum_all()? + params[1].sqr()?.sum_all()?)?;
        fit + norms.affine(self.lambda, 0.0)?
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![
            ("B".into(), self.b.clone()),
            ("M".into(), self.observed.clone()),
        ]
    }

    fn compared(&self, iterate: &[Matrix]) -> Option<Vec<Matrix>> {
        self.aligned(iterate).ok().map(Vec::from)
    }

    fn compared_note(&self) -> String {
        "The found factors are shown as the errors compare them: their product U V^T refactored \
         as the balanced P sqrt(S), Q sqrt(S) of its own SVD, signs matched to the exact ones \
         (result_*.npy holds U and V as the run left them)."
            .into()
    }

    fn errors(&self, iterate: &[Matrix]) -> std::result::Result<Errors, TensorError> {
        Errors::between(&self.aligned(iterate)?, &self.exact)
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let (d, w) = self.b.shape();
        let seen = self.observed.data().iter().filter(|&&m| m != 0.0).count();
        let mut facts = vec![
            Fact::new(
                "exact answer",
                format!(
                    "the minimum of ||P(X - B)||^2 + 2 lambda ||X||_* by soft-impute on faer's SVDs, f64 ({} iterations{}), as balanced factors; the found product is refactored alike",
                    self.iterations,
                    if self.iterations == SOFT_IMPUTE_ITERATIONS {
                        ", stopped before it settled"
                    } else {
                        ""
                    }
                ),
            ),
            Fact::new(
                "observed",
                format!("{seen} of {} entries ({d} x {w}); the rest hidden", d * w),
            ),
            Fact::new(
                "solution",
                format!(
                    "rank {} (k = {}), singular values {}",
                    self.solution_rank,
                    self.k,
                    numbers(
                        &self.solution_values
                            [..self.solution_rank.max(1).min(self.solution_values.len())]
                    )
                ),
            ),
        ];
        if let [u, v] = result {
            let x = LowRank::product(u, v);
            let (found, best) = (
                self.convex_objective(&x),
                self.convex_objective(&self.solution),
            );
            facts.push(Fact::new(
                "objective",
                format!(
                    "||P(X - B)||^2 + 2 lambda ||X||_* = {} at the found U V^T, {} at X* (where the minimum is not unique, a run can end at another minimiser with the same value)",
                    number(found),
                    number(best)
                ),
            ));
            let mean = (0..d * w)
                .filter(|&e| self.observed.data()[e] != 0.0)
                .map(|e| self.b.data()[e])
                .sum::<f64>()
                / seen.max(1) as f64;
            facts.push(Fact::new(
                "hidden entries",
                format!(
                    "rms error {} (found), {} (exact X*), {} (baseline: rank-{} truncated SVD of the observed entries over the observed fraction), {} (predicting the observed mean {}), {} (predicting 0)",
                    number(self.rms(&x, true)),
                    number(self.rms(&self.solution, true)),
                    number(self.rms(&self.baseline, true)),
                    self.k,
                    number(self.rms(&Matrix::from_fn(d, w, |_, _| mean), true)),
                    number(mean),
                    number(self.rms(&Matrix::zeros(d, w), true)),
                ),
            ));
            facts.push(Fact::new(
                "observed entries",
                format!(
                    "rms error {} (found), {} (baseline)",
                    number(self.rms(&x, false)),
                    number(self.rms(&self.baseline, false))
                ),
            ));
        }
        facts
    }
}

impl Completion {
    /// The found product as balanced factors signed like the exact ones.
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<[Matrix; 2], TensorError> {
        let [u, v] = iterate else {
            return Err(TensorError::Shape(format!(
                "{} parameters, expected 2 (U, V)",
                iterate.len()
            )));
        };
        balanced_like(u, v, &self.top)
    }
}
