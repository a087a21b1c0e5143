//! `[average]`: an averaged iterate beside the run's, as torch.optim.swa_utils.AveragedModel keeps it (SWA's running mean or an EMA).

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::{Invalid, lerp};

/// Which average.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AverageKind {
    /// Stochastic weight averaging: the running mean `a <- a + (p - a) / (n + 1)`
    /// (swa_utils' default `avg_fn`).
    Swa,
    /// An exponential moving average `a <- lerp(a, p, 1 - decay)` (swa_utils'
    /// `get_ema_multi_avg_fn`).
    Ema,
}

impl AverageKind {
    /// The name in configs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Swa => "swa",
            Self::Ema => "ema",
        }
    }
}

/// The `[average]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AverageConfig {
    /// `swa` or `ema`.
    pub kind: AverageKind,
    /// The first `start` updates are not averaged; the average starts as a copy of the iterate
    /// after update `start + 1` (default 0: from the first update).
    #[serde(default)]
    pub start: usize,
    /// The EMA's decay (default 0.999, swa_utils'); SWA has none.
    #[serde(default = "default_decay")]
    pub decay: f64,
}

fn default_decay() -> f64 {
    0.999
}

impl AverageConfig {
    /// Reject a decay outside [0, 1), naming the key.
    pub fn validate(&self) -> Result<(), Invalid> {
        if !(0.0..1.0).contains(&self.decay) {
            return Err(Invalid::new(
                "decay",
                format!("must be in [0, 1), got {}", self.decay),
            ));
        }
        Ok(())
    }
}

/// The averaged iterate: torch's `AveragedModel.update_parameters` after each update past
/// `start`. The first update averaged copies the parameters (`n_averaged = 0`).
#[derive(Debug, Clone)]
pub struct Averager<F> {
    config: AverageConfig,
    updates: usize,
    averaged: usize,
    point: Vec<Vec<F>>,
}

impl<F: Real> Averager<F> {
    /// An empty average.
    pub fn new(config: AverageConfig) -> Self {
        Self {
            config,
            updates: 0,
            averaged: 0,
            point: Vec::new(),
        }
    }

    /// Count one update of `params` and average it in once past `start`.
    pub fn update(&mut self, params: &[Vec<F>]) {
        self.updates += 1;
        if self.updates <= self.config.start {
            return;
        }
        if self.averaged == 0 {
            self.point = params.to_vec();
        } else {
            let n = F::host(self.averaged as f64 + 1.0);
            let w = F::host(1.0 - self.config.decay);
            for (a, p) in self.point.iter_mut().zip(params) {
                for (a, &p) in a.iter_mut().zip(p) {
                    *a = match self.config.kind {
                        AverageKind::Swa => *a + (p - *a) / n,
                        AverageKind::Ema => lerp(*a, p, w),
                    };
                }
            }
        }
        self.averaged += 1;
    }

    /// The average, once an update has been averaged.
    pub fn point(&self) -> Option<&[Vec<F>]> {
        (self.averaged > 0).then_some(self.point.as_slice())
    }

    /// The config.
    pub fn config(&self) -> &AverageConfig {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: AverageKind, start: usize) -> Option<Vec<f64>> {
        let mut a = Averager::<f64>::new(AverageConfig {
            kind,
            start,
            decay: 0.5,
        });
        for k in 1..=4 {
            a.update(&[vec![f64::from(k), -2.0 * f64::from(k)]]);
        }
        a.point().map(|p| p[0].clone())
    }

    #[test]
    fn swa_is_the_mean_of_the_averaged_iterates() {
        assert_eq!(run(AverageKind::Swa, 0), Some(vec![2.5, -5.0]));
        // Updates 3 and 4 only.
        assert_eq!(run(AverageKind::Swa, 2), Some(vec![3.5, -7.0]));
        assert_eq!(run(AverageKind::Swa, 4), None);
    }

    #[test]
    fn ema_weights_the_latest_by_one_minus_decay() {
        // 1, then 0.5·1 + 0.5·2 = 1.5, then 2.25, then 3.125.
        assert_eq!(run(AverageKind::Ema, 0), Some(vec![3.125, -6.25]));
    }

    #[test]
    fn a_decay_of_one_is_refused() {
        let c = AverageConfig {
            kind: AverageKind::Ema,
            start: 0,
            decay: 1.0,
        };
        assert_eq!(c.validate().expect_err("invalid").key, "decay");
    }
}
