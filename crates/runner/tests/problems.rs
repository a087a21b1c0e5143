//! The problems against their exact answers: the seed's numbers, proptests against faer, the gradient
//! check against finite differences, matrix sources and starting points, and every bad matrix source.

use std::path::{Path, PathBuf};

use descent_problems::indicator_limit;
use descent_runner::{
    Config, ConfigError, Evaluator, Experiment, Observer, Origin, Registry, Summary, round_to,
};
use descent_tensor::{Dtype, Matrix, MatrixRng, RngKind, TorchRng, exact};
use proptest::prelude::*;

fn configs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs")
}

/// A matrix as a TOML source, every entry written exactly.
fn rows(m: &Matrix) -> String {
    let rows: Vec<String> = (0..m.rows())
        .map(|i| {
            let r: Vec<String> = (0..m.cols())
                .map(|j| format!("{:?}", m.get(i, j)))
                .collect();
            format!("[{}]", r.join(", "))
        })
        .collect();
    format!("{{ rows = [{}] }}", rows.join(", "))
}

/// Keeps the final iterate.
#[derive(Default)]
struct Result {
    matrices: Vec<Matrix>,
}

impl Observer for Result {
    fn finish(&mut self, _s: &Summary, result: &[(String, Matrix)]) -> anyhow::Result<()> {
        self.matrices = result.iter().map(|(_, m)| m.clone()).collect();
        Ok(())
    }
}

fn experiment(file: &Path, text: &str) -> std::result::Result<Experiment, ConfigError> {
    Config::from_text(file, text, &[], &Registry::default()).and_then(Experiment::new)
}

