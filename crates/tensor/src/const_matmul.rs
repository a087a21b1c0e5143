//! Products with a constant matrix whose backward pass differentiates only the variable side.
//!
//! candle's `backward` computes a gradient for both operands of every `matmul`, constants
//! included: for `X A` it makes `Xᵀ G` (a third matrix product) and keeps it in the gradient
//! store. [`matmul_const`] tells autodiff that the constant has no gradient, so the backward pass
//! makes only `G Aᵀ` (or `Aᵀ G`). On the CPU, 2-D products and batches of them in f32 and f64
//! run through [`crate::gemm`] (plain loops for small shapes, faer, threaded, for large ones) on
//! candle's storage, instance by instance; other dtypes and layouts use candle's own product.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Storage, Tensor};

use crate::Real;
use crate::gemm::{Operand, matmul};

/// Which side the constant multiplies from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstSide {
    /// `x · constant`.
    Right,
    /// `constant · x`.
    Left,
}

/// `x · a` (`side = Right`) or `a · x` (`side = Left`), with `a` constant for autodiff. Shapes
/// follow [`Tensor::matmul`] (2-D, or 3-D with equal batch sizes). On devices other than the
/// CPU this is plain `matmul` (and `a`'s gradient is computed, as candle does).
pub fn matmul_const(x: &Tensor, a: &Tensor, side: ConstSide) -> Result<Tensor> {
    if !x.device().is_cpu() || !a.device().is_cpu() {
        return match side {
            ConstSide::Right => x.matmul(a),
            ConstSide::Left => a.matmul(x),
        };
    }
    // Shape errors as candle's `matmul` words them, before the op runs.
    match side {
        ConstSide::Right => product_shape(x.dims(), a.dims())?,
        ConstSide::Left => product_shape(a.dims(), x.dims())?,
    };
    x.apply_op1(ConstMatmul {
        a: a.detach(),
        side,
    })
}

/// The shape of `lhs · rhs` under [`Tensor::matmul`]'s rules, or its error.
fn product_shape(lhs: &[usize], rhs: &[usize]) -> Result<(usize, usize, usize, usize)> {
    let dim = lhs.len();
    let bad = || {
        candle_core::Error::ShapeMismatchBinaryOp {
            lhs: Shape::from(lhs),
            rhs: Shape::from(rhs),
            op: "matmul",
        }
        .bt()
    };
    if dim < 2 || rhs.len() != dim {
        return Err(bad());
    }
    let (m, k, k2, n) = (lhs[dim - 2], lhs[dim - 1], rhs[dim - 2], rhs[dim - 1]);
    let batch: usize = lhs[..dim - 2].iter().product();
    if k != k2 || batch != rhs[..dim - 2].iter().product::<usize>() || k == 0 || m * n == 0 {
        return Err(bad());
    }
    Ok((batch, m, n, k))
}

struct ConstMatmul {
    a: Tensor,
    side: ConstSide,
}

impl CustomOp1 for ConstMatmul {
    fn name(&self) -> &'static str {
        "matmul-const"
    }

    fn cpu_fwd(&self, x: &CpuStorage, x_layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (guard, a_layout) = self.a.storage_and_layout();
        let Storage::Cpu(a) = &*guard else {
            candle_core::bail!("matmul-const: the constant is not on the CPU")
        };
        let (lhs, lhs_layout, rhs, rhs_layout) = match self.side {
            ConstSide::Right => (x, x_layout, a, a_layout),
            ConstSide::Left => (a, a_layout, x, x_layout),
        };
        let dims = lhs_layout.dims();
        let bmnk = product_shape(dims, rhs_layout.dims())?;
        let shape = Shape::from(&dims[..dims.len() - 2]).extend(&[bmnk.1, bmnk.2]);
        let out = match host_product(lhs, lhs_layout, rhs, rhs_layout, bmnk) {
            Some(out) => out,
            None => lhs.matmul(rhs, bmnk, lhs_layout, rhs_layout)?,
        };
        Ok((out, shape))
    }

    /// The variable's gradient `G Aᵀ` (or `Aᵀ G`): again a product with a constant.
    fn bwd(&self, _x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(matmul_const(grad, &self.a.t()?, self.side)?))
    }
}

