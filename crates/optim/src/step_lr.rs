//! `StepLr`: multiply the learning rate by gamma every `step_size` iterations, as torch's StepLR.

use serde::{Deserialize, Serialize};

use crate::config::check_positive;
use crate::{Invalid, Schedule, ScheduleConfig};

/// Config of [`StepLr`]: torch.optim.lr_scheduler.StepLR's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepLrConfig {
    /// Iterations between decays (required).
    pub step_size: usize,
    /// Factor of each decay (default 0.1).
    #[serde(default = "tenth")]
    pub gamma: f64,
}

pub(crate) fn tenth() -> f64 {
    0.1
}

impl ScheduleConfig for StepLrConfig {
    const KIND: &'static str = "step";
    const SUMMARY: &'static str =
        "torch StepLR: lr times gamma (default 0.1) every step_size (required) iterations";

    fn validate(&self) -> Result<(), Invalid> {
        if self.step_size == 0 {
            return Err(Invalid::new("step_size", "must be at least 1"));
        }
        check_positive("gamma", self.gamma)
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(StepLr {
            config: self.clone(),
            k: 0,
            lr: base_lr,
        }))
    }
}

/// torch's chainable StepLR: `η_k = η_{k-1} γ` when `k` is a multiple of `step_size`.
#[derive(Debug, Clone)]
pub struct StepLr {
    config: StepLrConfig,
    k: usize,
    lr: f64,
}

impl Schedule for StepLr {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.k += 1;
        if self.k.is_multiple_of(self.config.step_size) {
            self.lr *= self.config.gamma;
        }
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

    #[test]
    fn step_lr_is_base_times_gamma_to_the_number_of_completed_steps() {
        let c = StepLrConfig {
            step_size: 7,
            gamma: 0.1,
        };
        let got = lrs(&c, 0.5, 50);
        for (k, lr) in got.iter().enumerate() {
            let want = 0.5 * 0.1f64.powi((k / 7) as i32);
            assert!((lr - want).abs() <= 1e-15 * want, "k = {k}: {lr} vs {want}");
        }
        assert_eq!(got[6], 0.5);
        assert_eq!(got[7], 0.5 * 0.1);
        assert!(
            StepLrConfig {
                step_size: 0,
                gamma: 0.1
            }
            .validate()
            .is_err()
        );
    }
}
