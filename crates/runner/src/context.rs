//! `RunContext`: the runner's side of building a problem (dtype, device, random streams, reading matrix files).

use std::path::Path;

use candle_core::{Device, Tensor};
use descent_problems::{BuildContext, ProblemError};
use descent_tensor::{Dtype, Matrix, MatrixSource, RandomStreams, check_file_matrix};

/// What a problem config builds in: the run's dtype, device and random streams; matrices are resolved here.
#[derive(Debug)]
pub struct RunContext {
    dtype: Dtype,
    device: Device,
    streams: RandomStreams,
}

impl RunContext {
    /// A context for `dtype` on `device`, drawing from the streams of `seed`.
    pub fn new(dtype: Dtype, device: Device, seed: i64) -> Self {
        Self {
            dtype,
            device,
            streams: RandomStreams::new(seed as u64),
        }
    }

    /// The random streams, to continue drawing after the problem is built (the starting point).
    pub fn streams_mut(&mut self) -> &mut RandomStreams {
        &mut self.streams
    }

    /// Resolve a source (reading its file if it has one), without rounding; errors are one line.
    pub fn resolve(&mut self, source: &MatrixSource) -> Result<Matrix, String> {
        match source {
            MatrixSource::Npy(path) => read_npy(path),
            MatrixSource::Csv(path) => read_csv(path),
            other => other
                .build(&mut self.streams, self.dtype)
                .map_err(|e| e.to_string()),
        }
    }
}

/// The matrix in a `.npy` file: float or integer, 1-D (one column) or 2-D.
pub fn read_npy(path: &Path) -> Result<Matrix, String> {
    let shown = path.display();
    if !path.is_file() {
        return Err(format!("cannot read `{shown}`: no such file"));
    }
    let tensor =
        Tensor::read_npy(path).map_err(|e| format!("cannot read `{shown}` as .npy: {e}"))?;
    if !matches!(tensor.dims().len(), 1 | 2) {
        return Err(format!(
            "`{shown}` holds an array of shape {:?}; a matrix needs 1 or 2 dimensions",
            tensor.dims()
        ));
    }
    let m = Matrix::from_tensor(&tensor).map_err(|e| format!("`{shown}`: {e}"))?;
    check_file_matrix(&m).map_err(|e| format!("`{shown}`: {e}"))?;
    Ok(m)
}

/// The matrix in a `.csv` file: numbers only, one row per line, no header, all rows equally long.
pub fn read_csv(path: &Path) -> Result<Matrix, String> {
    let shown = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        let line = record.position().map_or(i as u64 + 1, |p| p.line());
        let row = record
            .iter()
            .enumerate()
            .map(|(j, field)| {
                field.parse::<f64>().map_err(|_| {
                    format!(
                        "`{shown}` line {line}, column {}: `{field}` is not a number",
                        j + 1
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(first) = rows.first()
            && first.len() != row.len()
        {
            return Err(format!(
                "`{shown}` line {line} has {} values, but the first row has {}",
                row.len(),
                first.len()
            ));
        }
        rows.push(row);
    }
    let m = Matrix::from_rows(&rows).map_err(|e| format!("`{shown}`: {e}"))?;
    check_file_matrix(&m).map_err(|e| format!("`{shown}`: {e}"))?;
    Ok(m)
}

impl BuildContext for RunContext {
    fn dtype(&self) -> Dtype {
        self.dtype
    }

    fn device(&self) -> &Device {
        &self.device
    }

    fn matrix(&mut self, key: &str, source: &MatrixSource) -> Result<Matrix, ProblemError> {
        let m = self
            .resolve(source)
            .map_err(|reason| ProblemError::invalid(key, reason))?;
        Ok(round_to(&m, self.dtype))
    }

    fn random(&mut self) -> &mut RandomStreams {
        &mut self.streams
    }
}

/// Each entry rounded to `dtype` (a no-op for f64).
pub fn round_to(m: &Matrix, dtype: Dtype) -> Matrix {
    match dtype {
        Dtype::F64 => m.clone(),
        Dtype::F32 => Matrix::from_fn(m.rows(), m.cols(), |i, j| f64::from(m.get(i, j) as f32)),
    }
}
