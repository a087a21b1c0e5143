//! `Eigen`: the k largest (or smallest) eigenpairs of a symmetric A, by reconstruction or by Brockett's cost.
//!
//! Both methods work on `M = A - s I` (or `s I - A` for the smallest), with the shift s a Gershgorin
//! bound that makes M positive semidefinite, so the wanted eigenvalues of A are M's largest, and
//! the answer is found without knowing A's spectrum first (s = 0 when A's Gershgorin discs already
//! lie on the right side of 0).
//!
//! - `reconstruction`: `loss(V diag(λ - s) Vᵀ + s I, A) + w loss(Vᵀ V, I)` over V (n x k) and λ
//!   (1 x k). The rank-k symmetric matrix closest to M keeps M's k largest eigenvalues
//!   (Eckart–Young), so the minima are V = the wanted eigenvectors (any order, any signs) and λ
//!   their eigenvalues, where both terms are at their least.
//! - `brockett`: `-tr(Vᵀ M V N) + w loss(Vᵀ V, I)` over V, with `N = diag(k, k - 1, ..., 1)`.
//!   On orthonormal V, Brockett's cost is least at the wanted eigenvectors in order, the largest
//!   weight on the largest eigenvalue. The penalty only keeps V bounded: at the minimum column j
//!   is the eigenvector scaled to `||v_j||² = 1 + μ_j N_j / (2 w)` under `sse` (μ_j: M's eigenvalue),
//!   so the run's eigenvalues are Rayleigh quotients `v_jᵀ A v_j / v_jᵀ v_j`, and its eigenvectors are
//!   compared after scaling the columns to length 1.
//!
//! The eigenvectors are compared up to sign and order (sorted by the found eigenvalues); when
//! eigenvalues repeat only the subspace is unique, and the summary reports the largest principal
//! angle between the found and the exact subspaces.

use candle_core::{Result, Tensor};
use descent_losses::Loss;
use descent_tensor::{Matrix, MatrixSource, TensorError, exact};
use serde::{Deserialize, Serialize};

use crate::report::{number, numbers};
use crate::subspace::largest_angle;
use crate::symmetric::check_symmetric;
use crate::{
    BuildContext, Errors, Fact, Footprint, Parameter, Problem, ProblemConfig, ProblemError, Shapes,
    entries, total,
};

/// Which end of the spectrum to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    /// The k largest eigenvalues (default).
    #[default]
    Largest,
    /// The k smallest eigenvalues.
    Smallest,
}

/// The cost that is minimised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EigenMethod {
    /// `loss(V diag(λ - s) Vᵀ + s I, A)` plus the orthogonality penalty (default).
    #[default]
    Reconstruction,
    /// Brockett's `-tr(Vᵀ M V N)` plus the orthogonality penalty.
    Brockett,
}

fn default_orthogonality() -> f64 {
    1.0
}

/// Config of [`Eigen`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EigenConfig {
    /// The symmetric matrix A (n x n).
    pub matrix: MatrixSource,
    /// How many eigenpairs to find (required; 1 to n).
    pub k: usize,
    /// `largest` (default) or `smallest`.
    #[serde(default)]
    pub which: Which,
    /// `reconstruction` (default) or `brockett`.
    #[serde(default)]
    pub method: EigenMethod,
    /// Weight w of the orthogonality penalty `loss(V^T V, I)` (default 1).
    #[serde(default = "default_orthogonality")]
    pub orthogonality: f64,
}

impl ProblemConfig for EigenConfig {
    const KIND: &'static str = "eigen";
    const SUMMARY: &'static str = "the k largest or smallest eigenpairs of a symmetric A, by reconstruction or Brockett's cost; keys: matrix, k, which, method, orthogonality";

