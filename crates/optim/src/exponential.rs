//! `ExponentialLr`: multiply the learning rate by gamma every iteration, as torch's ExponentialLR.

use serde::{Deserialize, Serialize};

use crate::config::check_positive;
use crate::{Invalid, Schedule, ScheduleConfig};

/// Config of [`ExponentialLr`]: torch.optim.lr_scheduler.ExponentialLR's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExponentialLrConfig {
    /// Factor per iteration (required).
    pub gamma: f64,
}

impl ScheduleConfig for ExponentialLrConfig {
    const KIND: &'static str = "exponential";
    const SUMMARY: &'static str = "torch ExponentialLR: lr times gamma (required) every iteration";

    fn validate(&self) -> Result<(), Invalid> {
        check_positive("gamma", self.gamma)
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(ExponentialLr {
            gamma: self.gamma,
            lr: base_lr,
        }))
    }
}

/// torch's chainable ExponentialLR: `η_k = η_{k-1} γ`.
#[derive(Debug, Clone)]
pub struct ExponentialLr {
    gamma: f64,
    lr: f64,
}

impl Schedule for ExponentialLr {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.lr *= self.gamma;
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
    fn exponential_is_base_times_gamma_to_the_k() {
        let got = lrs(&ExponentialLrConfig { gamma: 0.95 }, 0.1, 50);
        for (k, lr) in got.iter().enumerate() {
            let want = 0.1 * 0.95f64.powi(k as i32);
            assert!((lr - want).abs() <= 1e-14 * want, "k = {k}: {lr} vs {want}");
        }
        // The chained product, as torch computes it (its closed form differs in the last bits).
        assert_eq!(got[2], 0.1 * 0.95 * 0.95);
    }
}
