//! Each loss's value and gradient against its formula, worked out in plain f64 beside candle's autodiff.

use candle_core::{Device, Tensor, Var};
use descent_losses::{Huber, LogCosh, Loss, Mae, Mse, Sse};

/// Differences d = p - t: zero, small, at and beyond the Huber threshold 1, negative, and large.
const P: [f64; 8] = [1.0, 2.5, -0.3, 3.0, 0.0, -4.0, 1001.0, 0.2];
const T: [f64; 8] = [1.0, 2.0, 0.0, 2.0, 1.5, 0.0, 1.0, 0.0];

/// The loss and its gradient with respect to the prediction, through candle.
fn eval(loss: &dyn Loss) -> (f64, Vec<f64>) {
    let p = Var::from_slice(&P, (2, 4), &Device::Cpu).expect("p");
    let t = Tensor::from_slice(&T, (2, 4), &Device::Cpu).expect("t");
    let l = loss.loss(p.as_tensor(), &t).expect("loss");
    let value = l.to_scalar::<f64>().expect("scalar");
    let grads = l.backward().expect("backward");
    let g = grads.get(p.as_tensor()).expect("gradient");
    (
        value,
        g.flatten_all()
            .expect("flat")
            .to_vec1::<f64>()
            .expect("vec"),
    )
}

fn check(loss: &dyn Loss, value: impl Fn(f64) -> f64, grad: impl Fn(f64) -> f64, mean: bool) {
    let n = if mean { P.len() as f64 } else { 1.0 };
    let d: Vec<f64> = P.iter().zip(T).map(|(p, t)| p - t).collect();
    let want_value: f64 = d.iter().map(|&d| value(d)).sum::<f64>() / n;
    let (got_value, got_grad) = eval(loss);
    assert!(
        (got_value - want_value).abs() <= 1e-12 * want_value.abs().max(1.0),
        "{}: value {got_value} vs {want_value}",
        loss.name()
    );
    for (k, (&g, &d)) in got_grad.iter().zip(&d).enumerate() {
        let want = grad(d) / n;
        assert!(
            (g - want).abs() <= 1e-15 * want.abs().max(1.0),
            "{}: gradient {k} (d = {d}): {g} vs {want}",
            loss.name()
        );
    }
}

fn sign(d: f64) -> f64 {
    if d > 0.0 {
        1.0
    } else if d < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[test]
fn mse_is_the_mean_of_squares_with_gradient_2d_over_n() {
    check(&Mse, |d| d * d, |d| 2.0 * d, true);
}

#[test]
fn sse_is_the_squared_frobenius_norm_with_gradient_2d() {
    check(&Sse, |d| d * d, |d| 2.0 * d, false);
}

#[test]
fn mae_is_the_mean_absolute_difference_with_torchs_zero_gradient_at_zero() {
    check(&Mae, f64::abs, sign, true);
}

#[test]
fn huber_is_quadratic_inside_delta_and_linear_outside() {
    for delta in [1.0, 0.5, 2.0] {
        check(
            &Huber { delta },
            |d| {
                if d.abs() < delta {
                    0.5 * d * d
                } else {
                    delta * (d.abs() - 0.5 * delta)
                }
            },
            |d| if d.abs() < delta { d } else { delta * sign(d) },
            true,
        );
    }
}

#[test]
fn log_cosh_is_the_mean_log_cosh_with_gradient_tanh_and_no_overflow() {
    // cosh(1000) overflows f64; log cosh d = |d| - ln 2 + log1p(exp(-2|d|)) is the exact identity.
    check(
        &LogCosh,
        |d| {
            if d.abs() < 20.0 {
                d.cosh().ln()
            } else {
                d.abs() - std::f64::consts::LN_2 + (-2.0 * d.abs()).exp().ln_1p()
            }
        },
        f64::tanh,
        true,
    );
}