/// The f32 or f64 product (2-D, or a batch of them, instance by instance) through
/// [`crate::gemm`], or `None` where candle should do it (other dtypes, more than three
/// dimensions, layouts whose matrices are neither row-major nor a transposed row-major, or whose
/// instances are not one after another).
fn host_product(
    lhs: &CpuStorage,
    lhs_layout: &Layout,
    rhs: &CpuStorage,
    rhs_layout: &Layout,
    (batch, m, n, _k): (usize, usize, usize, usize),
) -> Option<CpuStorage> {
    fn product<F: Real>(
        l: &[F],
        ll: &Layout,
        r: &[F],
        rl: &Layout,
        batch: usize,
        len: usize,
    ) -> Option<Vec<F>> {
        // The layout is the same for every instance and the offsets grow with `b`: if the first
        // and the last instance can be read, all can.
        let last = batch.checked_sub(1)?;
        operand(l, ll, last)?;
        operand(r, rl, last)?;
        let mut out = vec![F::zero(); batch * len];
        for (b, dst) in out.chunks_exact_mut(len).enumerate() {
            matmul(dst, operand(l, ll, b)?, operand(r, rl, b)?, F::one());
        }
        Some(out)
    }
    match (lhs, rhs) {
        (CpuStorage::F32(l), CpuStorage::F32(r)) => {
            product(l, lhs_layout, r, rhs_layout, batch, m * n).map(CpuStorage::F32)
        }
        (CpuStorage::F64(l), CpuStorage::F64(r)) => {
            product(l, lhs_layout, r, rhs_layout, batch, m * n).map(CpuStorage::F64)
        }
        _ => None,
    }
}