fn run(text: &str) -> (Summary, Vec<Matrix>, Experiment) {
    let e = experiment(Path::new("test.toml"), text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut result = Result::default();
    let summary = e.run(&mut [&mut result]).expect("run");
    (summary, result.matrices, e)
}

fn run_file(name: &str) -> (Summary, Vec<Matrix>, Experiment) {
    let path = configs().join(name);
    let text = std::fs::read_to_string(&path).expect("config");
    let e = experiment(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    let mut result = Result::default();
    let summary = e.run(&mut [&mut result]).expect("run");
    (summary, result.matrices, e)
}

/// `||U V^T - A||_F` for factors `[U, V]`, the product written out entry by entry.
fn distance_of_product(factors: &[Matrix], a: &Matrix) -> f64 {
    let (u, v) = (&factors[0], &factors[1]);
    let product = Matrix::from_fn(u.rows(), v.rows(), |i, j| {
        (0..u.cols()).map(|t| u.get(i, t) * v.get(j, t)).sum()
    });
    product.sub(a).expect("shape").frobenius_norm()
}

/// A random m x n matrix with the given singular values: `Q1[:, :k] diag(s) Q2[:, :k]^T`.
fn with_singular_values(m: usize, n: usize, s: &[f64], seed: u64) -> Matrix {
    let mut rng = MatrixRng::new(RngKind::Native, seed);
    let (q1, q2) = (rng.orthogonal(m), rng.orthogonal(n));
    Matrix::from_fn(m, n, |i, j| {
        (0..s.len())
            .map(|k| q1.get(i, k) * s[k] * q2.get(j, k))
            .sum()
    })
}

// ---- the seed's numbers ---------------------------------------------------------------------

#[test]
fn linear2_reaches_the_seeds_solution() {
    let (summary, result, _) = run_file("linear2.toml");
    let x = &result[0];
    assert_eq!(x.shape(), (2, 1));
    // f32 run: within a few float32 roundings of x = [2.2, 0.6].
    assert!(
        (x.get(0, 0) - 2.2).abs() < 1e-6 && (x.get(1, 0) - 0.6).abs() < 1e-6,
        "{x:?}"
    );
    assert!(summary.max_abs_error < 1e-6);
    let residual = summary
        .facts
        .iter()
        .find(|f| f.label == "residual")
        .expect("residual fact");
    assert!(residual.value.starts_with("||A x - b|| = "), "{residual:?}");
}

#[test]
fn indicator_toml_draws_the_notebooks_matrix_and_its_pinv_is_the_thirteenths() {
    let (summary, result, e) = run_file("indicator.toml");
    let (_, b) = &e.problem.inputs()[0];
    assert_eq!(b.shape(), (17, 3));
    let ones: Vec<(usize, usize)> = (0..17)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .filter(|&(i, j)| b.get(i, j) == 1.0)
        .collect();
    assert_eq!(
        ones,
        [
            (1, 1),
            (2, 0),
            (2, 1),
            (2, 2),
            (4, 0),
            (4, 1),
            (5, 1),
            (9, 2),
            (12, 0),
            (12, 2)
        ]
    );
    assert!(b.data().iter().all(|&v| v == 0.0 || v == 1.0));
    let thirteenths: [[f64; 17]; 3] = [
        [
            0., -4., 1., 0., 7., -4., 0., 0., 0., -6., 0., 0., 5., 0., 0., 0., 0.,
        ],
        [
            0., 5., 2., 0., 1., 5., 0., 0., 0., 1., 0., 0., -3., 0., 0., 0., 0.,
        ],
        [
            0., 1., 3., 0., -5., 1., 0., 0., 0., 8., 0., 0., 2., 0., 0., 0., 0.,
        ],
    ];
    let pinv = &e.problem.exact()[0];
    for (i, row) in thirteenths.iter().enumerate() {
        for (j, t) in row.iter().enumerate() {
            assert!((pinv.get(i, j) - t / 13.0).abs() < 1e-14, "({i}, {j})");
        }
    }
    // From X0 = 0 the run approaches pinv(B) (float32: to a few roundings).
    assert!(summary.max_abs_error < 1e-5, "{}", summary.max_abs_error);
    assert!((result[0].get(0, 4) - 7.0 / 13.0).abs() < 1e-5);
    let fact = |label: &str| {
        summary
            .facts
            .iter()
            .find(|f| f.label == label)
            .unwrap_or_else(|| panic!("{label}"))
            .value
            .clone()
    };
    assert_eq!(fact("rank of B"), "3 of 3 words");
    assert_eq!(fact("singular values"), "[2.59106, 1.58655, 0.877083]");
    assert!(fact("approaches").starts_with("pinv(B)"));
}

#[test]
fn svd_toml_finds_the_exact_singular_values() {
    let (summary, result, e) = run_file("svd.toml");
    let a = &e.problem.inputs()[0].1;
    let s = exact::singular_values(a).expect("svd");
    let mut found: Vec<f64> = result[1].data().iter().map(|v| v.abs()).collect();
    found.sort_by(|x, y| y.total_cmp(x));
    for (f, s) in found.iter().zip(&s) {
        assert!((f - s).abs() < 1e-6 * s, "{found:?} vs {s:?}");
    }
    assert!(summary.rel_error < 1e-6, "{}", summary.rel_error);
}

#[test]
fn ridge_toml_finds_the_coefficients_its_comment_prints() {
    let (summary, result, _) = run_file("ridge.toml");
    // configs/ridge.toml: x = (A^T A + 0.1 I)^-1 A^T b = [0.58, -0.37, -1.04, -0.71], and plain
    // least squares would give [0.013, 10.2, -31.0, 20.9].
    for (x, want) in result[0]
        .data()
        .iter()
        .zip([0.58175, -0.37169, -1.04210, -0.70638])
    {
        assert!((x - want).abs() < 1e-5, "{:?}", result[0].data());
    }
    assert!(summary.rel_error < 1e-10, "{}", summary.rel_error);
    let filters = summary.theory.filters.as_ref().expect("ridge has filters");
    assert_eq!(filters.lambda, 0.1);
    // Its singular values squared run from 10.8 down to 7.6e-4 (the comment's numbers).
    assert!(
        (filters.sigma[0].powi(2) - 10.8086).abs() < 1e-3,
        "{:?}",
        filters.sigma
    );
    assert!(
        (filters.sigma[3].powi(2) - 7.647e-4).abs() < 1e-6,
        "{:?}",
        filters.sigma
    );
    // mse over 12 rows: η = 2 lr / 12.
    assert!((filters.step - 2.0 * 0.5 / 12.0).abs() < 1e-15);
}

#[test]
fn lowrank_toml_reaches_the_eckart_young_error_it_prints() {
    let (summary, result, e) = run_file("lowrank.toml");
    let a = &e.problem.inputs()[0].1;
    let s = exact::singular_values(a).expect("svd");
    let optimal = (s[2].powi(2) + s[3].powi(2)).sqrt();
    let found = distance_of_product(&result, a);
    assert!(
        (found - optimal).abs() < 1e-9 * optimal,
        "{found} vs {optimal}"
    );
    // The factors themselves are not faer's, but their balanced refactoring is.
    assert!(summary.rel_error < 1e-9, "{}", summary.rel_error);
    let facts = e.problem.facts(&e.start, &result);
    let eckart = facts
        .iter()
        .find(|f| f.label == "Eckart-Young")
        .expect("fact");
    assert!(
        eckart.value.starts_with("||A - A_k|| = 2.12139"),
        "{}",
        eckart.value
    );
}

/// The exact eigenpairs of `a` at `wanted` (indices into the eigenvalues, largest first), for
/// comparing a found V (n x k) and eigenvalues up to each column's sign and length.
fn eigen_error(a: &Matrix, wanted: &[usize], v: &Matrix, values: &[f64]) -> f64 {
    let e = exact::symmetric_eigen(a).expect("eigen");
    let mut worst = 0.0f64;
    for (j, &w) in wanted.iter().enumerate() {
        let norm = (0..v.rows())
            .map(|i| v.get(i, j).powi(2))
            .sum::<f64>()
            .sqrt();
        let dot: f64 = (0..v.rows())
            .map(|i| v.get(i, j) * e.vectors.get(i, w))
            .sum();
        let sign = dot.signum() / norm;
        for i in 0..v.rows() {
            worst = worst.max((sign * v.get(i, j) - e.vectors.get(i, w)).abs());
        }
        worst = worst.max((values[j] - e.values[w]).abs() / e.values[0].abs().max(1.0));
    }
    worst
}

/// `v_j^T A v_j / v_j^T v_j` for each column of v.
fn rayleigh(a: &Matrix, v: &Matrix) -> Vec<f64> {
    (0..v.cols())
        .map(|j| {
            let col: Vec<f64> = (0..v.rows()).map(|i| v.get(i, j)).collect();
            let av: Vec<f64> = (0..a.rows())
                .map(|i| (0..a.cols()).map(|t| a.get(i, t) * col[t]).sum())
                .collect();
            let num: f64 = col.iter().zip(&av).map(|(x, y)| x * y).sum();
            num / col.iter().map(|x| x * x).sum::<f64>()
        })
        .collect()
}

#[test]
fn eigen_toml_finds_the_two_largest_eigenpairs_by_both_methods() {
    let (summary, result, e) = run_file("eigen.toml");
    let a = &e.problem.inputs()[0].1;
    // Sorted by the found eigenvalues, largest first.
    let order: Vec<usize> = if result[1].get(0, 0) >= result[1].get(0, 1) {
        vec![0, 1]
    } else {
        vec![1, 0]
    };
    let v = Matrix::from_fn(5, 2, |i, j| result[0].get(i, order[j]));
    let values: Vec<f64> = order.iter().map(|&j| result[1].get(0, j)).collect();
    let err = eigen_error(a, &[0, 1], &v, &values);
    assert!(err < 1e-9, "{err} ({summary:?})");
    // Brockett's cost from the same file: V's columns are eigenvectors in order (largest first)
    // and its Rayleigh quotients the eigenvalues.
    let path = configs().join("eigen.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let brockett = Config::from_text(
        &path,
        &text,
        &["problem.method=\"brockett\"".into()],
        &Registry::default(),
    )
    .and_then(Experiment::new)
    .expect("brockett");
    let mut kept = Result::default();
    let summary = brockett.run(&mut [&mut kept]).expect("run");
    let v = &kept.matrices[0];
    let err = eigen_error(a, &[0, 1], v, &rayleigh(a, v));
    assert!(err < 1e-9, "{err} ({summary:?})");
}

/// A repeated eigenvalue: the eigenvectors of diag(2, 2, 1)'s top pair are any orthonormal basis
/// of a plane, so the summary says they are not unique, and the found pair spans faer's plane.
#[test]
fn eigen_with_a_repeated_eigenvalue_reports_the_subspace_angle() {
    let text = "seed = 4\niterations = 3000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"eigen\"\nmatrix = { rotated_diag = [2.0, 2.0, 1.0], seed = 9 }\nk = 2\nmethod = \"brockett\"\n[init]\nkind = \"normal\"\nstd = 0.3\n[loss]\nkind = \"sse\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.02\nmomentum = 0.9\n";
    let (_, result, e) = run(text);
    let a = &e.problem.inputs()[0].1;
    let f = exact::symmetric_eigen(a).expect("eigen");
    let plane = Matrix::from_fn(3, 2, |i, j| f.vectors.get(i, j));
    let angle = descent_problems::largest_angle(&result[0], &plane).expect("angle");
    assert!(angle < 1e-9, "{angle}");
    let facts = e.problem.facts(&e.start, &result);
    assert!(facts.iter().any(|f| f.label == "not unique"), "{facts:?}");
    let reported = facts
        .iter()
        .find(|f| f.label == "subspace angle")
        .expect("angle fact");
    assert!(
        reported.value.contains("2-dimensional eigenspace"),
        "{}",
        reported.value
    );
    // Without a repeat there is no such fact.
    let (_, result, e) = run(&text.replace("[2.0, 2.0, 1.0]", "[3.0, 2.0, 1.0]"));
    assert!(
        !e.problem
            .facts(&e.start, &result)
            .iter()
            .any(|f| f.label == "not unique")
    );
}

/// The polar reference by another route than the problem's SVD: `P = (Aᵀ A)^(1/2)` from the
/// symmetric eigendecomposition of Aᵀ A, and `U = A P⁻¹` by LU.
fn polar_reference(a: &Matrix) -> (Matrix, Matrix) {
    let n = a.cols();
    let ata = Matrix::from_fn(n, n, |i, j| {
        (0..a.rows()).map(|t| a.get(t, i) * a.get(t, j)).sum()
    });
    let e = exact::symmetric_eigen(&ata).expect("eigen");
    let p = Matrix::from_fn(n, n, |i, j| {
        (0..n)
            .map(|t| e.vectors.get(i, t) * e.values[t].sqrt() * e.vectors.get(j, t))
            .sum()
    });
    // U P = A  <=>  P U^T = A^T (P symmetric).
    let ut = exact::solve(&p, &a.transpose()).expect("solve");
    (ut.transpose(), p)
}

#[test]
fn polar_toml_finds_u_and_p_with_their_defining_properties() {
    let (summary, result, e) = run_file("polar.toml");
    let a = &e.problem.inputs()[0].1;
    let (u, p) = polar_reference(a);
    let b = &result[1];
    let found_p = Matrix::from_fn(3, 3, |i, j| (0..3).map(|t| b.get(i, t) * b.get(j, t)).sum());
    let err_u = result[0].sub(&u).expect("U").max_abs();
    let err_p = found_p.sub(&p).expect("P").max_abs();
    assert!(
        err_u < 1e-9 && err_p < 1e-9,
        "{err_u} {err_p} ({summary:?})"
    );
    // From a random start the cost can stop with U flipped along a singular direction, and the
    // summary says so.
    let path = configs().join("polar.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let sets = [
        "seed=4".to_string(),
        "init.kind=\"normal\"".into(),
        "init.std=0.5".into(),
    ];
    let flipped = Config::from_text(&path, &text, &sets, &Registry::default())
        .and_then(Experiment::new)
        .expect("flipped");
    let mut kept = Result::default();
    flipped.run(&mut [&mut kept]).expect("run");
    let facts = flipped.problem.facts(&flipped.start, &kept.matrices);
    let found = kept.matrices[0].sub(&u).expect("U").max_abs();
    assert!(
        found > 0.1,
        "seed 4 no longer ends flipped ({found}): pick another seed"
    );
    assert!(facts.iter().any(|f| f.label == "flipped"), "{facts:?}");
}

/// `sqrt(mean((x - b)^2))` over the entries where `observed` is `want`.
fn rms_where(x: &Matrix, b: &Matrix, observed: &Matrix, want: f64) -> f64 {
    let (mut sum, mut count) = (0.0, 0.0);
    for i in 0..b.rows() {
        for j in 0..b.cols() {
            if observed.get(i, j) == want {
                sum += (x.get(i, j) - b.get(i, j)).powi(2);
                count += 1.0;
            }
        }
    }
    (sum / count).sqrt()
}

/// How far X = U V^T is from the optimality conditions of `min ||P(X - B)||^2 + 2 lambda ||X||_*`:
/// with `R = P(B - X)` and X's rank-r SVD `P S Q^T`, a minimiser has `P^T R = lambda Q^T`,
/// `R Q = lambda P` and the rest of R of spectral norm at most lambda (the nuclear norm's
/// subdifferential). Returns the largest violation, relative to lambda.
fn nuclear_kkt(x: &Matrix, b: &Matrix, observed: &Matrix, lambda: f64) -> f64 {
    let (d, w) = b.shape();
    let r = Matrix::from_fn(d, w, |i, j| {
        observed.get(i, j) * (b.get(i, j) - x.get(i, j))
    });
    let f = exact::svd(x).expect("svd");
    let rank = f.s.iter().filter(|&&s| s > 1e-7).count();
    let (p, q) = (
        Matrix::from_fn(d, rank, |i, j| f.u.get(i, j)),
        Matrix::from_fn(w, rank, |i, j| f.v.get(i, j)),
    );
    let (rf, pf, qf) = (r.to_faer(), p.to_faer(), q.to_faer());
    let left = (pf.transpose() * &rf - qf.transpose() * lambda).norm_l2();
    let right = (&rf * &qf - &pf * lambda).norm_l2();
    let rest = Matrix::from_faer(
        (&rf - &pf * (pf.transpose() * &rf) - (&rf * &qf) * qf.transpose()
            + &pf * (pf.transpose() * &rf * &qf) * qf.transpose())
        .as_ref(),
    );
    let spectral = exact::singular_values(&rest)
        .expect("svd")
        .first()
        .copied()
        .unwrap_or(0.0);
    (left.max(right) / lambda).max(spectral / lambda - 1.0)
}

#[test]
fn completion_toml_reaches_the_nuclear_norm_minimum_and_beats_the_svd_baseline() {
    let (summary, result, e) = run_file("completion.toml");
    let inputs = e.problem.inputs();
    let (b, observed) = (&inputs[0].1, &inputs[1].1);
    let x = Matrix::from_fn(30, 12, |i, j| {
        (0..3)
            .map(|t| result[0].get(i, t) * result[1].get(j, t))
            .sum()
    });
    let kkt = nuclear_kkt(&x, b, observed, 3.0);
    assert!(kkt < 1e-6, "{kkt} ({summary:?})");
    assert!(summary.rel_error < 1e-6, "{}", summary.rel_error);
    // The baseline: the rank-3 truncated SVD of the zero-filled observed entries over the observed
    // fraction.
    let fraction = observed.data().iter().sum::<f64>() / 360.0;
    let filled = Matrix::from_fn(30, 12, |i, j| observed.get(i, j) * b.get(i, j) / fraction);
    let f = exact::svd(&filled).expect("svd");
    let baseline = Matrix::from_fn(30, 12, |i, j| {
        (0..3).map(|t| f.u.get(i, t) * f.s[t] * f.v.get(j, t)).sum()
    });
    let (found, base) = (
        rms_where(&x, b, observed, 0.0),
        rms_where(&baseline, b, observed, 0.0),
    );
    assert!(found < base, "hidden rms {found} vs the baseline's {base}");
    // A fifth hidden, as asked.
    let hidden = observed.data().iter().filter(|&&m| m == 0.0).count();
    assert!((50..=95).contains(&hidden), "{hidden} of 360 hidden");
}

/// `W H` of host matrices, written out.
fn times(w: &Matrix, h: &Matrix) -> Matrix {
    Matrix::from_fn(w.rows(), h.cols(), |i, j| {
        (0..w.cols()).map(|t| w.get(i, t) * h.get(t, j)).sum()
    })
}

/// The first-order optimality of nonnegative W, H for `||B - W H||²`: the projected gradient
/// `min(x, ∂f/∂x)` entry by entry (0 at a stationary point: where x > 0 the gradient is 0, where
/// x = 0 it is >= 0), its largest magnitude over both factors, relative to `||B||`.
fn nmf_stationarity(b: &Matrix, w: &Matrix, h: &Matrix) -> f64 {
    let r = times(w, h).sub(b).expect("shape");
    let gw = times(&r, &h.transpose());
    let gh = times(&w.transpose(), &r);
    let worst = |x: &Matrix, g: &Matrix| {
        (0..x.data().len())
            .map(|t| (2.0 * g.data()[t]).min(x.data()[t]).abs())
            .fold(0.0, f64::max)
    };
    worst(w, &gw).max(worst(h, &gh)) / b.frobenius_norm()
}

#[test]
fn nmf_toml_stays_nonnegative_and_beats_the_clipped_svd_above_its_bound() {
    let (summary, result, e) = run_file("nmf.toml");
    let b = &e.problem.inputs()[0].1;
    let (w, h) = (&result[0], &result[1]);
    for x in w.data().iter().chain(h.data()) {
        assert!(x.to_bits() >> 63 == 0, "negative entry {x}");
    }
    let found = times(w, h).sub(b).expect("shape").frobenius_norm();
    let s = exact::singular_values(b).expect("svd");
    let bound = s[3..].iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!(
        found >= bound,
        "{found} below the Eckart-Young bound {bound}"
    );
    // The clipped SVD, max(0, U_k sqrt(S)) max(0, sqrt(S) V_k^T): a nonnegative baseline.
    let f = exact::svd(b).expect("svd");
    let cw = Matrix::from_fn(30, 3, |i, j| (f.u.get(i, j) * f.s[j].sqrt()).max(0.0));
    let ch = Matrix::from_fn(3, 12, |i, j| (f.v.get(j, i) * f.s[i].sqrt()).max(0.0));
    let clipped = times(&cw, &ch).sub(b).expect("shape").frobenius_norm();
    assert!(found < clipped, "{found} vs the clipped SVD's {clipped}");
    let stationarity = nmf_stationarity(b, w, h);
    assert!(stationarity < 1e-8, "{stationarity} ({summary:?})");
}

/// `project = "nonnegative"` on a linear system is nonnegative least squares: from a start inside
/// the orthant, projected SGD reaches the NNLS solution, found here by trying every set of free
/// variables and keeping the one whose least-squares solution is >= 0 and whose gradient is >= 0
/// on the rest (the KKT conditions, which single out the solution of a strictly convex problem).
#[test]
fn project_nonnegative_turns_least_squares_into_nnls() {
    let a = Matrix::from_rows(&[
        vec![2.0, 1.0, 0.5],
        vec![1.0, 3.0, -1.0],
        vec![0.5, -1.0, 2.0],
        vec![1.0, 1.0, 1.0],
    ])
    .expect("A");
    let b = Matrix::new(4, 1, vec![1.0, -2.0, 3.0, 0.5]).expect("b");
    let unconstrained = exact::lstsq(&a, &b).expect("lstsq");
    assert!(
        unconstrained.data().iter().any(|&x| x < 0.0),
        "the test needs a negative entry"
    );
    let mut want = None;
    for free in 0u32..8 {
        let cols: Vec<usize> = (0..3).filter(|j| free >> j & 1 == 1).collect();
        let mut x = vec![0.0; 3];
        if !cols.is_empty() {
            let sub = Matrix::from_fn(4, cols.len(), |i, j| a.get(i, cols[j]));
            let Ok(y) = exact::lstsq(&sub, &b) else {
                continue;
            };
            for (t, &c) in cols.iter().enumerate() {
                x[c] = y.get(t, 0);
            }
        }
        let r: Vec<f64> = (0..4)
            .map(|i| (0..3).map(|j| a.get(i, j) * x[j]).sum::<f64>() - b.get(i, 0))
            .collect();
        let g: Vec<f64> = (0..3)
            .map(|j| (0..4).map(|i| a.get(i, j) * r[i]).sum())
            .collect();
        if x.iter().all(|&v| v >= 0.0) && (0..3).all(|j| free >> j & 1 == 1 || g[j] >= -1e-12) {
            want = Some(x);
        }
    }
    let want = want.expect("an NNLS solution");
    let text = format!(
        "iterations = 4000\nlog_every = 0\ndtype = \"f64\"\nproject = \"nonnegative\"\n[problem]\nkind = \"linear_system\"\na = {}\nb = [1.0, -2.0, 3.0, 0.5]\n[init]\nkind = \"uniform\"\n[loss]\nkind = \"sse\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.02\nmomentum = 0.5\n",
        rows(&a)
    );
    let (_, result, _) = run(&text);
    for (j, w) in want.iter().enumerate() {
        let x = result[0].get(j, 0);
        assert!(x >= 0.0 && (x - w).abs() < 1e-10, "x[{j}] = {x}, NNLS {w}");
    }
    // Without the key the run goes to the unconstrained least squares, negative entry included.
    let (_, free, _) = run(&text.replace("project = \"nonnegative\"\n", ""));
    assert!(free[0].sub(&unconstrained).expect("shape").max_abs() < 1e-10);
}

/// `batch = 6`: six random positive definite 3 x 3 matrices factored at once reach each one's
/// faer factor, every instance's upper triangle stays exactly 0, and a bad instance is named.
#[test]
fn batched_cholesky_factors_every_instance() {
    let text = "iterations = 300\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"cholesky\"\nbatch = 6\nmatrix = { spd = 3, cond = 5.0 }\n[init]\nkind = \"uniform\"\nlow = 0.5\n[loss]\nkind = \"sse\"\n[optimizer]\nkind = \"lbfgs\"\nlr = 1.0\nline_search_fn = \"strong_wolfe\"\ntolerance_grad = 1e-14\ntolerance_change = 1e-30\n";
    let (summary, result, e) = run(text);
    let a = &e.problem.inputs()[0].1;
    assert_eq!(a.shape(), (18, 3));
    let l = &result[0];
    for k in 0..6 {
        let block = |m: &Matrix| Matrix::from_fn(3, 3, |i, j| m.get(3 * k + i, j));
        let want = exact::cholesky(&block(a)).expect("spd");
        let found = block(l);
        for i in 0..3 {
            for j in i + 1..3 {
                assert_eq!(
                    found.get(i, j).to_bits(),
                    0.0f64.to_bits(),
                    "instance {k} ({i}, {j})"
                );
            }
        }
        let err = found.sub(&want).expect("shape").frobenius_norm() / want.frobenius_norm();
        assert!(err < 1e-8, "instance {k}: {err}");
    }
    assert!(summary.rel_error < 1e-8, "{}", summary.rel_error);
    // The instances differ: each drew its own matrix.
    assert_ne!(a.get(0, 0), a.get(3, 0));
}

/// Cholesky's upper triangle is fixed, not penalised: whatever the optimizer (weight decay, which
/// shrinks every entry; Muon and Shampoo, which mix entries across the matrix), it stays exactly
/// 0, in the result and at every checkpoint's iterate.
#[test]
fn cholesky_keeps_its_upper_triangle_at_zero_bit_for_bit_under_every_optimizer() {
    for optimizer in [
        "kind = \"adamw\"\nlr = 0.01\nweight_decay = 0.1",
        "kind = \"sgd\"\nlr = 0.01\nmomentum = 0.9\nweight_decay = 0.1",
        "kind = \"muon\"\nlr = 0.01",
        "kind = \"shampoo\"\nlr = 0.01",
        "kind = \"lbfgs\"\nlr = 1.0",
    ] {
        let text = format!(
            "iterations = 30\nlog_every = 0\n[problem]\nkind = \"cholesky\"\nmatrix = {{ spd = 5, cond = 10.0, seed = 2 }}\n[init]\nkind = \"uniform\"\n[optimizer]\n{optimizer}\n"
        );
        let (_, result, e) = run(&text);
        for l in [&e.start[0], &result[0]] {
            for i in 0..5 {
                for j in i + 1..5 {
                    assert_eq!(
                        l.get(i, j).to_bits(),
                        0.0f64.to_bits(),
                        "{optimizer}: ({i}, {j})"
                    );
                }
            }
        }
        assert!(
            (0..5).any(|i| result[0].get(i, 0) != e.start[0].get(i, 0)),
            "{optimizer}: the free entries moved"
        );
    }
}

// ---- proptests against faer -------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random A (n x n or tall m x n, n <= m <= 8) with singular values in [1, 3] and random b with
    /// one or two columns: SGD at the optimal fixed step 2 / (L + mu), f64, 400 iterations, reaches
    /// faer's solution (LU, or QR least squares) within 1e-10 relative. The contraction per step is
    /// at most (9 - 1) / (9 + 1) = 0.8, so 400 steps give 0.8^400 = 1e-39.
    #[test]
    fn linear_system_reaches_the_faer_solution(
        n in 1usize..=8,
        extra in 0usize..=3,
        r in 1usize..=2,
        s in proptest::collection::vec(1.0f64..3.0, 8),
        b in proptest::collection::vec(-2.0f64..2.0, 22),
        seed in 0u64..10_000,
    ) {
        let m = (n + extra).min(8);
        let a = with_singular_values(m, n, &s[..n], seed);
        let b = Matrix::from_fn(m, r, |i, j| b[i * r + j]);
        let sv = exact::singular_values(&a).expect("svd");
        let scale = 2.0 / (m * r) as f64;
        let (big, small) = (scale * sv[0].powi(2), scale * sv[n - 1].powi(2));
        let text = format!(
            "iterations = 400\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"linear_system\"\na = {}\nb = {}\n[init]\nkind = \"zeros\"\n[optimizer]\nkind = \"sgd\"\nlr = {:?}\n",
            rows(&a), rows(&b), 2.0 / (big + small)
        );
        let (summary, result, _) = run(&text);
        let want = if m == n { exact::solve(&a, &b) } else { exact::lstsq(&a, &b) }.expect("exact");
        let err = result[0].sub(&want).expect("shape").frobenius_norm() / want.frobenius_norm().max(1e-300);
        prop_assert!(err < 1e-10 || want.frobenius_norm() < 1e-12, "relative error {err} ({summary:?})");
    }

    /// Random A of any shape up to 8 x 8 (singular values in [0.5, 3]), random b with one or two
    /// columns and lambda in [0.05, 2]: SGD at the optimal fixed step 2 / (L + mu) of the ridge
    /// objective, f64, 4000 iterations, reaches the solution of the normal equations
    /// (A^T A + lambda I) x = A^T b, solved by faer's LU (not the problem's QR of the stacked
    /// system), within 1e-9 relative. The contraction per step is at most (11 - 0.05) / (11 + 0.05),
    /// so 4000 steps give 1e-16 (a wide A has directions where only lambda acts).
    #[test]
    fn ridge_reaches_the_normal_equations_solution(
        m in 1usize..=8,
        n in 1usize..=8,
        r in 1usize..=2,
        s in proptest::collection::vec(0.5f64..3.0, 8),
        b in proptest::collection::vec(-2.0f64..2.0, 16),
        lambda in 0.05f64..2.0,
        seed in 0u64..10_000,
    ) {
        let k = m.min(n);
        let a = with_singular_values(m, n, &s[..k], seed);
        let b = Matrix::from_fn(m, r, |i, j| b[i * r + j]);
        let sv = exact::singular_values(&a).expect("svd");
        // mse over the (m + n) x r stacked residual: the Hessian is 2 (A^T A + lambda I) / ((m + n) r).
        let scale = 2.0 / ((m + n) * r) as f64;
        let smallest = if n > m { 0.0 } else { sv[k - 1].powi(2) };
        let (big, small) = (scale * (sv[0].powi(2) + lambda), scale * (smallest + lambda));
        let text = format!(
            "iterations = 4000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"ridge\"\na = {}\nb = {}\nlambda = {lambda:?}\n[init]\nkind = \"zeros\"\n[optimizer]\nkind = \"sgd\"\nlr = {:?}\n",
            rows(&a), rows(&b), 2.0 / (big + small)
        );
        let (summary, result, _) = run(&text);
        let dot = |p: &Matrix, i: usize, q: &Matrix, j: usize| -> f64 {
            (0..m).map(|t| p.get(t, i) * q.get(t, j)).sum()
        };
        let normal = Matrix::from_fn(n, n, |i, j| dot(&a, i, &a, j) + if i == j { lambda } else { 0.0 });
        let rhs = Matrix::from_fn(n, r, |i, j| dot(&a, i, &b, j));
        let want = exact::solve(&normal, &rhs).expect("normal equations");
        let err = result[0].sub(&want).expect("shape").frobenius_norm() / want.frobenius_norm().max(1e-300);
        prop_assert!(err < 1e-9 || want.frobenius_norm() < 1e-12, "relative error {err} ({summary:?})");
    }

    /// Random A up to 8 x 8 with distinct singular values s_1 = 3, s_i = s_(i-1) (0.75 + 0.2 u_i)
    /// and a random rank k: gradient descent with heavy-ball momentum (lr 0.05 / s_1, momentum
    /// 0.9, sse, f64) from a small random start reaches the Eckart-Young error
    /// `sqrt(sum_{i>k} s_i^2)` within a factor 1 + 1e-6 (1e-7 s_1 where it is 0), and the found
    /// factors span A's top-k singular subspaces to within 1e-3 radians: ||U V^T - A||^2 has no
    /// spurious local minima, and gradient descent does not settle on its saddles (L-BFGS, a
    /// quasi-Newton method, can).
    #[test]
    fn lowrank_reaches_the_eckart_young_optimum(
        m in 1usize..=8,
        n in 1usize..=8,
        k_pick in 0usize..8,
        u in proptest::collection::vec(0.0f64..1.0, 8),
        seed in 0u64..10_000,
    ) {
        let full = m.min(n);
        let k = 1 + k_pick % full;
        let mut s = Vec::with_capacity(full);
        for i in 0..full {
            s.push(if i == 0 { 3.0 } else { s[i - 1] * (0.75 + 0.2 * u[i]) });
        }
        let a = with_singular_values(m, n, &s, seed);
        let text = format!(
            "seed = {seed}\niterations = 4000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"lowrank\"\nmatrix = {}\nrank = {k}\n[init]\nkind = \"normal\"\nstd = 0.3\n[loss]\nkind = \"sse\"\n[optimizer]\nkind = \"sgd\"\nlr = {:?}\nmomentum = 0.9\n",
            rows(&a),
            0.05 / s[0]
        );
        let (_, result, e) = run(&text);
        let sv = exact::singular_values(&a).expect("svd");
        let optimal = sv[k..].iter().map(|x| x * x).sum::<f64>().sqrt();
        let found = distance_of_product(&result, &a);
        prop_assert!(found <= optimal * (1.0 + 1e-6) + 1e-7 * s[0], "found {found}, optimum {optimal}");
        let f = exact::svd(&a).expect("svd");
        let top = Matrix::from_fn(m, k, |i, j| f.u.get(i, j));
        let angle = descent_problems::largest_angle(&result[0], &top).expect("angle");
        prop_assert!(angle < 1e-3, "angle {angle} ({:?})", e.problem.facts(&e.start, &result));
    }

    /// Random symmetric positive definite A up to 8 x 8 (eigenvalues in [1, 4]): L-BFGS (strong
    /// Wolfe, sse, f64) from the identity reaches faer's Cholesky factor within 1e-8 relative
    /// (after flipping columns with a negative diagonal), and the upper triangle is exactly 0.
    #[test]
    fn cholesky_reaches_the_faer_factor(
        n in 1usize..=8,
        eig in proptest::collection::vec(1.0f64..4.0, 8),
        seed in 0u64..10_000,
    ) {
        let d: Vec<String> = eig[..n].iter().map(|v| format!("{v:?}")).collect();
        let text = format!(
            "iterations = 300\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"cholesky\"\nmatrix = {{ rotated_diag = [{}], seed = {seed} }}\n[init]\nkind = \"identity\"\n[loss]\nkind = \"sse\"\n[optimizer]\nkind = \"lbfgs\"\nlr = 1.0\nline_search_fn = \"strong_wolfe\"\ntolerance_grad = 1e-14\ntolerance_change = 1e-30\n",
            d.join(", ")
        );
        let (summary, result, e) = run(&text);
        let a = &e.problem.inputs()[0].1;
        let want = exact::cholesky(a).expect("spd");
        let l = &result[0];
        for i in 0..n {
            for j in i + 1..n {
                prop_assert_eq!(l.get(i, j).to_bits(), 0.0f64.to_bits(), "upper entry ({}, {})", i, j);
            }
        }
        let signed = Matrix::from_fn(n, n, |i, j| if l.get(j, j) < 0.0 { -l.get(i, j) } else { l.get(i, j) });
        let err = signed.sub(&want).expect("shape").frobenius_norm() / want.frobenius_norm();
        prop_assert!(err < 1e-8, "relative error {err} ({summary:?})");
    }

    /// Random A up to 8 x 8 of full rank (singular values in [1, 3]): L-BFGS (strong Wolfe, sse,
    /// f64) from Q = R = the identity reaches faer's thin QR (R's diagonal positive) within 1e-7
    /// relative, after flipping pairs whose R_jj is negative, and R's lower part is exactly 0.
    #[test]
    fn qr_reaches_the_faer_factors(
        m in 1usize..=8,
        n in 1usize..=8,
        s in proptest::collection::vec(1.0f64..3.0, 8),
        seed in 0u64..10_000,
    ) {
        let k = m.min(n);
        let a = with_singular_values(m, n, &s[..k], seed);
        let text = format!(
            "iterations = 400\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"qr\"\nmatrix = {}\n[init]\nkind = \"identity\"\n[loss]\nkind = \"sse\"\n[optimizer]\nkind = \"lbfgs\"\nlr = 1.0\nline_search_fn = \"strong_wolfe\"\ntolerance_grad = 1e-14\ntolerance_change = 1e-30\n",
            rows(&a)
        );
        let (summary, result, _) = run(&text);
        let (q, r) = exact::qr(&a).expect("qr");
        for i in 0..k {
            for j in 0..i.min(n) {
                prop_assert_eq!(result[1].get(i, j).to_bits(), 0.0f64.to_bits(), "R ({}, {})", i, j);
            }
        }
        let sign = |j: usize| if result[1].get(j, j) < 0.0 { -1.0 } else { 1.0 };
        let fq = Matrix::from_fn(m, k, |i, j| sign(j) * result[0].get(i, j));
        let fr = Matrix::from_fn(k, n, |i, j| sign(i) * result[1].get(i, j));
        let err = fq.sub(&q).expect("Q").frobenius_norm() / q.frobenius_norm()
            + fr.sub(&r).expect("R").frobenius_norm() / r.frobenius_norm();
        prop_assert!(err < 1e-7, "relative error {err} ({summary:?})");
    }

    /// Random symmetric A up to 8 x 8 with eigenvalues from 3 down by gaps of 0.4 to 1 (negative
    /// ones included, so the Gershgorin shift is exercised), either end, either method (sse, f64):
    /// heavy-ball SGD on Brockett's cost from a small random start reaches faer's eigenpairs within
    /// 1e-6, L-BFGS on the reconstruction from a start with lambda on the wanted side of the shift
    /// within 1e-4 (eigenvectors up to sign, and length for brockett; eigenvalues as lambda or
    /// Rayleigh quotients).
    #[test]
    fn eigen_reaches_the_faer_eigenpairs(
        n in 1usize..=8,
        k_pick in 0usize..8,
        gaps in proptest::collection::vec(0.4f64..1.0, 8),
        smallest in any::<bool>(),
        brockett in any::<bool>(),
        seed in 0u64..10_000,
    ) {
        let k = 1 + k_pick % n;
        let mut d = vec![3.0f64];
        for g in &gaps[..n - 1] {
            d.push(d[d.len() - 1] - g);
        }
        let q = MatrixRng::new(RngKind::Native, seed).orthogonal(n);
        let a = Matrix::from_fn(n, n, |i, j| (0..n).map(|t| q.get(i, t) * d[t] * q.get(j, t)).sum());
        let a = Matrix::from_fn(n, n, |i, j| 0.5 * (a.get(i, j) + a.get(j, i)));
        let (which, method) = (if smallest { "smallest" } else { "largest" }, if brockett { "brockett" } else { "reconstruction" });
        // Brockett: heavy-ball SGD, its step from the largest eigenvalue mu of the shifted matrix M
        // (the Hessian's scale is about 2 k mu + 8 (1 + k mu / 2)). The reconstruction has slow
        // directions (heavy-ball SGD needs some 30,000 steps at n = 7 for 1e-6), so L-BFGS; its
        // line search compares values of a cost whose minimum is not 0 (M's other eigenvalues),
        // which stalls it at about sqrt(eps f* / h) from the answer; f* grows with the shift
        // (1.7e-5 was seen at n = 8 with s = -3.9), whence the 1e-4 below. It starts with lambda
        // on the wanted side of the shift (its spurious minima lie beyond it).
        let which_end = if smallest { descent_problems::Which::Smallest } else { descent_problems::Which::Largest };
        let mu = d[0].abs().max(d[n - 1].abs()) + descent_problems::gershgorin_shift(&a, which_end).abs();
        let setup = if brockett {
            format!("[init]\nkind = \"normal\"\nstd = 0.3\n[optimizer]\nkind = \"sgd\"\nlr = {:?}\nmomentum = 0.9\n", 1.0 / (6.0 * k as f64 * mu + 8.0))
        } else {
            "[init]\nkind = \"uniform\"\nlow = 0.1\nhigh = 0.5\n[optimizer]\nkind = \"lbfgs\"\nlr = 1.0\nhistory_size = 100\nline_search_fn = \"strong_wolfe\"\ntolerance_grad = 1e-14\ntolerance_change = 1e-30\n".to_string()
        };
        let text = format!(
            "seed = {seed}\niterations = {}\nlog_every = 0\ndtype = \"f64\"\n[loss]\nkind = \"sse\"\n{setup}[problem]\nkind = \"eigen\"\nmatrix = {}\nk = {k}\nwhich = \"{which}\"\nmethod = \"{method}\"\n",
            if brockett { 5000 } else { 1500 },
            rows(&a)
        );
        let (_, result, e) = run(&text);
        let values = if brockett { rayleigh(&a, &result[0]) } else { result[1].data().to_vec() };
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&x, &y| values[y].total_cmp(&values[x]));
        if smallest {
            order.reverse();
        }
        let v = Matrix::from_fn(n, k, |i, j| result[0].get(i, order[j]));
        let sorted: Vec<f64> = order.iter().map(|&j| values[j]).collect();
        let wanted: Vec<usize> = if smallest { (0..k).map(|j| n - 1 - j).collect() } else { (0..k).collect() };
        let err = eigen_error(&a, &wanted, &v, &sorted);
        let tolerance = if brockett { 1e-6 } else { 1e-4 };
        prop_assert!(err < tolerance, "error {err} ({:?})", e.problem.facts(&e.start, &result));
    }

    /// Random A up to 8 x 8 with m >= n and singular values in [1, 3]: L-BFGS (strong Wolfe, sse,
    /// f64) from the scaled start reaches U = A P^-1 and P = (A^T A)^(1/2) (computed through A^T A's
    /// eigendecomposition, not the problem's SVD) within 1e-8.
    #[test]
    fn polar_reaches_the_polar_decomposition(
        n in 1usize..=8,
        extra in 0usize..=4,
        s in proptest::collection::vec(1.0f64..3.0, 8),
        seed in 0u64..10_000,
    ) {
        let m = (n + extra).min(8);
        let a = with_singular_values(m, n, &s[..n], seed);
        let text = format!(
            "iterations = 500\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"polar\"\nmatrix = {}\n[init]\nkind = \"scaled_transpose\"\n[loss]\nkind = \"sse\"\n[optimizer]\nkind = \"lbfgs\"\nlr = 1.0\nline_search_fn = \"strong_wolfe\"\ntolerance_grad = 1e-14\ntolerance_change = 1e-30\n",
            rows(&a)
        );
        let (summary, result, _) = run(&text);
        let (u, p) = polar_reference(&a);
        let b = &result[1];
        let found_p = Matrix::from_fn(n, n, |i, j| (0..n).map(|t| b.get(i, t) * b.get(j, t)).sum());
        let err = result[0].sub(&u).expect("U").max_abs() + found_p.sub(&p).expect("P").max_abs();
        prop_assert!(err < 1e-8, "error {err} ({summary:?})");
    }

    /// Random document-word matrices (up to 8 x 6, torch's draw), random masks and weights: heavy-
    /// ball SGD on the factored cost with k = min(d, w) reaches a product that satisfies the
    /// optimality conditions of the convex nuclear-norm problem within 1e-6 (relative to lambda),
    /// and has the objective of soft-impute's solution within 1e-9 relative. Instances where a singular value of the
    /// soft-impute fixed point's `Z = P(B) + P⊥(X*)` lies within 0.05 of lambda are skipped: there
    /// the solution has a singular value near 0 (or nearly has one), along which the factored cost
    /// is nearly flat and no fixed number of steps is enough (one such case stopped at 2e-4).
    #[test]
    fn completion_reaches_the_nuclear_norm_minimum(
        documents in 2usize..=8,
        words in 2usize..=6,
        hidden in 0.1f64..0.4,
        lambda in 0.3f64..2.0,
        seed in 0u64..10_000,
    ) {
        let k = documents.min(words);
        let text = format!(
            "seed = {seed}\niterations = 6000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"completion\"\ndocuments = {documents}\nwords = {words}\np = 0.5\nhidden = {hidden:?}\nrank = {k}\nlambda = {lambda:?}\n[init]\nkind = \"normal\"\nstd = 0.3\n[optimizer]\nkind = \"sgd\"\nlr = 0.02\nmomentum = 0.9\n"
        );
        let e = experiment(Path::new("test.toml"), &text).expect("config");
        let inputs = e.problem.inputs();
        let (b, observed) = (&inputs[0].1, &inputs[1].1);
        let (star, _, _) = descent_problems::soft_impute(b, observed, lambda).expect("soft-impute");
        let z = Matrix::from_fn(documents, words, |i, j| if observed.get(i, j) != 0.0 { b.get(i, j) } else { star.get(i, j) });
        let s = exact::singular_values(&z).expect("svd");
        prop_assume!(s.iter().all(|v| (v - lambda).abs() > 0.05));
        let (summary, result, e) = run(&text);
        let x = Matrix::from_fn(documents, words, |i, j| (0..k).map(|t| result[0].get(i, t) * result[1].get(j, t)).sum());
        let kkt = nuclear_kkt(&x, b, observed, lambda);
        prop_assert!(kkt < 1e-6, "kkt {kkt} ({summary:?})");
        let _ = e;
        // The minimum need not be unique (a row or column with few observed entries), but its
        // value is: soft-impute's solution has the same objective.
        let objective = |m: &Matrix| {
            let fit: f64 = (0..documents * words).map(|t| observed.data()[t] * (m.data()[t] - b.data()[t]).powi(2)).sum();
            fit + 2.0 * lambda * exact::singular_values(m).expect("svd").iter().sum::<f64>()
        };
        let (found, best) = (objective(&x), objective(&star));
        prop_assert!((found - best).abs() <= 1e-9 * best.max(1.0), "objective {found} vs soft-impute's {best}");
    }

    /// Random document-word matrices (up to 8 x 6, p = 0.5) and ranks: Adam's projected steps (lr
    /// 0.01 annealed to 0 by a cosine: at a constant lr Adam hovers, 1.6e-5 from stationary in one
    /// case) keep W and H nonnegative (no negative entry, no -0.0), end at a stationary point of the
    /// constrained problem (projected gradient below 1e-5 of ||B||: a rank near B's converges
    /// slowly, 5.9e-6 after 8,000 steps at 7 x 6 and k = 5), and never below the
    /// Eckart-Young bound.
    #[test]
    fn nmf_reaches_a_nonnegative_stationary_point_above_the_svd_bound(
        documents in 3usize..=8,
        words in 3usize..=6,
        k_pick in 0usize..6,
        seed in 0u64..10_000,
    ) {
        let probe = experiment(Path::new("test.toml"), &format!("seed = {seed}\niterations = 1\n[problem]\nkind = \"nmf\"\ndocuments = {documents}\nwords = {words}\np = 0.5\nrank = 1\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n"));
        prop_assume!(probe.is_ok());
        let b = probe.expect("probe").problem.inputs()[0].1.clone();
        let rank = exact::rank(&b).expect("rank");
        let k = 1 + k_pick % rank;
        let text = format!(
            "seed = {seed}\niterations = 12000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"nmf\"\ndocuments = {documents}\nwords = {words}\np = 0.5\nrank = {k}\n[init]\nkind = \"uniform\"\nlow = 0.0\nhigh = 0.5\n[loss]\nkind = \"sse\"\n[optimizer]\nkind = \"adam\"\nlr = 0.01\n[schedule]\nkind = \"cosine\"\n"
        );
        let (summary, result, _) = run(&text);
        let (w, h) = (&result[0], &result[1]);
        for x in w.data().iter().chain(h.data()) {
            prop_assert!(x.to_bits() >> 63 == 0, "negative entry {}", x);
        }
        let s = exact::singular_values(&b).expect("svd");
        let bound = s[k..].iter().map(|x| x * x).sum::<f64>().sqrt();
        let found = times(w, h).sub(&b).expect("shape").frobenius_norm();
        // The bound's own rounding: sigma_{k+1} of a B of rank k is about eps ||B||, not 0.
        prop_assert!(found >= bound * (1.0 - 1e-12) - 1e-12 * b.frobenius_norm(), "{found} below the bound {bound}");
        let stationarity = nmf_stationarity(&b, w, h);
        prop_assert!(stationarity < 1e-5, "stationarity {stationarity} ({summary:?})");
    }

    /// Random 0/1 matrices B (documents x words, words <= documents <= 8, rank-deficient ones
    /// included) and random starts X0: SGD at the optimal fixed step for B's non-zero singular
    /// values reaches X0 (I - P) + pinv(B) computed with faer, within 1e-9 (max abs), not pinv(B).
    #[test]
    fn indicator_runs_reach_the_limit_x0_i_minus_p_plus_pinv(
        words in 1usize..=4,
        extra in 0usize..=4,
        bits in proptest::collection::vec(any::<bool>(), 32),
        seed in 0i64..10_000,
    ) {
        let documents = words + extra;
        let b = Matrix::from_fn(documents, words, |i, j| if bits[i * words + j] { 1.0 } else { 0.0 });
        let s = exact::singular_values(&b).expect("svd");
        let tol = exact::rank_tolerance(&b, s[0]);
        let nonzero: Vec<f64> = s.iter().copied().filter(|&v| v > tol).collect();
        prop_assume!(!nonzero.is_empty());
        let (hi, lo) = (nonzero[0], nonzero[nonzero.len() - 1]);
        prop_assume!(hi / lo < 6.0);
        let scale = 2.0 / (words * words) as f64;
        let (big, small) = (scale * hi * hi, scale * lo * lo);
        // Contraction (k^2 - 1) / (k^2 + 1) <= 35 / 37 per step: 1000 steps give 4e-25.
        let text = format!(
            "seed = {seed}\niterations = 1000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"indicator\"\nmatrix = {}\n[optimizer]\nkind = \"sgd\"\nlr = {:?}\n",
            rows(&b), 2.0 / (big + small)
        );
        let (_, result, e) = run(&text);
        let pinv = exact::pinv(&b).expect("pinv");
        let limit = indicator_limit(&b, &pinv, &e.start[0]);
        let to_limit = result[0].sub(&limit).expect("shape").max_abs();
        prop_assert!(to_limit < 1e-9, "distance to the limit {to_limit}");
        // The formula is not pinv(B) itself unless the start has no part outside B's column space.
        let gap = limit.sub(&pinv).expect("shape").max_abs();
        if words < documents {
            prop_assert!(gap > 1e-6, "the limit equals pinv(B) ({gap}) for a random start");
        }
    }

    /// Random A (m x n up to 8, with k = min(m, n) <= 3) with singular values k, k - 1, ..., 1, each
    /// raised by less than 0.5: SGD with heavy-ball momentum 0.9, f64, 8000 steps, on the SVD objective finds
    /// faer's singular triplets (sorted, signs matched) within 1e-6 relative (Frobenius over U, s,
    /// V). The step is 0.125 / max(2 s_max^2 / (m n), 8 / k^2): the larger of the curvature scales of
    /// the fit `mean((U S V^T - A)^2)` and of the penalties `mean((U^T U - I)^2)`, so one rule fits
    /// every shape. The start is normal with std 1 / sqrt(max(m, n)), so that its columns have about
    /// unit norm (the penalties are quartic: a large start diverges; at 0.25 / max(...) about one
    /// random case in 200 did, a 1x1 A = -1.43 from seed 7991 among them, with either gradient; at 0.125 with 3000 steps one in about 600 stopped short of 1e-6 (5e-6 for s = 3, 2.49, 1); 4,800 cases pass at 0.125 with 8000 steps). (Adam at a constant lr converges more slowly here and bursts near the optimum.)
    /// Not claimed for more triplets: the rotation between two triplets is driven by s_i^2 - s_j^2,
    /// and with 6 triplets (a 6 x 6 matrix, s = 6, 5.4, 4, 3, 2, 1) 3000 steps left 3.6e-2.
    #[test]
    fn svd_reaches_the_faer_decomposition(
        short in 1usize..=3,
        long in 1usize..=8,
        tall in any::<bool>(),
        jitter in proptest::collection::vec(0.0f64..0.5, 3),
        seed in 0u64..10_000,
    ) {
        let long = long.max(short);
        let (m, n) = if tall { (long, short) } else { (short, long) };
        let k = short;
        let s: Vec<f64> = (0..k).map(|i| (k - i) as f64 + jitter[i]).collect();
        let a = with_singular_values(m, n, &s, seed);
        let curvature = (2.0 * s[0] * s[0] / (m * n) as f64).max(8.0 / (k * k) as f64);
        let text = format!(
            "seed = {seed}\niterations = 8000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"svd\"\nmatrix = {}\n[init]\nkind = \"normal\"\nstd = {:?}\n[optimizer]\nkind = \"sgd\"\nlr = {:?}\nmomentum = 0.9\n",
            rows(&a), 1.0 / (long as f64).sqrt(), 0.125 / curvature
        );
        let (summary, _, _) = run(&text);
        prop_assert!(summary.rel_error < 1e-6, "relative error {} for s = {s:?} ({m}x{n})", summary.rel_error);
    }
}

