//! `Projection`: the constraint set a parameter is projected back onto after every step (`nonnegative`).

use descent_tensor::{Matrix, Real};
use serde::{Deserialize, Serialize};

/// Where a parameter must stay. The run projects the start onto it and, after every optimizer
/// step, the parameters (projected gradient descent); the gradient itself is not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Projection {
    /// Anywhere (no projection).
    #[default]
    None,
    /// Entries at least 0: each negative entry is set to 0 (`max(x, 0)`).
    Nonnegative,
}

impl Projection {
    /// The name in configs.
    pub fn name(self) -> &'static str {
        match self {
            Projection::None => "none",
            Projection::Nonnegative => "nonnegative",
        }
    }

    /// Project `values` in place.
    pub fn apply<F: Real>(self, values: &mut [F]) {
        if self == Projection::Nonnegative {
            for x in values.iter_mut() {
                // -0.0 becomes +0.0; NaN stays, for the divergence check.
                if x.widen() <= 0.0 {
                    *x = F::zero();
                }
            }
        }
    }

    /// The projection of a host matrix.
    pub fn of(self, m: &Matrix) -> Matrix {
        match self {
            Projection::None => m.clone(),
            Projection::Nonnegative => {
                Matrix::from_fn(m.rows(), m.cols(), |i, j| m.get(i, j).max(0.0))
            }
        }
    }

    /// The stronger of two: `nonnegative` wins over `none`.
    pub fn and(self, other: Projection) -> Projection {
        if self == Projection::Nonnegative || other == Projection::Nonnegative {
            Projection::Nonnegative
        } else {
            Projection::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonnegative_sets_exactly_the_negative_entries_to_zero() {
        let mut v = vec![
            -1.5f32,
            0.0,
            -0.0,
            2.0,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
        ];
        Projection::Nonnegative.apply(&mut v);
        let bits: Vec<u32> = v.iter().map(|x| x.to_bits()).collect();
        let want: Vec<u32> = [0.0f32, 0.0, 0.0, 2.0, f32::MIN_POSITIVE, 0.0]
            .iter()
            .map(|x| x.to_bits())
            .collect();
        assert_eq!(bits, want);
        let mut w = vec![-3.0f64, 4.0];
        Projection::None.apply(&mut w);
        assert_eq!(w, vec![-3.0, 4.0]);
    }
}
