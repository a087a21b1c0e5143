//! Exact reference linear algebra on faer (in `f64`): inverse, solve, least squares, SVD, pseudo-inverse.
//!
//! These are the answers descent measures gradient descent against; they never come from candle.

use faer::linalg::solvers::{DenseSolveCore, Solve, SolveLstsq};

use crate::{Matrix, TensorError};

/// Run `f` with faer's global parallelism set to sequential, then restore it: for many small
/// factorizations (a batch of a hundred thousand 4x4 inverses), faer's default dispatch to the
/// thread pool costs far more than the work (it took 4.3 s instead of 0.5 s on 2 threads, mostly
/// threads waking and yielding). The results are the same.
pub fn sequential<T>(f: impl FnOnce() -> T) -> T {
    let before = faer::get_global_parallelism();
    faer::set_global_parallelism(faer::Par::Seq);
    let out = f();
    faer::set_global_parallelism(before);
    out
}

/// Singular values of `a`, largest first.
pub fn singular_values(a: &Matrix) -> Result<Vec<f64>, TensorError> {
    let mut s = a
        .as_faer()
        .singular_values()
        .map_err(|_| TensorError::Decomposition("singular value decomposition"))?;
    s.sort_by(|x, y| y.total_cmp(x));
    Ok(s)
}

/// The 2-norm condition number `s_max / s_min` (infinite when `a` is rank-deficient).
pub fn condition_number(a: &Matrix) -> Result<f64, TensorError> {
    Ok(condition_of(&singular_values(a)?))
}

/// `s_max / s_min` of singular values sorted largest first (infinite when `s_min` is 0).
pub fn condition_of(s: &[f64]) -> f64 {
    let (largest, smallest) = (
        s.first().copied().unwrap_or(0.0),
        s.last().copied().unwrap_or(0.0),
    );
    if smallest > 0.0 {
        largest / smallest
    } else {
        f64::INFINITY
    }
}

/// Is `a` singular to working precision: `s_min <= n * eps * s_max`? Returns the condition
/// number of an invertible `a`, from the same singular values.
fn check_invertible(a: &Matrix) -> Result<f64, TensorError> {
    if a.rows() != a.cols() {
        return Err(TensorError::NotSquare {
            rows: a.rows(),
            cols: a.cols(),
        });
    }
    if a.rows() == 0 {
        return Err(TensorError::Empty);
    }
    a.check_finite()?;
    let s = singular_values(a)?;
    let (largest, smallest) = (s[0], s[s.len() - 1]);
    let threshold = a.rows() as f64 * f64::EPSILON * largest;
    if smallest.partial_cmp(&threshold) != Some(std::cmp::Ordering::Greater) {
        return Err(TensorError::Singular { smallest, largest });
    }
    Ok(condition_of(&s))
}

/// The inverse of a square, non-singular `a` (LU with partial pivoting).
pub fn inverse(a: &Matrix) -> Result<Matrix, TensorError> {
    inverse_and_condition(a).map(|(inverse, _)| inverse)
}

/// Above this size a square matrix's condition number is the 1-norm one from its LU
/// ([`condition_is_estimated`]) rather than the 2-norm one from its singular values: the singular
/// values of a 2048 x 2048 matrix took about 5 s here, its LU and inverse 0.3 s.
pub const SVD_CONDITION_MAX: usize = 512;

/// Whether the condition number of a square `n x n` matrix is the 1-norm one from its LU
/// (`n > SVD_CONDITION_MAX`): `||A||_1 ||A^-1||_1`, within a factor `n` of the 2-norm one either
/// way (exact from the inverse, estimated by Hager's method for a solve).
pub fn condition_is_estimated(n: usize) -> bool {
    n > SVD_CONDITION_MAX
}

