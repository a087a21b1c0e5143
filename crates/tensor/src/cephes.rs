//! The float32 Cephes `log` and `sincos` of avx_mathfun, with fused multiply-adds where PyTorch's AVX2 build has them.
//!
//! PyTorch's `randn` (path B, 16 or more elements) transforms uniforms with these polynomials on x86
//! CPUs with AVX2. Every step rounds to f32 once and `f32::mul_add` stands exactly where the compiled
//! kernel fuses, so the results are PyTorch's bit for bit (see `shared/reference/torch-rng.md`).
// The constants are written as avx_mathfun writes them; the compiler rounds each to the f32 it uses.
#![allow(clippy::excessive_precision)]

/// `log(x)` for `x > 0`, as avx_mathfun's `log256_ps` compiled with FMA.
pub fn log(x: f32) -> f32 {
    let x = x.max(f32::MIN_POSITIVE);
    let bits = x.to_bits();
    let mut e = ((bits >> 23) as i32 - 127) as f32 + 1.0;
    let m = f32::from_bits((bits & 0x807F_FFFF) | 0x3F00_0000);
    let x = if m < 0.707_106_77 {
        e -= 1.0;
        (m - 1.0) + m
    } else {
        m - 1.0
    };
    let z = x * x;
    let mut y = 7.037_683_629_2e-2_f32;
    for c in [
        -1.151_461_031_0e-1_f32,
        1.167_699_874_0e-1,
        -1.242_014_084_6e-1,
        1.424_932_278_7e-1,
        -1.666_805_766_5e-1,
        2.000_071_476_5e-1,
        -2.499_999_399_3e-1,
        3.333_333_117_4e-1,
    ] {
        y = y.mul_add(x, c);
    }
    y *= x;
    y = y.mul_add(z, e * -2.121_944_4e-4);
    y = (-z).mul_add(0.5, y);
    let x = x + y;
    e.mul_add(0.693_359_375, x)
}

/// `(sin(theta), cos(theta))`, as avx_mathfun's `sincos256_ps` compiled with FMA.
pub fn sincos(theta: f32) -> (f32, f32) {
    let a = theta.abs();
    let j = ((a * 1.273_239_5) as i32 + 1) & !1;
    let yf = j as f32;
    let mut x = yf.mul_add(-0.785_156_25, a);
    x = yf.mul_add(-2.418_756_484_985_351_6e-4, x);
    x = yf.mul_add(-3.774_894_977_445_941e-8, x);
    let z = x * x;
    let mut c = 2.443_315_711_809_948e-5_f32
        .mul_add(z, -1.388_731_625_493_765e-3)
        .mul_add(z, 4.166_664_568_298_827e-2);
    c *= z;
    c = z.mul_add(c, -(z * 0.5));
    c += 1.0;
    let mut s = (-1.951_529_589_1e-4_f32)
        .mul_add(z, 8.332_160_873_6e-3)
        .mul_add(z, -1.666_665_461_1e-1);
    s *= z;
    s = x.mul_add(s, x);
    let (mut sin, mut cos) = if j & 2 == 0 { (s, c) } else { (c, s) };
    if (theta < 0.0) ^ (j & 4 != 0) {
        sin = -sin;
    }
    if (!(j - 2)) & 4 != 0 {
        cos = -cos;
    }
    (sin, cos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_is_within_two_ulps_of_the_correctly_rounded_log() {
        for &x in &[
            1e-30f32, 0.001, 0.5, 0.707, 0.70710677, 1.0, 1.5, 2.0, 10.0, 1e30,
        ] {
            let got = f64::from(log(x));
            let want = f64::from(x).ln();
            let ulp = f64::from(f32::EPSILON) * want.abs().max(f64::from(f32::MIN_POSITIVE));
            assert!(
                (got - want).abs() <= 2.0 * ulp.max(1e-45),
                "log({x}) = {got}, want {want}"
            );
        }
        assert_eq!(log(1.0), 0.0);
    }

    #[test]
    fn sincos_is_within_a_few_ulps_of_the_f64_values() {
        for k in -100..=100 {
            let t = k as f32 * 0.0628;
            let (s, c) = sincos(t);
            let (ws, wc) = f64::from(t).sin_cos();
            assert!(
                (f64::from(s) - ws).abs() < 4e-7,
                "sin({t}) = {s}, want {ws}"
            );
            assert!(
                (f64::from(c) - wc).abs() < 4e-7,
                "cos({t}) = {c}, want {wc}"
            );
        }
    }
}
