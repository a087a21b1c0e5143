//! `Logspace`: learning rates evenly spaced in log10 from `10^start` to `10^stop` over the run, as numpy's logspace.

use serde::{Deserialize, Serialize};

use crate::host::pow;
use crate::{Invalid, Schedule, ScheduleConfig};

/// Config of [`Logspace`]. No torch scheduler; the lr sweep of a learning-rate range test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogspaceConfig {
    /// log10 of the first learning rate (required).
    pub start: f64,
    /// log10 of the last learning rate (required).
    pub stop: f64,
}

impl ScheduleConfig for LogspaceConfig {
    const KIND: &'static str = "logspace";
    const SUMMARY: &'static str = "lr_t = 10^(start + t (stop - start) / (iterations - 1)), numpy's logspace; start, stop (required); ignores the optimizer's lr";

    fn validate(&self) -> Result<(), Invalid> {
        for (key, v) in [("start", self.start), ("stop", self.stop)] {
            if !v.is_finite() {
                return Err(Invalid::new(key, format!("must be finite, got {v}")));
            }
        }
        Ok(())
    }

    fn build(&self, _base_lr: f64, iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(Logspace {
            config: self.clone(),
            num: iterations,
            t: 0,
        }))
    }
}

/// numpy's `logspace(start, stop, num)`: `10 ** (t * step + start)` with
/// `step = (stop - start) / (num - 1)`, and exactly `10 ** stop` at the last point.
#[derive(Debug, Clone)]
pub struct Logspace {
    config: LogspaceConfig,
    num: usize,
    t: usize,
}

impl Schedule for Logspace {
    fn lr(&self) -> f64 {
        let c = &self.config;
        let exponent = if self.num > 1 && self.t + 1 >= self.num {
            c.stop
        } else if self.num > 1 {
            self.t as f64 * ((c.stop - c.start) / (self.num - 1) as f64) + c.start
        } else {
            c.start
        };
        pow(10.0, exponent)
    }

    fn step(&mut self, _loss: f64) {
        self.t += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::lrs;

    #[test]
    fn logspace_runs_from_10_to_the_start_to_10_to_the_stop_geometrically() {
        let got = lrs(
            &LogspaceConfig {
                start: -4.0,
                stop: 0.0,
            },
            0.1,
            5,
        );
        assert_eq!(got[0], 1e-4);
        assert_eq!(got[4], 1.0);
        for (t, lr) in got.iter().enumerate() {
            let want = 10f64.powi(t as i32 - 4);
            assert!((lr - want).abs() <= 1e-15 * want, "t = {t}: {lr} vs {want}");
        }
        // One iteration: numpy gives [10^start].
        assert_eq!(
            lrs(
                &LogspaceConfig {
                    start: -2.0,
                    stop: 0.0
                },
                0.1,
                1
            ),
            [1e-2]
        );
    }
}
