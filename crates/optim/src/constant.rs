//! `Constant`: the same learning rate at every iteration (no scheduler in torch).

use serde::{Deserialize, Serialize};

use crate::{Invalid, Schedule, ScheduleConfig};

/// A schedule that keeps the base learning rate.
#[derive(Debug, Clone, Copy)]
pub struct Constant {
    lr: f64,
}

impl Constant {
    /// A constant schedule at `lr`.
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }
}

impl Schedule for Constant {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {}
}

/// Config of [`Constant`]: no keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantConfig {}

impl ScheduleConfig for ConstantConfig {
    const KIND: &'static str = "constant";
    const SUMMARY: &'static str = "the optimizer's lr at every iteration";

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(Constant::new(base_lr)))
    }
}
