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
        let scale = loss.square_sum_scale(form.target.rows() * form.target.cols())?;
        let tensor = |m: &Matrix| m.to_tensor(dtype, device).ok();
        Some(Self {
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
        if a.rows() * a.cols() <= LOOP_LIMIT {
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

    /// The same by plain loops in the element type, for small matrices.
    fn by_loops<F: Real>(&self, x: &[F]) -> Evaluation<F> {
        let f = &self.form;
        let a = |i: usize, j: usize| F::host(f.a.get(i, j));
        let (n, m) = (f.a.rows(), f.a.cols());
        let (tr, tc) = (f.target.rows(), f.target.cols());
        let mut d = vec![F::zero(); tr * tc];
        let mut g = vec![F::zero(); x.len()];
        let two_s = F::host(2.0 * self.scale);
        if f.left {
            // X: tr x n, A: n x m (m = tc). D = X A - T; G = 2s D A^T.
            for i in 0..tr {
                for j in 0..m {
                    let mut s = F::zero();
                    for k in 0..n {
                        s = x[i * n + k].mul_add(a(k, j), s);
                    }
                    d[i * tc + j] = s - F::host(f.target.get(i, j));
                }
                for k in 0..n {
                    let mut s = F::zero();
                    for j in 0..m {
                        s = d[i * tc + j].mul_add(a(k, j), s);
                    }
                    g[i * n + k] = two_s * s;
                }
            }
        } else {
            // A: n x m, X: m x tc. D = A X - T; G = 2s A^T D.
            for i in 0..n {
                for j in 0..tc {
                    let mut s = F::zero();
                    for k in 0..m {
                        s = a(i, k).mul_add(x[k * tc + j], s);
                    }
                    d[i * tc + j] = s - F::host(f.target.get(i, j));
                }
            }
            for k in 0..m {
                for j in 0..tc {
                    let mut s = F::zero();
                    for i in 0..n {
                        s = a(i, k).mul_add(d[i * tc + j], s);
                    }
                    g[k * tc + j] = two_s * s;
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