#[test]
fn rank_deficient_indicators_say_so_and_still_reach_the_least_squares_limit() {
    for (b, reason) in [
        // Word 2 is in no document.
        (
            "[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]",
            "word 2 is in no document",
        ),
        // Words 0 and 2 occur in the same documents.
        (
            "[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]]",
            "words 0 and 2 occur in the same documents",
        ),
    ] {
        let text = format!(
            "seed = 3\niterations = 2000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"indicator\"\nmatrix = {{ rows = {b} }}\n[optimizer]\nkind = \"sgd\"\nlr = 1.0\n"
        );
        let (summary, result, e) = run(&text);
        let fact = |label: &str| {
            summary
                .facts
                .iter()
                .find(|f| f.label == label)
                .map(|f| f.value.clone())
        };
        let left = fact("left inverse").expect("a left-inverse fact");
        assert!(
            left.starts_with("none: B has rank 2 < 3 words") && left.contains(reason),
            "{left}"
        );
        assert_eq!(
            fact("condition number").as_deref(),
            Some("infinite (B is rank-deficient)")
        );
        let bm = &e.problem.inputs()[0].1;
        let limit = indicator_limit(bm, &exact::pinv(bm).expect("pinv"), &e.start[0]);
        assert!(result[0].sub(&limit).expect("shape").max_abs() < 1e-9);
        assert!(
            fact("approaches")
                .expect("approaches")
                .starts_with("the limit")
        );
    }
}

