//! `CosineLr`: cosine annealing from the base learning rate to `eta_min`, as torch's CosineAnnealingLR.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use crate::config::check_non_negative;
use crate::{Invalid, Schedule, ScheduleConfig};

/// Config of [`CosineLr`]: torch.optim.lr_scheduler.CosineAnnealingLR's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosineLrConfig {
    /// Iterations of the half period (default: the run's iterations; torch requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_max: Option<usize>,
    /// The lowest learning rate (default 0).
    #[serde(default)]
    pub eta_min: f64,
}

impl ScheduleConfig for CosineLrConfig {
    const KIND: &'static str = "cosine";
    const SUMMARY: &'static str =
        "torch CosineAnnealingLR: t_max (default: the run's iterations), eta_min (default 0)";

    fn validate(&self) -> Result<(), Invalid> {
        if self.t_max == Some(0) {
            return Err(Invalid::new("t_max", "must be at least 1"));
        }
        check_non_negative("eta_min", self.eta_min)
    }

    fn build(&self, base_lr: f64, iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(CosineLr::new(self, base_lr, iterations, false)))
    }
}

/// torch's chainable CosineAnnealingLR: at `k = T` the rate is exactly `eta_min`; past `T` it
/// keeps cycling with period `2T`, as torch's does.
#[derive(Debug, Clone)]
pub struct CosineLr {
    base: f64,
    eta_min: f64,
    t_max: f64,
    k: usize,
    lr: f64,
}

impl CosineLr {
    /// A schedule at iteration 0; `restarted` takes torch's closed form there (as SequentialLR
    /// does at a milestone), `eta_min + (base - eta_min)(1 + cos 0) / 2`, which can differ from
    /// the base in the last bit.
    pub(crate) fn new(c: &CosineLrConfig, base: f64, iterations: usize, restarted: bool) -> Self {
        let lr = if restarted {
            c.eta_min + (base - c.eta_min) * (1.0 + 0.0f64.cos()) / 2.0
        } else {
            base
        };
        Self {
            base,
            eta_min: c.eta_min,
            t_max: c.t_max.unwrap_or(iterations.max(1)) as f64,
            k: 0,
            lr,
        }
    }
}

impl Schedule for CosineLr {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.k += 1;
        let (k, t) = (self.k as f64, self.t_max);
        let t_max = self.t_max as usize;
        // torch's `(k - 1 - T) % (2T) == 0`, with Python's non-negative remainder.
        self.lr = if (self.k + t_max - 1).is_multiple_of(2 * t_max) {
            self.lr + ((self.base - self.eta_min) * (1.0 - (PI / t).cos())) / 2.0
        } else {
            ((1.0 + (PI * k / t).cos()) / (1.0 + (PI * (k - 1.0) / t).cos()))
                * (self.lr - self.eta_min)
                + self.eta_min
        };
    }

    fn chained(&mut self, group: f64, loss: Option<f64>) -> f64 {
        match loss {
            None => self.lr = group,
            Some(loss) => {
                self.lr = group;
                self.step(loss);
            }
        }
        self.lr
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::lrs;

    fn closed_form(base: f64, eta_min: f64, t: f64, k: f64) -> f64 {
        eta_min + (base - eta_min) * (1.0 + (PI * k / t).cos()) / 2.0
    }

    #[test]
    fn cosine_follows_the_closed_form_hits_eta_min_at_t_max_and_cycles() {
        let c = CosineLrConfig {
            t_max: Some(20),
            eta_min: 1e-3,
        };
        let got = lrs(&c, 0.1, 50);
        for (k, lr) in got.iter().enumerate() {
            let want = closed_form(0.1, 1e-3, 20.0, k as f64);
            assert!((lr - want).abs() <= 1e-13, "k = {k}: {lr} vs {want}");
        }
        assert_eq!(got[0], 0.1);
        assert_eq!(got[20], 1e-3, "exactly eta_min at k = T");
        assert!(
            got[21] > got[20] && got[40] > 0.099,
            "past T it climbs back"
        );
    }

    #[test]
    fn t_max_defaults_to_the_run_length() {
        let got = lrs(
            &CosineLrConfig {
                t_max: None,
                eta_min: 0.0,
            },
            1.0,
            11,
        );
        assert!((got[5] - 0.5 * (1.0 + (PI * 5.0 / 11.0).cos())).abs() < 1e-15);
    }
}
