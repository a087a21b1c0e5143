//! L-BFGS against torch.optim.LBFGS on the notebook's problem: closure-call counts and convergence.

use descent_optim::{Closure, Evaluation, Lbfgs, LbfgsConfig, LineSearchFn, OptimError, Optimizer};
use descent_tensor::TorchRng;

/// The notebook's problem in float32: X @ diag(1, 2, 3, 4) against I under the mean squared error,
/// with the loss and gradient torch computes (torch-optim.md, section 6: the gradient is
/// `((x a_j - δ_ij) * 2 / 16) a_j`; the mean folds entry i + 8 onto entry i, then adds left to right).
struct Notebook {
    calls: usize,
}

const A: [f32; 4] = [1.0, 2.0, 3.0, 4.0];

impl Closure<f32> for Notebook {
    fn evaluate(&mut self, params: &[Vec<f32>]) -> Result<Evaluation<f32>, OptimError> {
        self.calls += 1;
        let x = &params[0];
        let diff: Vec<f32> = (0..16)
            .map(|k| {
                let (i, j) = (k / 4, k % 4);
                x[k] * A[j] - if i == j { 1.0 } else { 0.0 }
            })
            .collect();
        let sq: Vec<f32> = diff.iter().map(|d| d * d).collect();
        let sum = (0..8).map(|i| sq[i] + sq[i + 8]).fold(0.0f32, |s, v| s + v);
        let grad = diff
            .iter()
            .enumerate()
            .map(|(k, d)| ((d * 2.0) * (1.0 / 16.0)) * A[k % 4])
            .collect();
        Ok(Evaluation {
            loss: f64::from(sum / 16.0),
            grads: vec![grad],
        })
    }
}

/// The notebook's start: `torch.manual_seed(314); torch.rand(4, 4)`.
fn start() -> Vec<Vec<f32>> {
    let mut rng = TorchRng::new(314);
    vec![(0..16).map(|_| rng.uniform_f32()).collect()]
}

/// Run `steps` L-BFGS steps; the cumulative closure calls after each, and the final X.
fn run(config: LbfgsConfig, steps: usize) -> (Vec<usize>, Vec<f32>) {
    let lr = config.lr;
    let mut lbfgs = Lbfgs::<f32>::new(config);
    let mut closure = Notebook { calls: 0 };
    let mut x = start();
    let mut counts = Vec::new();
    for _ in 0..steps {
        let g = closure.evaluate(&x).expect("evaluate").grads;
        closure.calls -= 1; // the loop's own evaluation; torch's step makes it through the closure
        lbfgs.step(&mut x, &g, lr, &mut closure).expect("step");
        counts.push(closure.calls);
        assert_eq!(closure.calls, lbfgs.evaluations());
    }
    (counts, x.remove(0))
}

#[test]
fn strong_wolfe_at_lr_1_makes_torchs_closure_calls_and_reaches_the_inverse() {
    // torch-optim.md, section 7: 3 steps, 10/11/12 calls.
    let (counts, x) = run(
        LbfgsConfig {
            lr: 1.0,
            line_search_fn: LineSearchFn::StrongWolfe,
            ..Default::default()
        },
        3,
    );
    assert_eq!(counts, [10, 11, 12]);
    // Steps 2 and 3 stop at once because g · d > -tolerance_change (1e-9): X is then within
    // about 1e-5 of the inverse, where the loss is below 1e-10.
    for (k, v) in x.iter().enumerate() {
        let (i, j) = (k / 4, k % 4);
        let want = if i == j { 1.0 / A[j] } else { 0.0 };
        assert!((v - want).abs() < 1e-4, "X[{i}][{j}] = {v}, want {want}");
    }
}

#[test]
fn fixed_step_with_history_5_makes_max_iter_calls_per_step() {
    // torch-optim.md, section 7: lr 0.1 without a line search, history 5: 20/40/60 calls.
    let (counts, _) = run(
        LbfgsConfig {
            lr: 0.1,
            history_size: 5,
            ..Default::default()
        },
        3,
    );
    assert_eq!(counts, [20, 40, 60]);
}

#[test]
fn strong_wolfe_at_lr_001_extrapolates_with_torchs_closure_calls() {
    // torch-optim.md, section 7: lr 0.01 with strong_wolfe: 26/52/71 calls (bounded extrapolation).
    let (counts, _) = run(
        LbfgsConfig {
            lr: 0.01,
            line_search_fn: LineSearchFn::StrongWolfe,
            ..Default::default()
        },
        3,
    );
    assert_eq!(counts, [26, 52, 71]);
}

#[test]
fn invalid_parameters_name_their_key() {
    use descent_optim::OptimizerConfig;
    let bad = |c: LbfgsConfig| c.validate().unwrap_err().key;
    assert_eq!(
        bad(LbfgsConfig {
            max_iter: 0,
            ..Default::default()
        }),
        "max_iter"
    );
    assert_eq!(
        bad(LbfgsConfig {
            history_size: 0,
            ..Default::default()
        }),
        "history_size"
    );
    assert_eq!(
        bad(LbfgsConfig {
            tolerance_grad: -1.0,
            ..Default::default()
        }),
        "tolerance_grad"
    );
    assert_eq!(LbfgsConfig::default().max_eval(), 25);
    assert_eq!(
        LbfgsConfig {
            max_iter: 1,
            ..Default::default()
        }
        .max_eval(),
        1
    );
}
