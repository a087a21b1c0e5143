//! `NativeRng`: a fast seeded generator (xoshiro256++) for users who do not need torch's stream.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// xoshiro256++ seeded with `seed_from_u64`; reproducible on every platform.
#[derive(Debug, Clone)]
pub struct NativeRng(Xoshiro256PlusPlus);

impl NativeRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// A float32 uniform in [0, 1): the high 24 bits of a word times 2^-24.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.0.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// A float64 uniform in [0, 1): the high 53 bits of a draw times 2^-53.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal: Box–Muller on two f64 uniforms, one value per pair (no cached spare).
    pub fn normal_f64(&mut self) -> f64 {
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        (-2.0 * (-u2).ln_1p()).sqrt() * (std::f64::consts::TAU * u1).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_values_in_unit_interval() {
        let (mut a, mut b) = (NativeRng::new(7), NativeRng::new(7));
        for _ in 0..1000 {
            let (x, y) = (a.uniform_f32(), b.uniform_f32());
            assert_eq!(x.to_bits(), y.to_bits());
            assert!((0.0..1.0).contains(&x));
            let z = a.uniform_f64();
            assert_eq!(z.to_bits(), b.uniform_f64().to_bits());
            assert!((0.0..1.0).contains(&z));
        }
        assert_ne!(
            NativeRng::new(8).uniform_f64(),
            NativeRng::new(7).uniform_f64()
        );
    }
}
