//! `MultiStepLr`: multiply the learning rate by gamma at each milestone, as torch's MultiStepLR.

use serde::{Deserialize, Serialize};

use crate::config::check_positive;
use crate::host::pow;
use crate::step_lr::tenth;
use crate::{Invalid, Schedule, ScheduleConfig};

/// Config of [`MultiStepLr`]: torch.optim.lr_scheduler.MultiStepLR's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiStepLrConfig {
    /// The iterations at which to decay (required; a repeated milestone decays twice).
    pub milestones: Vec<usize>,
    /// Factor of each decay (default 0.1).
    #[serde(default = "tenth")]
    pub gamma: f64,
}

impl ScheduleConfig for MultiStepLrConfig {
    const KIND: &'static str = "multistep";
    const SUMMARY: &'static str =
        "torch MultiStepLR: lr times gamma (default 0.1) at each of milestones (required)";

    fn validate(&self) -> Result<(), Invalid> {
        if self.milestones.windows(2).any(|w| w[0] > w[1]) {
            return Err(Invalid::new(
                "milestones",
                "must be in increasing order (a milestone may repeat)",
            ));
        }
        check_positive("gamma", self.gamma)
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(MultiStepLr {
            config: self.clone(),
            k: 0,
            lr: base_lr,
        }))
    }
}

/// torch's chainable MultiStepLR: `η_k = η_{k-1} γ^c`, `c` = how often `k` is a milestone.
#[derive(Debug, Clone)]
pub struct MultiStepLr {
    config: MultiStepLrConfig,
    k: usize,
    lr: f64,
}

impl Schedule for MultiStepLr {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.k += 1;
        let count = self
            .config
            .milestones
            .iter()
            .filter(|&&m| m == self.k)
            .count();
        if count > 0 {
            self.lr *= pow(self.config.gamma, count as f64);
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
    fn multistep_decays_once_per_milestone_and_twice_at_a_repeated_one() {
        let c = MultiStepLrConfig {
            milestones: vec![10, 25, 25, 40],
            gamma: 0.1,
        };
        let got = lrs(&c, 1.0, 50);
        for (k, lr) in got.iter().enumerate() {
            let passed = c.milestones.iter().filter(|&&m| m <= k).count();
            let want = 0.1f64.powi(passed as i32);
            assert!((lr - want).abs() <= 1e-15 * want, "k = {k}: {lr} vs {want}");
        }
        assert!(
            MultiStepLrConfig {
                milestones: vec![5, 3],
                gamma: 0.1
            }
            .validate()
            .is_err()
        );
    }
}