/// The inverse of a square, non-singular `a` and its condition number: up to
/// [`SVD_CONDITION_MAX`], from one singular value decomposition (the singularity check's) and one
/// LU; above it, from the LU alone (the 1-norm condition number, from the inverse itself).
pub fn inverse_and_condition(a: &Matrix) -> Result<(Matrix, f64), TensorError> {
    if !condition_is_estimated(a.rows()) || a.rows() != a.cols() {
        let condition = check_invertible(a)?;
        // The factors are dropped before the copy into row-major order: one n x n buffer fewer.
        let inv = a.as_faer().partial_piv_lu().inverse();
        return Ok((Matrix::from_faer(inv.as_ref()), condition));
    }
    a.check_finite()?;
    let inv = a.as_faer().partial_piv_lu().inverse();
    let condition = singular_by_one_norm(a, one_norm(inv.as_ref()))?;
    Ok((Matrix::from_faer(inv.as_ref()), condition))
}

/// The 1-norm (largest column sum of magnitudes) of `m`; infinite if an entry is not finite.
fn one_norm(m: faer::MatRef<'_, f64>) -> f64 {
    (0..m.ncols())
        .map(|j| (0..m.nrows()).map(|i| m[(i, j)].abs()).sum::<f64>())
        .fold(
            0.0,
            |a: f64, c| if c.is_nan() { f64::INFINITY } else { a.max(c) },
        )
}

/// The singularity check of the LU path: `1 / ||A^-1||_1 <= n eps ||A||_1` (the 1-norm analogue
/// of `s_min <= n eps s_max`), or an inverse that is not finite. Returns the 1-norm condition
/// number `||A||_1 ||A^-1||_1` of a matrix that passes.
fn singular_by_one_norm(a: &Matrix, inverse_norm: f64) -> Result<f64, TensorError> {
    let largest = one_norm(a.as_faer());
    let smallest = 1.0 / inverse_norm;
    let threshold = a.rows() as f64 * f64::EPSILON * largest;
    if !inverse_norm.is_finite()
        || smallest.partial_cmp(&threshold) != Some(std::cmp::Ordering::Greater)
    {
        return Err(TensorError::Singular { smallest, largest });
    }
    Ok(largest * inverse_norm)
}

/// Hager's estimate (Higham's refinement, as LAPACK's `gecon`) of `||A^-1||_1` from an LU of
/// `A`: a few solves with `A` and `A^T`, never the inverse. A lower bound, usually exact or
/// within a factor of a few.
fn inverse_one_norm_estimate(lu: &faer::linalg::solvers::PartialPivLu<f64>, n: usize) -> f64 {
    let mut x = faer::Mat::<f64>::from_fn(n, 1, |_, _| 1.0 / n as f64);
    let mut estimate = 0.0f64;
    for _ in 0..5 {
        let y = lu.solve(x.as_ref());
        let norm: f64 = (0..n).map(|i| y[(i, 0)].abs()).sum();
        if !norm.is_finite() {
            return f64::INFINITY;
        }
        if norm <= estimate {
            break;
        }
        estimate = norm;
        let sign = faer::Mat::<f64>::from_fn(n, 1, |i, _| if y[(i, 0)] < 0.0 { -1.0 } else { 1.0 });
        let z = lu.solve_transpose(sign.as_ref());
        let (mut best, mut at) = (0.0f64, 0);
        for i in 0..n {
            if z[(i, 0)].abs() > best {
                (best, at) = (z[(i, 0)].abs(), i);
            }
        }
        let zx: f64 = (0..n).map(|i| z[(i, 0)] * x[(i, 0)]).sum();
        if best <= zx {
            break;
        }
        x = faer::Mat::<f64>::from_fn(n, 1, |i, _| if i == at { 1.0 } else { 0.0 });
    }
    estimate
}

/// `a x = b` needs as many rows in b as in a.
fn check_rows(a: &Matrix, b: &Matrix) -> Result<(), TensorError> {
    if b.rows() == a.rows() {
        return Ok(());
    }
    Err(TensorError::Shape(format!(
        "a is {}x{} but b has {} rows",
        a.rows(),
        a.cols(),
        b.rows()
    )))
}

