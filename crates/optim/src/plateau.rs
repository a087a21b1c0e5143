//! `Plateau`: cut the learning rate when the loss stops improving, as torch's ReduceLROnPlateau.

use serde::{Deserialize, Serialize};

use crate::config::check_non_negative;
use crate::{Invalid, Schedule, ScheduleConfig};

/// Whether lower or higher losses count as better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Lower is better (default).
    #[default]
    Min,
    /// Higher is better.
    Max,
}

/// How `threshold` is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdMode {
    /// Relative to the best value (default).
    #[default]
    Rel,
    /// Absolute.
    Abs,
}

/// Config of [`Plateau`]: torch.optim.lr_scheduler.ReduceLROnPlateau's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlateauConfig {
    /// `"min"` (default) or `"max"`.
    pub mode: Mode,
    /// Factor of each reduction (default 0.1; must be < 1).
    pub factor: f64,
    /// Bad iterations tolerated before a reduction (default 10).
    pub patience: usize,
    /// The improvement that counts (default 1e-4).
    pub threshold: f64,
    /// `"rel"` (default) or `"abs"`.
    pub threshold_mode: ThresholdMode,
    /// Iterations to wait after a reduction before counting again (default 0).
    pub cooldown: usize,
    /// The rate never goes below this (default 0).
    pub min_lr: f64,
    /// Reductions smaller than this are skipped (default 1e-8).
    pub eps: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

impl ScheduleConfig for PlateauConfig {
    const KIND: &'static str = "plateau";
    const SUMMARY: &'static str = "torch ReduceLROnPlateau on the loss: mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps";

    fn validate(&self) -> Result<(), Invalid> {
        if !(self.factor >= 0.0 && self.factor < 1.0) {
            return Err(Invalid::new(
                "factor",
                format!("must be in [0, 1), got {}", self.factor),
            ));
        }
        check_non_negative("threshold", self.threshold)?;
        check_non_negative("min_lr", self.min_lr)?;
        check_non_negative("eps", self.eps)
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(Plateau {
            config: self.clone(),
            lr: base_lr,
            best: match self.mode {
                Mode::Min => f64::INFINITY,
                Mode::Max => f64::NEG_INFINITY,
            },
            bad: 0,
            cooldown: 0,
        }))
    }
}

/// torch's ReduceLROnPlateau, stepped with the loss of each iteration: after more than
/// `patience` bad iterations in a row, `lr <- max(lr factor, min_lr)` (skipped when the change is
/// at most `eps`), then `cooldown` iterations in which bad ones are not counted.
#[derive(Debug, Clone)]
pub struct Plateau {
    config: PlateauConfig,
    lr: f64,
    best: f64,
    bad: usize,
    cooldown: usize,
}

impl Plateau {
    fn is_better(&self, x: f64) -> bool {
        let c = &self.config;
        match (c.mode, c.threshold_mode) {
            (Mode::Min, ThresholdMode::Rel) => x < self.best * (1.0 - c.threshold),
            (Mode::Min, ThresholdMode::Abs) => x < self.best - c.threshold,
            (Mode::Max, ThresholdMode::Rel) => x > self.best * (c.threshold + 1.0),
            (Mode::Max, ThresholdMode::Abs) => x > self.best + c.threshold,
        }
    }
}

impl Schedule for Plateau {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, loss: f64) {
        if self.is_better(loss) {
            self.best = loss;
            self.bad = 0;
        } else {
            self.bad += 1;
        }
        if self.cooldown > 0 {
            self.cooldown -= 1;
            self.bad = 0;
        }
        if self.bad > self.config.patience {
            let new = (self.lr * self.config.factor).max(self.config.min_lr);
            if self.lr - new > self.config.eps {
                self.lr = new;
            }
            self.cooldown = self.config.cooldown;
            self.bad = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(c: &PlateauConfig, losses: &[f64]) -> Vec<f64> {
        let mut s = c.build(1.0, losses.len()).unwrap();
        losses
            .iter()
            .map(|&l| {
                s.step(l);
                s.lr()
            })
            .collect()
    }

    #[test]
    fn the_first_cut_comes_on_the_patience_plus_first_bad_iteration() {
        let c = PlateauConfig {
            patience: 2,
            ..Default::default()
        };
        // 1.0 sets the best; then 3 flat values: bad = 1, 2, 3 > 2, so the cut follows the 4th loss.
        let got = run(&c, &[1.0, 1.0, 1.0, 1.0, 0.5]);
        assert_eq!(got, [1.0, 1.0, 1.0, 0.1, 0.1]);
    }

    #[test]
    fn cooldown_min_lr_and_the_relative_threshold_hold() {
        let c = PlateauConfig {
            patience: 0,
            cooldown: 2,
            min_lr: 0.005,
            ..Default::default()
        };
        // Every non-improving step is bad; patience 0 cuts at once, then 2 cooldown steps.
        let got = run(&c, &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(
            got,
            [
                1.0,
                0.1,
                0.1,
                0.1,
                0.010000000000000002,
                0.010000000000000002,
                0.010000000000000002
            ]
        );
        let got = run(&c, &[1.0; 11]);
        assert_eq!(*got.last().unwrap(), 0.005, "clamped at min_lr");
        // An improvement below the relative threshold (1e-4) is not an improvement.
        let p = PlateauConfig {
            patience: 0,
            ..Default::default()
        };
        assert_eq!(run(&p, &[1.0, 0.99995]), [1.0, 0.1]);
        assert_eq!(run(&p, &[1.0, 0.9998]), [1.0, 1.0]);
    }

    #[test]
    fn max_mode_and_absolute_threshold() {
        let c = PlateauConfig {
            mode: Mode::Max,
            threshold_mode: ThresholdMode::Abs,
            threshold: 0.5,
            patience: 0,
            ..Default::default()
        };
        assert_eq!(run(&c, &[1.0, 2.0, 2.4]), [1.0, 1.0, 0.1]);
        let bad = PlateauConfig {
            factor: 1.0,
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "factor");
    }
}
