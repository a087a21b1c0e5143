//! `PolynomialLr`: decay the learning rate to 0 over `total_iters` as a power of the remaining fraction, as torch's PolynomialLR.

use serde::{Deserialize, Serialize};

use crate::config::check_positive;
use crate::host::pow;
use crate::{Invalid, Schedule, ScheduleConfig};

/// Config of [`PolynomialLr`]: torch.optim.lr_scheduler.PolynomialLR's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolynomialLrConfig {
    /// Iterations until the rate reaches 0 (default 5).
    pub total_iters: usize,
    /// The power of the decay (default 1: linear).
    pub power: f64,
}

impl Default for PolynomialLrConfig {
    fn default() -> Self {
        Self {
            total_iters: 5,
            power: 1.0,
        }
    }
}

impl ScheduleConfig for PolynomialLrConfig {
    const KIND: &'static str = "polynomial";
    const SUMMARY: &'static str = "torch PolynomialLR: base (1 - k / total_iters)^power, total_iters (default 5), power (default 1)";

    fn validate(&self) -> Result<(), Invalid> {
        if self.total_iters == 0 {
            return Err(Invalid::new("total_iters", "must be at least 1"));
        }
        check_positive("power", self.power)
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(PolynomialLr {
            config: self.clone(),
            k: 0,
            lr: base_lr,
        }))
    }
}

/// torch's chainable PolynomialLR: for `k <= T`,
/// `η_k = η_{k-1} ((1 - k / T) / (1 - (k - 1) / T))^power`, exactly 0 at `k = T`; then constant.
#[derive(Debug, Clone)]
pub struct PolynomialLr {
    config: PolynomialLrConfig,
    k: usize,
    lr: f64,
}

impl Schedule for PolynomialLr {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.k += 1;
        let (k, t) = (self.k as f64, self.config.total_iters as f64);
        if self.k <= self.config.total_iters {
            self.lr *= pow((1.0 - k / t) / (1.0 - (k - 1.0) / t), self.config.power);
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
    fn polynomial_follows_the_closed_form_and_reaches_zero() {
        for c in [
            PolynomialLrConfig {
                total_iters: 30,
                power: 2.0,
            },
            PolynomialLrConfig {
                total_iters: 40,
                power: 1.0,
            },
        ] {
            let got = lrs(&c, 0.1, 50);
            for (k, lr) in got.iter().enumerate() {
                let f = 1.0 - k.min(c.total_iters) as f64 / c.total_iters as f64;
                let want = 0.1 * f.powf(c.power);
                assert!((lr - want).abs() <= 1e-15, "k = {k}: {lr} vs {want}");
            }
            assert_eq!(got[c.total_iters], 0.0);
        }
    }
}