/// The Cholesky factor of a symmetric positive definite `a`: the lower-triangular `L` with a
/// positive diagonal and `L Lᵀ = a` (faer's LLᵀ, reading the lower triangle). A matrix that is not
/// positive definite is a `Decomposition` error.
pub fn cholesky(a: &Matrix) -> Result<Matrix, TensorError> {
    a.check_finite()?;
    if a.rows() != a.cols() {
        return Err(TensorError::NotSquare {
            rows: a.rows(),
            cols: a.cols(),
        });
    }
    let f = a.as_faer().llt(faer::Side::Lower).map_err(|_| {
        TensorError::Decomposition("Cholesky factorisation (not positive definite)")
    })?;
    let l = f.L();
    Ok(Matrix::from_fn(a.rows(), a.cols(), |i, j| {
        if j <= i { l[(i, j)] } else { 0.0 }
    }))
}

/// The thin QR factorisation of `a` (m x n, k = min(m, n)): `Q` (m x k) with orthonormal columns
/// and the upper-triangular (trapezoidal when m < n) `R` (k x n), signed so that R's diagonal is
/// non-negative (faer's Householder QR, each row of R and column of Q flipped together).
pub fn qr(a: &Matrix) -> Result<(Matrix, Matrix), TensorError> {
    a.check_finite()?;
    let f = a.as_faer().qr();
    let (q, r) = (f.compute_thin_Q(), f.thin_R());
    let k = r.nrows();
    let sign: Vec<f64> = (0..k)
        .map(|j| if r[(j, j)] < 0.0 { -1.0 } else { 1.0 })
        .collect();
    Ok((
        Matrix::from_fn(q.nrows(), k, |i, j| sign[j] * q[(i, j)]),
        Matrix::from_fn(
            k,
            r.ncols(),
            |i, j| {
                if j >= i { sign[i] * r[(i, j)] } else { 0.0 }
            },
        ),
    ))
}

/// The solution `x` of `a x = b` for a square, non-singular `a` (LU with partial pivoting);
/// `b` may hold several right-hand sides as columns.
pub fn solve(a: &Matrix, b: &Matrix) -> Result<Matrix, TensorError> {
    solve_and_condition(a, b).map(|(x, _)| x)
}

/// [`solve`], with the condition number of `a` from the singularity check's singular values (up
/// to [`SVD_CONDITION_MAX`]; above it, the 1-norm one estimated from the LU by Hager's method).
pub fn solve_and_condition(a: &Matrix, b: &Matrix) -> Result<(Matrix, f64), TensorError> {
    if !condition_is_estimated(a.rows()) || a.rows() != a.cols() {
        let condition = check_invertible(a)?;
        check_rows(a, b)?;
        let x = a.as_faer().partial_piv_lu().solve(b.as_faer());
        return Ok((Matrix::from_faer(x.as_ref()), condition));
    }
    a.check_finite()?;
    check_rows(a, b)?;
    let lu = a.as_faer().partial_piv_lu();
    let condition = singular_by_one_norm(a, inverse_one_norm_estimate(&lu, a.rows()))?;
    let x = lu.solve(b.as_faer());
    Ok((Matrix::from_faer(x.as_ref()), condition))
}

/// The thin singular value decomposition `a = U diag(s) V^T`, singular values largest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Svd {
    /// Left singular vectors as columns, `m x k` with `k = min(m, n)`.
    pub u: Matrix,
    /// Singular values, largest first.
    pub s: Vec<f64>,
    /// Right singular vectors as columns, `n x k`.
    pub v: Matrix,
}

/// The thin SVD of `a`; each pair of singular vectors is signed so that the entry of largest
/// magnitude in the column of V is positive (a deterministic choice among the `+-` pairs).
pub fn svd(a: &Matrix) -> Result<Svd, TensorError> {
    let f = a
        .as_faer()
        .thin_svd()
        .map_err(|_| TensorError::Decomposition("singular value decomposition"))?;
    let (u, v, d) = (f.U(), f.V(), f.S().column_vector());
    let k = d.nrows();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&x, &y| d[y].total_cmp(&d[x]));
    let sign: Vec<f64> = order
        .iter()
        .map(|&c| {
            let col = (0..v.nrows()).map(|i| v[(i, c)]);
            let biggest = col.fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
            if biggest < 0.0 { -1.0 } else { 1.0 }
        })
        .collect();
    Ok(Svd {
        u: Matrix::from_fn(u.nrows(), k, |i, j| sign[j] * u[(i, order[j])]),
        s: order.iter().map(|&c| d[c]).collect(),
        v: Matrix::from_fn(v.nrows(), k, |i, j| sign[j] * v[(i, order[j])]),
    })
}

