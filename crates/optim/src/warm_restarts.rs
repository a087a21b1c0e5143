//! `WarmRestarts`: torch's CosineAnnealingWarmRestarts (SGDR, Loshchilov and Hutter, 2017): cosine decays from the base rate, restarting after `t_0`, `t_0 t_mult`, ... iterations.

use serde::{Deserialize, Serialize};

use crate::{Invalid, Schedule, ScheduleConfig};

/// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts, stepped once per iteration:
/// `lr = eta_min + (base - eta_min) (1 + cos(π t_cur / t_i)) / 2`, where `t_cur` counts the
/// iterations since the last restart and `t_i` (from `t_0`, times `t_mult` at each restart) is the
/// current period.
#[derive(Debug, Clone, Copy)]
pub struct WarmRestarts {
    base: f64,
    eta_min: f64,
    t_mult: usize,
    t_cur: usize,
    t_i: usize,
}

impl WarmRestarts {
    fn value(&self) -> f64 {
        self.eta_min
            + (self.base - self.eta_min)
                * (1.0 + (std::f64::consts::PI * self.t_cur as f64 / self.t_i as f64).cos())
                / 2.0
    }
}

impl Schedule for WarmRestarts {
    fn lr(&self) -> f64 {
        self.value()
    }

    fn step(&mut self, _loss: f64) {
        self.t_cur += 1;
        if self.t_cur >= self.t_i {
            self.t_cur -= self.t_i;
            self.t_i = self.t_i.saturating_mul(self.t_mult);
        }
    }
}

/// Config of [`WarmRestarts`]: CosineAnnealingWarmRestarts's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmRestartsConfig {
    /// Iterations before the first restart (required, >= 1; torch's `T_0`).
    pub t_0: usize,
    /// The factor of each next period (default 1; torch's `T_mult`, an integer >= 1).
    #[serde(default = "one")]
    pub t_mult: usize,
    /// The lowest rate (default 0).
    #[serde(default)]
    pub eta_min: f64,
}

fn one() -> usize {
    1
}

impl ScheduleConfig for WarmRestartsConfig {
    const KIND: &'static str = "cosine_warm_restarts";
    const SUMMARY: &'static str = "torch's CosineAnnealingWarmRestarts: cosine from lr to eta_min, restarting after t_0, t_0 t_mult, ... iterations";

    fn validate(&self) -> Result<(), Invalid> {
        if self.t_0 == 0 {
            return Err(Invalid::new("t_0", "must be at least 1"));
        }
        if self.t_mult == 0 {
            return Err(Invalid::new("t_mult", "must be at least 1"));
        }
        if !self.eta_min.is_finite() || self.eta_min < 0.0 {
            return Err(Invalid::new(
                "eta_min",
                format!("must be finite and >= 0, got {}", self.eta_min),
            ));
        }
        Ok(())
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        self.validate()?;
        Ok(Box::new(WarmRestarts {
            base: base_lr,
            eta_min: self.eta_min,
            t_mult: self.t_mult,
            t_cur: 0,
            t_i: self.t_0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lrs, torch_hex};

    // The references are PyTorch 2.15's learning rates (`float.hex()`) for lr 0.1, the first
    // twelve iterations.

    #[test]
    fn restarts_every_t_0_iterations_as_torch() {
        let (a, b, c) = (
            "0x1.999999999999ap-4",
            "0x1.3333333333334p-4",
            "0x1.999999999999dp-6",
        );
        let torch = torch_hex(&[a, b, c, a, b, c, a, b, c, a, b, c]);
        let config = WarmRestartsConfig {
            t_0: 3,
            t_mult: 1,
            eta_min: 0.0,
        };
        assert_eq!(lrs(&config, 0.1, 12), torch);
    }

    #[test]
    fn periods_grow_by_t_mult_as_torch() {
        let torch = torch_hex(&[
            "0x1.999999999999ap-4",
            "0x1.c28f5c28f5c2ap-5",
            "0x1.999999999999ap-4",
            "0x1.639d29fc76773p-4",
            "0x1.c28f5c28f5c2ap-5",
            "0x1.7bc8c8b1fd2dap-6",
            "0x1.999999999999ap-4",
            "0x1.8b91c9245660fp-4",
            "0x1.639d29fc76773p-4",
            "0x1.27d0f327b995fp-4",
            "0x1.c28f5c28f5c2ap-5",
            "0x1.357cd20278596p-5",
        ]);
        let config = WarmRestartsConfig {
            t_0: 2,
            t_mult: 2,
            eta_min: 0.01,
        };
        assert_eq!(lrs(&config, 0.1, 12), torch);
    }

    #[test]
    fn a_zero_period_is_refused() {
        let c = WarmRestartsConfig {
            t_0: 0,
            t_mult: 1,
            eta_min: 0.0,
        };
        assert_eq!(c.validate().expect_err("t_0 = 0").key, "t_0");
    }
}
