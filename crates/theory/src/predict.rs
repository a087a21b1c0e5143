//! `Predictor`: the loss of a torch.optim.SGD run on a quadratic, iteration by iteration, from its own start.
//!
//! Along eigenvector i every row's error `e = y - y*` and momentum buffer `b` follow the same
//! linear recurrence, so they stay linear in the start: `e_t = α_t e_0 + β_t y*` and
//! `b_t = γ_t e_0 + δ_t y*`, with four numbers per eigenvector shared by all rows. torch.optim.SGD
//! (single-tensor path) takes, with gradient `g = λ e + w (e + y*)` (weight decay w):
//! `b = g` at the first step, then `b = β b + (1 - τ) g`; the step is `d = g + β b` (Nesterov) or
//! `d = b` (heavy ball), or `d = g` without momentum; `y -= η d`. The loss is
//! `f* + Σ_i (λ_i / 2) Σ_rows e_i^2`, in f64.

use crate::{Mode, Sgd};

/// The recurrence's four numbers for one eigenvector.
#[derive(Debug, Clone, Copy, PartialEq)]
struct State {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

/// `Σ_rows e^2` along a mode: `e = α e_0 + β y*`, summed with the mode's three sums.
fn squared(m: &Mode, s: &State) -> f64 {
    s.alpha * s.alpha * m.error + 2.0 * s.alpha * s.beta * m.cross + s.beta * s.beta * m.target
}

/// The predicted trajectory of a run: its loss now, and one step at a time.
#[derive(Debug, Clone)]
pub struct Predictor {
    modes: Vec<Mode>,
    states: Vec<State>,
    floor: f64,
    settings: Sgd,
    started: bool,
}

impl Predictor {
    /// The trajectory from the start's `modes` (see [`crate::Quadratic::modes`]) for a run of
    /// `settings`; `floor` is the quadratic's least loss.
    pub fn new(modes: Vec<Mode>, floor: f64, settings: Sgd) -> Self {
        let states = vec![
            State {
                alpha: 1.0,
                beta: 0.0,
                gamma: 0.0,
                delta: 0.0,
            };
            modes.len()
        ];
        Self {
            modes,
            states,
            floor,
            settings,
            started: false,
        }
    }

    /// The loss at the current iterate.
    pub fn loss(&self) -> f64 {
        self.floor
            + self
                .modes
                .iter()
                .zip(&self.states)
                .map(|(m, s)| 0.5 * m.lambda * squared(m, s))
                .sum::<f64>()
    }

    /// The modes this predictor follows, in order.
    pub fn modes(&self) -> &[Mode] {
        &self.modes
    }

    /// The error along eigenvector `i` now, `sqrt(Σ_rows e^2)`.
    pub fn mode_error(&self, i: usize) -> f64 {
        squared(&self.modes[i], &self.states[i]).max(0.0).sqrt()
    }

