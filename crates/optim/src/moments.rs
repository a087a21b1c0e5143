//! The pieces Adam, AdamW, NAdam and RAdam share: per-parameter state, weight decay, and the moment updates.

use descent_tensor::Real;

use crate::host::StepCount;
use crate::optimizer::{check_shapes, load_gradient};
use crate::{OptimError, lerp};

/// One zero-filled buffer per parameter, shaped like `params`.
pub(crate) fn zeros_like<F: Real>(params: &[Vec<F>]) -> Vec<Vec<F>> {
    params.iter().map(|p| vec![F::zero(); p.len()]).collect()
}

/// Weight decay as torch applies it before the moments, with `g` the (already negated when
/// maximizing) gradient of `p`:
/// decoupled (AdamW): `p <- p * (1 - lr wd)`; L2: `g <- fma(wd, p, g)`. Nothing when `wd = 0`.
pub(crate) fn weight_decay<F: Real>(p: &mut [F], g: &mut [F], wd: f64, decoupled: bool, lr: f64) {
    if wd == 0.0 {
        return;
    }
    if decoupled {
        let factor = F::host(1.0 - lr * wd);
        for pi in p.iter_mut() {
            *pi *= factor;
        }
    } else {
        let wd = F::host(wd);
        for (gi, &pi) in g.iter_mut().zip(p.iter()) {
            *gi = wd.mul_add(pi, *gi);
        }
    }
}

/// The moment coefficients of `betas`, each host scalar rounded once (rule R1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Betas<F> {
    /// `1 - β1`, the lerp weight of the first moment.
    w1: F,
    /// `β2`.
    b2: F,
    /// `1 - β2`.
    one_minus_b2: F,
}

impl<F: Real> Betas<F> {
    pub(crate) fn new([beta1, beta2]: [f64; 2]) -> Self {
        Self {
            w1: F::host(1.0 - beta1),
            b2: F::host(beta2),
            one_minus_b2: F::host(1.0 - beta2),
        }
    }

    /// `m <- lerp(m, g, 1 - β1)`; `v <- fma((1 - β2) g, g, v β2)`: torch's order for one entry.
    #[inline]
    pub(crate) fn update(&self, m: &mut F, v: &mut F, g: F) {
        *m = lerp(*m, g, self.w1);
        *v = (self.one_minus_b2 * g).mul_add(g, *v * self.b2);
    }
}

/// How the Adam family prepares each gradient: sign, weight decay, and the moment decay rates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepare {
    /// Negate the gradient (ascend).
    pub maximize: bool,
    /// Weight decay factor.
    pub weight_decay: f64,
    /// Decoupled (AdamW) instead of L2.
    pub decoupled: bool,
    /// The step's learning rate (decoupled decay uses it).
    pub lr: f64,
    /// (β1, β2).
    pub betas: [f64; 2],
}

/// The state Adam, AdamW, NAdam and RAdam share: torch's float32 step count and the two moments.
#[derive(Debug, Clone)]
pub(crate) struct Moments<F> {
    step: StepCount,
    m: Vec<Vec<F>>,
    v: Vec<Vec<F>>,
    scratch: Vec<F>,
}

impl<F: Real> Moments<F> {
    pub(crate) fn new() -> Self {
        Self {
            step: StepCount::default(),
            m: Vec::new(),
            v: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Check the shapes, create the zero moments on the first step, and count this step: its `t`.
    pub(crate) fn begin(&mut self, params: &[Vec<F>], grads: &[Vec<F>]) -> Result<f64, OptimError> {
        check_shapes(params, grads)?;
        if self.m.len() != params.len() {
            self.m = zeros_like(params);
            self.v = zeros_like(params);
        }
        Ok(self.step.advance())
    }

    /// For each parameter `i`, in torch's order: load its gradient (negated when maximizing),
    /// apply weight decay, update the moments, then `rule(i, p, g, m, v)` updates `p`.
    pub(crate) fn update(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        how: Prepare,
        mut rule: impl FnMut(usize, &mut [F], &[F], &[F], &[F]),
    ) {
        let betas = Betas::<F>::new(how.betas);
        for (i, (p, g_in)) in params.iter_mut().zip(grads).enumerate() {
            let g = &mut self.scratch;
            load_gradient(g, g_in, how.maximize);
            weight_decay(p, g, how.weight_decay, how.decoupled, how.lr);
            let (m, v) = (&mut self.m[i], &mut self.v[i]);
            for ((m, v), &g) in m.iter_mut().zip(v.iter_mut()).zip(g.iter()) {
                betas.update(m, v, g);
            }
            rule(i, p, g, m, v);
        }
    }
}
