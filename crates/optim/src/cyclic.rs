//! `Cyclic`: torch's CyclicLR (Smith, 2017, "Cyclical learning rates"): the rate climbs from `base_lr` to `max_lr` and back in cycles, the momentum the other way.

use serde::{Deserialize, Serialize};

use crate::{Invalid, Schedule, ScheduleConfig};

/// The policy of [`Cyclic`]: how the amplitude changes from cycle to cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CyclicMode {
    /// The same amplitude every cycle.
    Triangular,
    /// The amplitude halves every cycle.
    Triangular2,
    /// The amplitude times `gamma^k` at iteration k.
    ExpRange,
}

/// torch.optim.lr_scheduler.CyclicLR, stepped once per iteration, in torch's f64 arithmetic:
/// with `cycle = floor(1 + k / total)`, `x = 1 + k / total - cycle` and the scale
/// `x / ratio` (rising) or `(x - 1) / (ratio - 1)` (falling), the rate is
/// `base + (max - base) scale f` and the momentum `max_m - (max_m - base_m) scale f`, `f` the mode's
/// factor (1, `1 / 2^(cycle - 1)` or `gamma^k`).
#[derive(Debug, Clone, Copy)]
pub struct Cyclic {
    base: f64,
    max: f64,
    total: f64,
    ratio: f64,
    mode: CyclicMode,
    gamma: f64,
    momentum: Option<(f64, f64)>,
    k: usize,
}

impl Cyclic {
    /// The scale within the cycle and the mode's factor at the current iteration.
    fn scale(&self) -> (f64, f64) {
        let k = self.k as f64;
        let cycle = (1.0 + k / self.total).floor();
        let x = 1.0 + k / self.total - cycle;
        let scale = if x <= self.ratio {
            x / self.ratio
        } else {
            (x - 1.0) / (self.ratio - 1.0)
        };
        let factor = match self.mode {
            CyclicMode::Triangular => 1.0,
            CyclicMode::Triangular2 => 1.0 / 2f64.powf(cycle - 1.0),
            CyclicMode::ExpRange => crate::host::pow(self.gamma, k),
        };
        (scale, factor)
    }
}

impl Schedule for Cyclic {
    fn lr(&self) -> f64 {
        let (scale, factor) = self.scale();
        self.base + (self.max - self.base) * scale * factor
    }

    fn step(&mut self, _loss: f64) {
        self.k += 1;
    }

    fn momentum(&self) -> Option<f64> {
        let (base, max) = self.momentum?;
        let (scale, factor) = self.scale();
        Some(max - (max - base) * scale * factor)
    }
}

/// Config of [`Cyclic`]: CyclicLR's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CyclicConfig {
    /// The low end of the cycle (default: the optimizer's `lr`; torch requires it, and it
    /// replaces the optimizer's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_lr: Option<f64>,
    /// The high end (required).
    pub max_lr: f64,
    /// Iterations rising (default 2000).
    pub step_size_up: usize,
    /// Iterations falling (default: `step_size_up`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_size_down: Option<usize>,
    /// `triangular` (default), `triangular2` or `exp_range`.
    pub mode: CyclicMode,
    /// The factor per iteration of `exp_range` (default 1).
    pub gamma: f64,
    /// Cycle the momentum (or Adam's β1) inversely, from `max_momentum` down to `base_momentum`
    /// (default true, as torch; it then sets the optimizer's momentum, even one that was 0).
    pub cycle_momentum: bool,
    /// The momentum at the top of the rate (default 0.8).
    pub base_momentum: f64,
    /// The momentum at the bottom of the rate (default 0.9).
    pub max_momentum: f64,
}

impl Default for CyclicConfig {
    fn default() -> Self {
        Self {
            base_lr: None,
            max_lr: f64::NAN,
            step_size_up: 2000,
            step_size_down: None,
            mode: CyclicMode::Triangular,
            gamma: 1.0,
            cycle_momentum: true,
            base_momentum: 0.8,
            max_momentum: 0.9,
        }
    }
}

