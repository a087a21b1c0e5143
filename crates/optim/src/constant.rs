//! `Constant`: torch's ConstantLR: the base rate times `factor` for the first `total_iters` iterations, then the base rate (by default `factor = 1`: the same rate throughout).

use serde::{Deserialize, Serialize};

use crate::{Invalid, Schedule, ScheduleConfig};

/// torch.optim.lr_scheduler.ConstantLR, in its chainable form: `lr = base factor` until
/// iteration `total_iters`, where it becomes `(base factor) (1 / factor)` (torch's product, which
/// may differ from `base` in the last bit), and stays.
#[derive(Debug, Clone, Copy)]
pub struct Constant {
    lr: f64,
    factor: f64,
    total_iters: usize,
    t: usize,
}

impl Constant {
    /// A constant schedule at `lr` (factor 1).
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            factor: 1.0,
            total_iters: 0,
            t: 0,
        }
    }
}

impl Schedule for Constant {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.t += 1;
        if self.t == self.total_iters {
            self.lr *= 1.0 / self.factor;
        }
    }

    fn chained(&mut self, group: f64, loss: Option<f64>) -> f64 {
        match loss {
            None => self.lr = group * self.factor,
            Some(loss) => {
                self.lr = group;
                self.step(loss);
            }
        }
        self.lr
    }
}

/// Config of [`Constant`]: torch's ConstantLR keys. The default `factor` is 1, not torch's 1/3,
/// so that a bare `kind = "constant"` keeps the optimizer's lr.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConstantConfig {
    /// The factor of the first `total_iters` iterations, in (0, 1] (default 1; torch's is 1/3).
    pub factor: f64,
    /// How many iterations use `factor` (default 5, torch's).
    pub total_iters: usize,
}

impl Default for ConstantConfig {
    fn default() -> Self {
        Self {
            factor: 1.0,
            total_iters: 5,
        }
    }
}

impl ScheduleConfig for ConstantConfig {
    const KIND: &'static str = "constant";
    const SUMMARY: &'static str = "torch's ConstantLR: lr x factor for total_iters iterations, then lr (factor 1: lr throughout)";

    fn validate(&self) -> Result<(), Invalid> {
        if !(self.factor > 0.0 && self.factor <= 1.0) {
            return Err(Invalid::new(
                "factor",
                format!("must be in (0, 1], got {}", self.factor),
            ));
        }
        Ok(())
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        self.validate()?;
        Ok(Box::new(Constant {
            lr: base_lr * self.factor,
            factor: self.factor,
            total_iters: self.total_iters,
            t: 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::lrs;

    #[test]
    fn a_bare_constant_keeps_the_rate() {
        assert!(
            lrs(&ConstantConfig::default(), 0.3, 10)
                .iter()
                .all(|&lr| lr == 0.3)
        );
    }

    #[test]
    fn the_factor_holds_for_total_iters_then_torchs_product_returns() {
        // torch: lr = 0.1 * (1/3) for t < 4, then that times 1 / (1/3).
        let c = ConstantConfig {
            factor: 1.0 / 3.0,
            total_iters: 4,
        };
        let got = lrs(&c, 0.1, 7);
        let low = 0.1 * (1.0 / 3.0);
        let back = low * (1.0 / (1.0 / 3.0));
        assert_eq!(got, [low, low, low, low, back, back, back]);
        let e = ConstantConfig {
            factor: 1.5,
            total_iters: 4,
        }
        .validate()
        .expect_err("factor above 1");
        assert_eq!(e.key, "factor");
    }
}
