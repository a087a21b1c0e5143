//! `set_flush_denormal`: `torch.set_flush_denormal` for the calling thread (x86-64's FTZ and DAZ bits of MXCSR).
//!
//! Arithmetic on subnormal numbers (below about 1.2e-38 in f32) takes a slow microcode path on
//! x86, tens of times slower per operation. A converging run's residuals reach them: the
//! notebook's gradient has subnormal entries from step 34, and a batch of 10,000 4x4 problems
//! ran 2x slower per iteration after 200 steps than in its first 20. XLA (JAX) flushes them to
//! zero by default; PyTorch and descent do not, unless asked (`flush_denormal = true`).

/// MXCSR's flush-to-zero (results) and denormals-are-zero (inputs) bits.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

/// `torch.set_flush_denormal(on)` for the calling thread: flush subnormal results and inputs
/// to zero (`true`) or not (`false`). Returns the thread's previous setting, or `None` where the
/// CPU has no such mode here (descent sets it on x86-64 only).
pub fn set_flush_denormal(on: bool) -> Option<bool> {
    #[cfg(target_arch = "x86_64")]
    {
        let csr = read_csr();
        write_csr(if on { csr | FTZ_DAZ } else { csr & !FTZ_DAZ });
        Some(csr & FTZ_DAZ == FTZ_DAZ)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = on;
        None
    }
}

/// Whether this build can flush subnormals (x86-64).
pub fn flush_denormal_supported() -> bool {
    cfg!(target_arch = "x86_64")
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn read_csr() -> u32 {
    let mut csr: u32 = 0;
    // SAFETY: `stmxcsr` stores the 32-bit MXCSR register to the address given, which is that
    // of a live, aligned, writable u32; it touches no other memory and no stack.
    unsafe {
        core::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
    }
    csr
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn write_csr(csr: u32) {
    // SAFETY: `ldmxcsr` loads MXCSR from the address of a live u32. The value is one read from
    // MXCSR with at most the FTZ and DAZ bits changed (no reserved bit set, so no fault); they
    // change only how subnormal floats are treated.
    unsafe {
        core::arch::asm!(
            "ldmxcsr [{}]",
            in(reg) &csr,
            options(nostack, preserves_flags, readonly)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_product() -> f32 {
        std::hint::black_box(1e-30f32) * std::hint::black_box(1e-10f32)
    }

    #[test]
    fn subnormal_results_flush_to_zero_while_on_and_come_back_after() {
        assert!(
            tiny_product().is_subnormal(),
            "1e-40 is subnormal by default"
        );
        if !flush_denormal_supported() {
            assert_eq!(set_flush_denormal(true), None);
            return;
        }
        assert_eq!(set_flush_denormal(true), Some(false));
        assert_eq!(tiny_product(), 0.0);
        // Inputs too: a subnormal operand reads as 0.
        let sub = std::hint::black_box(f32::from_bits(1));
        assert_eq!(sub * std::hint::black_box(2.0f32), 0.0);
        assert_eq!(set_flush_denormal(false), Some(true));
        assert!(tiny_product().is_subnormal(), "the mode was restored");
    }
}
