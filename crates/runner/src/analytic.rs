//! `Analytic`: the closed-form gradient of a problem linear in its parameter under a squared loss, without autodiff.

use candle_core::{Device, Tensor};
use descent_losses::Loss;
use descent_optim::Evaluation;
use descent_problems::{LinearForm, Problem};
use descent_tensor::{Dtype, Matrix, Real};

/// Below this many entries of `A` the products run as plain loops (no tensor overhead); above it
/// they run through candle's matrix product.
const LOOP_LIMIT: usize = 32 * 32;

/// For `P = X A` (or `A X`) and a loss `s · sum((P - T)^2)`: the loss and `∇ = 2 s (P - T) A^T`
/// (or `2 s A^T (P - T)`), two matrix products where autodiff makes three and builds a graph.
#[derive(Debug)]
pub struct Analytic {
    form: LinearForm,
    /// `A` and the target in f32 and f64, row-major, for the loops.
    a32: Vec<f32>,
    a64: Vec<f64>,
    t32: Vec<f32>,
    t64: Vec<f64>,
    scale: f64,
    a: Tensor,
    a_t: Tensor,
    target: Tensor,
}

impl Analytic {
    /// The analytic gradient of `problem` under `loss`, if the problem is linear in its one
    /// parameter and the loss a multiple of the sum of squares.
    pub fn new(
        problem: &dyn Problem,
        loss: &dyn Loss,
        dtype: Dtype,
        device: &Device,
    ) -> Option<Self> {
        if problem.parameters().len() != 1 {
            return None;
        }
        let form = problem.linear_form()?;
        // A batch's objective is the sum of its instances' losses: each instance's own scale.
        let entries = form.target.rows() / form.batch.max(1) * form.target.cols();
        let scale = loss.square_sum_scale(entries)?;
        let tensor = |m: &Matrix| m.to_tensor(dtype, device).ok();
        Some(Self {
            a32: form.a.data().iter().map(|&v| v as f32).collect(),
            a64: form.a.data().to_vec(),
            t32: form.target.data().iter().map(|&v| v as f32).collect(),
            t64: form.target.data().to_vec(),
            a: tensor(&form.a)?,
            a_t: tensor(&form.a.transpose())?,
            target: tensor(&form.target)?,
            form,
            scale,
        })
    }

    /// The loss and gradient at `params` (one parameter, row-major).
    pub fn evaluate<F: Real>(&self, params: &[Vec<F>]) -> candle_core::Result<Evaluation<F>> {
        let x = &params[0];
        let a = &self.form.a;
        if self.form.batch > 1 || a.rows() * a.cols() <= LOOP_LIMIT {
            return Ok(self.by_loops(x));
        }
        let (rows, cols) = if self.form.left {
            (self.form.target.rows(), a.rows())
        } else {
            (a.cols(), self.form.target.cols())
        };
        let x = Tensor::from_slice(x, (rows, cols), self.a.device())?;
        let two_s = 2.0 * self.scale;
        let (d, g) = if self.form.left {
            let d = x.matmul(&self.a)?.sub(&self.target)?;
            let g = d.matmul(&self.a_t)?;
            (d, g)
        } else {
            let d = self.a.matmul(&x)?.sub(&self.target)?;
            let g = self.a_t.matmul(&d)?;
            (d, g)
        };
        let loss = d
            .sqr()?
            .sum_all()?
            .to_dtype(candle_core::DType::F64)?
            .to_scalar::<f64>()?
            * self.scale;
        let g = (g * two_s)?.flatten_all()?.to_vec1::<F>()?;
        Ok(Evaluation {
            loss,
            grads: vec![g],
        })
    }

    /// The f32 or the f64 copy, whichever `F` is.
    #[allow(clippy::ptr_arg)]
    fn typed<'s, F: Real>(&self, f32s: &'s Vec<f32>, f64s: &'s Vec<f64>) -> &'s [F] {
        use std::any::Any;
        (f32s as &dyn Any)
            .downcast_ref::<Vec<F>>()
            .or_else(|| (f64s as &dyn Any).downcast_ref::<Vec<F>>())
            .map_or(&[], Vec::as_slice)
    }

    /// The same by plain loops in the element type, for small matrices and for batches (instance
    /// k uses rows `k n ..` of the stacked `a`, target and parameter). Plain multiply and add:
    /// `mul_add` is a library call on CPUs targeted without FMA, and no bit pattern is owed here.
    fn by_loops<F: Real>(&self, x: &[F]) -> Evaluation<F> {
        let f = &self.form;
        let batch = f.batch.max(1);
        // The matrices in the element type, made once at construction.
        let (a_data, t_data) = (
            self.typed::<F>(&self.a32, &self.a64),
            self.typed::<F>(&self.t32, &self.t64),
        );
        let a_cols = f.a.cols();
        let a = |i: usize, j: usize| a_data[i * a_cols + j];
        let target = |i: usize, j: usize| t_data[i * f.target.cols() + j];
        let (n, m) = (f.a.rows() / batch, f.a.cols());
        let (tr, tc) = (f.target.rows() / batch, f.target.cols());
        let mut d = vec![F::zero(); f.target.rows() * tc];
        let mut g = vec![F::zero(); x.len()];
        let two_s = F::host(2.0 * self.scale);
        for b in 0..batch {
            let (ao, to) = (b * n, b * tr);
            if f.left {
                // X_b: tr x n, A_b: n x m (m = tc). D = X A - T; G = 2s D A^T.
                let xo = b * tr;
                for i in 0..tr {
                    for j in 0..m {
                        let mut s = F::zero();
                        for k in 0..n {
                            s += x[(xo + i) * n + k] * a(ao + k, j);
                        }
                        d[(to + i) * tc + j] = s - target(to + i, j);
                    }
                    for k in 0..n {
                        let mut s = F::zero();
                        for j in 0..m {
                            s += d[(to + i) * tc + j] * a(ao + k, j);
                        }
                        g[(xo + i) * n + k] = two_s * s;
                    }
                }
            } else {
                // A_b: n x m, X_b: m x tc. D = A X - T; G = 2s A^T D.
                let xo = b * m;
                for i in 0..n {
                    for j in 0..tc {
                        let mut s = F::zero();
                        for k in 0..m {
                            s += a(ao + i, k) * x[(xo + k) * tc + j];
                        }
                        d[(to + i) * tc + j] = s - target(to + i, j);
                    }
                }
                for k in 0..m {
                    for j in 0..tc {
                        let mut s = F::zero();
                        for i in 0..n {
                            s += a(ao + i, k) * d[(to + i) * tc + j];
                        }
                        g[(xo + k) * tc + j] = two_s * s;
                    }
                }
            }
        }
        let sum: f64 = d.iter().map(|v| v.widen() * v.widen()).sum();
        Evaluation {
            loss: sum * self.scale,
            grads: vec![g],
        }
    }
}
