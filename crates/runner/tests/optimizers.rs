//! Every optimizer, schedule and transform through the runner: convergence, descent, lr records, bounds, errors.

use std::path::Path;

use descent_runner::{
    Config, ConfigError, Experiment, Observer, Origin, Record, Registry, Summary,
};
use descent_tensor::Matrix;
use proptest::prelude::*;

const DIAG4: &str = r#"
seed = 314
iterations = 100
[problem]
kind = "inverse"
matrix = { diag = [1.0, 2.0, 3.0, 4.0] }
[optimizer]
kind = "sgd"
lr = 0.5
"#;

/// Collects the records and the result.
#[derive(Default)]
struct Capture {
    records: Vec<Record>,
    result: Vec<Matrix>,
}

impl Observer for Capture {
    fn record(&mut self, r: &Record) -> anyhow::Result<()> {
        self.records.push(*r);
        Ok(())
    }
    fn finish(&mut self, _s: &Summary, result: &[(String, Matrix)]) -> anyhow::Result<()> {
        self.result = result.iter().map(|(_, m)| m.clone()).collect();
        Ok(())
    }
}

fn run(text: &str, sets: &[&str]) -> (Summary, Capture, Experiment) {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let config = Config::from_text(Path::new("test.toml"), text, &sets, &Registry::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let experiment = Experiment::new(config).unwrap_or_else(|e| panic!("{e}"));
    let mut capture = Capture::default();
    let summary = experiment.run(&mut [&mut capture]).expect("run");
    (summary, capture, experiment)
}

/// A run of configs/diag4.toml (the notebook problem) with `sets` applied.
fn run_diag4(sets: &[String]) -> (Summary, Capture) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml");
    let config = Config::load(&file, sets, &Registry::default()).unwrap_or_else(|e| panic!("{e}"));
    let experiment = Experiment::new(config).unwrap_or_else(|e| panic!("{e}"));
    let mut capture = Capture::default();
    let summary = experiment.run(&mut [&mut capture]).expect("run");
    (summary, capture)
}

#[test]
fn every_optimizer_solves_the_notebook_problem() {
    // (optimizer keys, iterations, tolerance on the relative error against faer's inverse); the
    // runs are float32, whose rounding floor here is about 2e-6.
    let cases: [(&[&str], usize, f64); 20] = [
        (&["optimizer.kind=sgd", "optimizer.lr=0.5"], 200, 1e-5),
        (&["optimizer.kind=adam", "optimizer.lr=0.05"], 500, 1e-5),
        // Decoupled weight decay pulls X towards 0: the fixed point is off by about lr-scaled wd.
        (&["optimizer.kind=adamw", "optimizer.lr=0.05"], 500, 1e-3),
        (
            &[
                "optimizer.kind=rmsprop",
                "optimizer.lr=0.02",
                "schedule.kind=cosine",
            ],
            500,
            1e-5,
        ),
        (&["optimizer.kind=adagrad", "optimizer.lr=0.5"], 1000, 1e-5),
        (
            &[
                "optimizer.kind=nadam",
                "optimizer.lr=0.05",
                "schedule.kind=cosine",
            ],
            500,
            1e-5,
        ),
        (&["optimizer.kind=radam", "optimizer.lr=0.05"], 500, 1e-5),
        (&["optimizer.kind=lbfgs", "optimizer.lr=1"], 10, 1e-4),
        (
            &[
                "optimizer.kind=lbfgs",
                "optimizer.lr=1",
                "optimizer.line_search_fn=strong_wolfe",
            ],
            5,
            1e-4,
        ),
        (
            &["optimizer.kind=adabelief", "optimizer.lr=0.05"],
            500,
            1e-5,
        ),
        (&["optimizer.kind=yogi", "optimizer.lr=0.05"], 500, 1e-5),
        (&["optimizer.kind=prodigy", "optimizer.lr=1"], 500, 1e-5),
        (
            &["optimizer.kind=adafactor", "optimizer.lr=0.05"],
            500,
            1e-5,
        ),
        (&["optimizer.kind=shampoo", "optimizer.lr=1"], 500, 1e-5),
        // Schedule-free AdamW is judged at its average x, as the method defines.
        (
            &["optimizer.kind=schedule_free_adamw", "optimizer.lr=0.05"],
            500,
            1e-5,
        ),
        // Sign-like and normalised steps keep their size: they settle only as the lr decays.
        (
            &[
                "optimizer.kind=lion",
                "optimizer.lr=0.01",
                "schedule.kind=cosine",
            ],
            1000,
            1e-5,
        ),
        (
            &[
                "optimizer.kind=lamb",
                "optimizer.lr=0.05",
                "schedule.kind=cosine",
            ],
            1000,
            1e-5,
        ),
        (
            &[
                "optimizer.kind=muon",
                "optimizer.lr=0.05",
                "optimizer.weight_decay=0",
                "schedule.kind=cosine",
            ],
            1000,
            1e-4,
        ),
        (
            &[
                "optimizer.kind=muon_keller",
                "optimizer.lr=0.05",
                "schedule.kind=cosine",
            ],
            1000,
            1e-4,
        ),
        // SOAP with β = (0.95, 0.95), like Adam with them, needs the lr to decay.
        (
            &[
                "optimizer.kind=soap",
                "optimizer.lr=0.05",
                "optimizer.weight_decay=0",
                "schedule.kind=cosine",
            ],
            500,
            1e-5,
        ),
    ];
    for (sets, iterations, tol) in cases {
        let it = format!("iterations={iterations}");
        let mut all = sets.to_vec();
        all.push(&it);
        let (summary, _, _) = run(DIAG4, &all);
        assert!(
            summary.rel_error <= tol,
            "{sets:?}: relative error {} > {tol}",
            summary.rel_error
        );
    }
}

