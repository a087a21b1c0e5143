//! The host gradients (`gradient = "auto"`, the default) agree with candle's autodiff on every built-in problem and loss; a loss of one's own falls back to autodiff.

use std::path::Path;

use candle_core::{Device, Tensor};
use descent_losses::{Loss, LossConfig};
use descent_runner::{Config, Evaluator, Experiment, Registry};
use descent_tensor::NativeRng;

fn config(text: &str, registry: &Registry) -> Config {
    Config::from_text(Path::new("gradients.toml"), text, &[], registry)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn experiment(problem: &str, loss: &str, dtype: &str) -> Experiment {
    let text = format!(
        "seed = 3\niterations = 1\ndtype = \"{dtype}\"\ngradient = \"analytic\"\n[problem]\n{problem}\n[loss]\n{loss}\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n"
    );
    Experiment::new(config(&text, &Registry::default())).unwrap_or_else(|e| panic!("{e}"))
}

const PROBLEMS: [&str; 23] = [
    "kind = \"inverse\"\nmatrix = { normal = [5, 5] }",
    "kind = \"inverse\"\nside = \"right\"\nmatrix = { normal = [5, 5] }",
    // The fixed-size kernels (n = 2, 3, 4, 8), alone.
    "kind = \"inverse\"\nmatrix = { normal = [4, 4] }",
    "kind = \"inverse\"\nside = \"right\"\nmatrix = { normal = [8, 8] }",
    // 40 x 40: above the loop limit, through faer's matrix product.
    "kind = \"inverse\"\nmatrix = { normal = [40, 40] }",
    "kind = \"linear_system\"\na = { normal = [7, 3] }\nb = { normal = [7, 2] }",
    "kind = \"linear_system\"\na = { normal = [50, 40] }\nb = { normal = [50, 1] }",
    "kind = \"indicator\"\ndocuments = 17\nwords = 3\np = 0.4",
    // Ridge: the stacked system [A; sqrt(lambda) I], tall and wide A.
    "kind = \"ridge\"\na = { normal = [7, 3] }\nb = { normal = [7, 2] }\nlambda = 0.4",
    "kind = \"ridge\"\na = { normal = [3, 6] }\nb = [1.0, -2.0, 0.5]\nlambda = 2.0",
    // Batches: n = 2, 3, 4 and 8 go through the fixed-size kernels, n = 5 through the loops.
    "kind = \"inverse\"\nbatch = 6\nmatrix = { normal = [3, 3] }",
    "kind = \"inverse\"\nbatch = 5\nmatrix = { normal = [2, 2] }",
    "kind = \"inverse\"\nbatch = 3\nmatrix = { normal = [4, 4] }",
    "kind = \"inverse\"\nside = \"right\"\nbatch = 3\nmatrix = { normal = [4, 4] }",
    "kind = \"inverse\"\nside = \"right\"\nbatch = 2\nmatrix = { normal = [8, 8] }",
    "kind = \"inverse\"\nside = \"right\"\nbatch = 4\nmatrix = { normal = [5, 5] }",
    // Batches of one matrix (A and the target shared): streamed row by row, in blocks of 64
    // rows and a partial block; 16x16 alone and batched.
    "kind = \"inverse\"\nbatch = 70\nmatrix = { diag = [1.0, 2.0, 3.0, 4.0] }",
    "kind = \"inverse\"\nbatch = 9\nmatrix = { diag = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5] }",
    "kind = \"inverse\"\nmatrix = { normal = [16, 16] }",
    // The SVD: its product, and its two orthogonality penalties (a truncated rank too).
    "kind = \"svd\"\nmatrix = { normal = [6, 4] }",
    "kind = \"svd\"\nmatrix = { normal = [5, 7] }\nrank = 2\northogonality = 0.5",
    "kind = \"svd\"\nmatrix = { rows = [[1.3]] }",
    "kind = \"svd\"\nmatrix = { normal = [1, 3] }",
];

const LOSSES: [&str; 6] = [
    "kind = \"mse\"",
    "kind = \"sse\"",
    "kind = \"mae\"",
    "kind = \"huber\"",
    "kind = \"huber\"\ndelta = 0.3",
    "kind = \"log_cosh\"",
];

/// Random parameters for every parameter of `e`'s problem, scaled by `scale`.
fn random_params(e: &Experiment, rng: &mut NativeRng, scale: f64) -> Vec<Vec<f64>> {
    e.problem
        .parameters()
        .iter()
        .map(|p| {
            (0..p.rows * p.cols)
                .map(|_| scale * rng.normal_f64())
                .collect()
        })
        .collect()
}

#[test]
fn host_and_autodiff_gradients_agree_on_every_problem_and_loss() {
    let mut rng = NativeRng::new(11);
    for problem in PROBLEMS {
        for loss in LOSSES {
            let e = experiment(problem, loss, "f64");
            let mut host = e
                .problem
                .host_f64(e.loss.as_ref())
                .unwrap_or_else(|| panic!("{problem} {loss}: no host gradient"));
            let autodiff = Evaluator {
                problem: e.problem.as_ref(),
                loss: e.loss.as_ref(),
                device: Device::Cpu,
            };
            // Small and large residuals: both sides of huber's threshold.
            for scale in [0.05, 1.0] {
                let params = random_params(&e, &mut rng, scale);
                let want = autodiff.evaluate_at(&params).expect("autodiff");
                let mut grads: Vec<Vec<f64>> =
                    params.iter().map(|p| vec![f64::NAN; p.len()]).collect();
                let got = host.evaluate(&params, &mut grads).expect("host");
                let what = format!("{problem} | {loss} | scale {scale}");
                assert!(
                    (got.loss - want.loss).abs() <= 1e-12 * want.loss.abs(),
                    "{what}: loss {} vs {}",
                    got.loss,
                    want.loss
                );
                let mut squares = 0.0;
                for (g, w) in grads.iter().zip(&want.grads) {
                    let size = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    for (g, w) in g.iter().zip(w) {
                        assert!((g - w).abs() <= 1e-12 * size, "{what}: {g} vs {w}");
                        squares += w * w;
                    }
                }
                assert!(
                    (got.grad_squares - squares).abs() <= 1e-12 * squares,
                    "{what}: squares {} vs {squares}",
                    got.grad_squares
                );
            }
        }
    }
}

#[test]
fn host_gradients_in_f32_are_within_rounding_of_autodiff() {
    let mut rng = NativeRng::new(12);
    for problem in PROBLEMS {
        for loss in LOSSES {
            let e = experiment(problem, loss, "f32");
            let mut host = e.problem.host_f32(e.loss.as_ref()).expect("host");
            let autodiff = Evaluator {
                problem: e.problem.as_ref(),
                loss: e.loss.as_ref(),
                device: Device::Cpu,
            };
            let params: Vec<Vec<f32>> = random_params(&e, &mut rng, 0.5)
                .into_iter()
                .map(|p| p.into_iter().map(|v| v as f32).collect())
                .collect();
            let want = autodiff.evaluate_at(&params).expect("autodiff");
            let mut grads: Vec<Vec<f32>> = params.iter().map(|p| vec![0.0; p.len()]).collect();
            let got = host.evaluate(&params, &mut grads).expect("host");
            let what = format!("{problem} | {loss}");
            assert!(
                (got.loss - want.loss).abs() <= 1e-5 * want.loss.abs(),
                "{what}: loss {} vs {}",
                got.loss,
                want.loss
            );
            for (g, w) in grads.iter().zip(&want.grads) {
                let size = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                for (g, w) in g.iter().zip(w) {
                    assert!((g - w).abs() <= 1e-5 * size, "{what}: {g} vs {w}");
                }
            }
        }
    }
}

#[test]
fn auto_is_the_default_and_uses_the_host_gradient_for_built_ins() {
    let text = "iterations = 3\n[problem]\nkind = \"svd\"\nmatrix = { normal = [4, 3] }\n[loss]\nkind = \"huber\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n";
    let c = config(text, &Registry::default());
    assert!(c.resolved_toml().contains("gradient = \"auto\""));
    let summary = Experiment::new(c)
        .expect("experiment")
        .run(&mut [])
        .expect("run");
    assert_eq!(summary.gradient, "analytic");
}

/// A loss of one's own with only a candle formula: `mean(d^4)`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct QuarticConfig {}

struct Quartic;

impl Loss for Quartic {
    fn name(&self) -> &str {
        "quartic"
    }
    fn loss(&self, prediction: &Tensor, target: &Tensor) -> candle_core::Result<Tensor> {
        prediction.sub(target)?.sqr()?.sqr()?.mean_all()
    }
}

impl LossConfig for QuarticConfig {
    const KIND: &'static str = "quartic";
    const SUMMARY: &'static str = "mean(d^4)";
    fn build(&self) -> Box<dyn Loss> {
        Box::new(Quartic)
    }
}

#[test]
fn a_loss_without_an_elementwise_form_falls_back_to_autodiff_and_analytic_refuses_it() {
    let mut registry = Registry::default();
    registry.add_loss::<QuarticConfig>();
    let text = |gradient: &str| {
        format!(
            "iterations = 3\ngradient = \"{gradient}\"\n[problem]\nkind = \"inverse\"\nmatrix = {{ diag = [1.0, 2.0] }}\n[loss]\nkind = \"quartic\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n"
        )
    };
    let summary = Experiment::new(config(&text("auto"), &registry))
        .expect("experiment")
        .run(&mut [])
        .expect("run");
    assert_eq!(summary.gradient, "autodiff");
    assert!(summary.final_loss.is_finite());
    let e = Experiment::new(config(&text("analytic"), &registry))
        .err()
        .expect("refused");
    assert_eq!(e.key, "gradient", "{e}");
    assert!(e.to_string().contains("quartic"), "{e}");
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
    let (a, b) = (run("autodiff"), run("auto"));
    assert_eq!(b.gradient, "analytic");
    assert!(
        (a.final_loss - b.final_loss).abs() <= 1e-6 * a.final_loss,
        "{} vs {}",
        a.final_loss,
        b.final_loss
    );
    assert!((a.rel_error - b.rel_error).abs() <= 1e-4 * a.rel_error);
}
