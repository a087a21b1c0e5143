//! `OneCycle`: the one-cycle policy (warm up to `max_lr`, then anneal far below), as torch's OneCycleLR.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use crate::config::{check_non_negative, check_positive};
use crate::{Invalid, Schedule, ScheduleConfig};

/// How a phase of [`OneCycle`] moves between its ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anneal {
    /// Half a cosine (default).
    #[default]
    Cos,
    /// A straight line.
    Linear,
}

/// Config of [`OneCycle`]: torch.optim.lr_scheduler.OneCycleLR's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneCycleConfig {
    /// The peak learning rate (required). The optimizer's own lr is not used, as in torch.
    pub max_lr: f64,
    /// Steps in the cycle (default: the run's iterations; torch requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_steps: Option<usize>,
    /// Fraction of the cycle spent rising (default 0.3).
    #[serde(default = "defaults::pct_start")]
    pub pct_start: f64,
    /// `"cos"` (default) or `"linear"`.
    #[serde(default)]
    pub anneal_strategy: Anneal,
    /// Cycle the momentum (SGD, RMSprop) or β1 (Adam family) inversely to the lr (default true).
    #[serde(default = "defaults::yes")]
    pub cycle_momentum: bool,
    /// The momentum at the peak lr (default 0.85).
    #[serde(default = "defaults::base_momentum")]
    pub base_momentum: f64,
    /// The momentum at the lowest lr (default 0.95).
    #[serde(default = "defaults::max_momentum")]
    pub max_momentum: f64,
    /// The first lr is `max_lr / div_factor` (default 25).
    #[serde(default = "defaults::div_factor")]
    pub div_factor: f64,
    /// The last lr is the first divided by `final_div_factor` (default 1e4).
    #[serde(default = "defaults::final_div_factor")]
    pub final_div_factor: f64,
    /// Three phases (up, down to the first lr, then down to the last) instead of two (default false).
    #[serde(default)]
    pub three_phase: bool,
}

mod defaults {
    pub fn pct_start() -> f64 {
        0.3
    }
    pub fn yes() -> bool {
        true
    }
    pub fn base_momentum() -> f64 {
        0.85
    }
    pub fn max_momentum() -> f64 {
        0.95
    }
    pub fn div_factor() -> f64 {
        25.0
    }
    pub fn final_div_factor() -> f64 {
        1e4
    }
}

