//! `with_host`: a CPU tensor's entries as a host slice, borrowed in place, without a copy or a new tensor.

use candle_core::{Storage, Tensor};

use crate::Real;

/// `f` applied to the entries of `t` in row-major order, borrowed from its CPU storage, when `t`
/// is contiguous (any start offset), on the CPU and of element type `F`; `None` otherwise, so the
/// caller can fall back to candle's own conversions.
pub fn with_host<F: Real, R>(t: &Tensor, f: impl FnOnce(&[F]) -> R) -> Option<R> {
    let (start, end) = t.layout().contiguous_offsets()?;
    let (storage, _) = t.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        return None;
    };
    let entries = cpu.as_slice::<F>().ok()?.get(start..end)?;
    Some(f(entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    /// Row-major entries of contiguous views (with an offset too); `None` for a transposed view
    /// and for another element type.
    #[test]
    fn borrows_contiguous_entries_of_the_right_type_only() {
        let t = Tensor::arange(0f32, 12.0, &Device::Cpu)
            .and_then(|t| t.reshape((3, 4)))
            .expect("tensor");
        let all = with_host::<f32, _>(&t, <[f32]>::to_vec).expect("contiguous");
        assert_eq!(all, (0..12).map(|v| v as f32).collect::<Vec<_>>());
        let rows = t.narrow(0, 1, 2).expect("rows");
        let tail = with_host::<f32, _>(&rows, <[f32]>::to_vec).expect("offset view");
        assert_eq!(tail, (4..12).map(|v| v as f32).collect::<Vec<_>>());
        assert!(with_host::<f32, _>(&t.t().expect("t"), <[f32]>::len).is_none());
        assert!(with_host::<f64, _>(&t, <[f64]>::len).is_none());
        let wide = t.to_dtype(DType::F64).expect("f64");
        assert_eq!(with_host::<f64, _>(&wide, <[f64]>::len), Some(12));
    }
}