/// The eigendecomposition `a = Q diag(values) Qᵀ` of a symmetric matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricEigen {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns, in the order of `values`.
    pub vectors: Matrix,
}

/// The eigendecomposition of a symmetric `a` (faer's, reading the lower triangle), eigenvalues
/// largest first; each eigenvector is signed so that its entry of largest magnitude is positive.
pub fn symmetric_eigen(a: &Matrix) -> Result<SymmetricEigen, TensorError> {
    a.check_finite()?;
    if a.rows() != a.cols() {
        return Err(TensorError::NotSquare {
            rows: a.rows(),
            cols: a.cols(),
        });
    }
    let f = a
        .as_faer()
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|_| TensorError::Decomposition("symmetric eigendecomposition"))?;
    let (u, d) = (f.U(), f.S().column_vector());
    let n = d.nrows();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| d[y].total_cmp(&d[x]));
    let sign: Vec<f64> = order
        .iter()
        .map(|&c| {
            let col = (0..u.nrows()).map(|i| u[(i, c)]);
            let biggest = col.fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
            if biggest < 0.0 { -1.0 } else { 1.0 }
        })
        .collect();
    Ok(SymmetricEigen {
        values: order.iter().map(|&c| d[c]).collect(),
        vectors: Matrix::from_fn(n, n, |i, j| sign[j] * u[(i, order[j])]),
    })
}

/// The singular values above `max(m, n) * eps * s_max` count towards the rank (numpy's rule).
pub fn rank_tolerance(a: &Matrix, s_max: f64) -> f64 {
    a.rows().max(a.cols()) as f64 * f64::EPSILON * s_max
}

/// The numerical rank of `a` (singular values above [`rank_tolerance`]).
pub fn rank(a: &Matrix) -> Result<usize, TensorError> {
    let s = singular_values(a)?;
    let tol = rank_tolerance(a, s.first().copied().unwrap_or(0.0));
    Ok(s.iter().filter(|&&x| x > tol).count())
}

/// The Moore–Penrose pseudo-inverse of `a` (`n x m`), from faer's SVD.
pub fn pinv(a: &Matrix) -> Result<Matrix, TensorError> {
    a.check_finite()?;
    let f = a
        .as_faer()
        .thin_svd()
        .map_err(|_| TensorError::Decomposition("singular value decomposition"))?;
    Ok(Matrix::from_faer(f.pseudoinverse().as_ref()))
}

/// The least-squares solution of `a x = b` for `a` with at least as many rows as columns and full
/// column rank, by faer's Householder QR; `b` may hold several right-hand sides as columns.
pub fn lstsq(a: &Matrix, b: &Matrix) -> Result<Matrix, TensorError> {
    lstsq_and_condition(a, b).map(|(x, _)| x)
}