impl ScheduleConfig for CyclicConfig {
    const KIND: &'static str = "cyclic";
    const SUMMARY: &'static str = "torch's CyclicLR: lr cycling between base_lr and max_lr (triangular, triangular2, exp_range), momentum inversely";

    fn validate(&self) -> Result<(), Invalid> {
        let positive = |key, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Invalid::new(
                    key,
                    format!("must be a finite number > 0, got {v}"),
                ))
            }
        };
        positive("max_lr", self.max_lr)?;
        if let Some(b) = self.base_lr {
            positive("base_lr", b)?;
        }
        if self.step_size_up == 0 {
            // The rising half's scale is x / (up / total): 0 / 0 at the start of every cycle
            // (torch raises ZeroDivisionError).
            return Err(Invalid::new("step_size_up", "must be at least 1"));
        }
        positive("gamma", self.gamma)?;
        for (key, m) in [
            ("base_momentum", self.base_momentum),
            ("max_momentum", self.max_momentum),
        ] {
            if !(0.0..=1.0).contains(&m) {
                return Err(Invalid::new(key, format!("must be in [0, 1], got {m}")));
            }
        }
        Ok(())
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        self.validate()?;
        let up = self.step_size_up as f64;
        let down = self.step_size_down.map_or(up, |d| d as f64);
        let total = up + down;
        Ok(Box::new(Cyclic {
            base: self.base_lr.unwrap_or(base_lr),
            max: self.max_lr,
            total,
            ratio: up / total,
            mode: self.mode,
            gamma: self.gamma,
            momentum: self
                .cycle_momentum
                .then_some((self.base_momentum, self.max_momentum)),
            k: 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::torch_hex;

    /// The rates and momenta of 14 iterations.
    fn run(c: &CyclicConfig) -> (Vec<f64>, Vec<f64>) {
        let mut s = c.build(0.5, 14).expect("schedule");
        let mut out = (Vec::new(), Vec::new());
        for _ in 0..14 {
            out.0.push(s.lr());
            out.1.push(s.momentum().expect("cycled"));
            s.step(0.0);
        }
        out
    }

    /// PyTorch 2.15's `CyclicLR(SGD(lr=0.5, momentum=0.5), base_lr=0.01, max_lr=0.1, ...)`:
    /// the learning rates and momenta of 14 iterations (`float.hex()`).
    #[test]
    fn the_three_modes_equal_torchs_rates_and_momenta() {
        let triangular = CyclicConfig {
            base_lr: Some(0.01),
            max_lr: 0.1,
            step_size_up: 3,
            ..Default::default()
        };
        let (lr, m) = run(&triangular);
        assert_eq!(
            lr,
            torch_hex(&[
                "0x1.47ae147ae147bp-7",
                "0x1.47ae147ae147dp-5",
                "0x1.1eb851eb851ebp-4",
                "0x1.999999999999ap-4",
                "0x1.1eb851eb851eep-4",
                "0x1.47ae147ae1478p-5",
                "0x1.47ae147ae147bp-7",
                "0x1.47ae147ae1483p-5",
                "0x1.1eb851eb851e8p-4",
                "0x1.999999999999ap-4",
                "0x1.1eb851eb851e8p-4",
                "0x1.47ae147ae1483p-5",
                "0x1.47ae147ae147bp-7",
                "0x1.47ae147ae1478p-5"
            ])
        );
        assert_eq!(
            m,
            torch_hex(&[
                "0x1.ccccccccccccdp-1",
                "0x1.bbbbbbbbbbbbcp-1",
                "0x1.aaaaaaaaaaaabp-1",
                "0x1.999999999999ap-1",
                "0x1.aaaaaaaaaaaabp-1",
                "0x1.bbbbbbbbbbbbcp-1",
                "0x1.ccccccccccccdp-1",
                "0x1.bbbbbbbbbbbbbp-1",
                "0x1.aaaaaaaaaaaacp-1",
                "0x1.999999999999ap-1",
                "0x1.aaaaaaaaaaaacp-1",
                "0x1.bbbbbbbbbbbbbp-1",
                "0x1.ccccccccccccdp-1",
                "0x1.bbbbbbbbbbbbcp-1"
            ])
        );
        let triangular2 = CyclicConfig {
            base_lr: Some(0.01),
            max_lr: 0.1,
            step_size_up: 2,
            step_size_down: Some(3),
            mode: CyclicMode::Triangular2,
            ..Default::default()
        };
        let (lr, m) = run(&triangular2);
        assert_eq!(
            lr,
            torch_hex(&[
                "0x1.47ae147ae147bp-7",
                "0x1.c28f5c28f5c29p-5",
                "0x1.9999999999999p-4",
                "0x1.1eb851eb851ebp-4",
                "0x1.47ae147ae147ap-5",
                "0x1.47ae147ae147bp-7",
                "0x1.0a3d70a3d70a7p-5",
                "0x1.c28f5c28f5c29p-5",
                "0x1.47ae147ae147ap-5",
                "0x1.999999999999ep-6",
                "0x1.47ae147ae147bp-7",
                "0x1.5c28f5c28f5c6p-6",
                "0x1.0a3d70a3d70a4p-5",
                "0x1.9999999999999p-6"
            ])
        );
        assert_eq!(
            m,
            torch_hex(&[
                "0x1.ccccccccccccdp-1",
                "0x1.b333333333334p-1",
                "0x1.999999999999ap-1",
                "0x1.aaaaaaaaaaaabp-1",
                "0x1.bbbbbbbbbbbbcp-1",
                "0x1.ccccccccccccdp-1",
                "0x1.c000000000000p-1",
                "0x1.b333333333334p-1",
                "0x1.bbbbbbbbbbbbcp-1",
                "0x1.c444444444444p-1",
                "0x1.ccccccccccccdp-1",
                "0x1.c666666666667p-1",
                "0x1.c000000000000p-1",
                "0x1.c444444444445p-1"
            ])
        );
        let exp_range = CyclicConfig {
            base_lr: Some(0.01),
            max_lr: 0.1,
            step_size_up: 2,
            mode: CyclicMode::ExpRange,
            gamma: 0.9,
            base_momentum: 0.7,
            max_momentum: 0.95,
            ..Default::default()
        };
        let (lr, m) = run(&exp_range);
        assert_eq!(
            lr,
            torch_hex(&[
                "0x1.47ae147ae147bp-7",
                "0x1.9db22d0e56043p-5",
                "0x1.538ef34d6a162p-4",
                "0x1.5ea897635e744p-5",
                "0x1.47ae147ae147bp-7",
                "0x1.2b9925d6535e6p-5",
                "0x1.d9bda66935cebp-5",
                "0x1.023d474d0a63bp-5",
                "0x1.47ae147ae147bp-7",
                "0x1.c17a3573ffd52p-6",
                "0x1.52fe5f3639318p-5",
                "0x1.8b34ce85cb06ap-6",
                "0x1.47ae147ae147bp-7",
                "0x1.5f3f26ab3ef90p-6"
            ])
        );
        assert_eq!(
            m,
            torch_hex(&[
                "0x1.e666666666666p-1",
                "0x1.accccccccccccp-1",
                "0x1.7eb851eb851ebp-1",
                "0x1.b7be76c8b4395p-1",
                "0x1.e666666666666p-1",
                "0x1.c09bcfd4bf099p-1",
                "0x1.a260242d05f28p-1",
                "0x1.c7c9fbcc9498ap-1",
                "0x1.e666666666666p-1",
                "0x1.cd9ae717e2dbep-1",
                "0x1.b9c4e7a5e006bp-1",
                "0x1.d250ed5c9054fp-1",
                "0x1.e666666666666p-1",
                "0x1.d621ce99500b7p-1"
            ])
        );
    }

    #[test]
    fn max_lr_is_required_and_the_cycle_must_rise() {
        let e = CyclicConfig::default().validate().expect_err("no max_lr");
        assert_eq!(e.key, "max_lr");
        let e = CyclicConfig {
            max_lr: 0.1,
            step_size_up: 0,
            step_size_down: Some(3),
            ..Default::default()
        }
        .validate()
        .expect_err("no rising half");
        assert_eq!(e.key, "step_size_up");
    }
}
