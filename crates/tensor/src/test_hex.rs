//! `hex`: Python's `float.hex()` read back, for tests that keep PyTorch's values bit for bit.

/// Python's `float.hex()` of a zero or a normal number.
pub fn hex(h: &str) -> f64 {
    if let Some(rest) = h.strip_prefix('-') {
        return -hex(rest);
    }
    if h == "0x0.0p+0" {
        return 0.0;
    }
    let (m, e) = h.trim_start_matches("0x1.").split_once('p').expect("hex");
    let m = u64::from_str_radix(m, 16).expect("mantissa");
    let e: i32 = e.parse().expect("exponent");
    f64::from_bits(((1023 + e) as u64) << 52 | m)
}
