//! The pieces Adam, AdamW, NAdam and RAdam share: per-parameter state, weight decay, and the moment updates.

use descent_tensor::Real;

use crate::lerp;

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
