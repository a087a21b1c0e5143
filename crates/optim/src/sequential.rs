//! `Sequential`: one schedule after another at given milestones (warm-up, then decay), as torch's SequentialLR.

use serde::{Deserialize, Serialize};

use crate::cosine::CosineLr;
use crate::{
    ConstantConfig, CosineLrConfig, CyclicConfig, ExponentialLrConfig, Invalid, LambdaConfig,
    LinearLrConfig, LogspaceConfig, MultiStepLrConfig, MultiplicativeConfig, OneCycleConfig,
    PolynomialLrConfig, Schedule, ScheduleConfig, StepLrConfig, WarmRestartsConfig,
};

/// A schedule inside [`SequentialConfig`]: any built-in one except `plateau` and `sequential`,
/// as a table with its `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Child {
    /// `constant`.
    Constant(ConstantConfig),
    /// `step`.
    Step(StepLrConfig),
    /// `multistep`.
    Multistep(MultiStepLrConfig),
    /// `exponential`.
    Exponential(ExponentialLrConfig),
    /// `cosine`.
    Cosine(CosineLrConfig),
    /// `linear`.
    Linear(LinearLrConfig),
    /// `polynomial`.
    Polynomial(PolynomialLrConfig),
    /// `onecycle`.
    Onecycle(OneCycleConfig),
    /// `logspace`.
    Logspace(LogspaceConfig),
    /// `lambda`.
    Lambda(LambdaConfig),
    /// `multiplicative`.
    Multiplicative(MultiplicativeConfig),
    /// `cosine_warm_restarts`.
    CosineWarmRestarts(WarmRestartsConfig),
    /// `cyclic`.
    Cyclic(CyclicConfig),
}

impl Child {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        match self {
            Child::Constant(c) => c.validate(),
            Child::Step(c) => c.validate(),
            Child::Multistep(c) => c.validate(),
            Child::Exponential(c) => c.validate(),
            Child::Cosine(c) => c.validate(),
            Child::Linear(c) => c.validate(),
            Child::Polynomial(c) => c.validate(),
            Child::Onecycle(c) => c.validate(),
            Child::Logspace(c) => c.validate(),
            Child::Lambda(c) => c.validate(),
            Child::Multiplicative(c) => c.validate(),
            Child::CosineWarmRestarts(c) => c.validate(),
            Child::Cyclic(c) => c.validate(),
        }
    }

    /// The schedule at its iteration 0 for a span of `iterations`. `restarted`: started at a
    /// milestone, where torch takes the closed form at 0 (which differs from a fresh start only
    /// for `cosine`, in the last bit).
    pub(crate) fn start(
        &self,
        base: f64,
        iterations: usize,
        restarted: bool,
    ) -> Result<Box<dyn Schedule>, Invalid> {
        match self {
            Child::Cosine(c) if restarted => Ok(Box::new(CosineLr::new(c, base, iterations, true))),
            Child::Constant(c) => c.build(base, iterations),
            Child::Step(c) => c.build(base, iterations),
            Child::Multistep(c) => c.build(base, iterations),
            Child::Exponential(c) => c.build(base, iterations),
            Child::Cosine(c) => c.build(base, iterations),
            Child::Linear(c) => c.build(base, iterations),
            Child::Polynomial(c) => c.build(base, iterations),
            Child::Onecycle(c) => c.build(base, iterations),
            Child::Logspace(c) => c.build(base, iterations),
            Child::Lambda(c) => c.build(base, iterations),
            Child::Multiplicative(c) => c.build(base, iterations),
            Child::CosineWarmRestarts(c) => c.build(base, iterations),
            Child::Cyclic(c) => c.build(base, iterations),
        }
    }
}

/// Config of [`Sequential`]: torch.optim.lr_scheduler.SequentialLR's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequentialConfig {
    /// The schedules, in order (`[[schedule.schedules]]` tables with a `kind`).
    pub schedules: Vec<Child>,
    /// The iterations at which the next schedule takes over: one fewer than `schedules`, increasing.
    pub milestones: Vec<usize>,
}

impl ScheduleConfig for SequentialConfig {
    const KIND: &'static str = "sequential";
    const SUMMARY: &'static str = "torch SequentialLR: schedules (a list of schedule tables), milestones (where each next one starts)";

