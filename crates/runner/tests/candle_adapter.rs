//! descent's optimizers in a plain candle loop (`DescentOptimizer`, a `candle_nn::Optimizer`) give
//! the bits of descent's own loop: the notebook problem, the same config, every step's loss and
//! the final X equal.

use std::path::Path;

use candle_nn::Optimizer as _;
use descent_losses::{Loss, Mse};
use descent_optim::DescentOptimizer;
use descent_runner::{
    Config, Experiment, Observer, Record, Registry, Summary, candle_parts_f32, candle_parts_f64,
};
use descent_tensor::candle::{DType, Device, Tensor, Var};
use descent_tensor::{ConstSide, Matrix, matmul_const};

/// Keeps every record's loss and the final iterate.
#[derive(Default)]
struct Kept {
    losses: Vec<f64>,
    lrs: Vec<f64>,
    result: Vec<Matrix>,
}

impl Observer for Kept {
    fn record(&mut self, r: &Record) -> anyhow::Result<()> {
        self.losses.push(r.loss);
        self.lrs.push(r.lr);
        Ok(())
    }
    fn finish(&mut self, _s: &Summary, result: &[(String, Matrix)]) -> anyhow::Result<()> {
        self.result = result.iter().map(|(_, m)| m.clone()).collect();
        Ok(())
    }
}

/// The notebook's problem (diag4.toml) with `optimizer` (and anything after it: a schedule, a
/// transform) in `dtype`, by descent's loop with candle's autodiff.
fn descent_loop(dtype: &str, iterations: usize, optimizer: &str) -> (Experiment, Kept) {
    let text = format!(
        "seed = 314\niterations = {iterations}\nlog_every = 0\ndtype = \"{dtype}\"\ngradient = \"autodiff\"\n[problem]\nkind = \"inverse\"\nmatrix = {{ diag = [1.0, 2.0, 3.0, 4.0] }}\n[init]\nkind = \"uniform\"\n[loss]\nkind = \"mse\"\n{optimizer}"
    );
    let e = Config::from_text(Path::new("adapter.toml"), &text, &[], &Registry::default())
        .and_then(Experiment::new)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut kept = Kept::default();
    e.run(&mut [&mut kept]).expect("run");
    (e, kept)
}

/// The same in a plain candle loop: X a `Var`, the loss descent's `Mse` of `X @ A` against I,
/// `opt.backward_step(&loss)` (or `step_with_closure` for L-BFGS).
fn candle_loop(
    e: &Experiment,
    dtype: &str,
    iterations: usize,
    optimizer: &str,
    closure: bool,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let text = format!("iterations = {iterations}\nseed = 314\n{optimizer}");
    let device = Device::Cpu;
    let dt = if dtype == "f32" {
        DType::F32
    } else {
        DType::F64
    };
    let start: Vec<f64> = e.start[0].data().to_vec();
    let x = Var::from_slice(&start, (4, 4), &device)
        .and_then(|v| Var::from_tensor(&v.to_dtype(dt).expect("dtype")))
        .expect("X");
    let a = Tensor::from_slice(
        &[
            1.0f64, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 4.0,
        ],
        (4, 4),
        &device,
    )
    .and_then(|t| t.to_dtype(dt))
    .expect("A");
    let i = Tensor::eye(4, dt, &device).expect("I");
    let loss = || -> descent_tensor::candle::Result<Tensor> {
        // descent's mse: torch's `((X @ A - I) ** 2).mean()`, in torch's summation order.
        Mse.loss(&matmul_const(x.as_tensor(), &a, ConstSide::Right)?, &i)
    };
    let (mut losses, mut lrs) = (Vec::new(), Vec::new());
    macro_rules! drive {
        ($opt:expr) => {{
            let mut opt = $opt;
            for _ in 0..iterations {
                lrs.push(opt.learning_rate());
                if closure {
                    losses.push(opt.step_with_closure(&loss).expect("step"));
                } else {
                    let l = loss().expect("loss");
                    losses.push(
                        l.to_dtype(DType::F64)
                            .and_then(|t| t.to_scalar::<f64>())
                            .expect("value"),
                    );
                    opt.backward_step(&l).expect("step");
                }
            }
        }};
    }
    let registry = Registry::default();
    if dtype == "f32" {
        let parts = candle_parts_f32(Path::new("adapter.toml"), &text, &registry)
            .unwrap_or_else(|e| panic!("{e}"));
        drive!(DescentOptimizer::new(vec![x.clone()], parts).expect("optimizer"));
    } else {
        let parts = candle_parts_f64(Path::new("adapter.toml"), &text, &registry)
            .unwrap_or_else(|e| panic!("{e}"));
        drive!(DescentOptimizer::new(vec![x.clone()], parts).expect("optimizer"));
    }
    let final_x = x
        .as_tensor()
        .to_dtype(DType::F64)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f64>())
        .expect("X");
    (losses, lrs, final_x)
}

