//! The theory beside a run: its problem as a quadratic, the predicted loss of each iteration, and the facts and verdict for the summary.

use std::collections::VecDeque;

use descent_losses::Loss;
use descent_problems::Problem;
pub use descent_report::ModeTrace;
use descent_tensor::{Dtype, Matrix};
use descent_theory::bounds::{self, Tuning};
use descent_theory::{Evidence, Predictor, Quadratic, Sgd, Spectrum, Verdict, rate, verdict};

use serde::Serialize;
use toml::Table;

use crate::config::TheoryMode;
use crate::thin::Thinned;

/// With `theory = "auto"`: the most instances of a batch the theory decomposes (one SVD each).
const MAX_INSTANCES: usize = 10_000;
/// With `theory = "auto"`: the most entries of an instance's matrix (512 x 512); at n = 1024 the
/// SVD took 0.4 s and 80 MB more than the run itself.
const MAX_ENTRIES: usize = 512 * 512;
/// The recent losses the measured rate is fitted on.
const WINDOW: usize = 50;

/// `summary.json`'s `theory`: what the mathematics says about this run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TheoryFacts {
    /// L, the Hessian's largest eigenvalue (quadratic problems under a squared loss).
    pub hessian_max: Option<f64>,
    /// μ, its smallest non-zero eigenvalue.
    pub hessian_min: Option<f64>,
    /// κ = L / μ.
    pub condition_number: Option<f64>,
    /// The dimension of the Hessian's null space (per row of the parameter).
    pub null_dim: Option<usize>,
    /// The largest stable lr of this run's optimizer (plain SGD's `2 / L` for other optimizers).
    pub stable_lr: Option<f64>,
    /// The optimal lr of this run's optimizer family (plain, heavy ball or Nesterov SGD; plain
    /// SGD's for other optimizers).
    pub optimal_lr: Option<f64>,
    /// The optimal momentum (0 for plain SGD).
    pub optimal_momentum: Option<f64>,
    /// The error's rate per iteration at the optimal settings.
    pub optimal_rate: Option<f64>,
    /// The error's rate per iteration predicted for this run's settings (at its last lr).
    pub predicted_rate: Option<f64>,
    /// The error's rate per iteration measured on the last iterations' losses.
    pub measured_rate: Option<f64>,
    /// The relative error against the exact answer the verdict aims at (`tolerance`).
    pub tolerance: f64,
    /// Iterations still needed to reach the tolerance at the predicted (else measured) rate.
    pub iterations_to_tolerance: Option<f64>,
    /// Whether `predicted_loss` was written (SGD on a quadratic problem).
    pub predicted: bool,
    /// Converged, converging, stalled, plateau or diverging.
    pub verdict: Verdict,
    /// The verdict in plain words.
    pub explanation: String,
    /// The Hessian's non-zero eigenvalues, largest first (at most 256, evenly spread by rank, the
    /// extremes kept), for `spectrum.svg`.
    pub eigenvalues: Vec<f64>,
    /// The run's last lr and momentum, where `spectrum.svg` places the eigenvalues.
    pub lr: f64,
    /// The momentum of the run's optimizer (0 without, or for non-SGD optimizers).
    pub momentum: f64,
    /// The predicted error along a few eigendirections (the slowest, the fastest and some
    /// between) against the iteration, for `modes.svg`.
    pub modes: Vec<ModeTrace>,
    /// For optimizers the theory does not predict, on a quadratic problem: the loss plain SGD at
    /// the optimal lr would have from the same start (`[iteration, loss]`, thinned), drawn in
    /// `loss.svg` as the reference.
    pub reference: Vec<(usize, f64)>,
    /// For a problem with a Tikhonov term (`ridge`): its spectral filter beside that of gradient
    /// descent stopped after this run's iterations at its last lr, for `filters.svg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<descent_theory::filters::Filters>,
}

/// The most eigenvalues kept for `spectrum.svg`, and points per traced mode.
const MAX_EIGENVALUES: usize = 256;
const MAX_TRACE: usize = 400;
/// The most eigendirections traced for `modes.svg`.
const TRACED: usize = 5;

/// Up to `cap` items of `v` evenly spread by index, the first and the last kept.
fn spread<T: Clone>(v: &[T], cap: usize) -> Vec<T> {
    if v.len() <= cap {
        return v.to_vec();
    }
    (0..cap)
        .map(|k| v[k * (v.len() - 1) / (cap - 1)].clone())
        .collect()
}

