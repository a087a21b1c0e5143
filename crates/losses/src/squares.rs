//! `squared_error`: `Σ (p - t)²` or its mean as one autodiff node with its own backward, as torch's `mse_loss` is one node.
//!
//! Built from candle's operations the loss is four nodes (sub, sqr, sum, affine) and its backward
//! a dozen tensor operations, each allocating; it also differentiates the constant target. This
//! op computes the value in one pass and its backward in one pass into one tensor, with the bits
//! of candle's chain: `((p - t) · (g · (1/n))) · 2` (mean) or `((p - t) · g) · 2` (sum).

use candle_core::{CpuStorage, CustomOp2, DType, Layout, Result, Shape, Tensor};
use descent_tensor::{Real, sum_squared_differences, with_host};

/// `mean((p - t)²)` (`mean = true`) or `sum((p - t)²)`, differentiable in `p` only. The value is
/// summed in f64 and rounded once to the dtype (then scaled by `1/n` in the dtype, as candle's
/// `mean_all`). Falls back to candle's operations for other devices, dtypes, shapes or layouts.
pub fn squared_error(p: &Tensor, t: &Tensor, mean: bool) -> Result<Tensor> {
    let fused = p.device().is_cpu()
        && t.device().is_cpu()
        && p.dtype() == t.dtype()
        && matches!(p.dtype(), DType::F32 | DType::F64)
        && p.shape() == t.shape()
        && p.is_contiguous()
        && t.is_contiguous()
        && p.elem_count() > 0;
    if !fused {
        let squares = p.sub(t)?.sqr()?;
        return if mean {
            squares.mean_all()
        } else {
            squares.sum_all()
        };
    }
    p.apply_op2(
        t,
        SquaredError {
            mean,
            n: p.elem_count(),
        },
    )
}

/// The op: `mean` says whether the sum is scaled by `1/n`.
struct SquaredError {
    mean: bool,
    n: usize,
}

impl CustomOp2 for SquaredError {
    fn name(&self) -> &'static str {
        "squared-error"
    }

    fn cpu_fwd(
        &self,
        p: &CpuStorage,
        pl: &Layout,
        t: &CpuStorage,
        tl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (ps, ts) = (pl.start_offset(), tl.start_offset());
        let n = self.n;
        let scale = 1.0 / n as f64;
        let out = match (p, t) {
            (CpuStorage::F32(p), CpuStorage::F32(t)) => {
                let s = sum_squared_differences(&p[ps..ps + n], &t[ts..ts + n]) as f32;
                CpuStorage::F32(vec![if self.mean { s * scale as f32 } else { s }])
            }
            (CpuStorage::F64(p), CpuStorage::F64(t)) => {
                let s = sum_squared_differences(&p[ps..ps + n], &t[ts..ts + n]);
                CpuStorage::F64(vec![if self.mean { s * scale } else { s }])
            }
            _ => candle_core::bail!("squared-error: f32 or f64 operands of one dtype"),
        };
        Ok((out, Shape::from(())))
    }

    /// `((p - t) · (g · (1/n) + 0)) · 2 + 0` element by element in the dtype (`+ 0` as candle's
    /// `affine` adds it, which turns -0 into +0), in one pass into one new tensor.
    fn bwd(
        &self,
        p: &Tensor,
        t: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let scale = if self.mean {
            Some(1.0 / self.n as f64)
        } else {
            None
        };
        let out = match p.dtype() {
            DType::F32 => gradient::<f32>(p, t, grad, scale)?,
            _ => gradient::<f64>(p, t, grad, scale)?,
        };
        Ok((Some(out), None))
    }
}

/// The backward of [`SquaredError`] in `F` (the op runs only on contiguous same-shape f32 or f64
/// CPU tensors, so both are contiguous here).
fn gradient<F: Real>(p: &Tensor, t: &Tensor, grad: &Tensor, scale: Option<f64>) -> Result<Tensor> {
    let zero = F::zero();
    let g = grad.to_scalar::<F>()?;
    let g = match scale {
        Some(m) => g * F::host(m) + zero,
        None => g,
    };
    let two = F::host(2.0);
    let out: Option<Vec<F>> = with_host::<F, _>(p, |p_host| {
        with_host::<F, _>(t, |t_host| {
            p_host
                .iter()
                .zip(t_host)
                .map(|(&p, &t)| ((p - t) * g) * two + zero)
                .collect()
        })
    })
    .flatten();
    let Some(out) = out else {
        candle_core::bail!("squared-error: the operands are no longer contiguous CPU tensors")
    };
    Tensor::from_vec(out, p.shape(), p.device())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn bits(t: &Tensor) -> Vec<u32> {
        t.flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .expect("values")
            .iter()
            .map(|v| v.to_bits())
            .collect()
    }

    /// The gradient has the bits of candle's chain of operations, for the mean and the sum, and
    /// the target gets none; the value agrees to f32 rounding (it is summed in f64 here).
    #[test]
    fn gradient_has_candles_bits_and_the_target_none() -> Result<()> {
        let dev = Device::Cpu;
        for mean in [true, false] {
            for shape in [(4, 4), (7, 3), (64, 64)] {
                let p = Var::from_tensor(&Tensor::randn(0f32, 1.0, shape, &dev)?)?;
                let t = Tensor::randn(0f32, 1.0, shape, &dev)?;
                let squares = p.sub(&t)?.sqr()?;
                let want = if mean {
                    squares.mean_all()?
                } else {
                    squares.sum_all()?
                };
                let got = squared_error(&p, &t, mean)?;
                let (w, g) = (want.to_scalar::<f32>()?, got.to_scalar::<f32>()?);
                assert!((w - g).abs() <= 1e-5 * w.abs(), "{g} vs {w}");
                let (gw, gg) = (want.backward()?, got.backward()?);
                assert_eq!(
                    bits(gg.get(&p).expect("p")),
                    bits(gw.get(&p).expect("p")),
                    "mean {mean}, {shape:?}"
                );
                assert!(gg.get(&t).is_none());
            }
        }
        Ok(())
    }

    /// Exact small cases: mean of (1, 0, 2, 4)² is 21/4, their sum 21; a transposed (not
    /// contiguous) prediction takes candle's own path and gives the same.
    #[test]
    fn values_of_a_small_case_on_both_paths() -> Result<()> {
        let dev = Device::Cpu;
        let p = Tensor::new(&[[1.0f64, 2.0], [3.0, 5.0]], &dev)?;
        let t = Tensor::new(&[[0.0f64, 2.0], [1.0, 1.0]], &dev)?;
        assert_eq!(squared_error(&p, &t, true)?.to_scalar::<f64>()?, 21.0 / 4.0);
        assert_eq!(squared_error(&p, &t, false)?.to_scalar::<f64>()?, 21.0);
        let (pt, tt) = (p.t()?, t.t()?);
        assert!(!pt.is_contiguous());
        assert_eq!(squared_error(&pt, &tt, false)?.to_scalar::<f64>()?, 21.0);
        Ok(())
    }
}
