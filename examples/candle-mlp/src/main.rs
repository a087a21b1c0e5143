//! A two-layer MLP (8 -> 32 -> 1, tanh) on a seeded synthetic regression, trained full-batch twice
//! from the same start: with descent's `adam` and a `cosine` schedule through `DescentOptimizer`,
//! and with candle-nn's own `AdamW` (weight decay 0, so the same rule, without the schedule).
//! Run it with `cargo run -p descent-example-candle-mlp`.

use std::path::Path;

use anyhow::{Context, Result};
use candle_nn::{AdamW, Linear, Module, Optimizer, ParamsAdamW};
use descent_optim::DescentOptimizer;
use descent_runner::{Registry, candle_parts_f32, say};
use descent_tensor::candle::{DType, Device, Tensor, Var};
use descent_tensor::{Dtype, MatrixRng, RngKind};

const SAMPLES: usize = 256;
const INPUTS: usize = 8;
const HIDDEN: usize = 32;
const STEPS: usize = 500;

/// descent's side: the same keys as a run's `[optimizer]` and `[schedule]`.
const CONFIG: &str = r#"
iterations = 500
[optimizer]
kind = "adam"
lr = 0.01
[schedule]
kind = "cosine"
"#;

/// A seeded matrix as a candle tensor.
fn normal(rng: &mut MatrixRng, rows: usize, cols: usize, std: f64) -> Result<Tensor> {
    let m = rng.normal(rows, cols, 0.0, std, Dtype::F32);
    let data: Vec<f32> = m.data().iter().map(|&x| x as f32).collect();
    Ok(Tensor::from_vec(data, (rows, cols), &Device::Cpu)?)
}

/// The model's parameters: two weight matrices and two biases.
fn start(rng: &mut MatrixRng) -> Result<Vec<Tensor>> {
    Ok(vec![
        normal(rng, HIDDEN, INPUTS, (1.0 / INPUTS as f64).sqrt())?,
        Tensor::zeros(HIDDEN, DType::F32, &Device::Cpu)?,
        normal(rng, 1, HIDDEN, (1.0 / HIDDEN as f64).sqrt())?,
        Tensor::zeros(1, DType::F32, &Device::Cpu)?,
    ])
}

/// `tanh(x W1ᵀ + b1) W2ᵀ + b2`.
fn forward(vars: &[Var], x: &Tensor) -> Result<Tensor> {
    let l1 = Linear::new(
        vars[0].as_tensor().clone(),
        Some(vars[1].as_tensor().clone()),
    );
    let l2 = Linear::new(
        vars[2].as_tensor().clone(),
        Some(vars[3].as_tensor().clone()),
    );
    Ok(l2.forward(&l1.forward(x)?.tanh()?)?)
}

fn mse(prediction: &Tensor, y: &Tensor) -> Result<Tensor> {
    Ok(prediction.sub(y)?.sqr()?.mean_all()?)
}

/// Train `vars` with `opt`, printing the loss every 100 steps; the final loss.
fn train<O: Optimizer>(
    name: &str,
    vars: &[Var],
    mut opt: O,
    x: &Tensor,
    y: &Tensor,
) -> Result<f32> {
    for step in 0..STEPS {
        let loss = mse(&forward(vars, x)?, y)?;
        if step % 100 == 0 {
            say(&format!(
                "{name:>16}  step {step:>3}  loss {:.6}\n",
                loss.to_scalar::<f32>()?
            ));
        }
        opt.backward_step(&loss)?;
    }
    let loss = mse(&forward(vars, x)?, y)?.to_scalar::<f32>()?;
    say(&format!("{name:>16}  step {STEPS:>3}  loss {loss:.6}\n"));
    Ok(loss)
}

fn main() -> Result<()> {
    run().map(|_| ())
}

/// Both trainings; the start's loss and the two final losses.
fn run() -> Result<(f32, f32, f32)> {
    let mut rng = MatrixRng::new(RngKind::Torch, 0);
    // y = sin(x w) + 0.1 noise for a fixed random direction w.
    let x = normal(&mut rng, SAMPLES, INPUTS, 1.0)?;
    let w = normal(&mut rng, INPUTS, 1, 0.5)?;
    let noise = normal(&mut rng, SAMPLES, 1, 0.1)?;
    let y = (x.matmul(&w)?.sin()? + noise)?;
    let init = start(&mut rng)?;
    let vars = |init: &[Tensor]| -> Result<Vec<Var>> {
        init.iter().map(|t| Ok(Var::from_tensor(t)?)).collect()
    };

    let ours = vars(&init)?;
    let first = mse(&forward(&ours, &x)?, &y)?.to_scalar::<f32>()?;
    let parts = candle_parts_f32(Path::new("candle-mlp"), CONFIG, &Registry::default())
        .context("descent's optimizer config")?;
    let descent = train(
        "descent adam",
        &ours,
        DescentOptimizer::new(ours.clone(), parts)?,
        &x,
        &y,
    )?;

    let theirs = vars(&init)?;
    let params = ParamsAdamW {
        lr: 0.01,
        weight_decay: 0.0,
        ..ParamsAdamW::default()
    };
    let candle = train(
        "candle-nn adamw",
        &theirs,
        AdamW::new(theirs.clone(), params)?,
        &x,
        &y,
    )?;
    say(&format!(
        "final loss: descent adam + cosine {descent:.6}, candle-nn AdamW (constant lr) {candle:.6}\n"
    ));
    Ok((first, descent, candle))
}

#[cfg(test)]
mod tests {
    /// `cargo test --workspace` runs the example: both optimizers train the model, each ending
    /// below a tenth of the start's loss.
    #[test]
    fn the_example_trains_the_mlp_with_both_optimizers() {
        let (first, descent, candle) = super::run().expect("the example runs");
        assert!(
            descent < first / 10.0 && candle < first / 10.0,
            "{first} -> {descent}, {candle}"
        );
    }
}