/// What the loop keeps for the theory.
pub struct RunTheory {
    pub(crate) spectrum: Option<Spectrum>,
    pub(crate) floor: f64,
    settings: Option<Sgd>,
    pub(crate) predictor: Option<Predictor>,
    pub(crate) why_not: String,
    best: f64,
    last_progress: usize,
    recent: VecDeque<f64>,
    excited: Vec<f64>,
    kind: String,
    traced: Vec<(usize, Thinned<f64>)>,
    /// For optimizers the theory does not predict: plain SGD at the optimal lr, its predictor and
    /// its loss curve.
    reference: Option<(f64, Predictor, Thinned<f64>)>,
    /// A Tikhonov term's λ and the Hessian's scale `2 s` (`ridge`), for the spectral filters.
    tikhonov: Option<(f64, f64)>,
}

/// SGD's keys from its resolved table, or why it is not predicted.
fn sgd_settings(optimizer: &Table) -> Result<Sgd, String> {
    let kind = optimizer
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("?");
    if kind != "sgd" {
        return Err(format!(
            "{kind} is not a linear iteration: its trajectory is not predicted"
        ));
    }
    if optimizer.get("maximize").and_then(|v| v.as_bool()) == Some(true) {
        return Err("sgd with maximize = true ascends: not predicted".into());
    }
    let number = |key: &str| {
        optimizer
            .get(key)
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            .unwrap_or(0.0)
    };
    Ok(Sgd {
        momentum: number("momentum"),
        dampening: number("dampening"),
        nesterov: optimizer.get("nesterov").and_then(|v| v.as_bool()) == Some(true),
        weight_decay: number("weight_decay"),
    })
}

impl RunTheory {
    /// The theory of a run of `problem` under `loss` with the optimizer's resolved table, from
    /// `start` (one matrix per parameter); `transforms` says whether gradient transforms apply.
    pub fn new(
        problem: &dyn Problem,
        loss: &dyn Loss,
        optimizer: &Table,
        transforms: bool,
        start: &[Matrix],
        mode: TheoryMode,
    ) -> Self {
        let kind = optimizer
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("?")
            .to_string();
        let mut theory = Self {
            spectrum: None,
            floor: 0.0,
            settings: None,
            predictor: None,
            why_not: String::new(),
            best: f64::INFINITY,
            last_progress: 0,
            recent: VecDeque::with_capacity(WINDOW),
            excited: Vec::new(),
            kind,
            traced: Vec::new(),
            reference: None,
            tikhonov: None,
        };
        let Some(x0) = start.first() else {
            theory.why_not = "the problem has no parameter: not predicted".into();
            return theory;
        };
        if mode == TheoryMode::Off {
            theory.why_not = "theory = \"off\": not analysed".into();
            return theory;
        }
        let analysed = problem.linear_form().and_then(|form| {
            let batch = form.batch.max(1);
            let matrix_entries = form.a.rows() / batch * form.a.cols();
            if mode == TheoryMode::Auto && (batch > MAX_INSTANCES || matrix_entries > MAX_ENTRIES) {
                theory.why_not = format!(
                    "not analysed: more than {MAX_INSTANCES} instances or {MAX_ENTRIES} entries of \
                     the matrix (theory = \"on\" decomposes it anyway)"
                );
                return None;
            }
            let entries = form.target.rows() / batch * form.target.cols();
            let Some(scale) = loss.square_sum_scale(entries) else {
                theory.why_not =
                    format!("the {} loss is not quadratic: not predicted", loss.name());
                return None;
            };
            theory.tikhonov = problem.tikhonov().map(|lambda| (lambda, 2.0 * scale));
            Quadratic::analyse(&form, scale, x0).ok()
        });
        let Some((spectrum, floor, modes)) = analysed else {
            if theory.why_not.is_empty() {
                theory.why_not = format!(
                    "the {} problem is not quadratic in its parameters: not predicted",
                    problem.kind()
                );
            }
            return theory;
        };
        theory.spectrum = Some(spectrum);
        theory.floor = floor;
        // One mode per distinct eigenvalue: a batch of identical spectra costs one instance's.
        let modes = descent_theory::merged(modes);
        match sgd_settings(optimizer) {
            Ok(settings) if !transforms => {
                theory.excited = modes
                    .iter()
                    .filter(|m| m.error > 0.0 || m.target > 0.0)
                    .map(|m| m.lambda)
                    .collect();
                // The slowest and fastest excited directions and a few between (by eigenvalue).
                let mut order: Vec<usize> = (0..modes.len())
                    .filter(|&i| modes[i].error > 0.0 || modes[i].target > 0.0)
                    .collect();
                order.sort_by(|&a, &b| modes[a].lambda.total_cmp(&modes[b].lambda));
                order.dedup_by(|a, b| modes[*a].lambda == modes[*b].lambda);
                theory.traced = spread(&order, TRACED)
                    .into_iter()
                    .map(|i| (i, Thinned::new(MAX_TRACE)))
                    .collect();
                theory.settings = Some(settings);
                theory.predictor = Some(Predictor::new(modes, theory.floor, settings));
            }
            Ok(_) => {
                theory.why_not = "gradient transforms are not linear: not predicted".into();
            }
            Err(why) => {
                theory.why_not = why;
                // Not predicted, but the problem is quadratic: plain SGD at its optimal lr from
                // the same start is the reference the run can be read against.
                if let Some(s) = theory.spectrum.as_ref().filter(|s| s.smallest > 0.0) {
                    let lr = bounds::optimal_plain(s.largest, s.smallest).lr;
                    theory.reference = Some((
                        lr,
                        Predictor::new(modes, theory.floor, Sgd::default()),
                        Thinned::new(MAX_TRACE),
                    ));
                }
            }
        }
        theory
    }

