//! Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms") as a descent optimizer, in one file.
//!
//! This crate is the worked example of docs/extending.md: it depends on descent's crates, edits none
//! of them, and registers its `kind = "lion"` through [`registry`], in place of the built-in one
//! (`descent_optim::Lion`), which its tests check it equals bit for bit.

use descent_optim::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};
use descent_runner::Registry;
use descent_tensor::Real;
use serde::{Deserialize, Serialize};

/// The `[optimizer]` table of `kind = "lion"`, with the paper's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LionConfig {
    /// Learning rate (default 1e-4: Lion's steps have size lr in every entry).
    pub lr: f64,
    /// β1 interpolates the update direction, β2 the momentum (default [0.9, 0.99]).
    pub betas: [f64; 2],
    /// Decoupled weight decay (default 0).
    pub weight_decay: f64,
}

impl Default for LionConfig {
    fn default() -> Self {
        Self {
            lr: 1e-4,
            betas: [0.9, 0.99],
            weight_decay: 0.0,
        }
    }
}

impl OptimizerConfig for LionConfig {
    const KIND: &'static str = "lion";
    const SUMMARY: &'static str = "Lion (the docs/extending.md example): p <- p (1 - lr wd) - lr sign(β1 m + (1 - β1) g); lr, betas, weight_decay";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Invalid::new("lr", format!("must be > 0, got {}", self.lr)));
        }
        if self.betas.iter().any(|b| !(0.0..1.0).contains(b)) {
            return Err(Invalid::new("betas", "each beta must be in [0, 1)"));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(Invalid::new("weight_decay", "must be >= 0"));
        }
        Ok(())
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Lion {
            config: self.clone(),
            m: Vec::new(),
        })
    }
}

/// The Lion update, with its momentum buffer per parameter.
pub struct Lion<F> {
    config: LionConfig,
    m: Vec<Vec<F>>,
}

impl<F: Real> Optimizer<F> for Lion<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        if self.m.len() != params.len() {
            self.m = params.iter().map(|p| vec![F::zero(); p.len()]).collect();
        }
        let [b1, b2] = self.config.betas;
        let (beta1, w1) = (F::host(b1), F::host(1.0 - b1));
        let (beta2, w2) = (F::host(b2), F::host(1.0 - b2));
        let decay = F::host(1.0 - lr * self.config.weight_decay);
        let neg_lr = F::host(-lr);
        for ((p, g), m) in params.iter_mut().zip(grads).zip(&mut self.m) {
            for ((p, &g), m) in p.iter_mut().zip(g).zip(m.iter_mut()) {
                // lion-pytorch's order in torch's arithmetic: decay first; `add(g, alpha)` is a
                // fused multiply-add.
                *p *= decay;
                let c = w1.mul_add(g, *m * beta1);
                let sign = if c > F::zero() {
                    F::one()
                } else if c < F::zero() {
                    -F::one()
                } else {
                    F::zero()
                };
                *p = neg_lr.mul_add(sign, *p);
                *m = w2.mul_add(g, *m * beta2);
            }
        }
        Ok(())
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.config.betas[0] = momentum;
        true
    }
}

/// descent's built-in registry plus `lion`.
pub fn registry() -> Registry {
    let mut r = Registry::default();
    r.add_optimizer::<LionConfig>();
    r
}

/// docs/extending.md: its Rust blocks compile, as doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/extending.md")]
mod extending_md {}