fn same_bits(dtype: &str, iterations: usize, optimizer: &str, closure: bool) {
    let (e, kept) = descent_loop(dtype, iterations, optimizer);
    let (losses, lrs, x) = candle_loop(&e, dtype, iterations, optimizer, closure);
    assert_eq!(lrs, kept.lrs, "{optimizer}: the learning rates");
    assert_eq!(losses.len(), kept.losses.len(), "{optimizer}");
    for (t, (a, b)) in losses.iter().zip(&kept.losses).enumerate() {
        assert_eq!(
            a.to_bits(),
            b.to_bits(),
            "{optimizer}: loss at t = {t}: {a} vs {b}"
        );
    }
    for (k, (a, b)) in x.iter().zip(kept.result[0].data()).enumerate() {
        assert_eq!(
            a.to_bits(),
            b.to_bits(),
            "{optimizer}: X entry {k}: {a} vs {b}"
        );
    }
}

#[test]
fn sgd_with_momentum_and_nesterov_match_descents_loop_bit_for_bit() {
    same_bits(
        "f32",
        100,
        "[optimizer]\nkind = \"sgd\"\nlr = 0.4605170185988092\n",
        false,
    );
    same_bits(
        "f32",
        100,
        "[optimizer]\nkind = \"sgd\"\nlr = 0.1\nmomentum = 0.9\n",
        false,
    );
    same_bits(
        "f32",
        100,
        "[optimizer]\nkind = \"sgd\"\nlr = 0.1\nmomentum = 0.9\nnesterov = true\nweight_decay = 0.01\n",
        false,
    );
    same_bits(
        "f64",
        100,
        "[optimizer]\nkind = \"sgd\"\nlr = 0.1\nmomentum = 0.9\n",
        false,
    );
}

#[test]
fn adam_adamw_and_rmsprop_match_descents_loop_bit_for_bit() {
    same_bits(
        "f32",
        100,
        "[optimizer]\nkind = \"adam\"\nlr = 0.05\n",
        false,
    );
    same_bits(
        "f32",
        100,
        "[optimizer]\nkind = \"adamw\"\nlr = 0.05\namsgrad = true\n",
        false,
    );
    same_bits(
        "f32",
        100,
        "[optimizer]\nkind = \"rmsprop\"\nlr = 0.01\nmomentum = 0.5\n",
        false,
    );
}

#[test]
fn schedules_and_transforms_match_descents_loop_bit_for_bit() {
    same_bits(
        "f32",
        100,
        "[optimizer]\nkind = \"adam\"\nlr = 0.1\n[schedule]\nkind = \"cosine\"\n",
        false,
    );
    same_bits(
        "f32",
        60,
        "[optimizer]\nkind = \"sgd\"\nlr = 0.3\nmomentum = 0.9\n[schedule]\nkind = \"onecycle\"\nmax_lr = 0.5\n[[transform]]\nkind = \"clip_norm\"\nmax_norm = 1.0\n",
        false,
    );
}

