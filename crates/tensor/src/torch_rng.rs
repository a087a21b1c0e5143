//! `TorchRng`: PyTorch's CPU generator (MT19937), drawing bit for bit what `torch.rand` draws.
//!
//! The algorithm is written down in `shared/reference/torch-rng.md`: standard MT19937 seeded with
//! `init_genrand` on the low 32 bits of the seed; a float32 uniform takes the low 24 bits of one
//! tempered word; a 64-bit draw is two words, the first one high. `randn` follows torch's two paths:
//! double-precision Box–Muller with a cached spare below 16 elements, blocks of 16 transformed with
//! the float32 Cephes functions ([`crate::cephes`]) from 16 on.

use crate::cephes;

const N: usize = 624;
const M: usize = 397;

/// PyTorch's default CPU generator: `torch.manual_seed(seed)` followed by `rand` draws.
#[derive(Clone)]
pub struct TorchRng {
    state: [u32; N],
    index: usize,
    /// The spare normal of path A's Box–Muller (`manual_seed` clears it; path B never touches it).
    cached_normal: Option<f64>,
}

impl std::fmt::Debug for TorchRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TorchRng")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl TorchRng {
    /// `torch.manual_seed(seed)`: only the low 32 bits are used (negative seeds wrap mod 2^64 first).
    pub fn new(seed: u64) -> Self {
        let mut state = [0u32; N];
        state[0] = seed as u32;
        for j in 1..N {
            let prev = state[j - 1];
            state[j] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(j as u32);
        }
        Self {
            state,
            index: N,
            cached_normal: None,
        }
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % N] & 0x7fff_ffff);
            let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
            self.state[i] = self.state[(i + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }

    /// The next tempered 32-bit word.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A 64-bit draw: two words, the first one is the high half.
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        let lo = u64::from(self.next_u32());
        (hi << 32) | lo
    }

    /// One float32 uniform in [0, 1), as `torch.rand(..., dtype=float32)`: low 24 bits times 2^-24.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u32() & 0x00ff_ffff) as f32 * (1.0 / 16_777_216.0)
    }

    /// One float64 uniform in [0, 1), as `torch.rand(..., dtype=float64)`: low 53 bits times 2^-53.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() & ((1u64 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// One standard normal by torch's serial path (A): the cached spare if there is one, otherwise
    /// Box–Muller in f64 on two 53-bit uniforms, caching `r sin(theta)` and returning `r cos(theta)`.
    pub fn normal_f64(&mut self) -> f64 {
        if let Some(spare) = self.cached_normal.take() {
            return spare;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.cached_normal = Some(r * theta.sin());
        r * theta.cos()
    }

    /// `torch.randn(n)` in float32, bit for bit: path A below 16 elements, path B (blocks of 16,
    /// the AVX2 kernel) from 16 on.
    pub fn randn_f32(&mut self, n: usize) -> Vec<f32> {
        if n < 16 {
            return (0..n).map(|_| self.normal_f64() as f32).collect();
        }
        let mut d: Vec<f32> = (0..n).map(|_| self.uniform_f32()).collect();
        for start in (0..=n - 16).step_by(16) {
            box_muller_f32(&mut d[start..start + 16]);
        }
        if !n.is_multiple_of(16) {
            for v in &mut d[n - 16..] {
                *v = self.uniform_f32();
            }
            box_muller_f32(&mut d[n - 16..]);
        }
        d
    }

    /// `torch.randn(n, dtype=float64)`: path A below 16 elements; from 16 on, torch's scalar
    /// `normal_fill` (53-bit uniforms, blocks of 16 transformed in f64 with the C library's `log`,
    /// `cos` and `sin`). Written from PyTorch's source; the reference has no float64 vectors to check.
    pub fn randn_f64(&mut self, n: usize) -> Vec<f64> {
        if n < 16 {
            return (0..n).map(|_| self.normal_f64()).collect();
        }
        let mut d: Vec<f64> = (0..n).map(|_| self.uniform_f64()).collect();
        for start in (0..=n - 16).step_by(16) {
            box_muller_f64(&mut d[start..start + 16]);
        }
        if !n.is_multiple_of(16) {
            for v in &mut d[n - 16..] {
                *v = self.uniform_f64();
            }
            box_muller_f64(&mut d[n - 16..]);
        }
        d
    }
}

