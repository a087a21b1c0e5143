//! End-to-end tests of the runner: the notebook reproduced, torch's Adam, bad configs, extension, reproducibility.

use std::path::{Path, PathBuf};

use descent_optim::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};
use descent_runner::{
    Checkpoint, Config, ConfigError, Experiment, Observer, Origin, Registry, RunOptions, Start,
    StopReason, run_file,
};
use descent_tensor::{Matrix, Real, exact};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

fn diag4() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn quiet(out: &Path, sets: &[&str]) -> RunOptions {
    RunOptions {
        sets: sets.iter().map(|s| s.to_string()).collect(),
        out: Some(out.to_path_buf()),
        quiet: true,
        ..RunOptions::default()
    }
}

fn losses(dir: &Path) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(dir.join("metrics.csv")).expect("metrics.csv");
    reader
        .records()
        .map(|r| r.expect("row")[2].parse::<f64>().expect("loss"))
        .collect()
}

fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        ((got - want) / want).abs() <= tol,
        "{what}: got {got}, want {want} (rel tol {tol})"
    );
}

/// Collects what the loop tells observers.
#[derive(Default)]
struct Capture {
    start: Option<Start>,
    checkpoints: Vec<Checkpoint>,
}

impl Observer for Capture {
    fn start(&mut self, start: &Start) -> anyhow::Result<()> {
        self.start = Some(start.clone());
        Ok(())
    }
    fn checkpoint(&mut self, c: &Checkpoint) -> anyhow::Result<()> {
        self.checkpoints.push(c.clone());
        Ok(())
    }
}

fn round_to(m: &Matrix, decimals: i32) -> Vec<f64> {
    let scale = 10f64.powi(decimals);
    m.data()
        .iter()
        .map(|v| (v * scale).round() / scale)
        .collect()
}

