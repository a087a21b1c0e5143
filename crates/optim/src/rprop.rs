//! `Rprop`: torch.optim.Rprop (Riedmiller and Braun, 1993: steps that grow while the gradient keeps its sign), in torch's float order.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::check_lr;
use crate::host::sign;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Rprop`], with torch.optim.Rprop's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpropConfig {
    /// The initial step size of every entry (default 1e-2); a schedule's later rates do not
    /// change the steps, as in torch, which reads lr only when it creates the state.
    pub lr: f64,
    /// [etaminus, etaplus]: the step's factor after a sign change and after none (default
    /// [0.5, 1.2]).
    pub etas: [f64; 2],
    /// [min, max]: the bounds of a step (default [1e-6, 50]).
    pub step_sizes: [f64; 2],
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for RpropConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            etas: [0.5, 1.2],
            step_sizes: [1e-6, 50.0],
            maximize: false,
        }
    }
}

impl OptimizerConfig for RpropConfig {
    const KIND: &'static str = "rprop";
    const SUMMARY: &'static str = "torch.optim.Rprop: lr, etas, step_sizes, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        let [minus, plus] = self.etas;
        if !(0.0 < minus && minus < 1.0 && 1.0 < plus && plus.is_finite()) {
            return Err(Invalid::new(
                "etas",
                format!("needs 0 < etaminus < 1 < etaplus, got [{minus}, {plus}]"),
            ));
        }
        let [lo, hi] = self.step_sizes;
        if !(0.0 <= lo && lo <= hi && hi.is_finite()) {
            return Err(Invalid::new(
                "step_sizes",
                format!("needs 0 <= min <= max, finite, got [{lo}, {hi}]"),
            ));
        }
        Ok(())
    }

    fn state_slots(&self) -> usize {
        2
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Rprop::new(self.clone()))
    }
}

/// torch.optim.Rprop on the CPU, single-tensor path (torch/optim/rprop.py, `_single_tensor_rprop`),
/// per entry:
///
/// `s <- sign(g prev)` mapped to etaplus (> 0), etaminus (< 0) or 1 (= 0); `step <- clamp(step s,
/// min, max)`; `g <- 0` where `s` is etaminus; `p <- fma(-sign(g), step, p)`; `prev <- g`; with
/// `prev` starting at 0 and every step at lr (rounded once, on the first step).
#[derive(Debug, Clone)]
pub struct Rprop<F> {
    config: RpropConfig,
    prev: Vec<Vec<F>>,
    step_size: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Rprop<F> {
    /// A fresh Rprop optimizer.
    pub fn new(config: RpropConfig) -> Self {
        Self {
            config,
            prev: Vec::new(),
            step_size: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<F: Real> Optimizer<F> for Rprop<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        if self.prev.len() != params.len() {
            self.prev = params.iter().map(|p| vec![F::zero(); p.len()]).collect();
            self.step_size = params.iter().map(|p| vec![F::host(lr); p.len()]).collect();
        }
        let [minus, plus] = c.etas.map(F::host);
        let [lo, hi] = c.step_sizes.map(F::host);
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            let entries = p
                .iter_mut()
                .zip(g.iter())
                .zip(self.prev[i].iter_mut().zip(self.step_size[i].iter_mut()));
            for ((pj, &gj), (prev, step)) in entries {
                let s = sign(gj * *prev);
                let factor = if s > F::zero() {
                    plus
                } else if s < F::zero() {
                    minus
                } else if s == F::zero() {
                    F::one()
                } else {
                    s
                };
                // torch's clamp_: NaN stays NaN (it is neither below nor above).
                let scaled = *step * factor;
                *step = if scaled < lo {
                    lo
                } else if scaled > hi {
                    hi
                } else {
                    scaled
                };
                let g = if factor == minus { F::zero() } else { gj };
                *pj = (-sign(g)).mul_add(*step, *pj);
                *prev = g;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_follows;

    /// Rprop without weight backtracking (Riedmiller and Braun; torch's variant, "iRprop-") in
    /// f64.
    fn check(c: RpropConfig) {
        let mut prev = [0.0f64; 4];
        let mut step = [c.lr; 4];
        let lr = c.lr;
        let [minus, plus] = c.etas;
        let [lo, hi] = c.step_sizes;
        assert_follows(&mut Rprop::<f64>::new(c.clone()), lr, 40, |_, p, g| {
            for i in 0..4 {
                let g = if c.maximize { -g[i] } else { g[i] };
                let product = g * prev[i];
                let factor = if product > 0.0 {
                    plus
                } else if product < 0.0 {
                    minus
                } else {
                    1.0
                };
                step[i] = (step[i] * factor).clamp(lo, hi);
                let g = if product < 0.0 { 0.0 } else { g };
                p[i] -= g.signum() * step[i] * if g == 0.0 { 0.0 } else { 1.0 };
                prev[i] = g;
            }
        });
    }

    #[test]
    fn rprop_matches_the_update_of_riedmiller_and_braun() {
        check(RpropConfig::default());
        check(RpropConfig {
            lr: 0.3,
            etas: [0.3, 1.5],
            step_sizes: [1e-3, 0.4],
            maximize: false,
        });
    }

    #[test]
    fn the_step_sizes_bound_every_step() {
        let mut opt = Rprop::<f64>::new(RpropConfig {
            lr: 0.1,
            step_sizes: [0.05, 0.2],
            ..Default::default()
        });
        let mut p = vec![vec![0.0]];
        for _ in 0..20 {
            let before = p[0][0];
            opt.step(&mut p, &[vec![-1.0]], 0.1, &mut crate::NoClosure)
                .expect("step");
            assert!(p[0][0] - before <= 0.2 + 1e-15);
        }
        // Steps of 0.1 (the first: no sign yet), 0.12, 0.144, 0.1728, then 0.2 (the bound) 16
        // times.
        let want = 0.1 + 0.12 + 0.144 + 0.1728 + 16.0 * 0.2;
        assert!((p[0][0] - want).abs() < 1e-9, "{}", p[0][0]);
    }

    #[test]
    fn invalid_parameters_name_their_key() {
        for (c, key) in [
            (
                RpropConfig {
                    etas: [1.2, 0.5],
                    ..Default::default()
                },
                "etas",
            ),
            (
                RpropConfig {
                    step_sizes: [1.0, 0.1],
                    ..Default::default()
                },
                "step_sizes",
            ),
        ] {
            assert_eq!(c.validate().expect_err("invalid").key, key);
        }
    }
}