    fn validate(&self) -> Result<(), Invalid> {
        if self.schedules.is_empty() {
            return Err(Invalid::new("schedules", "needs at least one schedule"));
        }
        if self.milestones.len() + 1 != self.schedules.len() {
            return Err(Invalid::new(
                "milestones",
                format!(
                    "needs one milestone fewer than schedules: {} schedules, {} milestones",
                    self.schedules.len(),
                    self.milestones.len()
                ),
            ));
        }
        if self.milestones.first() == Some(&0) || self.milestones.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Invalid::new(
                "milestones",
                "must be increasing and at least 1",
            ));
        }
        for (i, child) in self.schedules.iter().enumerate() {
            child.validate().map_err(|e| Invalid {
                key: "schedules",
                reason: format!("schedule {i}: {}: {}", e.key, e.reason),
            })?;
        }
        Ok(())
    }

    fn build(&self, base_lr: f64, iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        let mut spans = Vec::new();
        let mut start = 0;
        for &m in self
            .milestones
            .iter()
            .chain(std::iter::once(&iterations.max(start)))
        {
            spans.push(m.saturating_sub(start));
            start = m;
        }
        // Build every child now so that keys that do not fit the run fail before it starts.
        for (i, (child, &span)) in self.schedules.iter().zip(&spans).enumerate() {
            child.start(base_lr, span, i > 0).map_err(|e| Invalid {
                key: "schedules",
                reason: format!("schedule {i}: {}: {}", e.key, e.reason),
            })?;
        }
        let current = self.schedules[0]
            .start(base_lr, spans[0], false)
            .map_err(|e| Invalid::new("schedules", format!("schedule 0: {}", e.reason)))?;
        Ok(Box::new(Sequential {
            config: self.clone(),
            spans,
            base: base_lr,
            k: 0,
            index: 0,
            current,
        }))
    }
}

/// torch's SequentialLR: at step `k`, the schedule `i` = number of milestones `<= k` is active;
/// at its milestone it restarts from the base, otherwise it takes its own chainable step.
pub struct Sequential {
    config: SequentialConfig,
    spans: Vec<usize>,
    base: f64,
    k: usize,
    index: usize,
    current: Box<dyn Schedule>,
}

impl Schedule for Sequential {
    fn lr(&self) -> f64 {
        self.current.lr()
    }

    fn step(&mut self, loss: f64) {
        self.k += 1;
        let index = self
            .config
            .milestones
            .iter()
            .filter(|&&m| m <= self.k)
            .count();
        if index > 0 && self.config.milestones[index - 1] == self.k {
            // Checked in build: every child builds for its span.
            if let Ok(s) = self.config.schedules[index].start(self.base, self.spans[index], true) {
                self.current = s;
            }
            self.index = index;
        } else {
            self.current.step(loss);
        }
    }

    fn momentum(&self) -> Option<f64> {
        self.current.momentum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::lrs;

    #[test]
    fn linear_warm_up_then_exponential_decay_restarts_at_the_milestone() {
        let c = SequentialConfig {
            schedules: vec![
                Child::Linear(LinearLrConfig {
                    start_factor: 0.1,
                    end_factor: 1.0,
                    total_iters: 5,
                }),
                Child::Exponential(ExponentialLrConfig { gamma: 0.9 }),
            ],
            milestones: vec![5],
        };
        let got = lrs(&c, 1.0, 12);
        for (k, lr) in got.iter().enumerate().take(5) {
            let want = 0.1 + 0.9 * k as f64 / 5.0;
            assert!((lr - want).abs() < 1e-15, "k = {k}: {lr} vs {want}");
        }
        assert_eq!(got[5], 1.0, "the exponential starts over from the base");
        for (k, lr) in got.iter().enumerate().skip(5) {
            let want = 0.9f64.powi(k as i32 - 5);
            assert!((lr - want).abs() < 1e-15, "k = {k}: {lr} vs {want}");
        }
    }

    #[test]
    fn a_cosine_after_a_milestone_takes_the_closed_form_at_zero() {
        let c = SequentialConfig {
            schedules: vec![
                Child::Constant(ConstantConfig::default()),
                Child::Cosine(CosineLrConfig {
                    t_max: Some(10),
                    eta_min: 0.3,
                }),
            ],
            milestones: vec![8],
        };
        let got = lrs(&c, 0.7, 20);
        assert_eq!(got[8], 0.3 + (0.7 - 0.3) * 2.0 / 2.0);
        assert!(
            (got[18] - 0.3).abs() < 1e-15,
            "eta_min after t_max = 10 more steps"
        );
    }

    #[test]
    fn milestones_must_fit_the_schedules() {
        let c = SequentialConfig {
            schedules: vec![Child::Constant(ConstantConfig::default())],
            milestones: vec![3],
        };
        assert_eq!(c.validate().unwrap_err().key, "milestones");
    }
}
