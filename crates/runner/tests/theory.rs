//! The theory against real runs: the predicted loss equals the measured one, the optimal settings are
//! as fast as promised, the stable lr is the divergence hint's, the indicator's limit, the verdicts.

use std::path::Path;

use descent_runner::{Config, Experiment, Observer, Record, Registry, Summary};
use descent_tensor::{Matrix, exact};
use proptest::prelude::*;

/// Keeps every record and the summary.
#[derive(Default)]
struct Keep {
    records: Vec<Record>,
    summary: Option<Summary>,
}

impl Observer for Keep {
    fn record(&mut self, r: &Record) -> anyhow::Result<()> {
        self.records.push(*r);
        Ok(())
    }
    fn finish(&mut self, s: &Summary, _: &[(String, Matrix)]) -> anyhow::Result<()> {
        self.summary = Some(s.clone());
        Ok(())
    }
}

/// Run a config given as text; the records and the summary.
fn run(text: &str) -> Keep {
    let config = Config::from_text(Path::new("theory.toml"), text, &[], &Registry::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let experiment = Experiment::new(config).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut keep = Keep::default();
    experiment.run(&mut [&mut keep]).expect("run");
    keep
}

fn rows(m: &Matrix) -> String {
    let rows: Vec<String> = (0..m.rows())
        .map(|i| {
            let r: Vec<String> = (0..m.cols())
                .map(|j| format!("{:e}", m.get(i, j)))
                .collect();
            format!("[{}]", r.join(", "))
        })
        .collect();
    format!("{{ rows = [{}] }}", rows.join(", "))
}

/// A well-conditioned n x m matrix: entries in [-1, 1] plus a dominant diagonal.
fn matrix(n: usize, m: usize, entries: &[f64]) -> Matrix {
    Matrix::from_fn(n, m, |i, j| {
        entries[(i * m + j) % entries.len()] + if i == j { 3.0 } else { 0.0 }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_predicted_loss_is_the_measured_loss_at_every_iteration(
        n in 2usize..7,
        extra in 0usize..3,
        entries in prop::collection::vec(-1.0f64..1.0, 64),
        problem in 0usize..3,
        momentum in prop::sample::select(vec![0.0, 0.5, 0.9]),
        nesterov in any::<bool>(),
        dampening in prop::sample::select(vec![0.0, 0.3]),
        weight_decay in prop::sample::select(vec![0.0, 0.01]),
        fraction in 0.1f64..0.9,
        schedule in 0usize..3,
        loss in prop::sample::select(vec!["mse", "sse"]),
    ) {
        // inverse (left, right) and a tall linear system, in f64.
        let (a, problem_text, entries_of_target) = match problem {
            0 | 1 => {
                let a = matrix(n, n, &entries);
                let side = if problem == 0 { "left" } else { "right" };
                let text = format!("kind = \"inverse\"\nside = \"{side}\"\nmatrix = {}", rows(&a));
                (a, text, n * n)
            }
            _ => {
                let a = matrix(n + extra, n, &entries);
                let b: Vec<String> = (0..n + extra).map(|i| format!("{:e}", entries[i] * 2.0)).collect();
                let text = format!("kind = \"linear_system\"\na = {}\nb = [{}]", rows(&a), b.join(", "));
                (a, text, n + extra)
            }
        };
        let s = if loss == "mse" { 1.0 / entries_of_target as f64 } else { 1.0 };
        let sigma = exact::singular_values(&a).unwrap()[0];
        let largest = 2.0 * s * sigma * sigma + weight_decay;
        let nesterov = nesterov && momentum > 0.0 && dampening == 0.0;
        let dampening = if momentum > 0.0 { dampening } else { 0.0 };
        // A stable lr: a fraction of plain SGD's bound (momentum only widens it).
        let lr = fraction * 2.0 / largest;
        let schedule_text = match schedule {
            0 => "kind = \"constant\"".to_string(),
            1 => "kind = \"step\"\nstep_size = 7\ngamma = 0.5".to_string(),
            _ => "kind = \"cosine\"".to_string(),
        };
        let text = format!(
            "iterations = 40\nlog_every = 0\ndtype = \"f64\"\nseed = 3\n\
             [problem]\n{problem_text}\n[init]\nkind = \"uniform\"\n[loss]\nkind = \"{loss}\"\n\
             [optimizer]\nkind = \"sgd\"\nlr = {lr:e}\nmomentum = {momentum}\ndampening = {dampening}\n\
             nesterov = {nesterov}\nweight_decay = {weight_decay}\n[schedule]\n{schedule_text}\n"
        );
        let keep = run(&text);
        let first = keep.records[0].loss;
        for r in &keep.records {
            let p = r.predicted_loss.expect("predicted");
            prop_assert!(
                (p - r.loss).abs() <= 1e-9 * r.loss + 1e-14 * first,
                "iteration {}: predicted {p}, measured {}\n{text}", r.iteration, r.loss
            );
        }
    }
}

fn diag(values: &[f64]) -> String {
    let v: Vec<String> = values.iter().map(|x| format!("{x:e}")).collect();
    format!("{{ diag = [{}] }}", v.join(", "))
}

fn sgd_on(matrix: &str, lr: f64, momentum: f64, iterations: usize) -> Keep {
    run(&format!(
        "iterations = {iterations}\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"inverse\"\n\
         matrix = {matrix}\n[init]\nkind = \"uniform\"\n[loss]\nkind = \"sse\"\n\
         [optimizer]\nkind = \"sgd\"\nlr = {lr:e}\nmomentum = {momentum}\n"
    ))
}

#[test]
fn the_optimal_lr_gives_the_promised_rate_and_heavy_ball_beats_it_on_kappa_100() {
    // sse on diag(d): λ_i = 2 d_i^2, from 2 to 200: κ = 100.
    let d = [1.0, 2.0, 4.0, 7.0, 10.0];
    let probe = sgd_on(&diag(&d), 1e-3, 0.0, 2);
    let th = probe.summary.expect("summary").theory;
    let (l, mu) = (th.hessian_max.unwrap(), th.hessian_min.unwrap());
    assert!(
        (l - 200.0).abs() < 1e-9 && (mu - 2.0).abs() < 1e-12,
        "{l} {mu}"
    );
    assert!((th.condition_number.unwrap() - 100.0).abs() < 1e-9);
    let plain = descent_theory::bounds::optimal_plain(l, mu);
    let run_plain = sgd_on(&diag(&d), plain.lr, 0.0, 60);
    let measured = run_plain.summary.unwrap().theory.measured_rate.unwrap();
    assert!(
        measured > 0.8 * plain.rate && measured < 1.2 * plain.rate,
        "measured {measured}, promised {}",
        plain.rate
    );
    let hb = descent_theory::bounds::optimal_heavy_ball(l, mu);
    let run_hb = sgd_on(&diag(&d), hb.lr, hb.momentum, 60);
    let hb_error = run_hb.summary.as_ref().unwrap().rel_error;
    let plain_error = sgd_on(&diag(&d), plain.lr, 0.0, 60)
        .summary
        .unwrap()
        .rel_error;
    assert!(
        hb_error < plain_error / 10.0,
        "heavy ball {hb_error} vs plain {plain_error}"
    );
}

#[test]
fn the_stable_lr_is_the_divergence_hints_two_over_l() {
    // The notebook: diag(1, 2, 3, 4) under mse: L = 2, so 2/L = 1, as the hint says.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml"),
    )
    .unwrap();
    let keep = run(&text);
    let th = keep.summary.unwrap().theory;
    assert_eq!(th.stable_lr, Some(1.0));
    assert!((th.hessian_max.unwrap() - 2.0).abs() < 1e-12);
    // It predicts the notebook's losses (float32 run, f64 prediction) to float32's precision.
    for r in &keep.records {
        let p = r.predicted_loss.unwrap();
        assert!((p - r.loss).abs() <= 1e-5 * r.loss, "{} vs {}", p, r.loss);
    }
}

#[test]
fn the_indicators_null_space_part_never_moves_and_its_limit_is_faers() {
    // B (5 x 2) of rank 2: X (2 x 5) has a 3-dimensional null space per row, and gradient descent
    // converges to X0 (I - P) + pinv(B) with P = B pinv(B), computed here with faer's pinv.
    let b = Matrix::from_rows(&[
        vec![1.0, 0.0],
        vec![1.0, 1.0],
        vec![0.0, 1.0],
        vec![1.0, 0.0],
        vec![0.0, 0.0],
    ])
    .unwrap();
    let x0 = Matrix::from_fn(2, 5, |i, j| 0.1 * (i as f64 + 1.0) * (j as f64 - 2.0));
    let form = descent_problems::LinearForm {
        a: b.clone(),
        left: true,
        target: Matrix::identity(2),
        batch: 1,
    };
    let quadratic = descent_theory::Quadratic::new(&form, 1.0).unwrap();
    assert_eq!(quadratic.spectrum().null_dim, 3);
    let pinv = exact::pinv(&b).unwrap();
    let want = descent_problems::indicator_limit(&b, &pinv, &x0);
    let got = quadratic.limit(&x0).unwrap();
    assert!(
        got.sub(&want).unwrap().max_abs() < 1e-14,
        "{got:?} vs {want:?}"
    );
    // A run from X0 gets there, with its loss predicted all the way.
    let keep = run(&format!(
        "iterations = 400\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"indicator\"\n\
         matrix = {}\n[init]\nfrom = {}\n[loss]\nkind = \"sse\"\n\
         [optimizer]\nkind = \"sgd\"\nlr = 0.1\n",
        rows(&b),
        rows(&x0)
    ));
    let s = keep.summary.unwrap();
    assert_eq!(s.theory.null_dim, Some(3));
    for r in &keep.records {
        let p = r.predicted_loss.unwrap();
        assert!((p - r.loss).abs() <= 1e-9 * r.loss + 1e-14 * keep.records[0].loss);
    }
}

#[test]
fn each_verdict_has_a_run_that_earns_it() {
    let verdict = |text: &str| run(text).summary.unwrap().theory.verdict.name();
    let base = |rest: &str| {
        format!(
            "{rest}log_every = 0\n[problem]\nkind = \"inverse\"\nmatrix = {{ diag = [1.0, 2.0, 3.0, 4.0] }}\n\
             [optimizer]\nkind = \"sgd\"\nlr = 0.46\n"
        )
    };
    assert_eq!(verdict(&base("iterations = 400\n")), "converged");
    assert_eq!(verdict(&base("iterations = 30\n")), "converging");
    // f32 cannot get below about 1e-6 relative: a tolerance of 1e-12 leaves the run at the floor.
    assert_eq!(
        verdict(&base("iterations = 3000\ntolerance = 1e-12\n")),
        "stalled"
    );
    // Weight decay 0.5 pulls toward another point: the loss stops falling far from the answer.
    assert_eq!(
        verdict(
            &base("iterations = 400\n").replace("lr = 0.46\n", "lr = 0.46\nweight_decay = 0.5\n")
        ),
        "plateau"
    );
    assert_eq!(
        verdict(&base("iterations = 100\n").replace("lr = 0.46", "lr = 3.0")),
        "diverging"
    );
}

#[test]
fn adam_is_not_predicted_but_gets_plain_sgd_at_the_optimal_lr_as_reference() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml"),
    )
    .unwrap()
    .replace("kind = \"sgd\"", "kind = \"adam\"")
    .replace("lr = 0.4605170185988092", "lr = 0.1");
    let keep = run(&text);
    assert!(keep.records.iter().all(|r| r.predicted_loss.is_none()));
    let th = keep.summary.unwrap().theory;
    assert!(!th.predicted && th.explanation.contains("adam is not a linear iteration"));
    // The reference: plain SGD at 2 / (L + μ) = 0.941 from the same start, whose loss falls by
    // the optimal rate squared, (15/17)^2, per iteration.
    assert_eq!(th.optimal_lr, Some(2.0 / 2.125));
    let r = &th.reference;
    assert!(r.len() >= 50, "{}", r.len());
    let (a, b) = (r[30].1, r[31].1);
    let rate: f64 = 15.0 / 17.0;
    assert!((b / a - rate * rate).abs() < 1e-6, "{}", b / a);
}

#[test]
fn a_batch_has_the_stable_lr_of_its_instances() {
    // Four copies of diag(1, 2, 3, 4) under mse: each instance's L is 2, so 2/L = 1, as for one
    // instance (the hint used the whole stack's entries and said 4).
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml"),
    )
    .unwrap()
    .replace("side = \"left\"", "side = \"left\"\nbatch = 4");
    let config = Config::from_text(Path::new("batch.toml"), &text, &[], &Registry::default())
        .expect("config");
    let experiment = Experiment::new(config).expect("experiment");
    assert_eq!(experiment.stable_lr(), Some(1.0));
    let keep = run(&text);
    assert_eq!(keep.summary.unwrap().theory.stable_lr, Some(1.0));
}
