//! `Quadratic`: a linear problem under a squared loss, decomposed along its Hessian's eigenvectors.
//!
//! For the left form `X A = T` (X is r x n, A is n x m) write each row x of X separately:
//! `s ||x A - t||^2`. With the thin SVD `A = U S V^T`, the coordinates `y_i = x U_i` are the
//! Hessian's eigencomponents: `H = 2 s A A^T` has eigenvalues `λ_i = 2 s σ_i^2`, the gradient's
//! component is `λ_i (y_i - y*_i)` with `y*_i = t V_i / σ_i`, and
//! `f(x) = f* + Σ_i (λ_i / 2) (y_i - y*_i)^2` with `f* = s (||t||^2 - Σ_i (t V_i)^2)`. The part of x
//! outside the span of U (the null space of H) never enters the loss. The right form `A X = T` is
//! the left form of `X^T A^T = T^T`; the instances of a batch are decomposed one by one.

use descent_problems::LinearForm;
use descent_tensor::{Matrix, exact};

use crate::TheoryError;

/// One eigencomponent of one instance, summed over the rows it acts on: what the loss needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mode {
    /// The Hessian's eigenvalue `λ = 2 s σ^2`.
    pub lambda: f64,
    /// `Σ_rows (y0 - y*)^2`: the start's error along this eigenvector.
    pub error: f64,
    /// `Σ_rows (y0 - y*) y*`.
    pub cross: f64,
    /// `Σ_rows y*^2`: the minimiser along this eigenvector (weight decay pulls toward 0).
    pub target: f64,
}

/// The Hessian's spectrum (per row or column of the parameter; all instances together).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Spectrum {
    /// L: the largest eigenvalue.
    pub largest: f64,
    /// μ: the smallest non-zero eigenvalue.
    pub smallest: f64,
    /// κ = L / μ.
    pub condition: f64,
    /// The dimension of the null space, per row (per instance for a batch, summed).
    pub null_dim: usize,
    /// Every non-zero eigenvalue, largest first (with multiplicity; all instances).
    pub eigenvalues: Vec<f64>,
}

/// One instance in left form: its singular triplets and what the rows of X and T need.
#[derive(Debug, Clone)]
struct Instance {
    /// Non-zero singular values, largest first.
    sigma: Vec<f64>,
    /// Columns `U_i` (n x k): the eigenvectors acting on rows of X.
    u: Matrix,
    /// `T V_i / σ_i` for every row: the minimiser's coordinates (r x k).
    y_star: Matrix,
    /// The least-squares residual `s ||X* A - T||^2` of the instance.
    floor: f64,
    /// The length of a row of X.
    n: usize,
}

/// A quadratic problem, decomposed.
#[derive(Debug, Clone)]
pub struct Quadratic {
    scale: f64,
    left: bool,
    batch: usize,
    instances: Vec<Instance>,
}

/// The product `a b` (shapes checked by the caller).
fn product(a: &Matrix, b: &Matrix) -> Matrix {
    Matrix::from_faer((a.as_faer() * b.as_faer()).as_ref())
}

/// Rows `k * rows .. (k + 1) * rows` of `m`.
fn block(m: &Matrix, k: usize, rows: usize) -> Matrix {
    Matrix::from_fn(rows, m.cols(), |i, j| m.get(k * rows + i, j))
}

