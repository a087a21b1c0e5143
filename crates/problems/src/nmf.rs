//! `Nmf`: nonnegative factors W, H with B ≈ W H for a document-word matrix (topics), by projected gradient.
//!
//! Both factors are projected onto the nonnegative orthant after every step
//! ([`Problem::projection`]). NMF has no unique answer (any `W D P`, `P⁻¹ D⁻¹ H` with D positive
//! diagonal and P a permutation give the same product, and the cost has many local minima), so
//! the reference is a local minimum from another method: HALS (hierarchical alternating least
//! squares; Cichocki and Phan, 2009) from the NNDSVD-style start `|U_k| √Σ`, `√Σ |V_kᵀ|`, run in f64
//! until it stops changing. A run is compared with it after scaling each column of W to length 1
//! (its row of H scaled up alike) and matching the columns to the reference's by cosine. The
//! figure that needs no reference is the ratio of the error `||B - W H||` to the truncated SVD's
//! `||B - B_k||`, a lower bound for every rank-k product (Eckart–Young), so the ratio is at least 1.

use candle_core::{Result, Tensor};
use descent_tensor::{Matrix, MatrixSource, RngKind, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::indicator::draw;
use crate::report::number;
use crate::{
    BuildContext, Errors, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError,
    Projection, Shapes, entries, total,
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

/// Config of [`Nmf`]: B is drawn as `indicator` draws it unless `matrix` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NmfConfig {
    /// Number of documents, the rows of B (default 30).
    #[serde(default = "default_documents")]
    pub documents: usize,
    /// Number of words, the columns of B (default 12).
    #[serde(default = "default_words")]
    pub words: usize,
    /// Probability that a word occurs in a document (default 0.3).
    #[serde(default = "default_p")]
    pub p: f64,
    /// The generator of B's draw: `torch` (default) or `native`.
    #[serde(default)]
    pub rng: RngKind,
    /// Its own seed for B's draw; by default the run's seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// B given instead of drawn (entries at least 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<MatrixSource>,
    /// The number of topics k, the inner dimension of W H (required).
    pub rank: usize,
}

impl ProblemConfig for NmfConfig {
    const KIND: &'static str = "nmf";
    const SUMMARY: &'static str = "nonnegative W, H with W H ~ B for a document-word matrix (topics), by projected gradient; keys: documents, words, p, rng, seed, matrix, rank";

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
            parameters: total(&[entries(&[d, k]), entries(&[k, w])]),
            prediction: entries(&[d, w]),
            data: total(&[
                entries(&[d, w]).saturating_mul(8),
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
        if let Some(x) = b.data().iter().find(|&&x| x < 0.0) {
            return Err(ProblemError::invalid(
                "matrix",
                format!("B has a negative entry ({x}): nonnegative factors cannot fit it"),
            ));
        }
        let (d, w) = b.shape();
        let rank = exact::rank(&b)?;
        if self.rank == 0 || self.rank > rank {
            return Err(ProblemError::invalid(
                "rank",
                format!(
                    "must be between 1 and the rank of B, {rank} (B is {d}x{w}), got {}",
                    self.rank
                ),
            ));
        }
        Ok(Box::new(Nmf::new(b, self.rank, ctx)?))
    }
}

/// HALS sweeps at most, and its stopping rule (relative change of the product).
const HALS_SWEEPS: usize = 20_000;
const HALS_TOLERANCE: f64 = 1e-13;

/// Nonnegative matrix factorisation by projected gradient.
#[derive(Debug)]
pub struct Nmf {
    b_matrix: Matrix,
    b: Tensor,
    k: usize,
    singular_values: Vec<f64>,
    sweeps: usize,
    exact: [Matrix; 2],
    parameters: [Parameter; 2],
}

/// `x y` of host matrices.
fn product(x: &Matrix, y: &Matrix) -> Matrix {
    Matrix::from_faer((x.to_faer() * y.to_faer()).as_ref())
}

/// A local minimum of `||B - W H||²` over nonnegative W (d x k), H (k x w) by HALS from the
/// NNDSVD-style start, with the sweeps it took.
pub fn hals(b: &Matrix, k: usize) -> std::result::Result<(Matrix, Matrix, usize), TensorError> {
    let (d, w) = b.shape();
    let f = exact::svd(b)?;
    let mut wm = Matrix::from_fn(d, k, |i, j| f.u.get(i, j).abs() * f.s[j].sqrt());
    let mut hm = Matrix::from_fn(k, w, |i, j| f.v.get(j, i).abs() * f.s[i].sqrt());
    let (mut wd, mut hd) = (wm.data().to_vec(), hm.data().to_vec());
    let mut previous = product(&wm, &hm);
    for sweep in 1..=HALS_SWEEPS {
        // W's columns, given H: w_j <- max(0, w_j + ((B Hᵀ)_j - (W H Hᵀ)_j) / (H Hᵀ)_jj).
        let bh = product(b, &hm.transpose());
        let hh = product(&hm, &hm.transpose());
        for j in 0..k {
            let scale = hh.get(j, j).max(f64::MIN_POSITIVE);
            for i in 0..d {
                let whh: f64 = (0..k).map(|t| wd[i * k + t] * hh.get(t, j)).sum();
                wd[i * k + j] = (wd[i * k + j] + (bh.get(i, j) - whh) / scale).max(0.0);
            }
        }
        wm = Matrix::new(d, k, wd.clone())?;
        // H's rows, given W.
        let wb = product(&wm.transpose(), b);
        let ww = product(&wm.transpose(), &wm);
        for j in 0..k {
            let scale = ww.get(j, j).max(f64::MIN_POSITIVE);
            for c in 0..w {
                let wwh: f64 = (0..k).map(|t| ww.get(j, t) * hd[t * w + c]).sum();
                hd[j * w + c] = (hd[j * w + c] + (wb.get(j, c) - wwh) / scale).max(0.0);
            }
        }
        hm = Matrix::new(k, w, hd.clone())?;
        let current = product(&wm, &hm);
        let change = current.sub(&previous)?.frobenius_norm();
        if change <= HALS_TOLERANCE * current.frobenius_norm().max(f64::MIN_POSITIVE) {
            return Ok((wm, hm, sweep));
        }
        previous = current;
    }
    Ok((wm, hm, HALS_SWEEPS))
}

/// W's columns scaled to length 1 and H's rows scaled up alike (zero columns left as they are),
/// then permuted so that column j is the one closest (by cosine) to `reference`'s column j,
/// greedily, largest cosine first.
fn normalized_like(
    w: &Matrix,
    h: &Matrix,
    reference: &Matrix,
) -> std::result::Result<[Matrix; 2], TensorError> {
    let (d, k) = w.shape();
    let norm = |m: &Matrix, j: usize| {
        (0..m.rows())
            .map(|i| m.get(i, j).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let scale: Vec<f64> = (0..k).map(|j| norm(w, j)).collect();
    let unit = Matrix::from_fn(d, k, |i, j| {
        if scale[j] > 0.0 {
            w.get(i, j) / scale[j]
        } else {
            0.0
        }
    });
    let up = Matrix::from_fn(k, h.cols(), |i, j| {
        if scale[i] > 0.0 {
            h.get(i, j) * scale[i]
        } else {
            h.get(i, j)
        }
    });
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(k * k);
    for found in 0..k {
        for want in 0..k {
            let dot: f64 = (0..d)
                .map(|i| unit.get(i, found) * reference.get(i, want))
                .sum();
            let r = norm(reference, want);
            pairs.push((if r > 0.0 { dot / r } else { 0.0 }, found, want));
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut to = vec![usize::MAX; k];
    let mut used = vec![false; k];
    for (_, found, want) in pairs {
        if to[want] == usize::MAX && !used[found] {
            to[want] = found;
            used[found] = true;
        }
    }
    Ok([
        Matrix::from_fn(d, k, |i, j| unit.get(i, to[j])),
        Matrix::from_fn(k, h.cols(), |i, j| up.get(to[i], j)),
    ])
}

impl Nmf {
    /// The problem for a nonnegative `b` and `1 <= k <= rank(b)`.
    pub fn new(
        b: Matrix,
        k: usize,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let (d, w) = b.shape();
        let singular_values = exact::singular_values(&b)?;
        let (wr, hr, sweeps) = hals(&b, k)?;
        let exact = normalized_like(&wr, &hr, &wr)?;
        let p = |name: &str, rows, cols| Parameter {
            name: name.into(),
            rows,
            cols,
        };
        Ok(Self {
            b: b.to_tensor(ctx.dtype(), ctx.device())?,
            b_matrix: b,
            k,
            singular_values,
            sweeps,
            exact,
            parameters: [p("W", d, k), p("H", k, w)],
        })
    }

    /// The truncated SVD's error `||B - B_k||_F`, a lower bound for every rank-k product.
    pub fn svd_error(&self) -> f64 {
        self.singular_values[self.k..]
            .iter()
            .map(|s| s * s)
            .sum::<f64>()
            .sqrt()
    }

    /// `||B - W H||_F`.
    pub fn error(&self, w: &Matrix, h: &Matrix) -> f64 {
        product(w, h)
            .sub(&self.b_matrix)
            .map_or(f64::NAN, |d| d.frobenius_norm())
    }

    /// The iterate as it is compared: normalised and matched to the reference.
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<[Matrix; 2], TensorError> {
        let [w, h] = iterate else {
            return Err(TensorError::Shape(format!(
                "{} parameters, expected 2 (W, H)",
                iterate.len()
            )));
        };
        normalized_like(w, h, &self.exact[0])
    }
}

impl Problem for Nmf {
    fn kind(&self) -> &str {
        NmfConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        params[0].matmul(&params[1])
    }

    fn prediction_label(&self) -> String {
        "W H".into()
    }

    fn target(&self) -> &Tensor {
        &self.b
    }

    fn target_label(&self) -> String {
        "B".into()
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![("B".into(), self.b_matrix.clone())]
    }

    fn projection(&self, _index: usize) -> Projection {
        Projection::Nonnegative
    }

    fn compared(&self, iterate: &[Matrix]) -> Option<Vec<Matrix>> {
        self.aligned(iterate).ok().map(Vec::from)
    }

    fn compared_note(&self) -> String {
        "The found factors are shown as they are compared with the reference (a HALS local \
         minimum, not a unique answer): W's columns scaled to length 1 with H's rows scaled up \
         alike, and matched to the reference's columns by cosine (result_*.npy holds them as the \
         run left them)."
            .into()
    }

    fn errors(&self, iterate: &[Matrix]) -> std::result::Result<Errors, TensorError> {
        Errors::between(&self.aligned(iterate)?, &self.exact)
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let bound = self.svd_error();
        let reference = self.error(&self.exact[0], &self.exact[1]);
        let ratio = |e: f64| {
            if bound > 0.0 {
                number(e / bound)
            } else {
                "-".into()
            }
        };
        let mut facts = vec![
            Fact::new(
                "exact answer",
                format!(
                    "none is unique: the reference is a local minimum by HALS from the NNDSVD start, f64 ({} sweeps{}); errors compare with it after scaling and matching columns",
                    self.sweeps,
                    if self.sweeps == HALS_SWEEPS {
                        ", stopped before it settled"
                    } else {
                        ""
                    }
                ),
            ),
            Fact::new(
                "lower bound",
                format!(
                    "||B - B_k|| = {} (the truncated SVD, k = {}): no rank-{} product is closer",
                    number(bound),
                    self.k,
                    self.k
                ),
            ),
        ];
        if let [w, h] = result {
            let found = self.error(w, h);
            let negative = w
                .data()
                .iter()
                .chain(h.data())
                .filter(|&&x| x < 0.0)
                .count();
            facts.push(Fact::new(
                "found error",
                format!(
                    "||B - W H|| = {}, {} times the bound (HALS's reference: {}, {} times)",
                    number(found),
                    ratio(found),
                    number(reference),
                    ratio(reference)
                ),
            ));
            facts.push(Fact::new(
                "nonnegative",
                if negative == 0 {
                    "every entry of W and H is >= 0".to_string()
                } else {
                    format!("{negative} entries of W and H are negative")
                },
            ));
        }
        facts
    }
}
