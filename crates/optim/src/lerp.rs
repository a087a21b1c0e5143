//! `lerp`: torch's linear interpolation with a scalar weight, with its two fused branches (rule R4).

use descent_tensor::Real;

/// `start + w (end - start)` as torch computes it for a scalar weight `w` (already rounded):
/// `fma(w, end - start, start)` when `|w| < 0.5`, else `fma(w - 1, end - start, end)`.
pub fn lerp<F: Real>(start: F, end: F, w: F) -> F {
    let d = end - start;
    if w.abs() < F::host(0.5) {
        w.mul_add(d, start)
    } else {
        (w - F::one()).mul_add(d, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lerp_hits_both_ends_and_the_midpoint() {
        assert_eq!(lerp(2.0f32, 6.0, 0.0), 2.0);
        assert_eq!(lerp(2.0f32, 6.0, 1.0), 6.0);
        assert_eq!(lerp(2.0f32, 6.0, 0.5), 4.0);
    }

    #[test]
    fn small_weight_branch_is_one_fused_rounding() {
        // m <- lerp(m, g, 0.1f): fma(0.1f, g - m, m), rounded once, as torch's Adam.
        let (m, g, w) = (0.3f32, 1.7f32, 0.1f64 as f32);
        let want = (f64::from(w) * f64::from(g - m) + f64::from(m)) as f32;
        assert_eq!(lerp(m, g, w), want);
    }
}
