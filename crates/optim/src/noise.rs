//! `Noise`: add seeded Gaussian noise to the gradient, for experiments on noisy gradients.

use descent_tensor::{NativeRng, Real};
use serde::{Deserialize, Serialize};

use crate::config::check_non_negative;
use crate::{Invalid, Transform, TransformConfig};

/// Config of [`Noise`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseConfig {
    /// Standard deviation of the noise added to each entry (required).
    pub std: f64,
    /// Its own seed (default: the run's seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
}

impl TransformConfig for NoiseConfig {
    const KIND: &'static str = "noise";
    const SUMMARY: &'static str = "g <- g + std N(0, 1), fresh draws every iteration; std (required), seed (default: the run's)";

    fn validate(&self) -> Result<(), Invalid> {
        check_non_negative("std", self.std)
    }

    fn build<F: Real>(&self, seed: i64) -> Box<dyn Transform<F>> {
        Box::new(Noise {
            std: self.std,
            rng: NativeRng::new(self.seed.unwrap_or(seed) as u64),
        })
    }
}

/// Adds `std · z` to every entry, `z` standard normal from a xoshiro256++ stream (f64 draws,
/// rounded once to the element type after scaling).
#[derive(Debug, Clone)]
pub struct Noise {
    std: f64,
    rng: NativeRng,
}

impl<F: Real> Transform<F> for Noise {
    fn apply(&mut self, grads: &mut [Vec<F>]) {
        for g in grads.iter_mut().flatten() {
            *g += F::host(self.std * self.rng.normal_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_has_the_given_spread_and_repeats_with_its_seed() {
        let c = NoiseConfig {
            std: 0.5,
            seed: Some(7),
        };
        let mut t = c.build::<f64>(1);
        let mut g = vec![vec![1.0; 100_000]];
        t.apply(&mut g);
        let n = g[0].len() as f64;
        let mean = g[0].iter().sum::<f64>() / n;
        let var = g[0].iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        // Standard errors: 0.5 / sqrt(1e5) = 1.6e-3 for the mean, about 1.1e-3 for the std.
        assert!((mean - 1.0).abs() < 8e-3, "{mean}");
        assert!((var.sqrt() - 0.5).abs() < 6e-3, "{}", var.sqrt());
        let mut again = vec![vec![1.0; 100_000]];
        c.build::<f64>(99).apply(&mut again);
        assert_eq!(g, again, "the transform's own seed wins over the run's");
        let mut other = vec![vec![1.0; 4]];
        NoiseConfig {
            std: 0.5,
            seed: None,
        }
        .build::<f64>(8)
        .apply(&mut other);
        assert_ne!(&other[0][..], &g[0][..4], "another seed, other draws");
    }
}
