//! Products with a constant matrix whose backward pass differentiates only the variable side.
//!
//! candle's `backward` computes a gradient for both operands of every `matmul`, constants
//! included: for `X A` it makes `Xᵀ G` (a third matrix product) and keeps it in the gradient
//! store. [`matmul_const`] runs the same forward product but tells autodiff that the constant
//! has no gradient, so the backward pass makes only `G Aᵀ` (or `Aᵀ G`), the product candle's
//! own backward makes for the variable, with the same bits.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Storage, Tensor};

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
        let out = lhs.matmul(rhs, bmnk, lhs_layout, rhs_layout)?;
        let shape = Shape::from(&dims[..dims.len() - 2]).extend(&[bmnk.1, bmnk.2]);
        Ok((out, shape))
    }

    /// The variable's gradient exactly as candle's `matmul` backward computes it.
    fn bwd(&self, _x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = match self.side {
            ConstSide::Right => grad.matmul(&self.a.t()?)?,
            ConstSide::Left => self.a.t()?.matmul(grad)?,
        };
        Ok(Some(g))
    }
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

    /// The product and the variable's gradient are candle's own `matmul`'s, bit for bit, on both
    /// sides and for a batch; and the constant gets no gradient.
    #[test]
    fn same_bits_as_candles_matmul_and_no_gradient_for_the_constant() -> Result<()> {
        let dev = Device::Cpu;
        for (xs, as_) in [((3, 5), (5, 4)), ((5, 5), (5, 5))] {
            for side in [ConstSide::Right, ConstSide::Left] {
                let (xs, as_) = if side == ConstSide::Left {
                    ((as_.1, xs.0), (xs.1, as_.1))
                } else {
                    (xs, as_)
                };
                let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, xs, &dev)?)?;
                let a = Tensor::randn(0f32, 1.0, as_, &dev)?;
                let plain = match side {
                    ConstSide::Right => x.matmul(&a)?,
                    ConstSide::Left => a.matmul(&x)?,
                };
                let ours = matmul_const(&x, &a, side)?;
                assert_eq!(bits(&plain), bits(&ours));
                let want = plain.sqr()?.sum_all()?.backward()?;
                let got = ours.sqr()?.sum_all()?.backward()?;
                let (gx, wx) = (got.get(&x).expect("x"), want.get(&x).expect("x"));
                assert_eq!(bits(gx), bits(wx));
                assert!(want.get(&a).is_some(), "candle differentiates the constant");
                assert!(got.get(&a).is_none(), "matmul_const does not");
            }
        }
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (7, 4, 4), &dev)?)?;
        let a = Tensor::randn(0f32, 1.0, (7, 4, 4), &dev)?;
        assert_eq!(
            bits(&x.matmul(&a)?),
            bits(&matmul_const(&x, &a, ConstSide::Right)?)
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