#[test]
fn the_lr_column_is_the_schedules() {
    let (_, c, _) = run(
        DIAG4,
        &[
            "schedule.kind=exponential",
            "schedule.gamma=0.9",
            "iterations=20",
        ],
    );
    for r in &c.records {
        let want = 0.5 * 0.9f64.powi(r.iteration as i32);
        assert!(
            (r.lr - want).abs() <= 1e-15,
            "t = {}: {} vs {want}",
            r.iteration,
            r.lr
        );
    }
    // A warm-up then a step decay, from --set.
    let (_, c, _) = run(
        DIAG4,
        &[
            r#"schedule={kind="sequential",milestones=[4],schedules=[{kind="linear",start_factor=0.25,total_iters=4},{kind="step",step_size=3,gamma=0.5}]}"#,
            "iterations=10",
        ],
    );
    let lrs: Vec<f64> = c.records.iter().map(|r| r.lr).collect();
    let want = [
        0.125, 0.21875, 0.3125, 0.40625, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25,
    ];
    for (got, want) in lrs.iter().zip(want) {
        assert!((got - want).abs() < 1e-15, "{lrs:?}");
    }
}

#[test]
fn clip_norm_bounds_every_step_of_sgd() {
    // Each update moves X by lr * (clipped gradient), of norm at most lr * max_norm.
    let text = format!("{DIAG4}\n[[transform]]\nkind = \"clip_norm\"\nmax_norm = 0.01\n");
    let (_, c, e) = run(&text, &["iterations=10", "optimizer.lr=1.0"]);
    let start = &e.start[0];
    let moved = start
        .data()
        .iter()
        .zip(c.result[0].data())
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(moved <= 10.0 * 0.01 * (1.0 + 1e-5), "moved {moved}");
    assert!(
        moved > 9.0 * 0.01,
        "the gradient is far larger than 0.01, so every step is clipped"
    );
    assert!(
        c.records.iter().all(|r| r.grad_norm > 0.01),
        "records keep the raw norm"
    );
}

