//! `RunContext`: the runner's side of building a problem (dtype, device, random streams, reading matrix files).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use candle_core::Device;
use descent_problems::{BuildContext, ProblemError, Shapes};

use crate::memory::{about, format_bytes};
use crate::npy::{npy_header, read_npy_data};
use crate::regular::open_regular;
use descent_tensor::{Dtype, Matrix, MatrixSource, RandomStreams, check_file_matrix};

/// The matrices a program hands a run in memory, by the name a `{ given = NAME }` source uses
/// (`descent.run(..., matrices=...)` in Python names them by their config key, `problem.matrix`).
pub type GivenMatrices = Arc<BTreeMap<String, Matrix>>;

/// What a problem config builds in: the run's dtype, device and random streams, the matrices given
/// in memory, and the memory limit every matrix is checked against before it is drawn or read;
/// matrices are resolved here.
#[derive(Debug)]
pub struct RunContext {
    dtype: Dtype,
    device: Device,
    streams: RandomStreams,
    limit: u64,
    given: GivenMatrices,
}

/// Bytes per entry of a matrix as the run holds it while it is built: as drawn or read, rounded to
/// the dtype, and as a tensor.
const BYTES_PER_ENTRY: u128 = 24;

impl RunContext {
    /// A context for `dtype` on `device`, drawing from the streams of `seed`, with no memory limit.
    pub fn new(dtype: Dtype, device: Device, seed: i64) -> Self {
        Self {
            dtype,
            device,
            streams: RandomStreams::new(seed as u64),
            limit: u64::MAX,
            given: GivenMatrices::default(),
        }
    }

    /// The same context, resolving `{ given = NAME }` sources from `given`.
    pub fn with_given(mut self, given: GivenMatrices) -> Self {
        self.given = given;
        self
    }

    /// The matrix given as `name`, or why there is none.
    fn given(&self, name: &str) -> Result<&Matrix, String> {
        self.given.get(name).ok_or_else(|| {
            let names: Vec<String> = self.given.keys().map(|k| format!("`{k}`")).collect();
            format!(
                "no matrix is given as `{name}` ({}); `given` sources are handed over in memory, \
                 e.g. by `descent.run(config, matrices={{\"{name}\": array}})` in Python",
                if names.is_empty() {
                    "none is given".to_string()
                } else {
                    format!("given: {}", names.join(", "))
                }
            )
        })
    }

    /// The same context, refusing any matrix that would need more than `bytes`.
    pub fn with_limit(mut self, bytes: u64) -> Self {
        self.limit = bytes;
        self
    }

    /// The random streams, to continue drawing after the problem is built (the starting point).
    pub fn streams_mut(&mut self) -> &mut RandomStreams {
        &mut self.streams
    }

    /// The shape of a source without building it (reading only a file's header, or scanning a
    /// CSV file's text); refused when the matrix alone would exceed the memory limit.
    pub fn shape_of(&self, source: &MatrixSource) -> Result<(usize, usize), String> {
        let shape = match source {
            MatrixSource::Npy(path) => npy_header(path)?.matrix_shape(),
            MatrixSource::Csv(path) => csv_shape(path, self.limit)?,
            MatrixSource::Given(name) => self.given(name)?.shape(),
            other => other.shape().unwrap_or((0, 0)),
        };
        let bytes = descent_problems::entries(&[shape.0, shape.1]).saturating_mul(BYTES_PER_ENTRY);
        if bytes > u128::from(self.limit) {
            return Err(format!(
                "a {}x{} matrix needs {}, more than max_memory = {}",
                shape.0,
                shape.1,
                about(bytes),
                format_bytes(u128::from(self.limit))
            ));
        }
        Ok(shape)
    }

    /// Resolve a source (reading its file if it has one), without rounding; errors are one line.
    /// The shape is checked against the memory limit first.
    pub fn resolve(&mut self, source: &MatrixSource) -> Result<Matrix, String> {
        self.shape_of(source)?;
        match source {
            MatrixSource::Npy(path) => read_npy(path),
            MatrixSource::Csv(path) => read_csv(path),
            MatrixSource::Given(name) => {
                let m = self.given(name)?.clone();
                check_file_matrix(&m).map_err(|e| format!("the matrix given as `{name}`: {e}"))?;
                Ok(m)
            }
            other => other
                .build(&mut self.streams, self.dtype)
                .map_err(|e| e.to_string()),
        }
    }
}

impl Shapes for RunContext {
    fn shape(&mut self, key: &str, source: &MatrixSource) -> Result<(usize, usize), ProblemError> {
        self.shape_of(source)
            .map_err(|reason| ProblemError::invalid(key, reason))
    }
}

/// The matrix in a `.npy` file, any entries: the header is checked in full before the data is
/// read (see `npy`). A diverged run's `result.npy` holds infinities; [`read_npy`] refuses them.
pub fn read_npy_any(path: &Path) -> Result<Matrix, String> {
    let header = npy_header(path)?;
    let (rows, cols) = header.matrix_shape();
    if rows == 0 || cols == 0 {
        return Err(format!(
            "`{}` holds an empty array of shape {:?}",
            path.display(),
            header.shape
        ));
    }
    read_npy_data(path, &header)
}

/// The matrix in a `.npy` file: float or integer, 1-D (one column) or 2-D, C or Fortran order,
/// every entry finite.
pub fn read_npy(path: &Path) -> Result<Matrix, String> {
    let m = read_npy_any(path)?;
    check_file_matrix(&m).map_err(|e| format!("`{}`: {e}", path.display()))?;
    Ok(m)
}

/// The shape of a `.csv` matrix: its rows and the first row's length, scanning the text one
/// record at a time (nothing is kept). A file that could not fit in `limit` once read (each
/// entry takes at least two bytes of text and eight as a number) is refused from its size.
fn csv_shape(path: &Path, limit: u64) -> Result<(usize, usize), String> {
    let shown = path.display();
    let (file, len) = open_regular(path)?;
    let bound = (u128::from(len) / 2 + 1).saturating_mul(BYTES_PER_ENTRY);
    if bound > u128::from(limit) && len > 1 << 20 {
        return Err(format!(
            "`{shown}` is {} of text: up to {} once read, more than max_memory = {}",
            format_bytes(u128::from(len)),
            format_bytes(bound),
            format_bytes(u128::from(limit))
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(file);
    let mut record = csv::StringRecord::new();
    let (mut rows, mut cols) = (0usize, 0usize);
    while reader
        .read_record(&mut record)
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?
    {
        if rows == 0 {
            cols = record.len();
        }
        rows += 1;
    }
    Ok((rows, cols))
}

/// The matrix in a `.csv` file: numbers only, one row per line, no header, all rows equally long.
pub fn read_csv(path: &Path) -> Result<Matrix, String> {
    let shown = path.display();
    let (file, _) = open_regular(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(file);
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
        let rounded = round_to(&m, self.dtype);
        if let Some((i, v)) = m
            .data()
            .iter()
            .zip(rounded.data())
            .position(|(_, r)| !r.is_finite())
            .map(|i| (i, m.data()[i]))
        {
            let (row, col) = (i / m.cols() + 1, i % m.cols() + 1);
            return Err(ProblemError::invalid(
                key,
                format!(
                    "entry ({row}, {col}) = {v:e} is beyond {}'s range: it would be infinite in this \
                     run; use dtype = \"f64\" or smaller values",
                    self.dtype.name()
                ),
            ));
        }
        Ok(rounded)
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