// ---- the gradient check ---------------------------------------------------------------------

/// Small instances of every registered problem (one per method where a problem has several).
fn samples(kind: &str) -> Vec<&'static str> {
    let one = match kind {
        "eigen" => {
            return vec![
                "kind = \"eigen\"\nmatrix = { rows = [[2.0, 1.0, 0.5], [1.0, -1.0, 0.3], [0.5, 0.3, 1.5]] }\nk = 2\northogonality = 0.5",
                "kind = \"eigen\"\nmatrix = { rows = [[2.0, 1.0, 0.5], [1.0, -1.0, 0.3], [0.5, 0.3, 1.5]] }\nk = 2\nmethod = \"brockett\"\nwhich = \"smallest\"",
            ];
        }
        "inverse" => {
            "kind = \"inverse\"\nside = \"right\"\nmatrix = { rows = [[2.0, 1.0, 0.5], [0.0, 3.0, 1.0], [1.0, -1.0, 4.0]] }"
        }
        "linear_system" => {
            "kind = \"linear_system\"\na = { rows = [[2.0, 1.0], [1.0, 3.0], [0.5, -1.0]] }\nb = { rows = [[5.0, 1.0], [4.0, 0.0], [1.0, 2.0]] }"
        }
        "indicator" => "kind = \"indicator\"\ndocuments = 7\nwords = 3\np = 0.4",
        "cholesky" => {
            "kind = \"cholesky\"\nmatrix = { rows = [[4.0, 2.0, 0.6], [2.0, 5.0, 1.0], [0.6, 1.0, 3.0]] }"
        }
        "qr" => {
            "kind = \"qr\"\nmatrix = { rows = [[3.0, 1.0], [1.0, 2.0], [0.0, 1.0]] }\northogonality = 0.5"
        }
        "lowrank" => {
            "kind = \"lowrank\"\nmatrix = { rows = [[3.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 1.0]] }\nrank = 2"
        }
        "completion" => {
            "kind = \"completion\"\ndocuments = 5\nwords = 4\np = 0.5\nrank = 3\nlambda = 0.5"
        }
        "nmf" => "kind = \"nmf\"\ndocuments = 5\nwords = 4\np = 0.5\nrank = 2",
        "polar" => {
            "kind = \"polar\"\nmatrix = { rows = [[3.0, 1.0], [1.0, 2.0], [0.0, 1.0]] }\northogonality = 0.5"
        }
        "ridge" => {
            "kind = \"ridge\"\na = { rows = [[2.0, 1.0, 0.5], [1.0, 3.0, -1.0]] }\nb = [5.0, 4.0]\nlambda = 0.3"
        }
        "svd" => {
            "kind = \"svd\"\nmatrix = { rows = [[3.0, 1.0, 0.0], [1.0, 2.0, 1.0]] }\northogonality = 0.5"
        }
        other => panic!("add a sample of the `{other}` problem to the gradient check"),
    };
    vec![one]
}