/// Instance `b` of a 2-D or 3-D operand: the last two dimensions row-major or transposed, the
/// instances one after another (stride `rows * cols`, or any stride for a single instance).
fn operand<'a, F: Real>(data: &'a [F], layout: &Layout, b: usize) -> Option<Operand<'a, F>> {
    let (batch_stride, rows, cols, inner) = match (layout.dims(), layout.stride()) {
        ([rows, cols], stride) => (0, *rows, *cols, stride),
        ([batch, rows, cols], [bs, inner @ ..]) if *batch == 1 || *bs == rows * cols => {
            (*bs, *rows, *cols, inner)
        }
        _ => return None,
    };
    let start = layout.start_offset() + b * batch_stride;
    let data = data.get(start..start + rows * cols)?;
    if inner == [cols, 1] || rows * cols <= 1 {
        Some(Operand::new(data, rows, cols))
    } else if inner == [1, rows] {
        Some(Operand::t(data, cols, rows))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn values(t: &Tensor) -> Vec<f64> {
        t.flatten_all()
            .and_then(|t| t.to_dtype(candle_core::DType::F64))
            .and_then(|t| t.to_vec1::<f64>())
            .expect("values")
    }

    fn close(got: &Tensor, want: &Tensor) {
        let (g, w) = (values(got), values(want));
        assert_eq!(g.len(), w.len());
        let scale = w.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (g, w) in g.iter().zip(&w) {
            assert!((g - w).abs() <= 1e-5 * scale, "{g} vs {w}");
        }
    }

    /// `matmul_const(x, a, side)` against candle's `matmul`: the same product and the same gradient
    /// of `x` under `sum(p^2)` (to f32 rounding), and no gradient for `a`, which candle's own
    /// backward does make. Returns candle's product.
    fn against_candle(x: &Var, a: &Tensor, side: ConstSide) -> Result<Tensor> {
        let plain = match side {
            ConstSide::Right => x.matmul(a)?,
            ConstSide::Left => a.matmul(x)?,
        };
        let ours = matmul_const(x, a, side)?;
        close(&ours, &plain);
        let want = plain.sqr()?.sum_all()?.backward()?;
        let got = ours.sqr()?.sum_all()?.backward()?;
        close(got.get(x).expect("x"), want.get(x).expect("x"));
        assert!(want.get(a).is_some(), "candle differentiates the constant");
        assert!(got.get(a).is_none(), "matmul_const does not");
        Ok(plain)
    }

    /// The product and the variable's gradient equal candle's own `matmul` and its backward (to
    /// f32 rounding: the sums may run in another order), on both sides, below and above the
    /// sizes where faer takes over, and for a batch; the constant gets no gradient.
    #[test]
    fn same_values_as_candles_matmul_and_no_gradient_for_the_constant() -> Result<()> {
        let dev = Device::Cpu;
        for (xs, as_) in [((3, 5), (5, 4)), ((5, 5), (5, 5)), ((40, 70), (70, 50))] {
            for side in [ConstSide::Right, ConstSide::Left] {
                let (xs, as_) = if side == ConstSide::Left {
                    ((as_.1, xs.0), (xs.1, as_.1))
                } else {
                    (xs, as_)
                };
                let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, xs, &dev)?)?;
                let a = Tensor::randn(0f32, 1.0, as_, &dev)?;
                against_candle(&x, &a, side)?;
            }
        }
        Ok(())
    }

    /// Batches (3-D) go through the host products too, instance by instance: the same values and
    /// gradients as candle's batched `matmul`, on both sides, for square and oblong instances, in
    /// f32 and f64, and with transposed instances as operands; a 4-D product is left to candle.
    #[test]
    fn batches_match_candles_batched_matmul_and_its_backward() -> Result<()> {
        let dev = Device::Cpu;
        for dtype in [candle_core::DType::F32, candle_core::DType::F64] {
            for ((b, m, k), n) in [((7, 4, 4), 4), ((5, 3, 6), 2)] {
                for side in [ConstSide::Right, ConstSide::Left] {
                    let (xs, as_) = match side {
                        ConstSide::Right => ((b, m, k), (b, k, n)),
                        ConstSide::Left => ((b, k, n), (b, m, k)),
                    };
                    let x =
                        Var::from_tensor(&Tensor::randn(0f32, 1.0, xs, &dev)?.to_dtype(dtype)?)?;
                    let a = Tensor::randn(0f32, 1.0, as_, &dev)?.to_dtype(dtype)?;
                    let plain = against_candle(&x, &a, side)?;
                    // The constant given transposed (strides [k n, 1, k]): read in place.
                    let at = a.transpose(1, 2)?.contiguous()?.transpose(1, 2)?;
                    close(&matmul_const(&x, &at, side)?, &plain);
                }
            }
        }
        let x = Tensor::randn(0f32, 1.0, (2, 3, 4, 4), &dev)?;
        let a = Tensor::randn(0f32, 1.0, (2, 3, 4, 4), &dev)?;
        close(&matmul_const(&x, &a, ConstSide::Right)?, &x.matmul(&a)?);
        Ok(())
    }

    /// With one term per sum (a diagonal constant) every product is exact-rounded the same way
    /// whatever the order, so the bits equal candle's: what the notebook's bit-for-bit gradient
    /// test relies on.
    #[test]
    fn diagonal_constant_gives_candles_bits() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (4, 4), &dev)?)?;
        let a = Tensor::new(
            &[
                [1f32, 0.0, 0.0, 0.0],
                [0.0, 2.0, 0.0, 0.0],
                [0.0, 0.0, 3.0, 0.0],
                [0.0, 0.0, 0.0, 4.0],
            ],
            &dev,
        )?;
        let bits = |t: &Tensor| -> Vec<u32> {
            t.flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .expect("values")
                .iter()
                .map(|v| v.to_bits())
                .collect()
        };
        let plain = x.matmul(&a)?;
        let ours = matmul_const(&x, &a, ConstSide::Right)?;
        assert_eq!(bits(&ours), bits(&plain));
        let want = plain.sqr()?.sum_all()?.backward()?;
        let got = ours.sqr()?.sum_all()?.backward()?;
        assert_eq!(
            bits(got.get(&x).expect("x")),
            bits(want.get(&x).expect("x"))
        );
        Ok(())
    }

    /// Mismatched shapes are candle's shape error, not a panic.
    #[test]
    fn mismatched_shapes_are_errors() -> Result<()> {
        let x = Tensor::zeros((3, 4), candle_core::DType::F32, &Device::Cpu)?;
        let a = Tensor::zeros((5, 2), candle_core::DType::F32, &Device::Cpu)?;
        let e = matmul_const(&x, &a, ConstSide::Right).expect_err("refused");
        assert!(e.to_string().contains("matmul"), "{e}");
        Ok(())
    }
}
