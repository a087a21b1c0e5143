//! numpy arrays to descent matrices: float32 or float64, two dimensions, any memory order.

use numpy::PyReadonlyArray2;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use descent_tensor::Matrix;

/// The matrix in `array` (given as `key`), read in row-major order whatever its strides, each
/// entry widened to f64 exactly as an .npy file of the same array is read.
pub fn matrix_of(key: &str, array: &Bound<'_, PyAny>) -> PyResult<Matrix> {
    let (rows, cols, data): (usize, usize, Vec<f64>) = if let Ok(a) =
        array.extract::<PyReadonlyArray2<'_, f64>>()
    {
        let view = a.as_array();
        (view.nrows(), view.ncols(), view.iter().copied().collect())
    } else if let Ok(a) = array.extract::<PyReadonlyArray2<'_, f32>>() {
        let view = a.as_array();
        (
            view.nrows(),
            view.ncols(),
            view.iter().map(|&v| f64::from(v)).collect(),
        )
    } else {
        let described = match (array.getattr("ndim"), array.getattr("dtype")) {
            (Ok(ndim), Ok(dtype)) => format!("a {ndim}-D array of {dtype}"),
            _ => array.get_type().to_string(),
        };
        return Err(PyTypeError::new_err(format!(
            "matrices[{key:?}]: a 2-D numpy array of float32 or float64 is needed, got {described}"
        )));
    };
    Matrix::new(rows, cols, data)
        .map_err(|e| PyTypeError::new_err(format!("matrices[{key:?}]: {e}")))
}