#[test]
fn diag4_losses_are_the_notebooks() {
    let out = temp_dir("diag4-losses");
    let outcome = run_file(&diag4(), &quiet(&out, &[]), &Registry::default()).expect("run");
    assert_eq!(outcome.summary.iterations, 100);
    assert_eq!(outcome.summary.stop_reason, StopReason::Iterations);
    let l = losses(&out);
    assert_eq!(l.len(), 100);
    // The notebook's float32 losses (shared/reference/notebook.md); torch sums the mean in 8 lanes,
    // so the last bit may differ.
    for (t, want) in [
        (0, 1.6650421619),
        (20, 5.4389359e-3),
        (40, 5.0715520e-4),
        (60, 4.7337413e-5),
        (80, 4.4184408e-6),
    ] {
        assert_rel(l[t], want, 2e-6, &format!("loss at t = {t}"));
    }
    // Column 0 converges slowest: X[1, 0] is still about 2.3e-3 from the inverse after 100 steps.
    assert!(
        (outcome.summary.max_abs_error - 2.3e-3).abs() < 1e-4,
        "{}",
        outcome.summary.max_abs_error
    );
    for file in ["config.toml", "metrics.csv", "summary.json", "result.npy"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn diag4_start_product_and_differences_are_the_notebooks() {
    let config = Config::load(&diag4(), &[], &Registry::default()).expect("config");
    let mut capture = Capture::default();
    Experiment::new(config)
        .expect("experiment")
        .run(&mut [&mut capture])
        .expect("run");
    let start = capture.start.expect("start");
    assert_eq!(start.prediction_label, "X @ A");
    #[rustfmt::skip]
    let product = [0.7196, 1.2590, 2.0002, 1.3540, 0.8522, 0.6251, 1.5017, 1.8571,
                   0.0083, 0.8938, 2.4086, 2.2047, 0.3556, 0.7420, 2.0490, 1.2297];
    assert_eq!(round_to(&start.prediction, 4), product);
    let at: Vec<usize> = capture
        .checkpoints
        .iter()
        .map(|c| c.record.iteration)
        .collect();
    // Every log_every iterations, and the final iterate (after update 100).
    assert_eq!(at, [0, 20, 40, 60, 80, 100]);
    #[rustfmt::skip]
    let diff0 = [-0.28, 1.26, 2.00, 1.35, 0.85, -0.37, 1.50, 1.86, 0.01, 0.89, 1.41, 2.20, 0.36, 0.74, 2.05, 0.23];
    #[rustfmt::skip]
    let diff20 = [-0.09, 0.01, 0.0, 0.0, 0.26, -0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.11, 0.0, 0.0, 0.0];
    assert_eq!(round_to(&capture.checkpoints[0].difference, 2), diff0);
    assert_eq!(round_to(&capture.checkpoints[1].difference, 2), diff20);
}

#[test]
fn adam_on_diag4_gives_torchs_losses() {
    // torch.optim.Adam(lr=0.1) from the notebook start, float32 (the optimizers issue).
    let out = temp_dir("diag4-adam");
    let sets = ["optimizer.kind=adam", "optimizer.lr=0.1", "iterations=11"];
    run_file(&diag4(), &quiet(&out, &sets), &Registry::default()).expect("run");
    let l = losses(&out);
    for (t, want) in [(1, 1.0963356), (2, 0.6620324), (10, 0.19534609)] {
        assert_rel(l[t], want, 1e-6, &format!("adam loss at t = {t}"));
    }
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn same_config_gives_bit_identical_metrics() {
    let (a, b) = (temp_dir("repro-a"), temp_dir("repro-b"));
    for dir in [&a, &b] {
        run_file(
            &diag4(),
            &quiet(dir, &["optimizer.kind=adam", "optimizer.lr=0.05"]),
            &Registry::default(),
        )
        .expect("run");
    }
    let read = |d: &Path| std::fs::read(d.join("metrics.csv")).expect("metrics");
    assert_eq!(read(&a), read(&b));
    std::fs::remove_dir_all(a).ok();
    std::fs::remove_dir_all(b).ok();
}

#[test]
fn a_diverging_run_reports_it_and_keeps_its_files() {
    let out = temp_dir("diverge");
    let outcome = run_file(
        &diag4(),
        &quiet(&out, &["optimizer.lr=1e3"]),
        &Registry::default(),
    )
    .expect("run");
    assert_eq!(outcome.summary.stop_reason, StopReason::Diverged);
    let message = outcome.summary.message.clone().expect("message");
    // The partial run's files are complete: one metrics row per evaluated iterate, the last one
    // the iteration the message names.
    let rows = losses(&out);
    assert_eq!(rows.len(), outcome.summary.iterations + 1);
    assert!(
        message.contains(&format!("at iteration {}", rows.len() - 1)),
        "{message}"
    );
    // For diag(1, 2, 3, 4) under the mean squared error, L = 2 * 4^2 / 16 = 2: SGD is stable
    // for lr < 2/L = 1.
    assert!(
        message.contains("plain SGD is stable only for lr < 1.000e+00"),
        "{message}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("summary.json parses");
    assert_eq!(summary["stop_reason"], "diverged");
    assert!(out.join("result.npy").is_file());
    std::fs::remove_dir_all(out).ok();
    // With momentum 1.5 heavy ball diverges at any lr: the message blames the momentum, and the
    // lr of 0.1 (stable for plain SGD) is not blamed.
    let out = temp_dir("diverge-momentum");
    let outcome = run_file(
        &diag4(),
        &quiet(&out, &["optimizer.lr=0.1", "optimizer.momentum=1.5"]),
        &Registry::default(),
    )
    .expect("run");
    assert_eq!(outcome.summary.stop_reason, StopReason::Diverged);
    let message = outcome.summary.message.clone().expect("message");
    assert!(
        message.contains("momentum = 1.5 >= 1") && !message.contains("stable only for"),
        "{message}"
    );
    std::fs::remove_dir_all(out).ok();
}

// ---- bad configs -------------------------------------------------------------------------------

const GOOD: &str = r#"name = "t"
seed = 1
iterations = 10

[problem]
kind = "inverse"
matrix = { diag = [1.0, 2.0] }

[optimizer]
kind = "sgd"
lr = 0.1
"#;

fn config_error(text: &str, sets: &[&str]) -> ConfigError {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let result = Config::from_text(Path::new("bad.toml"), text, &sets, &Registry::default())
        .and_then(Experiment::new);
    match result {
        Ok(_) => panic!("config was accepted:\n{text}\n{sets:?}"),
        Err(e) => e,
    }
}

fn assert_error(e: &ConfigError, line: usize, key: &str, reason_part: &str) {
    assert_eq!(e.origin, Origin::Line(line), "{e}");
    assert_eq!(e.key, key, "{e}");
    assert!(
        e.reason.contains(reason_part),
        "reason `{}` lacks `{reason_part}`",
        e.reason
    );
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("bad.toml:{line}: `{key}`")),
        "{shown}"
    );
}

#[test]
fn the_good_config_is_accepted() {
    let c =
        Config::from_text(Path::new("good.toml"), GOOD, &[], &Registry::default()).expect("good");
    Experiment::new(c).expect("experiment");
}

#[test]
fn unknown_keys_are_rejected_with_their_line() {
    assert_error(
        &config_error(&GOOD.replace("seed = 1", "sed = 1"), &[]),
        2,
        "sed",
        "unknown key `sed`",
    );
    assert_error(
        &config_error(&GOOD.replace("lr = 0.1", "lr = 0.1\nmomentom = 0.9"), &[]),
        12,
        "optimizer.momentom",
        "unknown key",
    );
}

#[test]
fn wrong_types_are_rejected() {
    assert_error(
        &config_error(&GOOD.replace("lr = 0.1", "lr = \"fast\""), &[]),
        11,
        "optimizer.lr",
        "invalid type",
    );
    assert_error(
        &config_error(&GOOD.replace("iterations = 10", "iterations = 2.5"), &[]),
        3,
        "iterations",
        "invalid type",
    );
}

#[test]
fn missing_keys_are_rejected() {
    let e = config_error(&GOOD.replace("iterations = 10\n", ""), &[]);
    assert_eq!(
        (e.key.as_str(), e.reason.as_str()),
        ("iterations", "missing key")
    );
    assert_error(
        &config_error(&GOOD.replace("matrix = { diag = [1.0, 2.0] }\n", ""), &[]),
        5,
        "problem.matrix",
        "missing key",
    );
}

#[test]
fn non_square_and_singular_matrices_are_rejected_for_an_inverse() {
    let text = GOOD.replace(
        "{ diag = [1.0, 2.0] }",
        "{ rows = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] }",
    );
    assert_error(&config_error(&text, &[]), 7, "problem.matrix", "square");
    let text = GOOD.replace(
        "{ diag = [1.0, 2.0] }",
        "{ rows = [[1.0, 2.0], [2.0, 4.0]] }",
    );
    assert_error(&config_error(&text, &[]), 7, "problem.matrix", "singular");
    let text = GOOD.replace("{ diag = [1.0, 2.0] }", "{ rows = [[1.0, 2.0], [2.0]] }");
    assert_error(&config_error(&text, &[]), 7, "problem.matrix", "row 1");
}

#[test]
fn learning_rates_must_be_finite_and_positive() {
    for lr in ["0.0", "-0.5", "nan", "inf"] {
        assert_error(
            &config_error(&GOOD.replace("lr = 0.1", &format!("lr = {lr}")), &[]),
            11,
            "optimizer.lr",
            "> 0",
        );
    }
}

#[test]
fn zero_iterations_are_rejected() {
    assert_error(
        &config_error(&GOOD.replace("iterations = 10", "iterations = 0"), &[]),
        3,
        "iterations",
        "at least 1",
    );
}

#[test]
fn unknown_kinds_list_the_known_ones() {
    let e = config_error(&GOOD.replace("kind = \"sgd\"", "kind = \"adamux\""), &[]);
    assert_error(&e, 10, "optimizer.kind", "unknown kind `adamux`");
    assert!(
        e.reason.contains(
            "`adabelief`, `adadelta`, `adafactor`, `adagrad`, `adam`, `adamax`, `adamw`, `asgd`, `lamb`, `lbfgs`, `lion`, `muon`, `muon_keller`, `nadam`, `prodigy`, `radam`, `rmsprop`, `rprop`, `schedule_free_adamw`, `schedule_free_sgd`, `sgd`, `shampoo`, `soap`, `yogi`"
        ),
        "{}",
        e.reason
    );
    let e = config_error(
        &GOOD.replace("kind = \"inverse\"", "kind = \"invert\""),
        &[],
    );
    assert_error(
        &e,
        6,
        "problem.kind",
        "known kinds: `cholesky`, `completion`, `eigen`, `indicator`, `inverse`, `linear_system`, `lowrank`, `nmf`, `polar`, `qr`, `ridge`, `svd`",
    );
}

#[test]
fn errors_from_overrides_name_the_override() {
    let e = config_error(GOOD, &["optimizer.lr=-1"]);
    assert_eq!(e.origin, Origin::Override("optimizer.lr=-1".into()));
    assert_eq!(e.key, "optimizer.lr");
    assert!(
        e.to_string()
            .starts_with("bad.toml (--set optimizer.lr=-1): `optimizer.lr`"),
        "{e}"
    );
}

#[test]
fn invalid_toml_names_the_line() {
    let e = config_error(&GOOD.replace("seed = 1", "seed = = 1"), &[]);
    assert_eq!(e.origin, Origin::Line(2));
    assert!(e.reason.starts_with("invalid TOML"), "{}", e.reason);
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let err = run_file(
        Path::new("no/such/config.toml"),
        &RunOptions::default(),
        &Registry::default(),
    )
    .expect_err("missing file");
    let e = err.downcast_ref::<ConfigError>().expect("a ConfigError");
    assert!(
        e.to_string()
            .starts_with("no/such/config.toml: cannot read the config"),
        "{e}"
    );
}

// ---- an optimizer defined outside descent-optim ------------------------------------------------

/// Sign SGD: p <- p - lr * sign(g). Defined here, registered, and named in TOML.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignSgdConfig {
    lr: f64,
}

struct SignSgd;

impl<F: Real> Optimizer<F> for SignSgd {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        let lr = F::host(lr);
        for (p, g) in params.iter_mut().zip(grads) {
            for (pi, gi) in p.iter_mut().zip(g) {
                if *gi != F::zero() {
                    *pi -= lr * gi.signum();
                }
            }
        }
        Ok(())
    }
}

