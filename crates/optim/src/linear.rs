//! `LinearLr`: scale the learning rate linearly from `start_factor` to `end_factor`, as torch's LinearLR.

use serde::{Deserialize, Serialize};

use crate::{Invalid, Schedule, ScheduleConfig};

/// Config of [`LinearLr`]: torch.optim.lr_scheduler.LinearLR's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearLrConfig {
    /// Factor of the base rate at iteration 0 (default 1/3).
    pub start_factor: f64,
    /// Factor at `total_iters` and after (default 1).
    pub end_factor: f64,
    /// Iterations of the ramp (default 5).
    pub total_iters: usize,
}

impl Default for LinearLrConfig {
    fn default() -> Self {
        Self {
            start_factor: 1.0 / 3.0,
            end_factor: 1.0,
            total_iters: 5,
        }
    }
}

impl ScheduleConfig for LinearLrConfig {
    const KIND: &'static str = "linear";
    const SUMMARY: &'static str = "torch LinearLR: start_factor (default 1/3) to end_factor (default 1) over total_iters (default 5)";

    fn validate(&self) -> Result<(), Invalid> {
        if !(self.start_factor > 0.0 && self.start_factor <= 1.0) {
            return Err(Invalid::new(
                "start_factor",
                format!("must be in (0, 1], got {}", self.start_factor),
            ));
        }
        if !(0.0..=1.0).contains(&self.end_factor) {
            return Err(Invalid::new(
                "end_factor",
                format!("must be in [0, 1], got {}", self.end_factor),
            ));
        }
        if self.total_iters == 0 {
            return Err(Invalid::new("total_iters", "must be at least 1"));
        }
        Ok(())
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(LinearLr {
            config: self.clone(),
            k: 0,
            lr: base_lr * self.start_factor,
        }))
    }
}

/// torch's chainable LinearLR: `η_0 = base · start`; for `k <= T`,
/// `η_k = η_{k-1} (1 + (end - start) / (T start + (k - 1)(end - start)))`; then constant.
#[derive(Debug, Clone)]
pub struct LinearLr {
    config: LinearLrConfig,
    k: usize,
    lr: f64,
}

impl Schedule for LinearLr {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.k += 1;
        let c = &self.config;
        if self.k <= c.total_iters {
            let delta = c.end_factor - c.start_factor;
            self.lr *= 1.0
                + delta / (c.total_iters as f64 * c.start_factor + (self.k as f64 - 1.0) * delta);
        }
    }

    fn chained(&mut self, group: f64, loss: Option<f64>) -> f64 {
        match loss {
            None => self.lr = group * self.config.start_factor,
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
    fn linear_ramps_from_start_to_end_factor_then_holds() {
        for c in [
            LinearLrConfig {
                start_factor: 0.25,
                end_factor: 1.0,
                total_iters: 10,
            },
            LinearLrConfig {
                start_factor: 1.0,
                end_factor: 0.1,
                total_iters: 30,
            },
        ] {
            let got = lrs(&c, 0.2, 40);
            for (k, lr) in got.iter().enumerate() {
                let f = (k.min(c.total_iters) as f64) / c.total_iters as f64;
                let want = 0.2 * (c.start_factor + (c.end_factor - c.start_factor) * f);
                assert!((lr - want).abs() <= 1e-15, "k = {k}: {lr} vs {want}");
            }
        }
        assert_eq!(
            lrs(&LinearLrConfig::default(), 3.0, 1)[0],
            3.0 * (1.0 / 3.0)
        );
        let bad = LinearLrConfig {
            start_factor: 0.0,
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "start_factor");
    }
}