#[test]
fn lbfgs_through_a_closure_matches_descents_loop_bit_for_bit() {
    same_bits("f32", 10, "[optimizer]\nkind = \"lbfgs\"\nlr = 1.0\n", true);
    same_bits(
        "f64",
        10,
        "[optimizer]\nkind = \"lbfgs\"\nlr = 1.0\nline_search_fn = \"strong_wolfe\"\n",
        true,
    );
}

/// A config error in the adapter's table names the file, the line and the key.
#[test]
fn bad_adapter_configs_name_file_line_and_key() {
    let registry = Registry::default();
    let cases = [
        (
            "iterations = 10\n[optimizer]\nkind = \"adam\"\nlr = -1.0\n",
            "optimizer.lr",
            "must be",
        ),
        (
            "iterations = 10\n[optimizer]\nkind = \"sgdd\"\n",
            "optimizer.kind",
            "unknown kind `sgdd`",
        ),
        (
            "iterations = 10\n[problem]\nkind = \"inverse\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n",
            "problem",
            "unknown key `problem`",
        ),
        (
            "[optimizer]\nkind = \"sgd\"\nlr = 0.1\n",
            "iterations",
            "missing",
        ),
    ];
    for (text, key, reason) in cases {
        let e = match candle_parts_f32(Path::new("train.toml"), text, &registry) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        };
        assert_eq!(e.key, key, "{e}");
        assert!(e.to_string().contains(reason), "`{e}` lacks `{reason}`");
        assert!(e.to_string().starts_with("train.toml:"), "{e}");
    }
}

/// A variable of another dtype than the optimizer's is refused, not silently converted.
#[test]
fn a_variable_of_the_wrong_dtype_is_an_error() {
    let x = Var::zeros((2, 2), DType::F64, &Device::Cpu).expect("x");
    let parts = candle_parts_f32(
        Path::new("t.toml"),
        "iterations = 1\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n",
        &Registry::default(),
    )
    .expect("parts");
    let err = DescentOptimizer::new(vec![x], parts)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("dtype"), "{err}");
}

/// `set_learning_rate` fixes the rate from then on, in place of the schedule's: Adam under a
/// cosine schedule set to 0.05 takes the steps of Adam at a constant 0.05.
#[test]
fn set_learning_rate_replaces_the_schedule() {
    let registry = Registry::default();
    let run = |config: &str, fixed: Option<f64>| -> Vec<f32> {
        let x = Var::from_slice(&[0.5f32, -0.2, 0.1, 0.9], (2, 2), &Device::Cpu).expect("x");
        let parts = candle_parts_f32(Path::new("t.toml"), config, &registry).expect("parts");
        let mut opt = DescentOptimizer::new(vec![x.clone()], parts).expect("optimizer");
        if let Some(lr) = fixed {
            opt.set_learning_rate(lr);
            assert_eq!(opt.learning_rate(), lr);
        }
        for _ in 0..20 {
            let loss = x.as_tensor().sqr().and_then(|t| t.sum_all()).expect("loss");
            opt.backward_step(&loss).expect("step");
        }
        x.as_tensor()
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .expect("x")
    };
    let constant = run(
        "iterations = 20\n[optimizer]\nkind = \"adam\"\nlr = 0.05\n",
        None,
    );
    let scheduled = run(
        "iterations = 20\n[optimizer]\nkind = \"adam\"\nlr = 0.1\n[schedule]\nkind = \"cosine\"\n",
        Some(0.05),
    );
    let unset = run(
        "iterations = 20\n[optimizer]\nkind = \"adam\"\nlr = 0.1\n[schedule]\nkind = \"cosine\"\n",
        None,
    );
    assert_eq!(constant, scheduled);
    assert_ne!(constant, unset, "the schedule's own rates differ");
}
