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

/// The spectrum of these eigenvalues (any order) and null-space dimension.
fn spectrum_of(mut eigenvalues: Vec<f64>, null_dim: usize) -> Spectrum {
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
        null_dim,
        eigenvalues,
    }
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
        let eigenvalues: Vec<f64> = self
            .instances
            .iter()
            .flat_map(|i| i.sigma.iter().map(|s| 2.0 * self.scale * s * s))
            .collect();
        spectrum_of(
            eigenvalues,
            self.instances.iter().map(|i| i.n - i.sigma.len()).sum(),
        )
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
            let x = if self.batch == 1 {
                x0.clone()
            } else if self.left {
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
            modes.extend(inst.modes(&x, self.scale));
        }
        Ok(modes)
    }

    /// The spectrum, the least loss and the modes of the start `x0`, computed instance by instance
    /// and keeping nothing of the decomposition: the run's way (at n = 1024 the singular vectors
    /// alone are 16 MB, which [`Quadratic::new`] keeps for [`Quadratic::limit`]).
    pub fn analyse(
        form: &LinearForm,
        scale: f64,
        x0: &Matrix,
    ) -> Result<(Spectrum, f64, Vec<Mode>), TheoryError> {
        let batch = form.batch.max(1);
        if batch == 1 {
            let q = Self::new(form, scale)?;
            let modes = q.modes(x0)?;
            return Ok((q.spectrum(), q.floor(), modes));
        }
        let (mut eigenvalues, mut null_dim) = (Vec::new(), 0);
        let (mut floor, mut modes) = (0.0, Vec::new());
        for k in 0..batch {
            let one = LinearForm {
                a: block(&form.a, k, form.a.rows() / batch),
                left: form.left,
                target: block(&form.target, k, form.target.rows() / batch),
                batch: 1,
            };
            // Both forms stack a batch's instances by rows of the parameter.
            let q = Self::new(&one, scale)?;
            modes.extend(q.modes(&block(x0, k, x0.rows() / batch))?);
            floor += q.floor();
            let s = q.spectrum();
            eigenvalues.extend(s.eigenvalues);
            null_dim += s.null_dim;
        }
        Ok((spectrum_of(eigenvalues, null_dim), floor, modes))
    }
}

impl Instance {
    /// The modes of the rows of `x` (left form, r x n).
    fn modes(&self, x: &Matrix, scale: f64) -> Vec<Mode> {
        let y = product(x, &self.u);
        (0..self.sigma.len())
            .map(|i| {
                let s = self.sigma[i];
                let (mut error, mut cross, mut target) = (0.0, 0.0, 0.0);
                for r in 0..y.rows() {
                    let star = self.y_star.get(r, i);
                    let e = y.get(r, i) - star;
                    error += e * e;
                    cross += e * star;
                    target += star * star;
                }
                Mode {
                    lambda: 2.0 * scale * s * s,
                    error,
                    cross,
                    target,
                }
            })
            .collect()
    }

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
        // faer's thin SVD, used in place: T V first (then V can go), then U's kept columns.
        let f = a
            .as_faer()
            .thin_svd()
            .map_err(|_| TheoryError::Decomposition)?;
        let s = f.S().column_vector();
        let largest = (0..s.nrows()).map(|i| s[i]).fold(0.0f64, f64::max);
        let tolerance = exact::rank_tolerance(a, largest);
        let keep: Vec<usize> = (0..s.nrows()).filter(|&i| s[i] > tolerance).collect();
        let sigma: Vec<f64> = keep.iter().map(|&i| s[i]).collect();
        let rank = keep.len();
        let tv = t.as_faer() * f.V();
        let y_star = Matrix::from_fn(t.rows(), rank, |r, j| tv[(r, keep[j])] / sigma[j]);
        // Every row of T lies in the row space of A when A has full column rank: no residual.
        let floor = if rank == a.cols() {
            0.0
        } else {
            let projected: f64 = keep
                .iter()
                .map(|&j| {
                    (0..tv.nrows())
                        .map(|r| tv[(r, j)] * tv[(r, j)])
                        .sum::<f64>()
                })
                .sum();
            let total: f64 = t.data().iter().map(|v| v * v).sum();
            (scale * (total - projected)).max(0.0)
        };
        drop(tv);
        let u = Matrix::from_fn(a.rows(), rank, |i, j| f.U()[(i, keep[j])]);
        drop(f);
        Ok(Self {
            sigma,
            u,
            y_star,
            floor,
            n: a.rows(),
        })
    }
}