/// [`lstsq`], with the condition number of `a` from the rank check's singular values.
pub fn lstsq_and_condition(a: &Matrix, b: &Matrix) -> Result<(Matrix, f64), TensorError> {
    check_rows(a, b)?;
    if a.rows() < a.cols() {
        return Err(TensorError::Shape(format!(
            "a is {}x{}: fewer equations than unknowns",
            a.rows(),
            a.cols()
        )));
    }
    a.check_finite()?;
    let s = singular_values(a)?;
    let (largest, smallest) = (s[0], s[s.len() - 1]);
    if smallest <= rank_tolerance(a, largest) {
        return Err(TensorError::Singular { smallest, largest });
    }
    let x = a.as_faer().qr().solve_lstsq(b.as_faer());
    Ok((Matrix::from_faer(x.as_ref()), condition_of(&s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Above `SVD_CONDITION_MAX` the condition number is the 1-norm one: equal to
    /// `||A||_1 ||A^-1||_1` computed by hand for the inverse, a lower bound within a few of it for
    /// the solve's estimate, and within a factor n of the 2-norm one.
    #[test]
    fn large_matrices_get_the_one_norm_condition_number_from_their_lu() {
        let n = SVD_CONDITION_MAX + 8;
        let a = Matrix::from_fn(n, n, |i, j| {
            let k = (i * 31 + j * 17) % 23;
            if i == j {
                4.0 + i as f64 / n as f64
            } else {
                (k as f64 - 11.0) / (20.0 * n as f64)
            }
        });
        let (inv, c1) = inverse_and_condition(&a).expect("inverse");
        let norm1 = |m: &Matrix| {
            (0..m.cols())
                .map(|j| (0..m.rows()).map(|i| m.get(i, j).abs()).sum::<f64>())
                .fold(0.0, f64::max)
        };
        let want = norm1(&a) * norm1(&inv);
        assert!((c1 - want).abs() <= 1e-12 * want, "{c1} vs {want}");
        let c2 = condition_number(&a).expect("svd");
        assert!(c1 <= n as f64 * c2 && c2 <= n as f64 * c1, "{c1} vs {c2}");
        let b = Matrix::from_fn(n, 1, |i, _| i as f64);
        let (x, estimate) = solve_and_condition(&a, &b).expect("solve");
        assert!(
            estimate <= want * (1.0 + 1e-12) && estimate >= want / 3.0,
            "{estimate} vs {want}"
        );
        let back = a.as_faer() * x.as_faer();
        for i in 0..n {
            assert!((back[(i, 0)] - i as f64).abs() < 1e-9);
        }
        // A singular one is refused on this path too.
        let mut rows: Vec<f64> = a.data().to_vec();
        for j in 0..n {
            rows[n + j] = rows[j];
        }
        let singular = Matrix::new(n, n, rows).expect("matrix");
        assert!(matches!(
            inverse_and_condition(&singular),
            Err(TensorError::Singular { .. })
        ));
        assert!(matches!(
            solve_and_condition(&singular, &b),
            Err(TensorError::Singular { .. })
        ));
    }

    #[test]
    fn inverse_of_the_seed_system_matrix_is_the_known_one() {
        let a = Matrix::from_rows(&[vec![2.0, 1.0], vec![1.0, 3.0]]).unwrap();
        let inv = inverse(&a).unwrap();
        let expected = [0.6, -0.2, -0.2, 0.4];
        for (got, want) in inv.data().iter().zip(expected) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
    }

    #[test]
    fn symmetric_eigen_of_a_two_by_two_is_the_textbook_one() {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with eigenvectors (1, 1)/√2 and (1, -1)/√2.
        let a = Matrix::from_rows(&[vec![2.0, 1.0], vec![1.0, 2.0]]).unwrap();
        let e = symmetric_eigen(&a).unwrap();
        assert!((e.values[0] - 3.0).abs() < 1e-15 && (e.values[1] - 1.0).abs() < 1e-15);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        // Signed so that the entry of largest magnitude is positive (a tie picks the first).
        let want = [[h, h], [h, -h]];
        for (j, col) in want.iter().enumerate() {
            for (i, w) in col.iter().enumerate() {
                assert!((e.vectors.get(i, j) - w).abs() < 1e-15);
            }
        }
        assert!(matches!(
            symmetric_eigen(&Matrix::zeros(2, 3)),
            Err(TensorError::NotSquare { .. })
        ));
    }

    #[test]
    fn solve_gives_the_seed_solution() {
        let a = Matrix::from_rows(&[vec![2.0, 1.0], vec![1.0, 3.0]]).unwrap();
        let b = Matrix::new(2, 1, vec![5.0, 4.0]).unwrap();
        let x = solve(&a, &b).unwrap();
        assert!((x.get(0, 0) - 2.2).abs() < 1e-15 && (x.get(1, 0) - 0.6).abs() < 1e-15);
    }

    #[test]
    fn singular_and_non_square_matrices_have_no_inverse() {
        let singular = Matrix::from_rows(&[vec![1.0, 2.0], vec![2.0, 4.0]]).unwrap();
        assert!(matches!(
            inverse(&singular),
            Err(TensorError::Singular { .. })
        ));
        assert!(matches!(
            inverse(&Matrix::zeros(2, 3)),
            Err(TensorError::NotSquare { rows: 2, cols: 3 })
        ));
    }

    #[test]
    fn condition_number_of_a_diagonal_is_the_ratio_of_its_extremes() {
        let c = condition_number(&Matrix::diag(&[1.0, 2.0, 3.0, 4.0])).unwrap();
        assert!((c - 4.0).abs() < 1e-14);
        assert_eq!(
            condition_number(&Matrix::diag(&[1.0, 0.0])).unwrap(),
            f64::INFINITY
        );
    }

    #[test]
    fn the_condition_number_that_comes_with_an_answer_is_the_singular_value_ratio() {
        // A symmetric, well-conditioned matrix; the reference is the ratio of its own singular values.
        let a = Matrix::from_rows(&[
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, -1.0],
            vec![0.5, -1.0, 2.0],
        ])
        .unwrap();
        let s = singular_values(&a).unwrap();
        let want = s[0] / s[2];
        let b = Matrix::new(3, 1, vec![1.0, 2.0, 3.0]).unwrap();
        let (inv, c1) = inverse_and_condition(&a).unwrap();
        let (x, c2) = solve_and_condition(&a, &b).unwrap();
        let (y, c3) = lstsq_and_condition(&a, &b).unwrap();
        for c in [c1, c2, c3] {
            assert!((c - want).abs() <= 1e-12 * want, "{c} vs {want}");
        }
        assert_eq!(inv, inverse(&a).unwrap());
        assert_eq!(x, solve(&a, &b).unwrap());
        assert_eq!(y, lstsq(&a, &b).unwrap());
        // A x = b, checked by multiplying back.
        for i in 0..3 {
            let ax: f64 = (0..3).map(|j| a.get(i, j) * x.get(j, 0)).sum();
            assert!((ax - b.get(i, 0)).abs() < 1e-12);
        }
    }

    #[test]
    fn svd_reconstructs_and_is_orthonormal() {
        let a = Matrix::from_rows(&[vec![3.0, 1.0, 0.5], vec![1.0, -2.0, 4.0]]).unwrap();
        let f = svd(&a).unwrap();
        assert_eq!((f.u.shape(), f.s.len(), f.v.shape()), ((2, 2), 2, (3, 2)));
        assert!(f.s[0] >= f.s[1]);
        let back = Matrix::from_fn(2, 3, |i, j| {
            (0..2).map(|k| f.u.get(i, k) * f.s[k] * f.v.get(j, k)).sum()
        });
        assert!(back.sub(&a).unwrap().max_abs() < 1e-14);
        for k in 0..2 {
            let norm: f64 = (0..3).map(|i| f.v.get(i, k).powi(2)).sum();
            assert!((norm - 1.0).abs() < 1e-14);
        }
    }

    #[test]
    fn pinv_satisfies_the_penrose_conditions_on_a_rank_deficient_matrix() {
        // Two equal columns: rank 1.
        let a = Matrix::from_rows(&[vec![1.0, 1.0], vec![2.0, 2.0], vec![0.0, 0.0]]).unwrap();
        assert_eq!(rank(&a).unwrap(), 1);
        let p = pinv(&a).unwrap().to_faer();
        let a = a.to_faer();
        let apa = &a * &p * &a;
        let pap = &p * &a * &p;
        assert!((&apa - &a).norm_max() < 1e-14 && (&pap - &p).norm_max() < 1e-14);
        let ap = &a * &p;
        assert!((&ap - ap.transpose()).norm_max() < 1e-14);
    }

    #[test]
    fn lstsq_of_an_overdetermined_system_has_a_residual_orthogonal_to_the_columns() {
        let a = Matrix::from_rows(&[vec![1.0, 0.0], vec![1.0, 1.0], vec![1.0, 2.0]]).unwrap();
        let b = Matrix::new(3, 1, vec![6.0, 0.0, 0.0]).unwrap();
        let x = lstsq(&a, &b).unwrap();
        // The classic line fit: x = [5, -3].
        assert!((x.get(0, 0) - 5.0).abs() < 1e-13 && (x.get(1, 0) + 3.0).abs() < 1e-13);
        assert!(matches!(
            lstsq(&Matrix::zeros(1, 2), &Matrix::zeros(1, 1)),
            Err(TensorError::Shape(_))
        ));
    }
}
