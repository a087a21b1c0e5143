//! The stop rules of `[stop]` and the divergence test, applied to each iteration's record.

use std::collections::VecDeque;
use std::time::Instant;

use crate::config::StopConfig;
use crate::console::sci;
use crate::observer::{Record, StopReason};

/// Decides, from each record in turn, whether the loop stops there, and why.
pub(crate) struct StopRules<'a> {
    config: &'a StopConfig,
    started: Instant,
    /// The last `window + 1` losses, oldest first.
    recent: VecDeque<f64>,
    diverge_above: Option<f64>,
    /// `2 / L` for a quadratic problem under a squared loss, computed only when a run diverges
    /// (it takes a singular value decomposition).
    cause: &'a dyn Fn(f64) -> String,
}

impl<'a> StopRules<'a> {
    /// Rules for a run started now; `cause` says why a run diverged at a given lr.
    pub(crate) fn new(config: &'a StopConfig, cause: &'a dyn Fn(f64) -> String) -> Self {
        Self {
            config,
            started: Instant::now(),
            recent: VecDeque::new(),
            diverge_above: config.diverge_above,
            cause,
        }
    }

    /// Why the loop stops at this record (before its update), with a message; `None` to go on.
    pub(crate) fn check(&mut self, r: &Record) -> Option<(StopReason, String)> {
        let c = self.config;
        let t = r.iteration;
        let limit = *self
            .diverge_above
            .get_or_insert_with(|| 1e10 * r.loss.abs().max(f64::MIN_POSITIVE));
        if !(r.loss.is_finite() && r.grad_norm.is_finite()) || r.loss > limit {
            let what = if r.loss.is_finite() && r.grad_norm.is_finite() {
                format!(
                    "the loss {} passed diverge_above = {} at iteration {t}",
                    sci(r.loss, 3),
                    sci(limit, 3)
                )
            } else {
                format!(
                    "the loss is {} and the gradient norm {} at iteration {t}",
                    r.loss, r.grad_norm
                )
            };
            return Some((
                StopReason::Diverged,
                format!("{what}: {}", self.cause(r.lr)),
            ));
        }
        if let Some(x) = c.loss_below.filter(|&x| r.loss < x) {
            return Some((
                StopReason::LossBelow,
                format!(
                    "the loss {} fell below loss_below = {x} at iteration {t}",
                    sci(r.loss, 3)
                ),
            ));
        }
        if let Some(x) = c.grad_norm_below.filter(|&x| r.grad_norm < x) {
            return Some((
                StopReason::GradNormBelow,
                format!(
                    "the gradient norm {} fell below grad_norm_below = {x} at iteration {t}",
                    sci(r.grad_norm, 3)
                ),
            ));
        }
        if let Some(x) = c.rel_improvement_below {
            self.recent.push_back(r.loss);
            if self.recent.len() > c.window + 1 {
                self.recent.pop_front();
            }
            if self.recent.len() == c.window + 1 {
                let old = self.recent[0];
                let improvement = (old - r.loss) / old.abs().max(f64::MIN_POSITIVE);
                if improvement < x {
                    return Some((
                        StopReason::RelImprovementBelow,
                        format!(
                            "the loss improved by {} (relative) over the last {} iterations, \
                             below rel_improvement_below = {x}, at iteration {t}",
                            sci(improvement, 3),
                            c.window
                        ),
                    ));
                }
            }
        }
        if let Some(x) = c
            .seconds
            .filter(|&x| self.started.elapsed().as_secs_f64() >= x)
        {
            return Some((
                StopReason::Seconds,
                format!("the time limit seconds = {x} ran out at iteration {t}"),
            ));
        }
        None
    }

    /// The likely cause of a divergence at learning rate `lr`.
    pub(crate) fn cause(&self, lr: f64) -> String {
        (self.cause)(lr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(iteration: usize, loss: f64, grad_norm: f64) -> Record {
        Record {
            iteration,
            lr: 0.1,
            loss,
            grad_norm,
            predicted_loss: None,
            avg_loss: None,
        }
    }

    #[test]
    fn each_rule_fires_with_its_reason() {
        let c = StopConfig {
            loss_below: Some(1e-3),
            ..Default::default()
        };
        let mut rules = StopRules::new(&c, &|_| String::new());
        assert!(rules.check(&record(0, 1.0, 1.0)).is_none());
        assert_eq!(
            rules.check(&record(1, 5e-4, 1.0)).map(|r| r.0),
            Some(StopReason::LossBelow)
        );

        let c = StopConfig {
            grad_norm_below: Some(1e-3),
            ..Default::default()
        };
        let mut rules = StopRules::new(&c, &|_| String::new());
        assert_eq!(
            rules.check(&record(0, 1.0, 1e-4)).map(|r| r.0),
            Some(StopReason::GradNormBelow)
        );

        let c = StopConfig {
            rel_improvement_below: Some(0.01),
            window: 2,
            ..Default::default()
        };
        let mut rules = StopRules::new(&c, &|_| String::new());
        assert!(rules.check(&record(0, 1.0, 1.0)).is_none());
        assert!(rules.check(&record(1, 0.5, 1.0)).is_none());
        assert!(
            rules.check(&record(2, 0.499, 1.0)).is_none(),
            "0.501 better than 2 ago"
        );
        assert!(
            rules
                .check(&record(3, 0.4985, 1.0))
                .is_some_and(|r| r.0 == StopReason::RelImprovementBelow)
        );
    }

    #[test]
    fn divergence_names_the_iteration_and_the_cause() {
        let c = StopConfig::default();
        let mut rules = StopRules::new(&c, &|lr| format!("2/L = 1.000e+00, lr {lr}"));
        assert!(rules.check(&record(0, 2.0, 1.0)).is_none());
        let (reason, message) = rules.check(&record(7, 3e10, 1.0)).expect("diverged");
        assert_eq!(reason, StopReason::Diverged);
        assert!(
            message.contains("iteration 7") && message.contains("2/L = 1.000e+00, lr 0.1"),
            "{message}"
        );
        let (_, message) = rules.check(&record(8, f64::NAN, 1.0)).expect("diverged");
        assert!(message.contains("NaN"), "{message}");
    }
}
