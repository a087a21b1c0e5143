//! `Pointwise`: a loss as a scaled sum over entries of a function of the residual, with its value and derivative on host buffers.
//!
//! The gradient on host buffers (`gradient = "auto"`) needs two things from a loss: its value and
//! its derivative with respect to the prediction, entry by entry. Every built-in loss is
//! `scale · Σ f(d_i)` over the residual `d = prediction - target`, with `scale = 1 / entries` for
//! a mean and 1 for a sum; [`Pointwise`] names `f` and [`Elementwise`] adds the scale.

use descent_tensor::{Real, TorchSum};

/// The function of one residual entry `d` that a loss sums.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pointwise {
    /// `d²`; derivative `2 d`.
    Square,
    /// `|d|`; derivative `sign(d)`, 0 at 0 (torch's `sgn`).
    Abs,
    /// `0.5 d²` where `|d| < delta`, else `delta (|d| - delta / 2)`; derivative `d` or
    /// `delta sign(d)`.
    Huber {
        /// The threshold between the quadratic and the linear part.
        delta: f64,
    },
    /// `log(cosh(d))`, computed as `|d| + log(1 + exp(-2 |d|)) - log 2`; derivative `tanh(d)`.
    LogCosh,
}

/// A loss `scale · Σ_i f(d_i)` over `entries` entries: `scale = 1 / entries` when `mean`, else 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Elementwise {
    /// The function of each residual entry.
    pub f: Pointwise,
    /// Whether the sum is divided by the number of entries (every built-in loss but `sse`).
    pub mean: bool,
    /// The number of entries the loss runs over.
    pub entries: usize,
}

impl Elementwise {
    /// The factor in front of the sum: `1 / entries` for a mean, else 1.
    #[inline]
    pub fn scale(&self) -> f64 {
        if self.mean {
            1.0 / self.entries as f64
        } else {
            1.0
        }
    }

    /// The loss of the residual `d = prediction - target` (rounded in `F`, as a tensor subtraction
    /// is), and `d` overwritten by the loss's derivative with respect to the prediction.
    ///
    /// The value as PyTorch computes it: each term rounded to `F` (exact for the squares,
    /// differences and absolute values of `mse`, `sse` and `mae`; `huber` and `log_cosh` round
    /// their f64 term once), summed in PyTorch's CPU order ([`TorchSum`]), then divided by the
    /// number of entries for a mean ([`Elementwise::finish`]). The derivative is
    /// [`Elementwise::dispatch`]'s.
    pub fn value_and_derivative<F: Real>(&self, d: &mut [F]) -> f64 {
        // In a copy compiled for the CPU's best instruction set (pulp's dispatch), with no fused
        // multiply-add, so the bits are the same in every copy.
        let sum = pulp::Arch::new().dispatch(Vectorized { loss: self, d });
        self.finish(sum)
    }

    /// Run `code` with this loss's [`Term`]: one copy of `code` per loss, each with its term
    /// inlined (as pulp runs one copy per instruction set).
    ///
    /// The derivative, each operation rounded in `F` in PyTorch's order: `(d · 2) · (1/n)` for the
    /// notebook's `((X @ A - I) ** 2).mean()` (pow's backward, then mean's), `sgn(d) · (1/n)` for
    /// `l1_loss`, `(1/n) · d` or `(1/n) · delta · sgn(d)` for `huber_loss`, `tanh(d) · (1/n)` for
    /// log-cosh; without the `1/n` for a sum.
    #[inline(always)]
    pub fn dispatch<F: Real, W: WithTerm<F>>(&self, code: W) -> W::Output {
        let inv = F::host(self.scale());
        match self.f {
            Pointwise::Square => {
                let two = F::host(2.0);
                if self.mean {
                    code.with(move |d: F| {
                        let w = d.widen();
                        (w * w, (d * two) * inv)
                    })
                } else {
                    code.with(move |d: F| {
                        let w = d.widen();
                        (w * w, d * two)
                    })
                }
            }
            Pointwise::Abs => code.with(move |d: F| (d.abs().widen(), sgn(d) * inv)),
            Pointwise::Huber { delta } => {
                let (dw, step) = (delta, inv * F::host(delta));
                code.with(move |d: F| {
                    let w = d.widen();
                    if w.abs() < dw {
                        (0.5 * w * w, inv * d)
                    } else {
                        (dw * (w.abs() - 0.5 * dw), step * sgn(d))
                    }
                })
            }
            Pointwise::LogCosh => code.with(move |d: F| {
                let a = d.widen().abs();
                let value = a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2;
                (value, d.tanh() * inv)
            }),
        }
    }

    /// The loss from its sum rounded to `F`: scaled by `1 / entries` rounded to `F` for a mean.
    #[inline]
    pub fn finish<F: Real>(&self, sum: F) -> f64 {
        if self.mean {
            // torch's mean: the sum divided by the count (`sum_out(...).div_(numel)`).
            (sum / F::host(self.entries as f64)).widen()
        } else {
            sum.widen()
        }
    }
}

/// torch's `sgn`: -1, 0 or 1 (NaN stays NaN).
#[inline(always)]
fn sgn<F: Real>(d: F) -> F {
    if d > F::zero() {
        F::one()
    } else if d < F::zero() {
        -F::one()
    } else {
        d
    }
}

/// One entry's part of a loss: its term of the sum (in `f64`) and the derivative of the loss
/// with respect to the prediction (in `F`, scale included), from the residual `d`.
pub trait Term<F>: Copy {
    /// `(term, derivative)` at the residual `d`.
    fn at(self, d: F) -> (f64, F);
}

