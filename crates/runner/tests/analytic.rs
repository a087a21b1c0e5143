//! The analytic gradient agrees with candle's autodiff on every problem and loss it supports, and refuses the rest.

use std::path::Path;

use candle_core::Device;
use descent_runner::{Config, Evaluator, Experiment, Registry};
use descent_tensor::NativeRng;

fn experiment(problem: &str, loss: &str) -> Experiment {
    let text = format!(
        "seed = 3\niterations = 1\ndtype = \"f64\"\ngradient = \"analytic\"\n[problem]\n{problem}\n[loss]\nkind = \"{loss}\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n"
    );
    let config = Config::from_text(Path::new("analytic.toml"), &text, &[], &Registry::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Experiment::new(config).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn analytic_and_autodiff_gradients_agree_on_every_linear_problem() {
    let problems = [
        "kind = \"inverse\"\nmatrix = { normal = [5, 5] }",
        "kind = \"inverse\"\nside = \"right\"\nmatrix = { normal = [5, 5] }",
        // 40 x 40: above the loop limit, through faer's matrix product.
        "kind = \"inverse\"\nmatrix = { normal = [40, 40] }",
        "kind = \"linear_system\"\na = { normal = [7, 3] }\nb = { normal = [7, 2] }",
        "kind = \"linear_system\"\na = { normal = [50, 40] }\nb = { normal = [50, 1] }",
        "kind = \"indicator\"\ndocuments = 17\nwords = 3\np = 0.4",
        // Batches: n = 2, 3, 4 and 8 go through the fixed-size kernels, n = 5 through the loops.
        "kind = \"inverse\"\nbatch = 6\nmatrix = { normal = [3, 3] }",
        "kind = \"inverse\"\nbatch = 5\nmatrix = { normal = [2, 2] }",
        "kind = \"inverse\"\nbatch = 3\nmatrix = { normal = [4, 4] }",
        "kind = \"inverse\"\nside = \"right\"\nbatch = 3\nmatrix = { normal = [4, 4] }",
        "kind = \"inverse\"\nside = \"right\"\nbatch = 2\nmatrix = { normal = [8, 8] }",
        "kind = \"inverse\"\nside = \"right\"\nbatch = 4\nmatrix = { normal = [5, 5] }",
    ];
    let mut rng = NativeRng::new(11);
    for problem in problems {
        for loss in ["mse", "sse"] {
            let e = experiment(problem, loss);
            let analytic = e.analytic.as_ref().expect("analytic");
            let autodiff = Evaluator {
                problem: e.problem.as_ref(),
                loss: e.loss.as_ref(),
                device: Device::Cpu,
            };
            let p = &e.problem.parameters()[0];
            let params = vec![
                (0..p.rows * p.cols)
                    .map(|_| rng.normal_f64())
                    .collect::<Vec<f64>>(),
            ];
            let want = autodiff.evaluate_at(&params).expect("autodiff");
            let got = analytic.evaluate(&params).expect("analytic");
            assert!(
                (got.loss - want.loss).abs() <= 1e-12 * want.loss.abs(),
                "{problem} {loss}: loss {} vs {}",
                got.loss,
                want.loss
            );
            let scale = want.grads[0].iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (g, w) in got.grads[0].iter().zip(&want.grads[0]) {
                assert!(
                    (g - w).abs() <= 1e-12 * scale,
                    "{problem} {loss}: {g} vs {w}"
                );
            }
        }
    }
}

#[test]
fn problems_and_losses_without_a_closed_form_are_config_errors() {
    for (problem, loss) in [
        ("kind = \"svd\"\nmatrix = { normal = [4, 3] }", "mse"),
        (
            "kind = \"inverse\"\nmatrix = { diag = [1.0, 2.0] }",
            "huber",
        ),
    ] {
        let text = format!(
            "iterations = 1\ngradient = \"analytic\"\n[problem]\n{problem}\n[loss]\nkind = \"{loss}\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n"
        );
        let config = Config::from_text(Path::new("a.toml"), &text, &[], &Registry::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let e = Experiment::new(config).err().expect("refused");
        assert_eq!(e.key, "gradient", "{e}");
    }
}

#[test]
fn the_notebook_run_is_the_same_with_either_gradient() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml");
    let run = |g: &str| {
        let config = Config::load(&base, &[format!("gradient={g}")], &Registry::default())
            .unwrap_or_else(|e| panic!("{e}"));
        Experiment::new(config)
            .unwrap_or_else(|e| panic!("{e}"))
            .run(&mut [])
            .expect("run")
    };
    let (a, b) = (run("autodiff"), run("analytic"));
    assert!(
        (a.final_loss - b.final_loss).abs() <= 1e-6 * a.final_loss,
        "{} vs {}",
        a.final_loss,
        b.final_loss
    );
    assert!((a.rel_error - b.rel_error).abs() <= 1e-4 * a.rel_error);
}
