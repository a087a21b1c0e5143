//! `Matrix`: a dense, row-major host matrix of `f64`, the currency between configs, faer and candle.

use std::sync::Arc;

use candle_core::{Device, Tensor};

use crate::{Dtype, TensorError};

/// A dense row-major matrix of `f64` on the host.
///
/// Every `f32` value is exactly representable, so a parameter read back from an `f32` run loses
/// nothing when it becomes a `Matrix`.
///
/// A matrix never changes once built, so its entries are shared: a clone is a reference count,
/// not a copy. A run hands the same exact answer, inputs and result to the problem, the
/// observers and the report; at n = 1024 each copy would be 8 MB.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Arc<Vec<f64>>,
}

impl Matrix {
    /// A matrix from row-major data; `data.len()` must be `rows * cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self, TensorError> {
        if data.len() != rows * cols {
            return Err(TensorError::Shape(format!(
                "{} entries cannot form a {rows}x{cols} matrix",
                data.len()
            )));
        }
        Ok(Self {
            rows,
            cols,
            data: Arc::new(data),
        })
    }

    /// The `rows x cols` zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: Arc::new(vec![0.0; rows * cols]),
        }
    }

    /// The `n x n` identity.
    pub fn identity(n: usize) -> Self {
        Self::diag(&vec![1.0; n])
    }

    /// The square matrix with `d` on its diagonal.
    pub fn diag(d: &[f64]) -> Self {
        let n = d.len();
        Self::from_fn(n, n, |i, j| if i == j { d[i] } else { 0.0 })
    }

    /// A matrix from its rows; every row must have the same length.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self, TensorError> {
        let cols = rows.first().map_or(0, Vec::len);
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (row, r) in rows.iter().enumerate() {
            if r.len() != cols {
                return Err(TensorError::Ragged {
                    row,
                    expected: cols,
                    found: r.len(),
                });
            }
            data.extend_from_slice(r);
        }
        Ok(Self {
            rows: rows.len(),
            cols,
            data: Arc::new(data),
        })
    }

    /// A matrix with entry `(i, j)` equal to `f(i, j)`.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> f64) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(f(i, j));
            }
        }
        Self {
            rows,
            cols,
            data: Arc::new(data),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The entries, row-major.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// Entry `(i, j)`; panics when out of range, like slice indexing.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of range"
        );
        self.data[i * self.cols + j]
    }

    /// An error naming the first entry that is NaN or infinite.
    pub fn check_finite(&self) -> Result<(), TensorError> {
        match self.data.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(k) => Err(TensorError::NotFinite {
                row: k / self.cols,
                col: k % self.cols,
                value: self.data[k],
            }),
        }
    }

    /// The transpose.
    pub fn transpose(&self) -> Self {
        Self::from_fn(self.cols, self.rows, |i, j| self.get(j, i))
    }

    /// The entry-wise difference `self - other`.
    pub fn sub(&self, other: &Self) -> Result<Self, TensorError> {
        self.check_same_shape(other)?;
        let data = self
            .data
            .iter()
            .zip(other.data.iter())
            .map(|(a, b)| a - b)
            .collect();
        Ok(Self {
            rows: self.rows,
            cols: self.cols,
            data: Arc::new(data),
        })
    }

    /// The largest absolute entry (0 for an empty matrix).
    pub fn max_abs(&self) -> f64 {
        self.data.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    /// The Frobenius norm, `sqrt(sum of squares)`.
    pub fn frobenius_norm(&self) -> f64 {
        self.data.iter().map(|v| v * v).sum::<f64>().sqrt()
    }

    /// This matrix as a candle tensor of the given dtype (each entry rounded once, with no `f64`
    /// tensor in between).
    pub fn to_tensor(&self, dtype: Dtype, device: &Device) -> Result<Tensor, TensorError> {
        let shape = (self.rows, self.cols);
        Ok(match dtype {
            Dtype::F64 => Tensor::from_slice(self.data(), shape, device)?,
            Dtype::F32 => {
                let rounded: Vec<f32> = self.data.iter().map(|&v| v as f32).collect();
                Tensor::from_vec(rounded, shape, device)?
            }
        })
    }

    /// A matrix from a 2-D (or 1-D, as one column) candle tensor of any float dtype. A contiguous
    /// `f32` or `f64` tensor on the CPU is widened in one pass, with no `f64` tensor in between.
    pub fn from_tensor(t: &Tensor) -> Result<Self, TensorError> {
        let (rows, cols) = match t.dims() {
            [r, c] => (*r, *c),
            [r] => (*r, 1),
            dims => {
                return Err(TensorError::Shape(format!(
                    "expected a matrix, got shape {dims:?}"
                )));
            }
        };
        let host = crate::with_host::<f32, _>(t, |v| v.iter().map(|&x| f64::from(x)).collect())
            .or_else(|| crate::with_host::<f64, _>(t, <[f64]>::to_vec));
        if let Some(data) = host {
            return Self::new(rows, cols, data);
        }
        let data = t
            .to_dtype(candle_core::DType::F64)?
            .flatten_all()?
            .to_vec1::<f64>()?;
        Self::new(rows, cols, data)
    }

    /// A faer view of this matrix's entries (row-major strides), with no copy.
    pub fn as_faer(&self) -> faer::MatRef<'_, f64> {
        faer::MatRef::from_row_major_slice(self.data(), self.rows, self.cols)
    }

    /// This matrix as an owned faer matrix.
    pub fn to_faer(&self) -> faer::Mat<f64> {
        faer::Mat::from_fn(self.rows, self.cols, |i, j| self.get(i, j))
    }

    /// A matrix from a faer matrix.
    pub fn from_faer(m: faer::MatRef<'_, f64>) -> Self {
        Self::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)])
    }

    fn check_same_shape(&self, other: &Self) -> Result<(), TensorError> {
        if self.shape() == other.shape() {
            Ok(())
        } else {
            Err(TensorError::Shape(format!(
                "{}x{} against {}x{}",
                self.rows, self.cols, other.rows, other.cols
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ragged_rows_are_rejected_with_the_row_named() {
        let err = Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
        assert!(matches!(
            err,
            TensorError::Ragged {
                row: 1,
                expected: 2,
                found: 1
            }
        ));
    }

    #[test]
    fn tensor_round_trip_keeps_f32_values_exactly() {
        let m = Matrix::from_rows(&[vec![0.1f32.into(), 2.0], vec![3.5, -7.25]]).unwrap();
        let t = m.to_tensor(Dtype::F32, &Device::Cpu).unwrap();
        assert_eq!(Matrix::from_tensor(&t).unwrap(), m);
    }

    #[test]
    fn check_finite_names_the_entry() {
        let m = Matrix::new(2, 2, vec![1.0, 2.0, f64::NAN, 4.0]).unwrap();
        assert!(matches!(
            m.check_finite(),
            Err(TensorError::NotFinite { row: 1, col: 0, .. })
        ));
    }

    #[test]
    fn a_clone_shares_the_entries_instead_of_copying_them() {
        let m = Matrix::from_fn(3, 2, |i, j| (i * 2 + j) as f64);
        let c = m.clone();
        assert_eq!(c, m);
        assert!(std::ptr::eq(c.data().as_ptr(), m.data().as_ptr()));
    }

    #[test]
    fn to_tensor_rounds_each_entry_as_candle_does() {
        // Values that round differently from truncation, and one beyond f32's range.
        let m = Matrix::new(2, 2, vec![0.1, 1.0 + 1e-9, -1.0 / 3.0, 1e39]).unwrap();
        let ours = m.to_tensor(Dtype::F32, &Device::Cpu).unwrap();
        let candle = Tensor::from_slice(m.data(), (2, 2), &Device::Cpu)
            .unwrap()
            .to_dtype(candle_core::DType::F32)
            .unwrap();
        let (a, b) = (
            ours.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            candle.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        );
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn from_tensor_reads_strided_and_offset_tensors_in_row_major_order() {
        let t = Tensor::arange(0f32, 12.0, &Device::Cpu)
            .unwrap()
            .reshape((3, 4))
            .unwrap();
        // Contiguous with an offset (rows 1..3), and transposed (not contiguous).
        let rows = Matrix::from_tensor(&t.narrow(0, 1, 2).unwrap()).unwrap();
        assert_eq!(rows, Matrix::from_fn(2, 4, |i, j| (4 * (i + 1) + j) as f64));
        let transposed = Matrix::from_tensor(&t.t().unwrap()).unwrap();
        assert_eq!(transposed, Matrix::from_fn(4, 3, |i, j| (4 * j + i) as f64));
        let wide = Matrix::from_tensor(&t.to_dtype(candle_core::DType::F64).unwrap()).unwrap();
        assert_eq!(wide, Matrix::from_fn(3, 4, |i, j| (4 * i + j) as f64));
    }

    #[test]
    fn the_faer_view_is_the_matrix() {
        let m = Matrix::from_fn(3, 5, |i, j| (10 * i + j) as f64);
        let (view, owned) = (m.as_faer(), m.to_faer());
        assert_eq!((view.nrows(), view.ncols()), (3, 5));
        for i in 0..3 {
            for j in 0..5 {
                assert_eq!(view[(i, j)], m.get(i, j));
                assert_eq!(owned[(i, j)], m.get(i, j));
            }
        }
    }
}
