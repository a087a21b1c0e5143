//! `SvdHost`: the SVD problem's objective and gradient on host buffers, its products and its orthogonality penalties.

use descent_losses::{Elementwise, Loss};
use descent_tensor::gemm::{Operand, matmul};
use descent_tensor::{Real, sum_squares};

use crate::host::{HostEval, HostObjective, check_lengths};

/// `loss(U diag(s) Vᵀ, A) + w (loss(UᵀU, I) + loss(VᵀV, I))` for `U` (m x k), `s` (1 x k) and
/// `V` (n x k). With `R` the fit's derivative with respect to the product and `E_U`, `E_V` the
/// penalties' with respect to the Gram matrices:
///
/// - `∂/∂U = (R V) diag(s) + w U (E_U + E_Uᵀ)`,
/// - `∂/∂s_j = Σ_i (R V)_ij U_ij`,
/// - `∂/∂V = Rᵀ (U diag(s)) + w V (E_V + E_Vᵀ)`.
#[derive(Debug)]
pub struct SvdHost<F> {
    m: usize,
    n: usize,
    k: usize,
    weight: f64,
    fit: Elementwise,
    penalty: Elementwise,
    /// `A`, row-major m x n.
    a: Vec<F>,
    /// Buffers kept between evaluations: `U diag(s)` (m x k), the residual (m x n), `R V`
    /// (m x k), a Gram matrix (k x k) and a product for the penalty (max(m, n) x k).
    us: Vec<F>,
    residual: Vec<F>,
    rv: Vec<F>,
    gram: Vec<F>,
    extra: Vec<F>,
}

impl<F: Real> SvdHost<F> {
    /// The host objective for the `m x n` matrix `a` (row-major, f64), rank `k` and penalty
    /// weight `weight`, under `loss`; `None` when the loss has no elementwise form.
    pub fn new(
        a: &[f64],
        (m, n, k): (usize, usize, usize),
        weight: f64,
        loss: &dyn Loss,
    ) -> Option<Self> {
        Some(Self {
            m,
            n,
            k,
            weight,
            fit: loss.elementwise(m * n)?,
            penalty: loss.elementwise(k * k)?,
            a: a.iter().map(|&v| F::host(v)).collect(),
            us: vec![F::zero(); m * k],
            residual: vec![F::zero(); m * n],
            rv: vec![F::zero(); m * k],
            gram: vec![F::zero(); k * k],
            extra: vec![F::zero(); m.max(n) * k],
        })
    }

    /// `w · loss(Mᵀ M, I)` for `mat` (`rows x k`), and `w M (E + Eᵀ)` added into `grad`.
    fn penalty(&mut self, mat: &[F], rows: usize, grad: &mut [F]) -> f64 {
        let k = self.k;
        matmul(
            &mut self.gram,
            Operand::t(mat, rows, k),
            Operand::new(mat, rows, k),
            F::one(),
        );
        for i in 0..k {
            self.gram[i * k + i] -= F::one();
        }
        let value = self.penalty.value_and_derivative(&mut self.gram);
        // E + Eᵀ, times w, in place (the upper triangle first, then mirrored).
        let w = F::host(self.weight);
        for i in 0..k {
            for j in i..k {
                let s = (self.gram[i * k + j] + self.gram[j * k + i]) * w;
                self.gram[i * k + j] = s;
                self.gram[j * k + i] = s;
            }
        }
        let extra = &mut self.extra[..rows * k];
        matmul(
            extra,
            Operand::new(mat, rows, k),
            Operand::new(&self.gram, k, k),
            F::one(),
        );
        for (g, e) in grad.iter_mut().zip(extra.iter()) {
            *g += *e;
        }
        value
    }
}

impl<F: Real> HostObjective<F> for SvdHost<F> {
    fn evaluate(&mut self, params: &[Vec<F>], grads: &mut [Vec<F>]) -> Result<HostEval, String> {
        let (m, n, k) = (self.m, self.n, self.k);
        check_lengths("parameter", params, &[m * k, k, n * k])?;
        check_lengths("gradient", grads, &[m * k, k, n * k])?;
        let (u, s, v) = (&params[0], &params[1], &params[2]);
        for (us, u) in self.us.chunks_exact_mut(k).zip(u.chunks_exact(k)) {
            for ((o, &u), &s) in us.iter_mut().zip(u).zip(s) {
                *o = u * s;
            }
        }
        matmul(
            &mut self.residual,
            Operand::new(&self.us, m, k),
            Operand::t(v, n, k),
            F::one(),
        );
        for (d, &a) in self.residual.iter_mut().zip(&self.a) {
            *d -= a;
        }
        let mut loss = self.fit.value_and_derivative(&mut self.residual);
        let [gu, gs, gv] = grads else {
            return Err("three gradient buffers expected".into());
        };
        // R V (m x k); ∂U = (R V) diag(s), ∂s_j = Σ_i (R V)_ij U_ij.
        matmul(
            &mut self.rv,
            Operand::new(&self.residual, m, n),
            Operand::new(v, n, k),
            F::one(),
        );
        gs.fill(F::zero());
        for ((g, rv), u) in gu
            .chunks_exact_mut(k)
            .zip(self.rv.chunks_exact(k))
            .zip(u.chunks_exact(k))
        {
            for j in 0..k {
                g[j] = rv[j] * s[j];
                gs[j] += rv[j] * u[j];
            }
        }
        // ∂V = Rᵀ (U diag(s)) (n x k).
        matmul(
            gv,
            Operand::t(&self.residual, m, n),
            Operand::new(&self.us, m, k),
            F::one(),
        );
        if self.weight != 0.0 {
            let penalties = self.penalty(u, m, gu) + self.penalty(v, n, gv);
            loss += self.weight * penalties;
        }
        Ok(HostEval {
            loss,
            grad_squares: sum_squares(gu) + sum_squares(gs) + sum_squares(gv),
        })
    }
}
