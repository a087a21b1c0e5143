//! Stable and optimal hyperparameters of gradient descent on a quadratic with Hessian eigenvalues in [μ, L].
//!
//! - Plain gradient descent: stable for `lr < 2 / L`; optimal `lr* = 2 / (L + μ)`, rate
//!   `(κ - 1) / (κ + 1)`.
//! - Heavy ball (Polyak 1964; Goh 2017): stable for `0 <= β < 1` and `lr λ < 2 (1 + β)`; optimal
//!   `lr = (2 / (√L + √μ))^2`, `β = ((√κ - 1) / (√κ + 1))^2`, rate `(√κ - 1) / (√κ + 1)`.
//! - Nesterov's momentum: stable for `lr λ < 2 (1 + β) / (1 + 2 β)`; the tuning of Lessard, Recht
//!   and Packard (2016), `lr = 4 / (3 L + μ)`, `β = (√(3κ + 1) - 2) / (√(3κ + 1) + 2)`, has rate
//!   `1 - 2 / √(3κ + 1)`.
//!
//! Rates are per iteration, of the error (the loss goes as its square). Dampening τ scales the
//! momentum step by `1 - τ`; weight decay w adds w to every eigenvalue.

use crate::Sgd;

/// A learning rate and momentum with the rate they give.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Tuning {
    /// The learning rate.
    pub lr: f64,
    /// The momentum (0 for plain gradient descent).
    pub momentum: f64,
    /// The rate: the error shrinks by this factor per iteration, in the slowest direction.
    pub rate: f64,
}

/// The largest stable learning rate of `settings` on a quadratic whose largest eigenvalue is
/// `largest` (`None` when no lr is stable: momentum of 1 or more).
pub fn stable_lr(settings: &Sgd, largest: f64) -> Option<f64> {
    let b = settings.momentum;
    if !(0.0..1.0).contains(&b) {
        return None;
    }
    let l = largest + settings.weight_decay.max(0.0);
    let product = if b == 0.0 {
        2.0
    } else if settings.nesterov {
        2.0 * (1.0 + b) / (1.0 + 2.0 * b)
    } else {
        2.0 * (1.0 + b)
    };
    let scale = if b > 0.0 {
        1.0 - settings.dampening
    } else {
        1.0
    };
    Some(product / (l * scale))
}

/// Plain gradient descent's optimal constant learning rate `2 / (L + μ)`.
pub fn optimal_plain(largest: f64, smallest: f64) -> Tuning {
    let kappa = largest / smallest;
    Tuning {
        lr: 2.0 / (largest + smallest),
        momentum: 0.0,
        rate: (kappa - 1.0) / (kappa + 1.0),
    }
}

/// The heavy ball's optimal learning rate and momentum (Polyak).
pub fn optimal_heavy_ball(largest: f64, smallest: f64) -> Tuning {
    let (sl, sm) = (largest.sqrt(), smallest.sqrt());
    let root = (sl / sm - 1.0) / (sl / sm + 1.0);
    Tuning {
        lr: (2.0 / (sl + sm)).powi(2),
        momentum: root * root,
        rate: root,
    }
}

/// Nesterov's momentum as tuned by Lessard, Recht and Packard.
pub fn optimal_nesterov(largest: f64, smallest: f64) -> Tuning {
    let q = (3.0 * largest / smallest + 1.0).sqrt();
    Tuning {
        lr: 4.0 / (3.0 * largest + smallest),
        momentum: (q - 2.0) / (q + 2.0),
        rate: 1.0 - 2.0 / q,
    }
}

/// The rate of `settings` at a constant `lr` along an eigenvalue `lambda`: the spectral radius of
/// the component's iteration (1 x 1 without momentum, 2 x 2 with it).
pub fn rate_at(settings: &Sgd, lr: f64, lambda: f64) -> f64 {
    let h = lambda + settings.weight_decay;
    let b = settings.momentum;
    if b == 0.0 {
        return (1.0 - lr * h).abs();
    }
    let k = (1.0 - settings.dampening) * h;
    // State (e, buffer): buffer' = b buffer + k e; e' = e - lr d.
    let (a11, a12, a21, a22) = if settings.nesterov {
        // d = h e + b buffer' = (h + b k) e + b^2 buffer.
        (1.0 - lr * (h + b * k), -lr * b * b, k, b)
    } else {
        (1.0 - lr * k, -lr * b, k, b)
    };
    let half_trace = 0.5 * (a11 + a22);
    let det = a11 * a22 - a12 * a21;
    let disc = half_trace * half_trace - det;
    if disc >= 0.0 {
        (half_trace.abs() + disc.sqrt()).max((half_trace.abs() - disc.sqrt()).abs())
    } else {
        det.sqrt()
    }
}

/// The rate of `settings` at a constant `lr` over `eigenvalues`: the slowest direction's.
pub fn rate(settings: &Sgd, lr: f64, eigenvalues: &[f64]) -> f64 {
    eigenvalues
        .iter()
        .map(|&l| rate_at(settings, lr, l))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_optimal_plain_rate_is_reached_at_both_ends_of_the_spectrum() {
        let t = optimal_plain(10.0, 1.0);
        let s = Sgd::default();
        assert!((rate_at(&s, t.lr, 10.0) - t.rate).abs() < 1e-15);
        assert!((rate_at(&s, t.lr, 1.0) - t.rate).abs() < 1e-15);
        assert!((t.rate - 9.0 / 11.0).abs() < 1e-15);
    }

    #[test]
    fn the_optimal_heavy_ball_has_rate_root_beta_everywhere_in_the_spectrum() {
        let t = optimal_heavy_ball(100.0, 1.0);
        let s = Sgd {
            momentum: t.momentum,
            ..Sgd::default()
        };
        for l in [1.0, 3.0, 30.0, 100.0] {
            assert!((rate_at(&s, t.lr, l) - t.rate).abs() < 1e-6, "{l}");
        }
        assert!(t.rate < optimal_plain(100.0, 1.0).rate);
    }

    #[test]
    fn stability_ends_where_the_rate_reaches_one() {
        for settings in [
            Sgd::default(),
            Sgd {
                momentum: 0.5,
                ..Sgd::default()
            },
            Sgd {
                momentum: 0.5,
                nesterov: true,
                ..Sgd::default()
            },
            Sgd {
                momentum: 0.3,
                dampening: 0.2,
                weight_decay: 0.1,
                ..Sgd::default()
            },
        ] {
            let bound = stable_lr(&settings, 2.0).unwrap();
            assert!(rate_at(&settings, bound * 0.999, 2.0) < 1.0, "{settings:?}");
            assert!(rate_at(&settings, bound * 1.001, 2.0) > 1.0, "{settings:?}");
        }
        let too_much = Sgd {
            momentum: 1.5,
            ..Sgd::default()
        };
        assert_eq!(stable_lr(&too_much, 2.0), None);
    }
}