impl OptimizerConfig for SignSgdConfig {
    const KIND: &'static str = "sign_sgd";
    const SUMMARY: &'static str = "p <- p - lr * sign(g)";
    fn lr(&self) -> f64 {
        self.lr
    }
    fn validate(&self) -> Result<(), Invalid> {
        if self.lr > 0.0 {
            Ok(())
        } else {
            Err(Invalid::new("lr", "must be > 0"))
        }
    }
    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(SignSgd)
    }
}

#[test]
fn an_optimizer_written_outside_descent_optim_runs_from_a_toml_config() {
    let mut registry = Registry::default();
    registry.add_optimizer::<SignSgdConfig>();
    let text = GOOD
        .replace("kind = \"sgd\"\nlr = 0.1", "kind = \"sign_sgd\"\nlr = 0.01")
        .replace("iterations = 10", "iterations = 200");
    let config = Config::from_text(Path::new("sign.toml"), &text, &[], &registry).expect("config");
    assert!(config.resolved_toml().contains("kind = \"sign_sgd\""));
    let mut capture = Capture::default();
    let summary = Experiment::new(config)
        .expect("experiment")
        .run(&mut [&mut capture])
        .expect("run");
    assert_eq!(summary.optimizer, "sign_sgd");
    // From torch.rand's start, 200 steps of 0.01 reach diag(1, 0.5) to within a step or two.
    assert!(summary.max_abs_error < 0.03, "{}", summary.max_abs_error);
    // And the registry without it does not know the name.
    let e = Config::from_text(Path::new("sign.toml"), &text, &[], &Registry::default())
        .expect_err("unknown");
    assert!(e.reason.contains("unknown kind `sign_sgd`"));
}