    /// The predicted loss at the current iterate, for SGD on a quadratic problem.
    pub fn predicted_loss(&self) -> Option<f64> {
        self.predictor.as_ref().map(Predictor::loss)
    }

    /// Note the measured loss of an iteration (progress and the measured rate's window).
    pub fn observe(&mut self, iteration: usize, loss: f64) {
        if let Some((lr, p, curve)) = &mut self.reference {
            curve.push(iteration, p.loss());
            p.step(*lr, None);
        }
        if let Some(p) = &self.predictor {
            // Only where the thinned trace keeps the point: a square root per traced mode on
            // every iteration was a tenth of a 4x4 iteration.
            for (i, trace) in &mut self.traced {
                if trace.keeps(iteration) {
                    trace.push(iteration, p.mode_error(*i));
                }
            }
        }
        if loss < 0.99 * self.best {
            self.last_progress = iteration;
        }
        if loss < self.best {
            self.best = loss;
        }
        if self.recent.len() == WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(loss);
    }

    /// One update: the predictor follows with the same lr (and the schedule's momentum).
    pub fn step(&mut self, lr: f64, momentum: Option<f64>) {
        if let Some(p) = &mut self.predictor {
            p.step(lr, momentum);
        }
    }

    /// Ridge's filter beside early stopping's, from the Hessian's eigenvalues `2 s (σ² + λ)`:
    /// A's singular values are `sqrt(h / 2s - λ)`.
    fn filters(&self, lr: f64, iterations: usize) -> Option<descent_theory::filters::Filters> {
        let (lambda, scale) = self.tikhonov?;
        let spectrum = self.spectrum.as_ref()?;
        let sigma: Vec<f64> = spread(&spectrum.eigenvalues, MAX_EIGENVALUES)
            .iter()
            .map(|h| (h / scale - lambda).max(0.0).sqrt())
            .collect();
        Some(descent_theory::filters::Filters::new(
            &sigma,
            lambda,
            lr * scale,
            iterations,
        ))
    }

    /// The facts at the end of a run of `iterations` whose last lr was `lr`, with its relative
    /// error, in `dtype`; `diverged` when it did.
    #[allow(clippy::too_many_arguments)]
    pub fn facts(
        &self,
        optimizer: &Table,
        lr: f64,
        iterations: usize,
        rel_error: f64,
        tolerance: f64,
        dtype: Dtype,
        diverged: bool,
    ) -> TheoryFacts {
        let losses: Vec<f64> = self.recent.iter().copied().collect();
        let measured_rate = rate::measured(&losses, self.floor);
        let spectrum = self.spectrum.as_ref();
        let settings = self.settings.or_else(|| sgd_settings(optimizer).ok());
        let plain = Sgd::default();
        let (l, mu) = spectrum.map_or((None, None), |s| {
            (Some(s.largest), (s.smallest > 0.0).then_some(s.smallest))
        });
        let family = settings.unwrap_or(plain);
        let optimal: Option<Tuning> = l.zip(mu).map(|(l, mu)| {
            if family.momentum == 0.0 {
                bounds::optimal_plain(l, mu)
            } else if family.nesterov {
                bounds::optimal_nesterov(l, mu)
            } else {
                bounds::optimal_heavy_ball(l, mu)
            }
        });
        let stable_lr = l.and_then(|l| bounds::stable_lr(&family, l));
        let predicted_rate = self
            .settings
            .filter(|_| self.predictor.is_some() && !self.excited.is_empty())
            .map(|s| bounds::rate(&s, lr, &self.excited));
        let rate_now = predicted_rate.or(measured_rate);
        let iterations_to_tolerance =
            rate_now.and_then(|r| rate::iterations_to(rel_error, tolerance, r));
        // The relative error the dtype resolves: κ(A) eps, κ(A) = sqrt(κ_H), with a margin of 10.
        let kappa_a = spectrum.map_or(1.0, |s| s.condition.sqrt().max(1.0));
        let floor = 10.0 * kappa_a * dtype.epsilon();
        let verdict = verdict::judge(&Evidence {
            diverged,
            rel_error,
            tolerance,
            iterations,
            last_progress: self.last_progress,
            floor,
        });
        let explanation = self.explain(
            verdict,
            rel_error,
            tolerance,
            iterations_to_tolerance,
            lr,
            optimal,
            floor,
        );
        TheoryFacts {
            hessian_max: l,
            hessian_min: mu,
            condition_number: spectrum.map(|s| s.condition),
            null_dim: spectrum.map(|s| s.null_dim),
            stable_lr,
            optimal_lr: optimal.map(|t| t.lr),
            optimal_momentum: optimal.map(|t| t.momentum),
            optimal_rate: optimal.map(|t| t.rate),
            predicted_rate,
            measured_rate,
            tolerance,
            iterations_to_tolerance,
            predicted: self.predictor.is_some(),
            verdict,
            explanation,
            eigenvalues: spectrum
                .map_or_else(Vec::new, |s| spread(&s.eigenvalues, MAX_EIGENVALUES)),
            lr,
            momentum: settings.map_or(0.0, |s| s.momentum),
            filters: self.filters(lr, iterations),
            reference: self
                .reference
                .as_ref()
                .map_or_else(Vec::new, |(_, _, curve)| curve.items()),
            modes: self
                .traced
                .iter()
                .filter_map(|(i, trace)| {
                    let predictor = self.predictor.as_ref()?;
                    let lambda = predictor.modes()[*i].lambda;
                    let mut items = trace.items();
                    // The loop traces only the iterations the thinned trace keeps; the last
                    // point is the state after the last update.
                    if items.last().is_none_or(|(t, _)| *t < iterations) {
                        items.push((iterations, predictor.mode_error(*i)));
                    }
                    Some(ModeTrace {
                        lambda,
                        factor: bounds::rate_at(&self.settings?, lr, lambda),
                        iterations: items.iter().map(|(t, _)| *t).collect(),
                        errors: items.iter().map(|(_, e)| *e).collect(),
                    })
                })
                .collect(),
        }
    }

