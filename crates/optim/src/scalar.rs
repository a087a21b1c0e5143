//! `Scalar`: a number that is either a Python float (f64) or a 0-dim tensor, with torch's mixed arithmetic.
//!
//! L-BFGS and its line search mix host numbers (the learning rate, the losses) with 0-dim tensors
//! (dot products, maxima). torch's rules decide the bits: host with host is f64; anything with a
//! tensor is a tensor operation in the element type, the host number rounded once first; a host
//! number divided by a tensor is `(1 / x) * number`; comparisons with a tensor happen in the
//! element type. Python's `min`/`max` keep the type of the value they return.

use std::cmp::Ordering;

use descent_tensor::Real;

/// A host number or a 0-dim tensor of element type `F`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<F> {
    /// A Python float.
    Host(f64),
    /// A 0-dim tensor.
    Tensor(F),
}

use Scalar::{Host, Tensor};

impl<F: Real> Scalar<F> {
    /// The value as the element type, as torch uses a scalar `alpha` (`r32` for a host number).
    pub(crate) fn value(self) -> F {
        match self {
            Host(x) => F::host(x),
            Tensor(x) => x,
        }
    }

    /// The value as an `f64` (exact for a tensor).
    #[cfg(test)]
    pub(crate) fn widen(self) -> f64 {
        match self {
            Host(x) => x,
            Tensor(x) => x.widen(),
        }
    }

    fn combine(self, other: Self, host: fn(f64, f64) -> f64, tensor: fn(F, F) -> F) -> Self {
        match (self, other) {
            (Host(a), Host(b)) => Host(host(a, b)),
            (a, b) => Tensor(tensor(a.value(), b.value())),
        }
    }

    pub(crate) fn add(self, other: Self) -> Self {
        self.combine(other, |a, b| a + b, |a, b| a + b)
    }

    pub(crate) fn sub(self, other: Self) -> Self {
        self.combine(other, |a, b| a - b, |a, b| a - b)
    }

    pub(crate) fn mul(self, other: Self) -> Self {
        self.combine(other, |a, b| a * b, |a, b| a * b)
    }

    /// Division; a host number over a tensor is torch's `reciprocal() * number`.
    pub(crate) fn div(self, other: Self) -> Self {
        match (self, other) {
            (Host(a), Host(b)) => Host(a / b),
            (Host(a), Tensor(b)) => Tensor((F::one() / b) * F::host(a)),
            (a, b) => Tensor(a.value() / b.value()),
        }
    }

    pub(crate) fn abs(self) -> Self {
        match self {
            Host(x) => Host(x.abs()),
            Tensor(x) => Tensor(x.abs()),
        }
    }

    /// The comparison Python makes: in f64 between host numbers, else in the element type.
    pub(crate) fn compare(self, other: Self) -> Option<Ordering> {
        match (self, other) {
            (Host(a), Host(b)) => a.partial_cmp(&b),
            (a, b) => a.value().partial_cmp(&b.value()),
        }
    }

    pub(crate) fn lt(self, other: Self) -> bool {
        self.compare(other) == Some(Ordering::Less)
    }

    pub(crate) fn le(self, other: Self) -> bool {
        matches!(self.compare(other), Some(Ordering::Less | Ordering::Equal))
    }

    pub(crate) fn gt(self, other: Self) -> bool {
        other.lt(self)
    }

    pub(crate) fn ge(self, other: Self) -> bool {
        other.le(self)
    }

    /// Python's `min(a, b)`: `b` only if `b < a`.
    pub(crate) fn min(self, other: Self) -> Self {
        if other.lt(self) { other } else { self }
    }

    /// Python's `max(a, b)`: `b` only if `b > a`.
    pub(crate) fn max(self, other: Self) -> Self {
        if other.gt(self) { other } else { self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_with_host_stays_f64_and_anything_with_a_tensor_rounds_first() {
        let third = Host::<f32>(1.0 / 3.0);
        assert_eq!(third.mul(Host(3.0)), Host((1.0f64 / 3.0) * 3.0));
        assert_eq!(
            third.mul(Tensor(3.0f32)),
            Tensor((1.0f64 / 3.0) as f32 * 3.0)
        );
        // number / tensor = reciprocal * number, which can differ from a true division.
        let (a, x) = (3.0f64, 7.0f32);
        assert_eq!(Host(a).div(Tensor(x)), Tensor((1.0 / x) * 3.0));
    }

    #[test]
    fn python_min_and_max_keep_the_type_of_the_winner() {
        let h = Host::<f32>(0.1);
        let t = Tensor(0.1f32);
        // 0.1f32 > 0.1 in f64, but equal once the host number is rounded: the first one wins.
        assert_eq!(h.max(t), h);
        assert_eq!(t.min(h), t);
        assert_eq!(h.min(Tensor(0.05)), Tensor(0.05));
    }
}