    /// One update with learning rate `lr`; `momentum` replaces the settings' momentum when a
    /// schedule cycles it (`onecycle`).
    pub fn step(&mut self, lr: f64, momentum: Option<f64>) {
        let Sgd {
            dampening,
            nesterov,
            weight_decay: w,
            ..
        } = self.settings;
        let m = momentum.unwrap_or(self.settings.momentum);
        let first = !self.started;
        for (mode, s) in self.modes.iter().zip(self.states.iter_mut()) {
            let h = mode.lambda + w;
            // The gradient, as (coefficient of e_0, coefficient of y*).
            let (ga, gb) = (h * s.alpha, h * s.beta + w);
            let (da, db) = if m != 0.0 {
                if first {
                    (s.gamma, s.delta) = (ga, gb);
                } else {
                    s.gamma = m * s.gamma + (1.0 - dampening) * ga;
                    s.delta = m * s.delta + (1.0 - dampening) * gb;
                }
                if nesterov {
                    (ga + m * s.gamma, gb + m * s.delta)
                } else {
                    (s.gamma, s.delta)
                }
            } else {
                (ga, gb)
            };
            s.alpha -= lr * da;
            s.beta -= lr * db;
        }
        self.started = true;
    }
}

/// The modes with eigenvalues equal to within a relative `1e-12` merged into one, sorted by
/// eigenvalue: their errors, cross terms and targets add.
///
/// Along eigenvalues that are equal, the predictor's four numbers evolve alike, and the loss is
/// linear in a mode's three sums, so merging changes no prediction (beyond the rounding of the
/// sums, and the `1e-12` in λ). A batch of 10,000 rotations of one 4x4 matrix has 40,000 modes
/// with 4 eigenvalues: the prediction then costs 4 modes per iteration, not 40,000.
pub fn merged(mut modes: Vec<Mode>) -> Vec<Mode> {
    modes.sort_by(|a, b| a.lambda.total_cmp(&b.lambda));
    let mut out: Vec<Mode> = Vec::new();
    for m in modes {
        match out.last_mut() {
            Some(last) if (m.lambda - last.lambda).abs() <= 1e-12 * last.lambda.abs() => {
                last.error += m.error;
                last.cross += m.cross;
                last.target += m.target;
            }
            _ => out.push(m),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(lambda: f64) -> Vec<Mode> {
        vec![Mode {
            lambda,
            error: 1.0,
            cross: 0.0,
            target: 0.0,
        }]
    }

    #[test]
    fn merged_modes_predict_the_same_loss() {
        let modes = vec![
            Mode {
                lambda: 2.0,
                error: 1.0,
                cross: 0.5,
                target: 2.0,
            },
            Mode {
                lambda: 0.5,
                error: 3.0,
                cross: -1.0,
                target: 1.0,
            },
            Mode {
                lambda: 2.0 * (1.0 + 1e-14),
                error: 0.25,
                cross: 0.0,
                target: 4.0,
            },
        ];
        let settings = Sgd {
            momentum: 0.5,
            weight_decay: 0.01,
            ..Sgd::default()
        };
        let mut all = Predictor::new(modes.clone(), 0.1, settings);
        let mut few = Predictor::new(merged(modes), 0.1, settings);
        assert_eq!(few.modes().len(), 2);
        for _ in 0..50 {
            assert!((all.loss() - few.loss()).abs() <= 1e-12 * all.loss());
            all.step(0.3, None);
            few.step(0.3, None);
        }
    }

    #[test]
    fn plain_descent_shrinks_each_component_by_one_minus_lr_lambda() {
        let mut p = Predictor::new(one(2.0), 0.0, Sgd::default());
        assert_eq!(p.loss(), 1.0);
        p.step(0.25, None);
        // e = (1 - 0.25 * 2) = 0.5; loss = (2 / 2) * 0.25.
        assert!((p.loss() - 0.25).abs() < 1e-15);
    }

    #[test]
    fn heavy_ball_follows_torchs_buffer_from_the_first_gradient() {
        let settings = Sgd {
            momentum: 0.5,
            ..Sgd::default()
        };
        let mut p = Predictor::new(one(1.0), 0.0, settings);
        // Step 1: g = 1, b = 1, e = 1 - 0.1 = 0.9. Step 2: g = 0.9, b = 0.5 + 0.9 = 1.4,
        // e = 0.9 - 0.14 = 0.76.
        p.step(0.1, None);
        p.step(0.1, None);
        assert!((p.mode_error(0) - 0.76).abs() < 1e-15);
    }

    #[test]
    fn weight_decay_pulls_toward_zero_not_the_minimiser() {
        // y* = 1, start y0 = 1 (e0 = 0): without decay nothing moves; with decay w the iterate
        // shrinks: e1 = -lr * w * y*.
        let modes = vec![Mode {
            lambda: 2.0,
            error: 0.0,
            cross: 0.0,
            target: 1.0,
        }];
        let mut p = Predictor::new(
            modes,
            0.0,
            Sgd {
                weight_decay: 0.5,
                ..Sgd::default()
            },
        );
        p.step(0.1, None);
        assert!((p.mode_error(0) - 0.05).abs() < 1e-15);
    }
}