/// For every problem with every loss (f64), the autodiff gradient at a random point equals a central
/// finite difference `(f(x + h) - f(x - h)) / 2h`, h = 1e-6, within 1e-6 relative (2-norm over all
/// parameters). The difference's own error is about h^2 |f'''| + eps |f| / h, below 1e-9 here.
#[test]
fn autodiff_gradients_equal_central_finite_differences() {
    let registry = Registry::default();
    let cases = registry
        .problems
        .keys()
        .flat_map(|p| samples(p).into_iter().map(move |s| (p, s)));
    for (problem, sample) in cases {
        for loss in registry.losses.keys() {
            let text = format!(
                "seed = 5\niterations = 1\ndtype = \"f64\"\n[problem]\n{sample}\n[init]\nkind = \"uniform\"\nlow = -1.0\nhigh = 1.0\n[loss]\nkind = \"{loss}\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n"
            );
            let e = experiment(Path::new("grad.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
            let evaluator = Evaluator {
                problem: e.problem.as_ref(),
                loss: e.loss.as_ref(),
                device: descent_tensor::candle::Device::Cpu,
            };
            let x: Vec<Vec<f64>> = e.start.iter().map(|m| m.data().to_vec()).collect();
            let auto = evaluator.evaluate_at(&x).expect("gradient").grads;
            let h = 1e-6;
            let (mut diff, mut norm) = (0.0f64, 0.0f64);
            for p in 0..x.len() {
                for i in 0..x[p].len() {
                    let at = |delta: f64| {
                        let mut y = x.clone();
                        y[p][i] += delta;
                        evaluator.evaluate_at(&y).expect("loss").loss
                    };
                    let fd = (at(h) - at(-h)) / (2.0 * h);
                    diff += (auto[p][i] - fd).powi(2);
                    norm += fd * fd;
                }
            }
            let rel = diff.sqrt() / norm.sqrt();
            assert!(
                rel < 1e-6,
                "{problem} ({sample}) with {loss}: relative difference {rel}"
            );
            assert!(
                norm > 0.0,
                "{problem} with {loss}: zero gradient tells nothing"
            );
        }
    }
}

// ---- matrix sources and starting points --------------------------------------------------------

const INVERSE: &str = "seed = 314\niterations = 1\nlog_every = 0\n[problem]\nkind = \"inverse\"\n";

#[test]
fn random_matrix_sources_continue_the_runs_torch_stream_before_the_start() {
    // The problem's matrix is drawn first, then the start: one torch.manual_seed(314) stream.
    let text = format!(
        "{INVERSE}matrix = {{ normal = [4, 4], mean = 2.0, std = 0.5 }}\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n"
    );
    let e = experiment(Path::new("t.toml"), &text).expect("config");
    let (_, a) = &e.problem.inputs()[0];
    let mut torch = TorchRng::new(314);
    let z = torch.randn_f32(16);
    for (got, z) in a.data().iter().zip(&z) {
        assert_eq!(*got, f64::from(z * 0.5 + 2.0));
    }
    let start: Vec<f64> = (0..16).map(|_| f64::from(torch.uniform_f32())).collect();
    assert_eq!(e.start[0].data(), &start[..]);
}

#[test]
fn init_kinds_normal_scaled_transpose_and_from() {
    let diag = "matrix = { diag = [1.0, 2.0, 3.0, 4.0] }\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n";
    let e = experiment(
        Path::new("t.toml"),
        &format!("{INVERSE}{diag}[init]\nkind = \"normal\"\n"),
    )
    .expect("normal");
    let z = TorchRng::new(314).randn_f32(16);
    assert_eq!(
        e.start[0].data(),
        &z.iter().map(|&v| f64::from(v)).collect::<Vec<_>>()[..]
    );

    let e = experiment(
        Path::new("t.toml"),
        &format!("{INVERSE}{diag}[init]\nkind = \"scaled_transpose\"\n"),
    )
    .expect("st");
    // ||A||_1 = ||A||_inf = 4: X0 = A^T / 16.
    assert_eq!(
        e.start[0],
        Matrix::diag(&[1.0 / 16.0, 2.0 / 16.0, 3.0 / 16.0, 4.0 / 16.0])
    );

    let e = experiment(
        Path::new("t.toml"),
        &format!("{INVERSE}{diag}[init]\nfrom = {{ identity = 4 }}\n"),
    )
    .expect("from");
    assert_eq!(e.start[0], Matrix::identity(4));

    // A float32 run starts from values rounded to float32.
    let e = experiment(
        Path::new("t.toml"),
        &format!("{INVERSE}{diag}[init]\nfrom = {{ diag = [0.1, 0.2, 0.3, 0.4] }}\n"),
    )
    .expect("from");
    assert_eq!(e.start[0].get(0, 0), f64::from(0.1f32));
}

#[test]
fn spd_and_rotated_diag_sources_give_the_promised_spectra_to_the_problem() {
    let text = "seed = 314\niterations = 1\ndtype = \"f64\"\n[problem]\nkind = \"inverse\"\nmatrix = { spd = 6, cond = 1000.0 }\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n";
    let e = experiment(Path::new("t.toml"), text).expect("spd");
    let a = &e.problem.inputs()[0].1;
    let cond = exact::condition_number(a).expect("cond");
    assert!((cond / 1000.0 - 1.0).abs() < 1e-9, "{cond}");
    let text = text.replace(
        "{ spd = 6, cond = 1000.0 }",
        "{ rotated_diag = [1.0, 2.0, 3.0, 4.0] }",
    );
    let e = experiment(Path::new("t.toml"), &text).expect("rotated_diag");
    let a = &e.problem.inputs()[0].1;
    let s = exact::singular_values(a).expect("svd");
    assert!(
        s.iter()
            .zip([4.0, 3.0, 2.0, 1.0])
            .all(|(g, w)| (g - w).abs() < 1e-13),
        "{s:?}"
    );
    assert!(a.get(0, 1).abs() > 1e-6, "not diagonal");
}

#[test]
fn npy_and_csv_sources_are_read_relative_to_the_config() {
    let dir = std::env::temp_dir().join(format!("descent-sources-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).expect("dir");
    std::fs::write(dir.join("data/a.csv"), "2, 1\n1, 3\n").expect("csv");
    let t = descent_tensor::candle::Tensor::new(
        &[[2.0f64, 1.0], [1.0, 3.0]],
        &descent_tensor::candle::Device::Cpu,
    )
    .expect("t");
    t.write_npy(dir.join("data/a.npy")).expect("npy");
    for source in ["{ csv = \"data/a.csv\" }", "{ npy = \"data/a.npy\" }"] {
        let text = format!(
            "iterations = 1\n[problem]\nkind = \"linear_system\"\na = {source}\nb = [5.0, 4.0]\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n"
        );
        let e = experiment(&dir.join("c.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
        // The resolved config names the file absolutely, so it re-runs from a run directory.
        let file = dir.join(if source.contains("csv") {
            "data/a.csv"
        } else {
            "data/a.npy"
        });
        assert!(
            e.config
                .resolved_toml()
                .contains(&file.display().to_string()),
            "{}",
            e.config.resolved_toml()
        );
        let x = &e.problem.exact()[0];
        assert!(
            (x.get(0, 0) - 2.2).abs() < 1e-15 && (x.get(1, 0) - 0.6).abs() < 1e-15,
            "{source}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn round_to_f32_rounds_each_entry_once() {
    let m = Matrix::new(1, 2, vec![0.1, 1.0 / 3.0]).expect("m");
    let r = round_to(&m, Dtype::F32);
    assert_eq!(r.data(), &[f64::from(0.1f32), f64::from(1.0f32 / 3.0)]);
    assert_eq!(round_to(&m, Dtype::F64), m);
}

// ---- bad matrix sources ---------------------------------------------------------------------

#[test]
fn every_bad_matrix_source_start_and_loss_key_is_a_config_error_naming_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("descent-bad-sources-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("words.csv"), "1, 2\n3, x\n").expect("csv");
    std::fs::write(dir.join("ragged.csv"), "1, 2\n3\n").expect("csv");
    std::fs::write(dir.join("empty.csv"), "").expect("csv");
    std::fs::write(dir.join("nan.csv"), "1, nan\n3, 4\n").expect("csv");
    std::fs::write(dir.join("garbage.npy"), "not an npy file").expect("npy");
    let cube = descent_tensor::candle::Tensor::zeros(
        (2, 2, 2),
        descent_tensor::candle::DType::F32,
        &descent_tensor::candle::Device::Cpu,
    )
    .expect("t");
    cube.write_npy(dir.join("cube.npy")).expect("npy");
    let good = "[optimizer]\nkind = \"sgd\"\nlr = 0.1\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { csv = \"missing.csv\" }\n",
            "problem.matrix",
            "missing.csv",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { csv = \"words.csv\" }\n",
            "problem.matrix",
            "line 2, column 2: `x` is not a number",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { csv = \"ragged.csv\" }\n",
            "problem.matrix",
            "line 2 has 1 values, but the first row has 2",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { csv = \"empty.csv\" }\n",
            "problem.matrix",
            "empty",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { csv = \"nan.csv\" }\n",
            "problem.matrix",
            "entry (0, 1) is NaN",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { npy = \"missing.npy\" }\n",
            "problem.matrix",
            "missing.npy`: no such file",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { npy = \"garbage.npy\" }\n",
            "problem.matrix",
            "garbage.npy` is not an .npy file",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { npy = \"cube.npy\" }\n",
            "problem.matrix",
            "shape [2, 2, 2]",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { uniform = [2, 3] }\n",
            "problem.matrix",
            "square",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { rows = [[1.0, inf], [0.0, 1.0]] }\n",
            "problem.matrix",
            "not a finite number",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { uniform = [2, 2], cond = 3.0 }\n",
            "problem.matrix",
            "`cond` does not apply",
        ),
        (
            "[problem]\nkind = \"linear_system\"\na = { identity = 2 }\nb = [1.0, 2.0, 3.0]\n",
            "problem.b",
            "has 3 rows but A has 2",
        ),
        (
            "[problem]\nkind = \"linear_system\"\na = { uniform = [2, 3] }\nb = [1.0, 2.0]\n",
            "problem.a",
            "fewer equations than unknowns",
        ),
        (
            "[problem]\nkind = \"linear_system\"\na = { rows = [[1.0, 2.0], [2.0, 4.0]] }\nb = [1.0, 2.0]\n",
            "problem.a",
            "rank-deficient",
        ),
        (
            "[problem]\nkind = \"linear_system\"\na = { identity = 2 }\nb = \"x\"\n",
            "problem.b",
            "a vector of numbers or a matrix",
        ),
        (
            "[problem]\nkind = \"ridge\"\na = { identity = 2 }\nb = [1.0, 2.0]\nlambda = -0.5\n",
            "problem.lambda",
            "must be a finite number >= 0, got -0.5",
        ),
        (
            "[problem]\nkind = \"ridge\"\na = { identity = 2 }\nb = [1.0, 2.0]\nlambda = nan\n",
            "problem.lambda",
            "must be a finite number >= 0, got NaN",
        ),
        (
            "[problem]\nkind = \"ridge\"\na = { identity = 2 }\nb = [1.0, 2.0]\n",
            "problem.lambda",
            "missing key",
        ),
        (
            "[problem]\nkind = \"ridge\"\na = { identity = 2 }\nb = [1.0, 2.0, 3.0]\nlambda = 1.0\n",
            "problem.b",
            "has 3 rows but A has 2",
        ),
        (
            "[problem]\nkind = \"ridge\"\na = { rows = [[1.0, 2.0], [2.0, 4.0]] }\nb = [1.0, 2.0]\nlambda = 0.0\n",
            "problem.a",
            "with lambda = 0 ridge is least squares",
        ),
        (
            "[problem]\nkind = \"lowrank\"\nmatrix = { rows = [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]] }\nrank = 2\n",
            "problem.rank",
            "must be between 1 and the rank of A, 1 (A is 3x2), got 2",
        ),
        (
            "[problem]\nkind = \"lowrank\"\nmatrix = { identity = 2 }\nrank = 0\n",
            "problem.rank",
            "must be between 1 and the rank of A, 2",
        ),
        (
            "[problem]\nkind = \"cholesky\"\nmatrix = { rows = [[2.0, 1.0], [0.0, 2.0]] }\n",
            "problem.matrix",
            "A is not symmetric: max |A - A^T| = 1",
        ),
        (
            "[problem]\nkind = \"cholesky\"\nmatrix = { rows = [[1.0, 2.0], [2.0, 1.0]] }\n",
            "problem.matrix",
            "A is not positive definite",
        ),
        (
            "[problem]\nkind = \"cholesky\"\nbatch = 2\nmatrix = { rows = [[1.0, 2.0], [2.0, 1.0]] }\n",
            "problem.matrix",
            "instance 0: A is not positive definite",
        ),
        (
            "[problem]\nkind = \"cholesky\"\nbatch = 0\nmatrix = { identity = 2 }\n",
            "problem.batch",
            "must be at least 1",
        ),
        (
            "[problem]\nkind = \"cholesky\"\nmatrix = { uniform = [2, 3] }\n",
            "problem.matrix",
            "A is 2x3: a Cholesky factor needs a square matrix",
        ),
        (
            "[problem]\nkind = \"qr\"\nmatrix = { rows = [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]] }\n",
            "problem.matrix",
            "has rank 1 < min(m, n) = 2",
        ),
        (
            "[problem]\nkind = \"qr\"\nmatrix = { identity = 2 }\northogonality = 0.0\n",
            "problem.orthogonality",
            "must be a finite number > 0",
        ),
        (
            "[problem]\nkind = \"eigen\"\nmatrix = { rows = [[2.0, 1.0], [0.0, 2.0]] }\nk = 1\n",
            "problem.matrix",
            "A is not symmetric",
        ),
        (
            "[problem]\nkind = \"eigen\"\nmatrix = { uniform = [2, 3] }\nk = 1\n",
            "problem.matrix",
            "A is 2x3: an eigendecomposition by these costs needs a square matrix",
        ),
        (
            "[problem]\nkind = \"eigen\"\nmatrix = { identity = 3 }\nk = 4\n",
            "problem.k",
            "must be between 1 and n = 3",
        ),
        (
            "[problem]\nkind = \"eigen\"\nmatrix = { identity = 3 }\nk = 0\n",
            "problem.k",
            "must be between 1 and n = 3",
        ),
        (
            "[problem]\nkind = \"eigen\"\nmatrix = { identity = 3 }\n",
            "problem.k",
            "missing key",
        ),
        (
            "[problem]\nkind = \"eigen\"\nmatrix = { identity = 3 }\nk = 1\nwhich = \"middle\"\n",
            "problem.which",
            "largest",
        ),
        (
            "[problem]\nkind = \"eigen\"\nmatrix = { identity = 3 }\nk = 1\nmethod = \"power\"\n",
            "problem.method",
            "brockett",
        ),
        (
            "[problem]\nkind = \"eigen\"\nmatrix = { identity = 3 }\nk = 1\northogonality = -1.0\n",
            "problem.orthogonality",
            "must be a finite number > 0",
        ),
        (
            "[problem]\nkind = \"polar\"\nmatrix = { uniform = [2, 3] }\n",
            "problem.matrix",
            "A is 2x3: the polar decomposition U P here needs at least as many rows as columns",
        ),
        (
            "[problem]\nkind = \"polar\"\nmatrix = { rows = [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]] }\n",
            "problem.matrix",
            "has rank 1 < n = 2",
        ),
        (
            "[problem]\nkind = \"polar\"\nmatrix = { identity = 2 }\northogonality = 0.0\n",
            "problem.orthogonality",
            "must be a finite number > 0",
        ),
        (
            "[problem]\nkind = \"completion\"\nrank = 2\nhidden = 0.0\n",
            "problem.hidden",
            "in (0, 1)",
        ),
        (
            "[problem]\nkind = \"completion\"\nrank = 2\nlambda = 0.0\n",
            "problem.lambda",
            "must be a finite number > 0",
        ),
        (
            "[problem]\nkind = \"completion\"\nrank = 13\n",
            "problem.rank",
            "must be between 1 and min(documents, words) = 12",
        ),
        (
            "[problem]\nkind = \"completion\"\nrank = 1\nlambda = 0.01\n",
            "problem.rank",
            "rank-1 factors cannot reach it",
        ),
        (
            "[problem]\nkind = \"completion\"\nrank = 1\ndocuments = 0\n",
            "problem.documents",
            "must be at least 1",
        ),
        (
            "[problem]\nkind = \"nmf\"\nmatrix = { rows = [[1.0, -1.0], [0.0, 1.0]] }\nrank = 1\n",
            "problem.matrix",
            "B has a negative entry (-1)",
        ),
        (
            "[problem]\nkind = \"nmf\"\nmatrix = { rows = [[1.0, 1.0], [1.0, 1.0]] }\nrank = 2\n",
            "problem.rank",
            "must be between 1 and the rank of B, 1",
        ),
        (
            "project = \"positive\"\n[problem]\nkind = \"inverse\"\nmatrix = { identity = 2 }\n",
            "project",
            "nonnegative",
        ),
        (
            "[problem]\nkind = \"svd\"\nmatrix = { identity = 2 }\nrank = 3\n",
            "problem.rank",
            "between 1 and min(m, n) = 2",
        ),
        (
            "[problem]\nkind = \"indicator\"\np = 1.5\n",
            "problem.p",
            "in [0, 1]",
        ),
        (
            "[problem]\nkind = \"svd\"\nmatrix = { identity = 2 }\n[init]\nkind = \"scaled_transpose\"\n",
            "init.kind",
            "not defined for the `svd` problem",
        ),
        (
            "[problem]\nkind = \"svd\"\nmatrix = { identity = 2 }\n[init]\nfrom = { identity = 2 }\n",
            "init.from",
            "3 parameters (U, s, V)",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { identity = 2 }\n[init]\nfrom = { identity = 3 }\n",
            "init.from",
            "is 3x3, but the parameter X is 2x2",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { identity = 2 }\n[init]\nkind = \"normal\"\nstd = -1.0\n",
            "init.std",
            "must be a finite number >= 0",
        ),
        (
            "[problem]\nkind = \"inverse\"\nmatrix = { identity = 2 }\n[loss]\nkind = \"huber\"\ndelta = 0.0\n",
            "loss.delta",
            "must be finite and > 0",
        ),
    ];
    for (part, key, reason) in cases {
        let text = format!("iterations = 1\n{part}{good}");
        let e = match experiment(&dir.join("bad.toml"), &text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        };
        assert_eq!(e.key, *key, "{e}");
        assert!(matches!(e.origin, Origin::Line(_)), "no line in `{e}`");
        assert!(e.to_string().contains(reason), "`{e}` lacks `{reason}`");
        assert!(
            e.to_string()
                .starts_with(&format!("{}", dir.join("bad.toml").display())),
            "{e}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn indicator_limit_is_pinv_from_a_zero_start() {
    let b = Matrix::from_rows(&[vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0, 1.0]]).expect("b");
    let pinv = exact::pinv(&b).expect("pinv");
    assert_eq!(indicator_limit(&b, &pinv, &Matrix::zeros(2, 3)), pinv);
}