    /// The verdict in plain words, with how this run's lr compares with the optimal one.
    #[allow(clippy::too_many_arguments)]
    fn explain(
        &self,
        verdict: Verdict,
        rel_error: f64,
        tolerance: f64,
        left: Option<f64>,
        lr: f64,
        optimal: Option<Tuning>,
        floor: f64,
    ) -> String {
        let sci = |x: f64| crate::console::sci(x, 1);
        let mut text = match verdict {
            Verdict::Converged => format!(
                "converged: relative error {} is below the tolerance {}",
                sci(rel_error),
                sci(tolerance)
            ),
            Verdict::Converging => match left {
                Some(n) => format!(
                    "still converging: about {} more iterations to a relative error of {}",
                    thousands(n),
                    sci(tolerance)
                ),
                None => format!(
                    "still converging: relative error {}, tolerance {}",
                    sci(rel_error),
                    sci(tolerance)
                ),
            },
            Verdict::Stalled => format!(
                "stalled at the dtype's precision floor (relative error {}, floor about {}) since iteration {}",
                sci(rel_error),
                sci(floor),
                self.last_progress
            ),
            Verdict::Plateau => format!(
                "on a plateau since iteration {}: relative error {} above the tolerance {} and no progress",
                self.last_progress,
                sci(rel_error),
                sci(tolerance)
            ),
            Verdict::Diverging => "diverging".to_string(),
        };
        if let Some(t) = optimal {
            let momentum = if t.momentum > 0.0 {
                format!(" with momentum {:.3}", t.momentum)
            } else {
                String::new()
            };
            let family = if self.kind == "sgd" {
                String::new()
            } else {
                " (plain SGD's, for reference)".into()
            };
            text.push_str(&format!(
                "; lr {} is {} of the optimal {}{momentum}{family}",
                short(lr),
                ratio(lr / t.lr),
                short(t.lr)
            ));
        }
        if self.predictor.is_none() && !self.why_not.is_empty() {
            text.push_str(&format!("; {}", self.why_not));
        }
        text
    }
}

/// `1,900` for 1900.
pub(crate) fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio in two decimals, or in scientific notation when that would show 0.00.
fn ratio(x: f64) -> String {
    if x >= 0.01 {
        format!("{x:.2}")
    } else {
        crate::console::sci(x, 1)
    }
}

/// A learning rate in three significant digits.
fn short(x: f64) -> String {
    if (1e-3..1e4).contains(&x.abs()) {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        crate::console::sci(x, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(1900.0), "1,900");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(thousands(12.0), "12");
        assert_eq!(short(0.4605170185988092), "0.461");
        assert_eq!(short(0.5), "0.5");
        assert_eq!(short(1e-5), "1.00e-05");
        assert_eq!(ratio(0.4893), "0.49");
        assert_eq!(ratio(4.4e-7), "4.4e-07");
    }
}