    fn footprint(
        &self,
        shapes: &mut dyn Shapes,
    ) -> std::result::Result<Option<Footprint>, ProblemError> {
        let (m, n) = shapes.shape("matrix", &self.matrix)?;
        let k = self.k.min(n);
        // A as given, rounded, shifted and as a tensor; the eigendecomposition.
        Ok(Some(Footprint {
            key: "matrix".into(),
            parameters: total(&[entries(&[n, k]), k as u128]),
            prediction: total(&[entries(&[m, n]), entries(&[n, k]).saturating_mul(2)]),
            data: entries(&[m, n]).saturating_mul(8),
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
            "without the penalty the cost is unbounded or the columns need not be orthogonal",
        )?;
        let a = ctx.matrix("matrix", &self.matrix)?;
        check_symmetric(&a, "an eigendecomposition by these costs")?;
        let n = a.rows();
        if self.k == 0 || self.k > n {
            return Err(ProblemError::invalid(
                "k",
                format!(
                    "must be between 1 and n = {n} (A is {n}x{n}), got {}",
                    self.k
                ),
            ));
        }
        Ok(Box::new(Eigen::new(
            a,
            self.k,
            self.which,
            self.method,
            self.orthogonality,
            ctx,
        )?))
    }
}

/// The wanted eigenpairs of a symmetric matrix by optimization.
#[derive(Debug)]
pub struct Eigen {
    a_matrix: Matrix,
    a: Tensor,
    /// A (reconstruction) or the display target diag(wanted eigenvalues) (brockett).
    target: Tensor,
    /// `M = ±(A - s I)` (brockett only).
    shifted: Option<Tensor>,
    /// `s I` (reconstruction only).
    shift_identity: Option<Tensor>,
    /// `(k, k - 1, ..., 1)` as a 1 x k row (brockett only).
    weights: Option<Tensor>,
    identity: Tensor,
    shift: f64,
    which: Which,
    method: EigenMethod,
    weight: f64,
    values: Vec<f64>,
    /// Indices (into `values`, largest first) of the wanted eigenpairs, in the order compared.
    wanted: Vec<usize>,
    exact: Vec<Matrix>,
    parameters: Vec<Parameter>,
}

/// The Gershgorin shift: the largest s ≤ 0 below every disc (largest) or the smallest s ≥ 0 above
/// every disc (smallest), so that `A - s I`, or `s I - A`, is positive semidefinite.
pub fn gershgorin_shift(a: &Matrix, which: Which) -> f64 {
    let n = a.rows();
    let radius = |i: usize| {
        (0..n)
            .filter(|&j| j != i)
            .map(|j| a.get(i, j).abs())
            .sum::<f64>()
    };
    match which {
        Which::Largest => (0..n).map(|i| a.get(i, i) - radius(i)).fold(0.0, f64::min),
        Which::Smallest => (0..n).map(|i| a.get(i, i) + radius(i)).fold(0.0, f64::max),
    }
}

impl Eigen {
    /// The problem for a symmetric `a` and `1 <= k <= n`.
    pub fn new(
        a: Matrix,
        k: usize,
        which: Which,
        method: EigenMethod,
        weight: f64,
        ctx: &dyn BuildContext,
    ) -> std::result::Result<Self, ProblemError> {
        let n = a.rows();
        let e = exact::symmetric_eigen(&a)?;
        let wanted: Vec<usize> = match which {
            Which::Largest => (0..k).collect(),
            Which::Smallest => (0..k).map(|j| n - 1 - j).collect(),
        };
        let vectors = Matrix::from_fn(n, k, |i, j| e.vectors.get(i, wanted[j]));
        let lambda = Matrix::from_fn(1, k, |_, j| e.values[wanted[j]]);
        let shift = gershgorin_shift(&a, which);
        let (dtype, device) = (ctx.dtype(), ctx.device());
        let p = |name: &str, rows, cols| Parameter {
            name: name.into(),
            rows,
            cols,
        };
        let a_tensor = a.to_tensor(dtype, device)?;
        let (target, shifted, shift_identity, weights, exact, parameters) = match method {
            EigenMethod::Reconstruction => (
                a_tensor.clone(),
                None,
                Some(
                    Matrix::from_fn(n, n, |i, j| if i == j { shift } else { 0.0 })
                        .to_tensor(dtype, device)?,
                ),
                None,
                vec![vectors, lambda],
                vec![p("V", n, k), p("lambda", 1, k)],
            ),
            EigenMethod::Brockett => {
                let sign = if which == Which::Largest { 1.0 } else { -1.0 };
                let m = Matrix::from_fn(n, n, |i, j| {
                    sign * (a.get(i, j) - if i == j { shift } else { 0.0 })
                });
                (
                    Matrix::diag(lambda.data()).to_tensor(dtype, device)?,
                    Some(m.to_tensor(dtype, device)?),
                    None,
                    Some(Matrix::from_fn(1, k, |_, j| (k - j) as f64).to_tensor(dtype, device)?),
                    vec![vectors],
                    vec![p("V", n, k)],
                )
            }
        };
        Ok(Self {
            a_matrix: a,
            a: a_tensor,
            target,
            shifted,
            shift_identity,
            weights,
            identity: Matrix::identity(k).to_tensor(dtype, device)?,
            shift,
            which,
            method,
            weight,
            values: e.values,
            wanted,
            exact,
            parameters,
        })
    }

    /// The eigenvalue estimates of an iterate: λ (reconstruction) or the Rayleigh quotients
    /// `v_jᵀ A v_j / v_jᵀ v_j` of V's columns (brockett).
    pub fn estimates(&self, iterate: &[Matrix]) -> std::result::Result<Vec<f64>, TensorError> {
        match (self.method, iterate) {
            (EigenMethod::Reconstruction, [_, lambda]) => Ok(lambda.data().to_vec()),
            (EigenMethod::Brockett, [v]) => {
                let av = self.a_matrix.as_faer() * v.as_faer();
                Ok((0..v.cols())
                    .map(|j| {
                        let (mut num, mut den) = (0.0, 0.0);
                        for i in 0..v.rows() {
                            num += v.get(i, j) * av[(i, j)];
                            den += v.get(i, j) * v.get(i, j);
                        }
                        num / den
                    })
                    .collect())
            }
            _ => Err(TensorError::Shape(format!(
                "{} parameters, expected {}",
                iterate.len(),
                self.parameters.len()
            ))),
        }
    }

    /// The iterate as it is compared: its eigenpairs sorted like the exact ones (by the found
    /// eigenvalues), each eigenvector signed to a non-negative dot product with the exact one,
    /// and (brockett) scaled to length 1.
    pub fn aligned(&self, iterate: &[Matrix]) -> std::result::Result<Vec<Matrix>, TensorError> {
        let estimates = self.estimates(iterate)?;
        let v = &iterate[0];
        let (n, k) = (v.rows(), v.cols());
        let mut order: Vec<usize> = (0..k).collect();
        match self.which {
            Which::Largest => order.sort_by(|&x, &y| estimates[y].total_cmp(&estimates[x])),
            Which::Smallest => order.sort_by(|&x, &y| estimates[x].total_cmp(&estimates[y])),
        }
        let exact = &self.exact[0];
        let scale: Vec<f64> = order
            .iter()
            .enumerate()
            .map(|(j, &c)| {
                let dot: f64 = (0..n).map(|i| v.get(i, c) * exact.get(i, j)).sum();
                let sign = if dot < 0.0 { -1.0 } else { 1.0 };
                match self.method {
                    EigenMethod::Reconstruction => sign,
                    EigenMethod::Brockett => {
                        let norm = (0..n).map(|i| v.get(i, c).powi(2)).sum::<f64>().sqrt();
                        sign / norm.max(f64::MIN_POSITIVE)
                    }
                }
            })
            .collect();
        let vectors = Matrix::from_fn(n, k, |i, j| scale[j] * v.get(i, order[j]));
        Ok(match self.method {
            EigenMethod::Reconstruction => {
                vec![vectors, Matrix::from_fn(1, k, |_, j| estimates[order[j]])]
            }
            EigenMethod::Brockett => vec![vectors],
        })
    }

    /// The wanted eigenvalues, in the order compared.
    pub fn wanted_values(&self) -> Vec<f64> {
        self.wanted.iter().map(|&i| self.values[i]).collect()
    }

    /// V with unit columns (brockett's display prediction), in candle.
    fn unit_columns(v: &Tensor) -> Result<Tensor> {
        let norms = v.sqr()?.sum_keepdim(0)?.sqrt()?.maximum(1e-30)?;
        v.broadcast_div(&norms)
    }
}

impl Problem for Eigen {
    fn kind(&self) -> &str {
        EigenConfig::KIND
    }

    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn prediction(&self, params: &[Tensor]) -> Result<Tensor> {
        match (&self.shift_identity, &self.shifted) {
            (Some(shift), _) => {
                let scaled = params[0].broadcast_mul(&params[1].affine(1.0, -self.shift)?)?;
                scaled.matmul(&params[0].t()?)? + shift
            }
            (None, _) => {
                let u = Self::unit_columns(&params[0])?;
                u.t()?.matmul(&self.a.matmul(&u)?)
            }
        }
    }

    fn prediction_label(&self) -> String {
        match self.method {
            EigenMethod::Reconstruction if self.shift == 0.0 => "V diag(lambda) V^T".into(),
            EigenMethod::Reconstruction => "V diag(lambda - s) V^T + s I".into(),
            EigenMethod::Brockett => "U^T A U (U: V's columns at length 1)".into(),
        }
    }

    fn target(&self) -> &Tensor {
        &self.target
    }

    fn target_label(&self) -> String {
        match self.method {
            EigenMethod::Reconstruction => "A".into(),
            EigenMethod::Brockett => "diag(lambda)".into(),
        }
    }

    fn objective(&self, params: &[Tensor], loss: &dyn Loss) -> Result<Tensor> {
        let gram = params[0].t()?.matmul(&params[0])?;
        let penalty = loss.loss(&gram, &self.identity)?.affine(self.weight, 0.0)?;
        match (&self.shifted, &self.weights) {
            (Some(m), Some(weights)) => {
                let trace = m
                    .matmul(&params[0])?
                    .mul(&params[0])?
                    .broadcast_mul(weights)?
                    .sum_all()?;
                penalty - trace
            }
            _ => loss.loss(&self.prediction(params)?, &self.target)? + penalty,
        }
    }

    fn exact(&self) -> &[Matrix] {
        &self.exact
    }

    fn inputs(&self) -> Vec<(String, Matrix)> {
        vec![("A".into(), self.a_matrix.clone())]
    }

    fn compared(&self, iterate: &[Matrix]) -> Option<Vec<Matrix>> {
        self.aligned(iterate).ok()
    }

    fn compared_note(&self) -> String {
        let scaled = match self.method {
            EigenMethod::Reconstruction => "",
            EigenMethod::Brockett => ", scaled to length 1",
        };
        format!(
            "The found eigenpairs are shown as the errors compare them: sorted by their \
             eigenvalues, each eigenvector signed like the exact one{scaled} (result_*.npy holds \
             them as the run left them)."
        )
    }

    fn errors(&self, iterate: &[Matrix]) -> std::result::Result<Errors, TensorError> {
        Errors::between(&self.aligned(iterate)?, &self.exact)
    }

    fn facts(&self, _start: &[Matrix], result: &[Matrix]) -> Vec<Fact> {
        let k = self.wanted.len();
        let end = match self.which {
            Which::Largest => "largest",
            Which::Smallest => "smallest",
        };
        let mut facts = vec![
            Fact::new(
                "exact answer",
                format!(
                    "the {k} {end} eigenpairs by faer's symmetric eigendecomposition, f64; eigenvectors compared up to sign and order"
                ),
            ),
            Fact::new("eigenvalues", numbers(&self.values)),
        ];
        if self.shift != 0.0 {
            let m = match self.which {
                Which::Largest => "A - s I",
                Which::Smallest => "s I - A",
            };
            facts.push(Fact::new(
                "shift",
                format!(
                    "s = {} (Gershgorin): {m} is positive semidefinite, so the {end} eigenvalues of A are its largest",
                    number(self.shift)
                ),
            ));
        }
        let tolerance = 1e-10 * self.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let repeated = (0..self.values.len().saturating_sub(1))
            .filter(|&i| self.values[i] - self.values[i + 1] <= tolerance)
            .any(|i| self.wanted.contains(&i) || self.wanted.contains(&(i + 1)));
        if repeated {
            facts.push(Fact::new(
                "not unique",
                "a wanted eigenvalue repeats: only the subspace of its eigenvectors is unique (and, where it ties with one left out, not even that); the subspace angle is what to look at",
            ));
        }
        if let Ok(found) = self.estimates(result) {
            let mut sorted = found.clone();
            match self.which {
                Which::Largest => sorted.sort_by(|x, y| y.total_cmp(x)),
                Which::Smallest => sorted.sort_by(|x, y| x.total_cmp(y)),
            }
            let gap = sorted
                .iter()
                .zip(self.wanted_values())
                .map(|(f, e)| (f - e).abs())
                .fold(0.0, f64::max);
            let how = match self.method {
                EigenMethod::Reconstruction => "lambda",
                EigenMethod::Brockett => "Rayleigh quotients",
            };
            facts.push(Fact::new(
                "found eigenvalues",
                format!(
                    "{} ({how}), at most {} from the exact ones",
                    numbers(&sorted),
                    number(gap)
                ),
            ));
            if self.method == EigenMethod::Reconstruction {
                for (j, &value) in found.iter().enumerate() {
                    let norm = (0..result[0].rows())
                        .map(|i| result[0].get(i, j).powi(2))
                        .sum::<f64>()
                        .sqrt();
                    let mu = match self.which {
                        Which::Largest => value - self.shift,
                        Which::Smallest => self.shift - value,
                    };
                    if norm < 0.5 && mu <= 0.0 {
                        facts.push(Fact::new(
                            "spurious minimum",
                            format!(
                                "column {j} of V has length {} and lambda_{j} = {} lies beyond s = {}: where the fit pushes a column to 0 harder than the penalty pulls it to length 1, the reconstruction cost has local minima that are not eigenpairs; start lambda on the wanted side of s (init uniform, low > 0) or use method = \"brockett\", which has none",
                                number(norm),
                                number(value),
                                number(self.shift)
                            ),
                        ));
                    }
                }
            }
            let basis = &self.exact[0];
            if let Ok(angle) = largest_angle(&result[0], basis) {
                facts.push(Fact::new(
                    "subspace angle",
                    format!(
                        "largest principal angle to the exact {k}-dimensional eigenspace: {} radians",
                        number(angle)
                    ),
                ));
            }
            let v = result[0].to_faer();
            let gram = (v.transpose() * &v - faer::Mat::<f64>::identity(k, k)).norm_l2();
            facts.push(Fact::new(
                "orthogonality",
                match self.method {
                    EigenMethod::Reconstruction => format!("||V^T V - I|| = {}", number(gram)),
                    EigenMethod::Brockett => format!(
                        "column norms of V {} (the penalty's minimum is not at 1; Rayleigh quotients do not depend on them)",
                        numbers(
                            &(0..k)
                                .map(|j| (0..v.nrows())
                                    .map(|i| v[(i, j)].powi(2))
                                    .sum::<f64>()
                                    .sqrt())
                                .collect::<Vec<_>>()
                        )
                    ),
                },
            ));
        }
        facts
    }
}