/// Path B's transform of one block of 16 float32 uniforms into 16 normals (the AVX2 kernel).
fn box_muller_f32(d: &mut [f32]) {
    for j in 0..8 {
        let u1 = 1.0 - d[j];
        let u2 = d[j + 8];
        let radius = (-2.0 * cephes::log(u1)).sqrt();
        let theta = 6.283_185_5_f32 * u2;
        let (sin, cos) = cephes::sincos(theta);
        d[j] = radius * cos;
        d[j + 8] = radius * sin;
    }
}

/// The float64 transform of one block of 16 uniforms (torch's scalar `normal_fill_16`).
fn box_muller_f64(d: &mut [f64]) {
    for j in 0..8 {
        let u1 = 1.0 - d[j];
        let u2 = d[j + 8];
        let radius = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        d[j] = radius * theta.cos();
        d[j + 8] = radius * theta.sin();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(rng: &mut TorchRng, n: usize) -> Vec<u32> {
        (0..n).map(|_| rng.uniform_f32().to_bits()).collect()
    }

    #[test]
    fn first_tempered_words_match_the_reference() {
        for (seed, words) in [
            (
                0u64,
                [
                    2_357_136_044u32,
                    2_546_248_239,
                    3_071_714_933,
                    3_626_093_760,
                ],
            ),
            (
                314,
                [3_937_942_024, 4_171_310_701, 2_527_768_265, 2_069_276_595],
            ),
            (
                123,
                [2_991_312_382, 3_062_119_789, 1_228_959_102, 1_840_268_610],
            ),
        ] {
            let mut rng = TorchRng::new(seed);
            let got: Vec<u32> = (0..4).map(|_| rng.next_u32()).collect();
            assert_eq!(got, words, "seed {seed}");
        }
    }

    #[test]
    fn rand_4x4_seed_314_is_the_notebook_start_bit_for_bit() {
        let expected = [
            0x3f38_3a08,
            0x3f21_266d,
            0x3f2a_aec9,
            0x3ead_4f66,
            0x3f5a_2b56,
            0x3ea0_0854,
            0x3f00_25ce,
            0x3eed_b5e0,
            0x3c07_81c0,
            0x3ee4_d1c4,
            0x3f4d_89ba,
            0x3f0d_1a78,
            0x3eb6_0eac,
            0x3ebd_f08e,
            0x3f2e_d850,
            0x3e9d_6746,
        ];
        assert_eq!(bits(&mut TorchRng::new(314), 16), expected);
    }

    #[test]
    fn rand_17x3_seed_123_starts_with_the_reference_bits_and_gives_the_notebook_indicator() {
        let mut rng = TorchRng::new(123);
        let all: Vec<f32> = (0..51).map(|_| rng.uniform_f32()).collect();
        let first: Vec<u32> = all[..8].iter().map(|v| v.to_bits()).collect();
        assert_eq!(
            first,
            [
                0x3e97_9bfc,
                0x3f04_3d6d,
                0x3e80_dafc,
                0x3f30_4542,
                0x3d97_7ee0,
                0x3f5d_d462,
                0x3e0b_db98,
                0x3dd1_e088
            ]
        );
        let ones: Vec<(usize, usize)> = (0..51)
            .filter(|&k| all[k] < 0.2)
            .map(|k| (k / 3, k % 3))
            .collect();
        assert_eq!(
            ones,
            [
                (1, 1),
                (2, 0),
                (2, 1),
                (2, 2),
                (4, 0),
                (4, 1),
                (5, 1),
                (9, 2),
                (12, 0),
                (12, 2)
            ]
        );
    }

    #[test]
    fn rand_seed_0_float32_and_float64_match_the_reference() {
        let mut rng = TorchRng::new(0);
        let got: Vec<f32> = (0..3).map(|_| rng.uniform_f32()).collect();
        // The reference prints 11 digits, which pins each float32 (spacing >= 7e-9 here).
        for (g, want) in got
            .iter()
            .zip([0.496_256_589_89, 0.768_221_795_56, 0.088_477_432_73])
        {
            assert!((f64::from(*g) - want).abs() < 5e-12, "{g} vs {want}");
        }
        let mut rng = TorchRng::new(0);
        let got: Vec<f64> = (0..5).map(|_| rng.uniform_f64()).collect();
        assert_eq!(
            got,
            [
                0.970_053_001_806_553_1,
                0.707_819_864_399_788,
                0.459_382_943_127_450_87,
                0.920_747_684_121_960_3,
                0.645_024_120_122_764_8
            ]
        );
    }

    #[test]
    fn randn_path_a_seed_0_matches_the_reference_bits() {
        let got: Vec<u32> = TorchRng::new(0)
            .randn_f32(5)
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(
            got,
            [
                0x3fc5_3f5c,
                0xbe96_3c50,
                0xc00b_7149,
                0x3f11_84b6,
                0xbf8a_d1a1
            ]
        );
    }

    #[test]
    fn randn_path_a_spare_survives_a_path_b_call_and_rand_but_not_reseeding() {
        let mut rng = TorchRng::new(0);
        let first = rng.randn_f32(1)[0];
        let _ = rng.randn_f32(16);
        let _ = rng.uniform_f32();
        let spare = rng.randn_f32(1)[0];
        let reference = TorchRng::new(0).randn_f32(2);
        assert_eq!((first, spare), (reference[0], reference[1]));
        assert_eq!(TorchRng::new(0).randn_f32(1)[0], first);
    }

    #[test]
    fn randn_path_b_seed_314_4x4_matches_the_reference_bits() {
        let got: Vec<u32> = TorchRng::new(314)
            .randn_f32(16)
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(
            got,
            [
                0x3fcb_db46,
                0xbfaa_6eb4,
                0x3ef7_94d3,
                0xbf5c_ccb3,
                0xbf9a_22e8,
                0xbf18_b5d8,
                0xbef6_97ee,
                0xbec9_f618,
                0x3da9_a6b5,
                0x3eec_38af,
                0xbfb3_5f59,
                0xbe93_20f2,
                0x3fc5_38a6,
                0x3f20_a278,
                0xbf89_a908,
                0x3f85_cce9
            ]
        );
    }

    #[test]
    fn randn_path_b_seed_1_and_the_tail_redraw_of_seed_3_match_the_reference() {
        // Ten significant digits pin a float32 of this size (its spacing is >= 7e-9).
        let close = |got: &[f32], want: &[f64]| {
            for (g, w) in got.iter().zip(want) {
                assert!((f64::from(*g) - w).abs() < 5e-10, "{g} vs {w}");
            }
        };
        close(
            &TorchRng::new(1).randn_f32(16),
            &[
                -1.525_595_903_4,
                -0.750_231_802_5,
                -0.653_980_910_8,
                -1.609_484_791_8,
                -0.100_167_177_6,
            ],
        );
        close(
            &TorchRng::new(3).randn_f32(17),
            &[
                -0.076_644_294_0,
                0.931_124_448_8,
                -0.514_461_994_2,
                -1.651_665_449_1,
                1.046_022_772_8,
            ],
        );
    }

    #[test]
    fn randn_f64_has_mean_0_and_variance_1_on_both_paths() {
        let mut rng = TorchRng::new(7);
        let mut draws = rng.randn_f64(100_000);
        draws.extend((0..10_000).map(|_| rng.normal_f64()));
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let var = draws.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        // Standard errors: 1/sqrt(n) = 0.003 for the mean, sqrt(2/n) = 0.004 for the variance.
        assert!(
            mean.abs() < 0.015 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
    }

    #[test]
    fn seeds_use_only_the_low_32_bits_and_negative_seeds_wrap() {
        let draw = |seed: u64| TorchRng::new(seed).next_u32();
        assert_eq!(draw(1u64 << 32), draw(0));
        assert_eq!(draw((-1i64) as u64), draw(0xffff_ffff));
    }
}
