//! `Asgd`: torch.optim.ASGD (averaged SGD, Polyak and Juditsky, 1992), in torch's float order, keeping the averaged iterate.

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative};
use crate::host::{StepCount, pow};
use crate::moments::weight_decay;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{Averaged, Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// Config of [`Asgd`], with torch.optim.ASGD's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AsgdConfig {
    /// Learning rate (default 1e-2).
    pub lr: f64,
    /// Decay term λ (default 1e-4).
    pub lambd: f64,
    /// Power of the step size's decay (default 0.75).
    pub alpha: f64,
    /// The step from which the average starts (default 1e6).
    pub t0: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for AsgdConfig {
    fn default() -> Self {
        Self {
            lr: 1e-2,
            lambd: 1e-4,
            alpha: 0.75,
            t0: 1e6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

impl OptimizerConfig for AsgdConfig {
    const KIND: &'static str = "asgd";
    const SUMMARY: &'static str = "torch.optim.ASGD: lr, lambd, alpha, t0, weight_decay, maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        check_non_negative("lambd", self.lambd)?;
        check_non_negative("alpha", self.alpha)?;
        check_non_negative("t0", self.t0)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn state_slots(&self) -> usize {
        1
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Asgd::new(self.clone()))
    }
}

/// torch.optim.ASGD on the CPU, single-tensor path (torch/optim/asgd.py, `_single_tensor_asgd`):
///
/// `g <- fma(wd, p, g)`; `p <- p (1 - λ η)`; `p <- fma(-η, g, p)`; the average `ax <- p` while
/// `μ = 1`, else `ax <- ax + (p - ax) μ`; then `η <- lr / (1 + λ lr t)^α` and
/// `μ <- 1 / max(1, t - t0)`. η and μ are float32 scalars in torch (its default dtype), whatever
/// the parameters' dtype, and are rounded so here too; η starts at the first step's lr.
#[derive(Debug, Clone)]
pub struct Asgd<F> {
    config: AsgdConfig,
    step: StepCount,
    eta: Option<f32>,
    mu: f32,
    ax: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Asgd<F> {
    /// A fresh ASGD optimizer.
    pub fn new(config: AsgdConfig) -> Self {
        Self {
            config,
            step: StepCount::default(),
            eta: None,
            mu: 1.0,
            ax: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The averaged iterate (torch's `state["ax"]`), one buffer per parameter; empty before the
    /// first step.
    pub fn average(&self) -> &[Vec<F>] {
        &self.ax
    }
}

impl<F: Real> Optimizer<F> for Asgd<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        _closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = &self.config;
        if self.ax.len() != params.len() {
            self.ax = params.iter().map(|p| vec![F::zero(); p.len()]).collect();
        }
        let eta = f64::from(*self.eta.get_or_insert(lr as f32));
        let t = self.step.advance();
        let (decay, neg_eta) = (F::host(1.0 - c.lambd * eta), F::host(-eta));
        let mu = F::host(f64::from(self.mu));
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, c.maximize);
            weight_decay(p, g, c.weight_decay, false, lr);
            for ((pj, &gj), ax) in p.iter_mut().zip(g.iter()).zip(self.ax[i].iter_mut()) {
                *pj = neg_eta.mul_add(gj, *pj * decay);
                *ax = if self.mu == 1.0 {
                    *pj
                } else {
                    *ax + (*pj - *ax) * mu
                };
            }
        }
        self.eta = Some((lr / pow(1.0 + c.lambd * lr * t, c.alpha)) as f32);
        self.mu = (1.0 / (t - c.t0).max(1.0)) as f32;
        Ok(())
    }

    fn averaged(&self) -> Option<Averaged<'_, F>> {
        (!self.ax.is_empty()).then_some(Averaged {
            point: &self.ax,
            is_answer: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoClosure;

    fn run<F: Real>(opt: &mut Asgd<F>) -> Vec<F> {
        let w = [2.0, 4.0, 6.0, 8.0].map(F::host);
        let mut p = vec![[0.3, -0.7, 2.5, 1.2].map(F::host).to_vec()];
        for _ in 0..20 {
            let g: Vec<F> = p[0]
                .iter()
                .zip(w)
                .map(|(&x, w)| w * (x - F::one()))
                .collect();
            opt.step(&mut p, &[g], 0.05, &mut NoClosure).expect("step");
        }
        p.remove(0)
    }

    fn config() -> AsgdConfig {
        AsgdConfig {
            lr: 0.05,
            lambd: 1e-2,
            alpha: 0.75,
            t0: 5.0,
            weight_decay: 0.01,
            maximize: false,
        }
    }

    /// PyTorch 2.15's `ASGD([p], lr=0.05, lambd=1e-2, alpha=0.75, t0=5, weight_decay=0.01)`
    /// after 20 steps of `p.grad = w * (p - 1)`: the parameters and `state["ax"]`, bit for bit.
    #[test]
    fn asgd_and_its_average_follow_torch_in_f32_and_f64() {
        let mut a = Asgd::<f32>::new(config());
        let p = run(&mut a);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&p), [0x3f684a9c, 0x3f79c26b, 0x3f7f7508, 0x3f7f5d10]);
        assert_eq!(
            bits(&a.average()[0]),
            [0x3f4f633d, 0x3f5fe668, 0x3f834c38, 0x3f7f9e79]
        );
        let mut b = Asgd::<f64>::new(config());
        let p = run(&mut b);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&p),
            [
                0x3fed09537531ce8c,
                0x3fef384d649a43a7,
                0x3fefeea111d0bd0c,
                0x3fefeba1f0844cb4
            ]
        );
        assert_eq!(
            bits(&b.average()[0]),
            [
                0x3fe9ec677bde34a7,
                0x3febfcccf7b84376,
                0x3ff0698717e129b1,
                0x3feff3cf2c2c6eaf
            ]
        );
    }
}