impl Quadratic {
    /// Decompose `form` under a squared loss of scale `scale` (`s`: 1 for sse, 1 / the entries of
    /// one instance's target for mse).
    pub fn new(form: &LinearForm, scale: f64) -> Result<Self, TheoryError> {
        let batch = form.batch.max(1);
        if !form.a.rows().is_multiple_of(batch) || !form.target.rows().is_multiple_of(batch) {
            return Err(TheoryError::Shape(format!(
                "a batch of {batch} does not divide A's {} rows and T's {}",
                form.a.rows(),
                form.target.rows()
            )));
        }
        let (ar, tr) = (form.a.rows() / batch, form.target.rows() / batch);
        let instances = (0..batch)
            .map(|k| {
                let (a, t) = (block(&form.a, k, ar), block(&form.target, k, tr));
                if form.left {
                    Instance::new(&a, &t, scale)
                } else {
                    Instance::new(&a.transpose(), &t.transpose(), scale)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            scale,
            left: form.left,
            batch,
            instances,
        })
    }

    /// The loss scale `s`.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The least loss any iterate reaches: the sum of the instances' least-squares residuals.
    pub fn floor(&self) -> f64 {
        self.instances.iter().map(|i| i.floor).sum()
    }

    /// The Hessian's spectrum.
    pub fn spectrum(&self) -> Spectrum {
        let mut eigenvalues: Vec<f64> = self
            .instances
            .iter()
            .flat_map(|i| i.sigma.iter().map(|s| 2.0 * self.scale * s * s))
            .collect();
        eigenvalues.sort_by(|a, b| b.total_cmp(a));
        let largest = eigenvalues.first().copied().unwrap_or(0.0);
        let smallest = eigenvalues.last().copied().unwrap_or(0.0);
        Spectrum {
            largest,
            smallest,
            condition: if smallest > 0.0 {
                largest / smallest
            } else {
                f64::INFINITY
            },
            null_dim: self.instances.iter().map(|i| i.n - i.sigma.len()).sum(),
            eigenvalues,
        }
    }

    /// Where plain gradient descent from `x0` converges (any stable lr, no weight decay): the
    /// minimiser's part along the Hessian's range plus the start's part in its null space, which
    /// never moves: `X0 (I - U U^T) + Y* U^T` per instance (for the indicator,
    /// `X0 (I - P) + pinv(B)`).
    pub fn limit(&self, x0: &Matrix) -> Result<Matrix, TheoryError> {
        let x = if self.left {
            x0.clone()
        } else {
            x0.transpose()
        };
        let rows = x.rows() / self.batch;
        let mut out = Vec::with_capacity(x.data().len());
        for (k, inst) in self.instances.iter().enumerate() {
            let xk = block(&x, k, rows);
            if xk.cols() != inst.n || xk.rows() != inst.y_star.rows() {
                return Err(TheoryError::Shape(
                    "the start does not fit the problem".into(),
                ));
            }
            // X0 - (X0 U - Y*) U^T.
            let y = product(&xk, &inst.u);
            let moved = Matrix::from_fn(y.rows(), y.cols(), |r, i| {
                y.get(r, i) - inst.y_star.get(r, i)
            });
            let shift = product(&moved, &inst.u.transpose());
            out.extend(xk.data().iter().zip(shift.data()).map(|(a, b)| a - b));
        }
        let m =
            Matrix::new(x.rows(), x.cols(), out).map_err(|e| TheoryError::Shape(e.to_string()))?;
        Ok(if self.left { m } else { m.transpose() })
    }

    /// The start `x0` (the parameter, as the run holds it) along every eigenvector.
    pub fn modes(&self, x0: &Matrix) -> Result<Vec<Mode>, TheoryError> {
        let x0 = if self.left {
            x0.clone()
        } else {
            x0.transpose()
        };
        let rows = x0.rows() / self.batch;
        let mut modes = Vec::new();
        for (k, inst) in self.instances.iter().enumerate() {
            let x = if self.left {
                block(&x0, k, rows)
            } else {
                // Transposed: the instances sit side by side in columns.
                let cols = x0.cols() / self.batch;
                Matrix::from_fn(x0.rows(), cols, |i, j| x0.get(i, k * cols + j))
            };
            if x.cols() != inst.n || x.rows() != inst.y_star.rows() {
                return Err(TheoryError::Shape(format!(
                    "the start is {}x{} per instance, the problem needs {}x{}",
                    x.rows(),
                    x.cols(),
                    inst.y_star.rows(),
                    inst.n
                )));
            }
            let y = product(&x, &inst.u);
            for (i, &s) in inst.sigma.iter().enumerate() {
                let (mut error, mut cross, mut target) = (0.0, 0.0, 0.0);
                for r in 0..y.rows() {
                    let star = inst.y_star.get(r, i);
                    let e = y.get(r, i) - star;
                    error += e * e;
                    cross += e * star;
                    target += star * star;
                }
                modes.push(Mode {
                    lambda: 2.0 * self.scale * s * s,
                    error,
                    cross,
                    target,
                });
            }
        }
        Ok(modes)
    }
}

impl Instance {
    /// The left-form instance `X A = T` (A is n x m, T is r x m).
    fn new(a: &Matrix, t: &Matrix, scale: f64) -> Result<Self, TheoryError> {
        if a.cols() != t.cols() {
            return Err(TheoryError::Shape(format!(
                "A is {}x{} but T has {} columns",
                a.rows(),
                a.cols(),
                t.cols()
            )));
        }
        let svd = exact::svd(a).map_err(|_| TheoryError::Decomposition)?;
        let tolerance = exact::rank_tolerance(a, svd.s.first().copied().unwrap_or(0.0));
        let rank = svd.s.iter().filter(|&&s| s > tolerance).count();
        let sigma: Vec<f64> = svd.s[..rank].to_vec();
        let u = Matrix::from_fn(a.rows(), rank, |i, j| svd.u.get(i, j));
        let v = Matrix::from_fn(a.cols(), rank, |i, j| svd.v.get(i, j));
        let tv = product(t, &v);
        let y_star = Matrix::from_fn(t.rows(), rank, |r, i| tv.get(r, i) / sigma[i]);
        // Every row of T lies in the row space of A when A has full column rank: no residual.
        let floor = if rank == a.cols() {
            0.0
        } else {
            let projected: f64 = tv.data().iter().map(|v| v * v).sum();
            let total: f64 = t.data().iter().map(|v| v * v).sum();
            (scale * (total - projected)).max(0.0)
        };
        Ok(Self {
            sigma,
            u,
            y_star,
            floor,
            n: a.rows(),
        })
    }
}