impl ScheduleConfig for OneCycleConfig {
    const KIND: &'static str = "onecycle";
    const SUMMARY: &'static str = "torch OneCycleLR: max_lr (required), total_steps (default: the run's iterations), pct_start, anneal_strategy, cycle_momentum, base_momentum, max_momentum, div_factor, final_div_factor, three_phase";

    fn validate(&self) -> Result<(), Invalid> {
        check_positive("max_lr", self.max_lr)?;
        if self.total_steps == Some(0) {
            return Err(Invalid::new("total_steps", "must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.pct_start) {
            return Err(Invalid::new(
                "pct_start",
                format!("must be in [0, 1], got {}", self.pct_start),
            ));
        }
        check_non_negative("base_momentum", self.base_momentum)?;
        check_non_negative("max_momentum", self.max_momentum)?;
        check_positive("div_factor", self.div_factor)?;
        check_positive("final_div_factor", self.final_div_factor)
    }

    fn build(&self, _base_lr: f64, iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        let n = self.total_steps.unwrap_or(iterations);
        if n < iterations {
            return Err(Invalid::new(
                "total_steps",
                format!("{n} is fewer than the {iterations} iterations the schedule must cover"),
            ));
        }
        let initial = self.max_lr / self.div_factor;
        let min_lr = initial / self.final_div_factor;
        let (lo_m, hi_m) = (self.base_momentum, self.max_momentum);
        let n = n as f64;
        let phases = if self.three_phase {
            vec![
                Phase::new(
                    self.pct_start * n - 1.0,
                    (initial, self.max_lr),
                    (hi_m, lo_m),
                ),
                Phase::new(
                    2.0 * self.pct_start * n - 2.0,
                    (self.max_lr, initial),
                    (lo_m, hi_m),
                ),
                Phase::new(n - 1.0, (initial, min_lr), (hi_m, hi_m)),
            ]
        } else {
            vec![
                Phase::new(
                    self.pct_start * n - 1.0,
                    (initial, self.max_lr),
                    (hi_m, lo_m),
                ),
                Phase::new(n - 1.0, (self.max_lr, min_lr), (lo_m, hi_m)),
            ]
        };
        Ok(Box::new(OneCycle {
            phases,
            anneal: self.anneal_strategy,
            cycle_momentum: self.cycle_momentum,
            k: 0,
        }))
    }
}

/// One phase of the cycle: where it ends, and the lr and momentum at its two ends.
#[derive(Debug, Clone, Copy)]
struct Phase {
    end: f64,
    lr: (f64, f64),
    momentum: (f64, f64),
}

impl Phase {
    fn new(end: f64, lr: (f64, f64), momentum: (f64, f64)) -> Self {
        Self { end, lr, momentum }
    }
}

/// torch's OneCycleLR, computed from its closed form at every step: at step `k` the first phase
/// whose end is `>= k` (or the last) runs from the previous end with `pct = (k - start) / (end - start)`;
/// cos: `b + ((a - b) / 2)(cos(π pct) + 1)`; linear: `(b - a) pct + a`.
#[derive(Debug, Clone)]
pub struct OneCycle {
    phases: Vec<Phase>,
    anneal: Anneal,
    cycle_momentum: bool,
    k: usize,
}

impl OneCycle {
    fn anneal(&self, (a, b): (f64, f64), pct: f64) -> f64 {
        match self.anneal {
            Anneal::Cos => b + (a - b) / 2.0 * ((PI * pct).cos() + 1.0),
            Anneal::Linear => (b - a) * pct + a,
        }
    }

    /// The phase of the current step and the fraction of it done.
    fn position(&self) -> (Phase, f64) {
        let k = self.k as f64;
        let mut start = 0.0;
        for (i, phase) in self.phases.iter().enumerate() {
            if k <= phase.end || i == self.phases.len() - 1 {
                return (*phase, (k - start) / (phase.end - start));
            }
            start = phase.end;
        }
        (self.phases[0], 0.0)
    }
}

impl Schedule for OneCycle {
    fn lr(&self) -> f64 {
        let (phase, pct) = self.position();
        self.anneal(phase.lr, pct)
    }

    fn step(&mut self, _loss: f64) {
        self.k += 1;
    }

    fn momentum(&self) -> Option<f64> {
        self.cycle_momentum.then(|| {
            let (phase, pct) = self.position();
            self.anneal(phase.momentum, pct)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::lrs;

    fn config(max_lr: f64) -> OneCycleConfig {
        OneCycleConfig {
            max_lr,
            total_steps: None,
            pct_start: 0.3,
            anneal_strategy: Anneal::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }

    #[test]
    fn onecycle_rises_to_max_lr_then_falls_to_the_floor() {
        let got = lrs(&config(0.1), 0.5, 50);
        // Phase ends: 0.3 * 50 - 1 = 14 and 49.
        assert!((got[0] - 0.1 / 25.0).abs() < 1e-15);
        assert!((got[14] - 0.1).abs() < 1e-15);
        assert!((got[49] - 0.1 / 25.0 / 1e4).abs() < 1e-21);
        for k in 1..=14 {
            let pct = k as f64 / 14.0;
            let want = 0.1 + (0.004 - 0.1) / 2.0 * ((PI * pct).cos() + 1.0);
            assert!((got[k] - want).abs() < 1e-15, "k = {k}");
            assert!(got[k] > got[k - 1]);
        }
        for k in 15..50 {
            assert!(got[k] < got[k - 1], "k = {k}");
        }
    }

    #[test]
    fn momentum_cycles_opposite_to_the_lr() {
        let c = config(0.1);
        let mut s = c.build(0.1, 50).unwrap();
        let mut m = Vec::new();
        for _ in 0..50 {
            m.push(s.momentum().unwrap());
            s.step(0.0);
        }
        assert!((m[0] - 0.95).abs() < 1e-15 && (m[14] - 0.85).abs() < 1e-15);
        assert!((m[49] - 0.95).abs() < 1e-15);
        let off = OneCycleConfig {
            cycle_momentum: false,
            ..config(0.1)
        };
        assert_eq!(off.build(0.1, 50).unwrap().momentum(), None);
    }

    #[test]
    fn linear_and_three_phase_shapes() {
        let lin = OneCycleConfig {
            anneal_strategy: Anneal::Linear,
            ..config(0.1)
        };
        let got = lrs(&lin, 0.1, 50);
        assert!((got[7] - (0.004 + (0.1 - 0.004) * 0.5)).abs() < 1e-15);
        let three = OneCycleConfig {
            three_phase: true,
            div_factor: 10.0,
            final_div_factor: 100.0,
            ..config(0.1)
        };
        let got = lrs(&three, 0.1, 50);
        // Ends at 14, 28 and 49: back at the first lr at 28, then down to it / 100.
        assert!((got[14] - 0.1).abs() < 1e-15);
        assert!((got[28] - 0.01).abs() < 1e-15);
        assert!((got[49] - 1e-4).abs() < 1e-18);
    }

    #[test]
    fn total_steps_shorter_than_the_run_is_an_error() {
        let c = OneCycleConfig {
            total_steps: Some(10),
            ..config(0.1)
        };
        assert_eq!(c.build(0.1, 20).err().unwrap().key, "total_steps");
    }
}