impl<F, C: Fn(F) -> (f64, F) + Copy> Term<F> for C {
    #[inline(always)]
    fn at(self, d: F) -> (f64, F) {
        self(d)
    }
}

/// Code generic over a loss's [`Term`], run by [`Elementwise::dispatch`].
pub trait WithTerm<F: Real> {
    /// What the code returns.
    type Output;
    /// Run with `term`.
    fn with<T: Term<F>>(self, term: T) -> Self::Output;
}

/// [`Pass`] under pulp's chosen instruction set.
struct Vectorized<'a, F> {
    loss: &'a Elementwise,
    d: &'a mut [F],
}

impl<F: Real> pulp::WithSimd for Vectorized<'_, F> {
    type Output = F;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> F {
        self.loss.dispatch(Pass(self.d))
    }
}

/// One pass over a residual: each entry replaced by its derivative, the terms summed in
/// PyTorch's order.
struct Pass<'a, F>(&'a mut [F]);

impl<F: Real> WithTerm<F> for Pass<'_, F> {
    type Output = F;

    #[inline(always)]
    fn with<T: Term<F>>(self, term: T) -> F {
        let mut sum = TorchSum::new(self.0.len());
        add_terms(&mut sum, self.0, term);
        sum.finish()
    }
}

/// Each entry of the residual `d` replaced by the loss's derivative, its term rounded to `F` and
/// pushed, in order, into `sum` (PyTorch's summation order): for one loss over many slices.
/// Inlined into the caller, so it runs in the caller's instruction set.
#[inline(always)]
pub fn add_terms<F: Real, T: Term<F>>(sum: &mut TorchSum<F>, d: &mut [F], term: T) {
    for v in d.iter_mut() {
        let (value, derivative) = term.at(*v);
        sum.push(F::host(value));
        *v = derivative;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean(f: Pointwise, entries: usize) -> Elementwise {
        Elementwise {
            f,
            mean: true,
            entries,
        }
    }

    #[test]
    fn squares_sum_and_derive_as_the_formula() {
        let mut d = vec![1.0f64, -2.0, 3.0, 0.5];
        let loss = mean(Pointwise::Square, 4).value_and_derivative(&mut d);
        assert_eq!(loss, (1.0 + 4.0 + 9.0 + 0.25) / 4.0);
        assert_eq!(d, vec![0.5, -1.0, 1.5, 0.25]);
        let mut d = vec![1.0f32, -2.0];
        let sse = Elementwise {
            f: Pointwise::Square,
            mean: false,
            entries: 2,
        };
        assert_eq!(sse.value_and_derivative(&mut d), 5.0);
        assert_eq!(d, vec![2.0, -4.0]);
    }

    #[test]
    fn the_mse_derivative_rounds_as_torch_twice_then_one_over_n() {
        // (d * 2) * (1/n) in f32, torch's order; candle's chain, (d * (1/n)) * 2, rounds
        // differently once d * (1/n) is subnormal.
        let mut differs = false;
        for n in 3..40usize {
            let inv = (1.0 / n as f64) as f32;
            for bits in (1u32..1 << 24).step_by(997) {
                let d = f32::from_bits(bits);
                let mut v = vec![d];
                mean(Pointwise::Square, n).value_and_derivative(&mut v);
                assert_eq!(
                    v[0].to_bits(),
                    ((d * 2.0) * inv).to_bits(),
                    "d = {d:e}, n = {n}"
                );
                differs |= v[0].to_bits() != ((d * inv) * 2.0).to_bits();
            }
        }
        assert!(differs, "no subnormal residual told the two orders apart");
    }

    #[test]
    fn abs_huber_and_log_cosh_match_their_formulas() {
        let ds = [-3.0f64, -0.5, 0.0, 0.25, 2.0];
        let mut d = ds.to_vec();
        let l = mean(Pointwise::Abs, 5).value_and_derivative(&mut d);
        // torch's mean divides the sum by the count (not a multiplication by 1/5).
        assert_eq!(l, 5.75 / 5.0);
        assert_eq!(d, vec![-0.2, -0.2, 0.0, 0.2, 0.2]);

        let mut d = ds.to_vec();
        let l = mean(Pointwise::Huber { delta: 1.0 }, 5).value_and_derivative(&mut d);
        let want = (2.5 + 0.125 + 0.0 + 0.03125 + 1.5) / 5.0;
        assert!((l - want).abs() < 1e-15, "{l} vs {want}");
        assert_eq!(d, vec![-0.2, -0.1, 0.0, 0.05, 0.2]);

        let mut d = ds.to_vec();
        let l = mean(Pointwise::LogCosh, 5).value_and_derivative(&mut d);
        let want: f64 = ds.iter().map(|d: &f64| d.cosh().ln()).sum::<f64>() / 5.0;
        assert!((l - want).abs() < 1e-15, "{l} vs {want}");
        for (g, x) in d.iter().zip(ds) {
            assert!((g - x.tanh() / 5.0).abs() < 1e-16);
        }
    }

    #[test]
    fn log_cosh_does_not_overflow_far_out() {
        let mut d = vec![1e3f32, -1e30];
        let l = mean(Pointwise::LogCosh, 2).value_and_derivative(&mut d);
        let want = (1e3 - std::f64::consts::LN_2 + 1e30 - std::f64::consts::LN_2) / 2.0;
        assert!((l - want).abs() <= 1e-6 * want, "{l}");
        assert_eq!(d, vec![0.5, -0.5]);
    }
}