// ---- property: Adam reaches faer's inverse ----------------------------------------------------

fn well_conditioned(n: usize, entries: &[f64]) -> Matrix {
    // Strictly diagonally dominant: diagonal in [n, n + 2], off-diagonal row sums below n - 1, so
    // by Gershgorin every eigenvalue is at least 1 away from 0 and the condition number is small.
    Matrix::from_fn(n, n, |i, j| {
        entries[i * n + j] + if i == j { n as f64 + 1.0 } else { 0.0 }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// For random well-conditioned n x n matrices (n <= 6), Inverse with Adam (lr 0.01, amsgrad, f64,
    /// 2000 iterations) reaches the faer inverse within 1e-5 relative (Frobenius).
    /// amsgrad because plain Adam at a constant lr is not monotone near the optimum: as the
    /// gradient vanishes its second moment decays faster than the first and steps burst again
    /// (seen here: 3.6e-4 relative after 2000 steps for some seeds).
    #[test]
    fn inverse_with_adam_reaches_the_faer_inverse(
        n in 1usize..=6,
        entries in proptest::collection::vec(-1.0f64..1.0, 36),
        left in any::<bool>(),
        seed in 0i64..1000,
    ) {
        let a = well_conditioned(n, &entries);
        let rows: Vec<String> = (0..n)
            .map(|i| format!("[{}]", (0..n).map(|j| format!("{:?}", a.get(i, j))).collect::<Vec<_>>().join(", ")))
            .collect();
        let text = format!(
            "seed = {seed}\niterations = 2000\nlog_every = 0\ndtype = \"f64\"\n[problem]\nkind = \"inverse\"\nside = \"{}\"\nmatrix = {{ rows = [{}] }}\n[optimizer]\nkind = \"adam\"\nlr = 0.01\namsgrad = true\n",
            if left { "left" } else { "right" },
            rows.join(", ")
        );
        let config = Config::from_text(Path::new("prop.toml"), &text, &[], &Registry::default()).expect("config");
        let summary = Experiment::new(config).expect("experiment").run(&mut []).expect("run");
        let inverse = exact::inverse(&a).expect("inverse");
        prop_assert!(summary.rel_error < 1e-5, "relative error {} for\n{:?}\ninverse scale {}", summary.rel_error, a, inverse.max_abs());
    }
}

// ---- the gradient torch computes ---------------------------------------------------------------

/// torch-optim.md section 6: for the notebook problem in float32, autograd's gradient is exactly
/// `((x_ij a_j - δ_ij) * 2 * (1/16)) * a_j`, element-wise, each operation rounded to f32. With the
/// fused SGD update this makes descent's sgd iterates PyTorch's while the gradient is a normal
/// float. Known difference: candle's backward of the mean multiplies by 1/16 before 2, so once an
/// entry of the gradient is subnormal (from step 34 of the notebook run, off-diagonal entries near
/// 1e-38) its last bits can differ from torch's; nothing printed changes.
#[test]
fn autodiff_gradient_of_diag4_is_torchs_bit_for_bit() {
    use descent_optim::{Closure, Optimizer, Sgd, SgdConfig};
    use descent_tensor::TorchRng;

    let config = Config::load(&diag4(), &[], &Registry::default()).expect("config");
    let experiment = Experiment::new(config).expect("experiment");
    let mut evaluator = descent_runner::Evaluator {
        problem: experiment.problem.as_ref(),
        loss: experiment.loss.as_ref(),
        device: descent_tensor::candle::Device::Cpu,
    };
    let torch_grad = torch_diag4_gradient;
    let mut rng = TorchRng::new(314);
    let mut x: Vec<f32> = (0..16).map(|_| rng.uniform_f32()).collect();
    let lr = 0.4605170185988092;
    let mut sgd = Sgd::<f32>::new(SgdConfig {
        lr,
        ..SgdConfig::default()
    });
    // The notebook's trajectory until the first gradient entry turns subnormal.
    for t in 0..30 {
        let eval =
            Closure::<f32>::evaluate(&mut evaluator, std::slice::from_ref(&x)).expect("evaluate");
        let want = torch_grad(&x);
        let bits = |v: &[f32]| v.iter().map(|g| g.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&eval.grads[0]), bits(&want), "gradient at step {t}");
        let mut params = vec![x.clone()];
        sgd.step(&mut params, &eval.grads, lr, &mut descent_optim::NoClosure)
            .expect("step");
        x = params.remove(0);
    }
    for _ in 0..200 {
        let x: Vec<f32> = (0..16).map(|_| rng.uniform_f32() * 4.0 - 2.0).collect();
        let eval =
            Closure::<f32>::evaluate(&mut evaluator, std::slice::from_ref(&x)).expect("evaluate");
        for (g, w) in eval.grads[0].iter().zip(torch_grad(&x)) {
            assert_eq!(g.to_bits(), w.to_bits(), "x = {x:?}");
        }
    }
}

/// torch's float32 gradient of the notebook's loss at `x` (torch-optim.md section 6):
/// `((x_ij a_j - δ_ij) * 2 * (1/16)) * a_j`, each operation rounded to f32.
fn torch_diag4_gradient(x: &[f32]) -> Vec<f32> {
    let a = [1.0f32, 2.0, 3.0, 4.0];
    (0..16)
        .map(|k| {
            let (i, j) = (k / 4, k % 4);
            let delta = if i == j { 1.0 } else { 0.0 };
            ((x[k] * a[j] - delta) * 2.0 * (1.0 / 16.0)) * a[j]
        })
        .collect()
}

/// torch-optim.md section 6: for the notebook problem in float32, autograd's gradient is exactly
/// `((x_ij a_j - δ_ij) * 2 * (1/16)) * a_j`, each operation rounded to f32. The host gradient
/// follows torch's order (pow's backward, then mean's), so unlike candle's chain it keeps torch's
/// bits once entries turn subnormal: every step of the notebook's 100. The sign of a zero entry is
/// not compared: the reference matched torch's values, and -0 == +0 there.
#[test]
fn host_gradient_of_diag4_is_torchs_bit_for_bit_for_all_100_steps() {
    use descent_optim::{Optimizer, Sgd, SgdConfig};
    use descent_tensor::TorchRng;

    let config = Config::load(&diag4(), &[], &Registry::default()).expect("config");
    let experiment = Experiment::new(config).expect("experiment");
    let mut host = experiment
        .problem
        .host_f32(experiment.loss.as_ref())
        .expect("host");
    let torch_grad = torch_diag4_gradient;
    // Bits, with -0 read as +0.
    let bits = |v: &[f32]| v.iter().map(|g| (g + 0.0).to_bits()).collect::<Vec<_>>();
    let mut rng = TorchRng::new(314);
    let mut params = vec![(0..16).map(|_| rng.uniform_f32()).collect::<Vec<f32>>()];
    let lr = 0.4605170185988092;
    let mut sgd = Sgd::<f32>::new(SgdConfig {
        lr,
        ..SgdConfig::default()
    });
    let mut grads = vec![vec![0.0f32; 16]];
    let mut subnormal = false;
    for t in 0..100 {
        host.evaluate(&params, &mut grads).expect("evaluate");
        assert_eq!(
            bits(&grads[0]),
            bits(&torch_grad(&params[0])),
            "gradient at step {t}"
        );
        subnormal |= grads[0].iter().any(|g| g.is_subnormal());
        sgd.step(&mut params, &grads, lr, &mut descent_optim::NoClosure)
            .expect("step");
    }
    assert!(
        subnormal,
        "the run never reached a subnormal gradient entry"
    );
    for _ in 0..200 {
        let x: Vec<f32> = (0..16).map(|_| rng.uniform_f32() * 4.0 - 2.0).collect();
        host.evaluate(std::slice::from_ref(&x), &mut grads)
            .expect("evaluate");
        assert_eq!(bits(&grads[0]), bits(&torch_grad(&x)), "x = {x:?}");
    }
}

#[test]
fn a_given_matrix_runs_as_the_same_matrix_written_in_the_config() {
    let (written, given) = (temp_dir("given-written"), temp_dir("given-memory"));
    let registry = Registry::default();
    run_file(&diag4(), &quiet(&written, &[]), &registry).expect("run from the config");
    let matrices = std::collections::BTreeMap::from([(
        "problem.matrix".to_string(),
        Matrix::diag(&[1.0, 2.0, 3.0, 4.0]),
    )]);
    let options = RunOptions {
        matrices: std::sync::Arc::new(matrices),
        ..quiet(&given, &[])
    };
    let outcome = run_file(&diag4(), &options, &registry).expect("run from memory");
    assert_eq!(
        outcome.results,
        [("X".to_string(), "result.npy".to_string())]
    );
    for file in ["metrics.csv", "result.npy"] {
        let read = |dir: &Path| std::fs::read(dir.join(file)).expect(file);
        assert_eq!(read(&written), read(&given), "{file} differs");
    }
    // The matrix is kept in the run directory, and config.toml names it: the run re-runs (and
    // redraws) from its directory alone.
    let config = std::fs::read_to_string(given.join("config.toml")).expect("config.toml");
    let copy = given.join("given_problem.matrix.npy");
    assert!(
        config.contains(&format!("npy = \"{}\"", copy.display())),
        "config.toml does not name the kept matrix:\n{config}"
    );
    let again = temp_dir("given-again");
    run_file(&given.join("config.toml"), &quiet(&again, &[]), &registry).expect("re-run");
    for file in ["metrics.csv", "result.npy"] {
        let read = |dir: &Path| std::fs::read(dir.join(file)).expect(file);
        assert_eq!(read(&written), read(&again), "{file} differs on the re-run");
    }
    for dir in [written, given, again] {
        std::fs::remove_dir_all(dir).ok();
    }
}

#[test]
fn a_given_source_without_its_matrix_is_a_config_error_naming_the_key() {
    let out = temp_dir("given-missing");
    let e = run_file(
        &diag4(),
        &quiet(&out, &["problem.matrix={ given = \"A\" }"]),
        &Registry::default(),
    )
    .expect_err("no matrix was given");
    let e = e.downcast::<ConfigError>().expect("a config error");
    assert_eq!(e.key, "problem.matrix");
    assert!(e.reason.contains("no matrix is given as `A`"), "{e}");
    assert!(!out.exists(), "a refused config must write nothing");
}
