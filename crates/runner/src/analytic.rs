//! `Analytic`: the closed-form gradient of a problem linear in its parameter under a squared loss, without autodiff.

use std::any::Any;
use std::sync::{Mutex, MutexGuard};

use descent_losses::Loss;
use descent_optim::Evaluation;
use descent_problems::Problem;
use descent_tensor::gemm::{Operand, matmul};
use descent_tensor::{Dtype, Real, sum_squares};

/// For `P = X A` (or `A X`) and a loss `s · sum((P - T)^2)`: the loss and `∇ = 2 s (P - T) A^T`
/// (or `2 s A^T (P - T)`), two matrix products where autodiff makes three and builds a graph.
///
/// The products run on host buffers (plain loops for small shapes, faer's threaded gemm for large
/// ones), so nothing is copied into or out of a tensor. A batch runs instance by instance.
#[derive(Debug)]
pub struct Analytic {
    left: bool,
    batch: usize,
    /// One instance's `A`: `n x m`.
    n: usize,
    m: usize,
    /// One instance's target: `tr x tc`.
    tr: usize,
    tc: usize,
    scale: f64,
    /// `A` and the target, row-major, in the run's dtype only (the other pair is empty).
    a32: Vec<f32>,
    t32: Vec<f32>,
    a64: Vec<f64>,
    t64: Vec<f64>,
    /// The residual's buffer, kept between evaluations: a fresh multi-megabyte allocation every
    /// iteration costs the kernel's page zeroing (about 8% of an n = 1024 profile).
    residual32: Mutex<Vec<f32>>,
    residual64: Mutex<Vec<f64>>,
}

impl Analytic {
    /// The analytic gradient of `problem` under `loss` in `dtype`, if the problem is linear in its
    /// one parameter and the loss a multiple of the sum of squares.
    pub fn new(problem: &dyn Problem, loss: &dyn Loss, dtype: Dtype) -> Option<Self> {
        if problem.parameters().len() != 1 {
            return None;
        }
        let form = problem.linear_form()?;
        let batch = form.batch.max(1);
        // A batch's objective is the sum of its instances' losses: each instance's own scale.
        let (tr, tc) = (form.target.rows() / batch, form.target.cols());
        let scale = loss.square_sum_scale(tr * tc)?;
        let (a, t) = (form.a.data(), form.target.data());
        let (mut a32, mut t32, mut a64, mut t64) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        match dtype {
            Dtype::F32 => {
                a32 = a.iter().map(|&v| v as f32).collect();
                t32 = t.iter().map(|&v| v as f32).collect();
            }
            Dtype::F64 => {
                a64 = a.to_vec();
                t64 = t.to_vec();
            }
        }
        Some(Self {
            left: form.left,
            batch,
            n: form.a.rows() / batch,
            m: form.a.cols(),
            tr,
            tc,
            scale,
            a32,
            t32,
            a64,
            t64,
            residual32: Mutex::default(),
            residual64: Mutex::default(),
        })
    }

    /// The `A` and target copies in `F`, or an error when the run's dtype is another.
    fn typed<F: Real>(&self) -> candle_core::Result<(&[F], &[F])> {
        pick(&self.a32, &self.a64)
            .zip(pick(&self.t32, &self.t64))
            .ok_or_else(|| {
                candle_core::Error::Msg(format!(
                    "the analytic gradient was built for another dtype than {:?}",
                    F::DTYPE
                ))
            })
    }

    /// The residual buffer in `F`.
    fn residual<F: Real>(&self) -> candle_core::Result<MutexGuard<'_, Vec<F>>> {
        let lock =
            either::<Mutex<Vec<F>>>(&self.residual32, &self.residual64).ok_or_else(|| {
                candle_core::Error::Msg("the element type is neither f32 nor f64".into())
            })?;
        // A panic elsewhere while the lock was held leaves only stale numbers, all overwritten.
        Ok(lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The loss and gradient at `params` (one parameter, row-major; instance `k` of a batch is
    /// the `k`-th block of rows of the parameter, of `A` and of the target).
    pub fn evaluate<F: Real>(&self, params: &[Vec<F>]) -> candle_core::Result<Evaluation<F>> {
        let (a, t) = self.typed::<F>()?;
        let x = params.first().map(Vec::as_slice).unwrap_or_default();
        let (n, m, tr, tc) = (self.n, self.m, self.tr, self.tc);
        // X is tr x n (left: D = X A) or m x tc (right: D = A X); D is tr x tc.
        let x_len = if self.left { tr * n } else { m * tc };
        if x.len() != self.batch * x_len {
            candle_core::bail!(
                "the parameter has {} entries, the problem {}",
                x.len(),
                self.batch * x_len
            );
        }
        let mut guard = self.residual::<F>()?;
        let d: &mut Vec<F> = &mut guard;
        // Every entry is written below before it is read, so a reused buffer needs no clearing.
        d.resize(self.batch * tr * tc, F::zero());
        let mut g = vec![F::zero(); x.len()];
        let two_s = F::host(2.0 * self.scale);
        let square = n == m && m == tr && tr == tc;
        let blocked = self.batch > 1
            && square
            && (crate::blocks::Blocks {
                left: self.left,
                x,
                a,
                t,
                two_s,
            })
            .run(n, d, &mut g);
        // Otherwise instance by instance through the general products (none if the kernels ran).
        let blocks = d
            .chunks_exact_mut(tr * tc)
            .zip(g.chunks_exact_mut(x_len))
            .zip(x.chunks_exact(x_len))
            .zip(a.chunks_exact(n * m).zip(t.chunks_exact(tr * tc)))
            .take(if blocked { 0 } else { self.batch });
        for (((d, g), x), (a, t)) in blocks {
            if self.left {
                matmul(d, Operand::new(x, tr, n), Operand::new(a, n, m), F::one());
            } else {
                matmul(d, Operand::new(a, n, m), Operand::new(x, m, tc), F::one());
            }
            for (d, &t) in d.iter_mut().zip(t) {
                *d -= t;
            }
            if self.left {
                matmul(g, Operand::new(d, tr, tc), Operand::t(a, n, m), two_s);
            } else {
                matmul(g, Operand::t(a, n, m), Operand::new(d, tr, tc), two_s);
            }
        }
        Ok(Evaluation {
            loss: sum_squares(d) * self.scale,
            grads: vec![g],
        })
    }
}

/// The one of `f32s` and `f64s` whose element type is `F`, if it is not empty (`&Vec`, not a
/// slice: the downcast names the stored type).
#[allow(clippy::ptr_arg)]
fn pick<'s, F: Real>(f32s: &'s Vec<f32>, f64s: &'s Vec<f64>) -> Option<&'s [F]> {
    either::<Vec<F>>(f32s, f64s)
        .map(Vec::as_slice)
        .filter(|v| !v.is_empty())
}

/// Whichever of `a` and `b` is a `T`.
fn either<'s, T: 'static>(a: &'s dyn Any, b: &'s dyn Any) -> Option<&'s T> {
    a.downcast_ref::<T>().or_else(|| b.downcast_ref::<T>())
}