#[test]
fn clip_value_and_noise_change_the_run_and_noise_repeats_with_its_seed() {
    let clip = format!("{DIAG4}\n[[transform]]\nkind = \"clip_value\"\nclip_value = 1e-3\n");
    let (_, c, e) = run(&clip, &["iterations=1", "optimizer.lr=1.0"]);
    for (a, b) in e.start[0].data().iter().zip(c.result[0].data()) {
        assert!((a - b).abs() <= 1e-3 * (1.0 + 1e-5), "{a} -> {b}");
    }
    let noisy = format!("{DIAG4}\n[[transform]]\nkind = \"noise\"\nstd = 0.1\n");
    let (a, _, _) = run(&noisy, &["iterations=20"]);
    let (b, _, _) = run(&noisy, &["iterations=20"]);
    let (plain, _, _) = run(DIAG4, &["iterations=20"]);
    assert_eq!(a.final_loss, b.final_loss, "same seed, same noise");
    assert_ne!(a.final_loss, plain.final_loss);
}

fn config_error(text: &str, sets: &[&str]) -> ConfigError {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match Config::from_text(Path::new("bad.toml"), text, &sets, &Registry::default()) {
        Ok(_) => panic!("accepted: {sets:?}"),
        Err(e) => e,
    }
}

#[test]
fn invalid_optimizer_schedule_and_transform_keys_are_config_errors() {
    let cases: [(&[&str], &str, &str); 8] = [
        (
            &["optimizer.kind=adam", "optimizer.lr=-0.1"],
            "optimizer.lr",
            "> 0",
        ),
        (
            &["optimizer.kind=adamw", "optimizer.betas=[0.9, 1.0]"],
            "optimizer.betas",
            "[0, 1)",
        ),
        (
            &["optimizer.kind=rmsprop", "optimizer.eps=0.0"],
            "optimizer.eps",
            "> 0",
        ),
        (
            &["optimizer.kind=lbfgs", "optimizer.line_search_fn=wolfe"],
            "optimizer.line_search_fn",
            "unknown variant",
        ),
        (
            &["schedule.kind=warmup"],
            "schedule.kind",
            "known kinds: `chained`, `constant`, `cosine`",
        ),
        (&["schedule.kind=step"], "schedule.step_size", "missing key"),
        (
            &[r#"schedule={kind="onecycle",max_lr=1.0,total_steps=10}"#],
            "schedule.total_steps",
            "fewer than the 100 iterations",
        ),
        (
            &[r#"transform=[{kind="clip_norm",max_norm=0.0}]"#],
            "transform.0.max_norm",
            "> 0",
        ),
    ];
    for (sets, key, reason) in cases {
        let e = config_error(DIAG4, sets);
        assert_eq!(e.key, key, "{e}");
        assert!(e.reason.contains(reason), "{e}");
        assert!(matches!(e.origin, Origin::Override(_)), "{e}");
    }
    let e = config_error(
        DIAG4,
        &[
            r#"schedule={kind="onecycle",max_lr=1.0}"#,
            "optimizer.kind=adagrad",
        ],
    );
    assert_eq!(e.key, "schedule.cycle_momentum", "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// On a random well-conditioned quadratic (a linear system with A = Q diag(s) Q^T, s in
    /// [1, 2)), every optimizer at a modest lr lowers the loss within 30 steps.
    #[test]
    fn every_optimizer_decreases_the_loss_on_a_random_quadratic(seed in 0i64..1000, n in 2usize..5) {
        let text = format!(
            "seed = {seed}\niterations = 30\ndtype = \"f64\"\n[problem]\nkind = \"linear_system\"\n\
             a = {{ rotated_diag = {diag:?} }}\nb = {{ normal = [{n}, 1] }}\n\
             [init]\nkind = \"zeros\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n",
            diag = (0..n).map(|i| 1.0 + i as f64 / n as f64).collect::<Vec<_>>(),
        );
        for (kind, lr) in [
            ("sgd", 0.1), ("adam", 0.01), ("adamw", 0.01), ("rmsprop", 0.01), ("adagrad", 0.1),
            ("nadam", 0.01), ("radam", 0.01), ("lbfgs", 0.1), ("adadelta", 1.0),
            ("adamax", 0.01), ("rprop", 0.01), ("asgd", 0.1), ("lion", 0.01),
            ("adabelief", 0.01), ("lamb", 0.01), ("yogi", 0.01), ("prodigy", 1.0),
            ("schedule_free_sgd", 0.1), ("schedule_free_adamw", 0.01), ("adafactor", 0.01),
            ("muon", 0.01), ("muon_keller", 0.01), ("shampoo", 0.01), ("soap", 0.01),
        ] {
            let (summary, c, _) = run(&text, &[&format!("optimizer.kind={kind}"), &format!("optimizer.lr={lr}")]);
            let first = c.records[0].loss;
            prop_assert!(summary.final_loss < first, "{kind}: {} -> {}", first, summary.final_loss);
        }
    }
}

/// Collects the iterates after every update.
#[derive(Default)]
struct Iterates(Vec<Vec<f64>>);

impl Observer for Iterates {
    fn wants_iterates(&self) -> bool {
        true
    }
    fn iterate(&mut self, iteration: usize, params: &[Vec<f64>]) -> anyhow::Result<()> {
        if iteration > 0 {
            self.0.push(params[0].clone());
        }
        Ok(())
    }
}

fn run_with_iterates(sets: &[&str]) -> (Summary, Iterates) {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let config = Config::from_text(Path::new("test.toml"), DIAG4, &sets, &Registry::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let experiment = Experiment::new(config).unwrap_or_else(|e| panic!("{e}"));
    let mut iterates = Iterates::default();
    let summary = experiment.run(&mut [&mut iterates]).expect("run");
    (summary, iterates)
}

/// The relative Frobenius error of `x` against inv(diag(1, 2, 3, 4)).
fn inverse_error(x: &[f64]) -> f64 {
    let exact = [
        1.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.5,
        0.0,
        0.0,
        0.0,
        0.0,
        1.0 / 3.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.25,
    ];
    let d: f64 = x.iter().zip(exact).map(|(a, b)| (a - b).powi(2)).sum();
    let n: f64 = exact.iter().map(|b| b * b).sum();
    (d / n).sqrt()
}

#[test]
fn swa_reports_the_mean_of_the_iterates_after_start() {
    let (summary, iterates) = run_with_iterates(&[
        "dtype=\"f64\"",
        "iterations=30",
        "optimizer.lr=0.2",
        "average.kind=swa",
        "average.start=10",
    ]);
    // Updates 11..=30 averaged, in f64.
    let mean: Vec<f64> = (0..16)
        .map(|k| iterates.0[10..].iter().map(|x| x[k]).sum::<f64>() / 20.0)
        .collect();
    let average = summary.average.expect("an average");
    assert_eq!((average.source.as_str(), average.is_answer), ("swa", false));
    let want = inverse_error(&mean);
    assert!(
        (average.rel_error - want).abs() <= 1e-12 * want,
        "{} vs {want}",
        average.rel_error
    );
    // The run's own error is the last iterate's.
    let last = inverse_error(iterates.0.last().expect("iterates"));
    assert!((summary.rel_error - last).abs() <= 1e-12 * last);
}

#[test]
fn ema_reports_the_exponential_average() {
    let (summary, iterates) = run_with_iterates(&[
        "dtype=\"f64\"",
        "iterations=25",
        "optimizer.lr=0.2",
        "average.kind=ema",
        "average.decay=0.8",
    ]);
    let mut ema = iterates.0[0].clone();
    for x in &iterates.0[1..] {
        for (a, v) in ema.iter_mut().zip(x) {
            *a = 0.8 * *a + 0.2 * v;
        }
    }
    let want = inverse_error(&ema);
    let got = summary.average.expect("an average").rel_error;
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
}

#[test]
fn asgds_average_and_schedule_free_answers_are_reported() {
    let (summary, c, _) = run(
        DIAG4,
        &["optimizer.kind=asgd", "optimizer.lr=0.2", "optimizer.t0=10"],
    );
    let average = summary.average.expect("ASGD's average");
    assert_eq!(
        (average.source.as_str(), average.is_answer),
        ("asgd", false)
    );
    assert!(c.records[0].avg_loss.is_none() && c.records[1].avg_loss.is_some());
    // Schedule-free's answer is x: the summary's error is the average's, and metrics record the
    // loss at the gradient point y beside the loss at x.
    let (summary, c, _) = run(
        DIAG4,
        &["optimizer.kind=schedule_free_sgd", "optimizer.lr=0.5"],
    );
    let average = summary.average.expect("x");
    assert!(average.is_answer);
    assert_eq!(summary.rel_error, average.rel_error);
    assert_eq!(summary.final_loss, average.final_loss);
    let last = c.records.last().expect("records");
    assert!(last.avg_loss.is_some() && last.avg_loss != Some(last.loss));
}

#[test]
fn a_bad_average_names_its_key() {
    let sets = [
        "average.kind=ema".to_string(),
        "average.decay=1".to_string(),
    ];
    let Err(e) = Config::from_text(Path::new("test.toml"), DIAG4, &sets, &Registry::default())
    else {
        panic!("accepted");
    };
    assert_eq!(e.key, "average.decay");
    let sets = ["average.kind=mean".to_string()];
    let Err(e) = Config::from_text(Path::new("test.toml"), DIAG4, &sets, &Registry::default())
    else {
        panic!("accepted");
    };
    assert!(e.key.starts_with("average"), "{}: {}", e.key, e.reason);
}

/// PyTorch 2.15 (one thread), float32: `LBFGS([X], lr=0.01, line_search_fn="strong_wolfe")` on
/// the notebook problem (`X = torch.rand(4, 4)` after `manual_seed(314)`, loss
/// `((X @ A - I) ** 2).mean()`), 10 steps: the loss after each step and the final X, as
/// `float.hex()`. The line search reads the loss, so this holds only because the loss is summed
/// in torch's order (descent_tensor::TorchSum); summed in f64 and rounded once, it left torch's
/// path at step 1.
#[test]
fn lbfgs_with_strong_wolfe_follows_torch_bit_for_bit() {
    let sets: Vec<String> = [
        "optimizer.kind=lbfgs",
        "optimizer.lr=0.01",
        "optimizer.line_search_fn=strong_wolfe",
        "iterations=10",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (summary, capture) = run_diag4(&sets);
    let x = &capture.result[0];
    let want_x = descent_optim::testing::torch_hex(&[
        "0x1.ffff480000000p-1",
        "-0x1.9e9cde0000000p-17",
        "-0x1.2a23780000000p-20",
        "0x1.6b7f360000000p-20",
        "0x1.1846020000000p-16",
        "0x1.00007c0000000p-1",
        "-0x1.bfafea0000000p-21",
        "0x1.e1ff7e0000000p-19",
        "0x1.5c2d5a0000000p-23",
        "-0x1.265b900000000p-17",
        "0x1.5555200000000p-2",
        "0x1.4b67280000000p-18",
        "0x1.d3c08c0000000p-18",
        "-0x1.e8af200000000p-18",
        "-0x1.31698a0000000p-20",
        "0x1.ffffae0000000p-3",
    ]);
    for (k, (got, want)) in x.data().iter().zip(&want_x).enumerate() {
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "X entry {k}: {got:e} vs {want:e}"
        );
    }
    // torch's step returns the loss before it; records 1..10 hold the losses after steps 1..9
    // and the summary the final one.
    let want_loss = descent_optim::testing::torch_hex(&[
        "0x1.aa40340000000p+0",
        "0x1.95fcde0000000p-15",
        "0x1.2cf0b40000000p-24",
        "0x1.2faeb40000000p-33",
    ]);
    for (k, want) in want_loss.iter().enumerate() {
        assert_eq!(
            capture.records[k].loss.to_bits(),
            want.to_bits(),
            "loss at step {k}"
        );
    }
    // torch's closure ran 78 times; descent adds the loop's own evaluation of each iteration.
    assert_eq!(summary.evaluations, 78 + 10);
}

/// PyTorch 2.15 (one thread): the notebook problem (`X = torch.rand(4, 4, dtype)` after
/// `manual_seed(314)`, loss `((X @ A - I) ** 2).mean()`), 100 steps of `SGD([X], lr, momentum)`
/// at configs/diag4.toml's lr with `clip_grad_norm_([X], max_norm)` between `backward` and
/// `step`: the final X as `float.hex()`, row by row. The runs clip 39, 16 and 37 of their 100
/// steps. With the norm summed in f64 (the code before), the first run's X already differs.
#[test]
fn clip_norm_runs_follow_torch_bit_for_bit() {
    let cases: [(&str, f64, f64, [&str; 16]); 3] = [
        (
            "f32",
            0.1,
            0.0,
            [
                "0x1.fda9da0000000p-1",
                "0x1.36b0280000000p-27",
                "0x1.ad03ae0000000p-73",
                "0x0.0p+0",
                "0x1.c68c6c0000000p-7",
                "0x1.fffffc0000000p-2",
                "0x1.421a0a0000000p-73",
                "-0x0.0p+0",
                "0x1.1a52f20000000p-13",
                "0x1.b9267a0000000p-28",
                "0x1.5555560000000p-2",
                "0x1.0000000000000p-149",
                "0x1.7b4f640000000p-8",
                "0x1.6e314c0000000p-28",
                "0x1.b779f00000000p-73",
                "0x1.0000000000000p-2",
            ],
        ),
        (
            "f32",
            0.5,
            0.9,
            [
                "0x1.002f9c0000000p+0",
                "-0x1.7d36280000000p-9",
                "-0x1.85f5e40000000p-9",
                "-0x1.3bfe000000000p-11",
                "-0x1.216c600000000p-9",
                "0x1.0071820000000p-1",
                "-0x1.24c7ac0000000p-9",
                "-0x1.b1696e0000000p-11",
                "-0x1.6786d00000000p-16",
                "-0x1.0ea4d40000000p-9",
                "0x1.5330100000000p-2",
                "-0x1.0145340000000p-10",
                "-0x1.e308c20000000p-11",
                "-0x1.c150a40000000p-10",
                "-0x1.8f78460000000p-9",
                "0x1.ffca620000000p-3",
            ],
        ),
        (
            "f64",
            0.1,
            0.0,
            [
                "0x1.fdef3994b5363p-1",
                "0x1.621c2f38fef10p-28",
                "0x1.2066a6585bdb6p-72",
                "0x1.fe5931533f1c9p-250",
                "0x1.200eca78e979cp-10",
                "0x1.ffffffeb98fc6p-2",
                "0x1.29df238171f7ep-72",
                "0x1.90c72bb1164d7p-243",
                "0x1.3d31be4922455p-8",
                "0x1.f3595c2a049f1p-32",
                "0x1.5555555555556p-2",
                "0x1.09fca4c7f3199p-242",
                "0x1.ecbc897cca51fp-8",
                "0x1.1e0d3348ecee2p-27",
                "0x1.570daa4f5ca68p-73",
                "0x1.0000000000000p-2",
            ],
        ),
    ];
    for (dtype, max_norm, momentum, want) in cases {
        let transform = format!("transform=[{{kind=\"clip_norm\",max_norm={max_norm}}}]");
        let sets = [
            format!("dtype={dtype}"),
            format!("optimizer.momentum={momentum}"),
            transform,
        ];
        let (_, c) = run_diag4(&sets);
        let want = descent_optim::testing::torch_hex(&want);
        for (k, (got, want)) in c.result[0].data().iter().zip(&want).enumerate() {
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{dtype}, max_norm {max_norm}, momentum {momentum}: X entry {k}: {got:e} vs {want:e}"
            );
        }
    }
}

/// PyTorch 2.15 (one thread), float64: `LBFGS([X], lr, line_search_fn)` on the notebook problem
/// (`X = torch.rand(4, 4, dtype=torch.float64)` after `manual_seed(314)`, loss
/// `((X @ A - I) ** 2).mean()`): the final X as `float.hex()` and the closure's calls. This holds
/// only with float64's sums and dots in torch's orders: `sum(|g|)` as ATen's 4-lane cascade and
/// `dot` as MKL's ddot (crates/optim/src/reduce.rs); with float32's dot scheme the first run's X
/// already differs.
#[test]
fn float64_lbfgs_follows_torch_bit_for_bit() {
    let cases: [(&[&str], usize, usize, [&str; 16]); 4] = [
        (
            &["optimizer.lr=1"],
            10,
            20,
            [
                "0x1.ffff9158e9eedp-1",
                "-0x1.89b0d0f300b00p-19",
                "0x1.2a60cb18312c0p-18",
                "0x1.abdd646e9a258p-24",
                "0x1.e23cadf597c1ap-21",
                "0x1.000016aed0cd2p-1",
                "0x1.342d281233b00p-18",
                "0x1.5000dfe0ba708p-17",
                "0x1.0981d97615e1ap-18",
                "-0x1.1594f49c71b00p-22",
                "0x1.5555a00a395a5p-2",
                "0x1.bdfebb48dfe20p-17",
                "0x1.9c71d4022c1dap-18",
                "-0x1.3e066191f2800p-18",
                "0x1.62ebd29f44080p-19",
                "0x1.00029c47bf647p-2",
            ],
        ),
        (
            &["optimizer.lr=0.5"],
            10,
            30,
            [
                "0x1.fffee886f4338p-1",
                "-0x1.4c4de5b19d456p-18",
                "-0x1.27335159ee3ccp-17",
                "0x1.0c21c74b63174p-25",
                "0x1.307e5f4653a21p-19",
                "0x1.0000264ac53c1p-1",
                "-0x1.30e4f7b72dba8p-17",
                "0x1.a52127bc4717ep-19",
                "0x1.4f4ae9f7d95c4p-17",
                "-0x1.d4997c89bdcddp-22",
                "0x1.5554c182e69dbp-2",
                "0x1.177e631f3d9b1p-18",
                "0x1.046ce6ed5c1b8p-16",
                "-0x1.0c6fce62a5394p-17",
                "-0x1.5f24313fef99ep-18",
                "0x1.0000d165a75acp-2",
            ],
        ),
        (
            &["optimizer.lr=0.01", "optimizer.line_search_fn=strong_wolfe"],
            10,
            38,
            [
                "0x1.000095e6a492bp+0",
                "-0x1.903828f147400p-20",
                "-0x1.3aebd06b42400p-19",
                "-0x1.848de0d8ec4c0p-26",
                "-0x1.46a48a3b2d9c0p-19",
                "0x1.00000b878e4d2p-1",
                "-0x1.45433fc66de00p-19",
                "-0x1.3121f7ac93e40p-19",
                "-0x1.67ae9bf0ded40p-17",
                "-0x1.1a2f613ef2c00p-23",
                "0x1.55552de8b7087p-2",
                "-0x1.9504ca08f1c40p-19",
                "-0x1.175e7286aea40p-16",
                "-0x1.434c7fd47b800p-19",
                "-0x1.769962da49e00p-20",
                "0x1.fffed08f34e25p-3",
            ],
        ),
        (
            &["optimizer.lr=1", "optimizer.line_search_fn=strong_wolfe"],
            5,
            15,
            [
                "0x1.ffff9158e9eedp-1",
                "-0x1.89b0d0f300b00p-19",
                "0x1.2a60cb18312c0p-18",
                "0x1.abdd646e9a258p-24",
                "0x1.e23cadf597c1ap-21",
                "0x1.000016aed0cd2p-1",
                "0x1.342d281233b00p-18",
                "0x1.5000dfe0ba708p-17",
                "0x1.0981d97615e1ap-18",
                "-0x1.1594f49c71b00p-22",
                "0x1.5555a00a395a5p-2",
                "0x1.bdfebb48dfe20p-17",
                "0x1.9c71d4022c1dap-18",
                "-0x1.3e066191f2800p-18",
                "0x1.62ebd29f44080p-19",
                "0x1.00029c47bf647p-2",
            ],
        ),
    ];
    for (keys, steps, calls, want) in cases {
        let mut sets = vec![
            "dtype=f64".to_string(),
            "optimizer.kind=lbfgs".to_string(),
            format!("iterations={steps}"),
        ];
        sets.extend(keys.iter().map(|k| k.to_string()));
        let (summary, capture) = run_diag4(&sets);
        let want = descent_optim::testing::torch_hex(&want);
        for (k, (got, want)) in capture.result[0].data().iter().zip(&want).enumerate() {
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{keys:?}: X entry {k}: {got:e} vs {want:e}"
            );
        }
        // descent adds the loop's own evaluation of each iteration to torch's closure calls.
        assert_eq!(summary.evaluations, calls + steps, "{keys:?}");
    }
}
