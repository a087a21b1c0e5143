//! `MatrixSource`: how a config names a matrix (literal rows, a diagonal, random draws, files).
//!
//! This is data plus the draws. [`MatrixSource::build`] makes every source that needs no file; the
//! file-backed ones (`npy`, `csv`) are read by the runner, which does the I/O, and only their
//! contents are checked here ([`check_file_matrix`]); so are the `given` ones, which the program
//! running the config hands over in memory (a numpy array from Python).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{Dtype, Matrix, RandomStreams, RngKind, TensorError};

/// Where the random numbers of a random source come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Random {
    /// `torch` (default) or `native`.
    pub rng: RngKind,
    /// Its own seed; by default the draw continues the run's stream (seeded with the run's `seed`).
    pub seed: Option<i64>,
}

/// A matrix as written in a config: exactly one of the keys below, plus that key's options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSource", into = "RawSource")]
pub enum MatrixSource {
    /// The rows of the matrix: `{ rows = [[2.0, 1.0], [1.0, 3.0]] }`.
    Rows(Vec<Vec<f64>>),
    /// A diagonal matrix: `{ diag = [1.0, 2.0, 3.0, 4.0] }`.
    Diag(Vec<f64>),
    /// The identity of size n: `{ identity = 3 }`.
    Identity(usize),
    /// Uniform entries in [low, high): `{ uniform = [m, n], low = 0.0, high = 1.0 }` (`torch.rand`).
    Uniform {
        /// `[rows, cols]`.
        shape: [usize; 2],
        /// Lower bound (default 0).
        low: f64,
        /// Upper bound (default 1).
        high: f64,
        /// The generator.
        random: Random,
    },
    /// Normal entries: `{ normal = [m, n], mean = 0.0, std = 1.0 }` (`torch.randn * std + mean`).
    Normal {
        /// `[rows, cols]`.
        shape: [usize; 2],
        /// Mean (default 0).
        mean: f64,
        /// Standard deviation (default 1).
        std: f64,
        /// The generator.
        random: Random,
    },
    /// A symmetric positive definite matrix with condition number exactly `cond`:
    /// `{ spd = n, cond = 100.0 }` is `Q diag(l) Q^T` with a random orthogonal Q and eigenvalues
    /// `l_i = cond^(-i / (n - 1))`, geometric from 1 down to `1 / cond`.
    Spd {
        /// The size n.
        n: usize,
        /// The 2-norm condition number (default 100).
        cond: f64,
        /// The generator of Q.
        random: Random,
    },
    /// `Q diag(d) Q^T` with a random orthogonal Q: `{ rotated_diag = [1.0, 2.0, 3.0] }` (a symmetric
    /// matrix with eigenvalues d that is not diagonal).
    RotatedDiag {
        /// The eigenvalues.
        diag: Vec<f64>,
        /// The generator of Q.
        random: Random,
    },
    /// A `.npy` file (float or integer, 1-D as one column or 2-D), relative to the config file.
    Npy(PathBuf),
    /// A `.csv` file of numbers, one row per line, no header, relative to the config file.
    Csv(PathBuf),
    /// A matrix the program running the config holds in memory, by name: `{ given =
    /// "problem.matrix" }` (what `descent.run(..., matrices={"problem.matrix": array})` writes).
    Given(String),
}

impl MatrixSource {
    /// The matrix this source describes, in `dtype` precision where it is drawn at random, checked
    /// to be non-empty and finite. Random draws use `streams`. File sources are the runner's to read.
    pub fn build(&self, streams: &mut RandomStreams, dtype: Dtype) -> Result<Matrix, TensorError> {
        let draw = |streams: &mut RandomStreams,
                    random: &Random,
                    f: &mut dyn FnMut(&mut crate::MatrixRng) -> Matrix| {
            streams.draw(random.rng, random.seed.map(|s| s as u64), |r| f(r))
        };
        let m = match self {
            Self::Rows(rows) => Matrix::from_rows(rows)?,
            Self::Diag(d) => Matrix::diag(d),
            Self::Identity(n) => Matrix::identity(*n),
            Self::Uniform {
                shape: [r, c],
                low,
                high,
                random,
            } => draw(streams, random, &mut |g| {
                g.uniform(*r, *c, *low, *high, dtype)
            }),
            Self::Normal {
                shape: [r, c],
                mean,
                std,
                random,
            } => draw(streams, random, &mut |g| {
                g.normal(*r, *c, *mean, *std, dtype)
            }),
            Self::Spd { n, cond, random } => {
                let n = *n;
                let eig: Vec<f64> = (0..n)
                    .map(|i| {
                        if n == 1 {
                            1.0
                        } else {
                            cond.powf(-(i as f64) / (n - 1) as f64)
                        }
                    })
                    .collect();
                draw(streams, random, &mut |g| rotate(&g.orthogonal(n), &eig))
            }
            Self::RotatedDiag { diag, random } => draw(streams, random, &mut |g| {
                rotate(&g.orthogonal(diag.len()), diag)
            }),
            Self::Npy(path) | Self::Csv(path) => {
                return Err(TensorError::Invalid(format!(
                    "`{}` is a file; the runner reads files",
                    path.display()
                )));
            }
            Self::Given(name) => {
                return Err(TensorError::Invalid(format!(
                    "the matrix given as `{name}` is held by the runner"
                )));
            }
        };
        check_file_matrix(&m)?;
        Ok(m)
    }

    /// The shape `(rows, cols)` this source builds, known without drawing or allocating anything;
    /// `None` for the file and given sources, whose shape the runner knows.
    pub fn shape(&self) -> Option<(usize, usize)> {
        match self {
            Self::Rows(rows) => Some((rows.len(), rows.first().map_or(0, Vec::len))),
            Self::Diag(d) | Self::RotatedDiag { diag: d, .. } => Some((d.len(), d.len())),
            Self::Identity(n) | Self::Spd { n, .. } => Some((*n, *n)),
            Self::Uniform { shape, .. } | Self::Normal { shape, .. } => Some((shape[0], shape[1])),
            Self::Npy(_) | Self::Csv(_) | Self::Given(_) => None,
        }
    }

    /// The file this source reads, if any.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Self::Npy(p) | Self::Csv(p) => Some(p),
            _ => None,
        }
    }
}

/// A matrix read from anywhere must have entries, all finite.
pub fn check_file_matrix(m: &Matrix) -> Result<(), TensorError> {
    if m.rows() == 0 || m.cols() == 0 {
        return Err(TensorError::Empty);
    }
    m.check_finite()
}

/// `Q diag(d) Q^T`, symmetrised so that it is exactly symmetric.
fn rotate(q: &Matrix, d: &[f64]) -> Matrix {
    let q = q.to_faer();
    let n = d.len();
    let qd = faer::Mat::from_fn(n, n, |i, j| q[(i, j)] * d[j]);
    let a = &qd * q.transpose();
    Matrix::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]))
}

/// The TOML shape of a source: every key optional, checked by `TryFrom`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rows: Option<Vec<Vec<f64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    diag: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uniform: Option<[usize; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    normal: Option<[usize; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    spd: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotated_diag: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    npy: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    csv: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    given: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    high: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    std: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cond: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rng: Option<RngKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
}

/// The keys that say what a source is.
const KINDS: &str =
    "`rows`, `diag`, `identity`, `uniform`, `normal`, `spd`, `rotated_diag`, `npy`, `csv`, `given`";

impl TryFrom<RawSource> for MatrixSource {
    type Error = String;

    fn try_from(raw: RawSource) -> Result<Self, String> {
        let present: Vec<&str> = [
            ("rows", raw.rows.is_some()),
            ("diag", raw.diag.is_some()),
            ("identity", raw.identity.is_some()),
            ("uniform", raw.uniform.is_some()),
            ("normal", raw.normal.is_some()),
            ("spd", raw.spd.is_some()),
            ("rotated_diag", raw.rotated_diag.is_some()),
            ("npy", raw.npy.is_some()),
            ("csv", raw.csv.is_some()),
            ("given", raw.given.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, p)| p.then_some(k))
        .collect();
        let kind = match present.as_slice() {
            [k] => *k,
            [] => return Err(format!("a matrix needs one of {KINDS}")),
            many => {
                return Err(format!(
                    "a matrix takes exactly one of {KINDS}, got {}",
                    many.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
        };
        let allowed: &[&str] = match kind {
            "uniform" => &["low", "high", "rng", "seed"],
            "normal" => &["mean", "std", "rng", "seed"],
            "spd" => &["cond", "rng", "seed"],
            "rotated_diag" => &["rng", "seed"],
            _ => &[],
        };
        for (key, given) in [
            ("low", raw.low.is_some()),
            ("high", raw.high.is_some()),
            ("mean", raw.mean.is_some()),
            ("std", raw.std.is_some()),
            ("cond", raw.cond.is_some()),
            ("rng", raw.rng.is_some()),
            ("seed", raw.seed.is_some()),
        ] {
            if given && !allowed.contains(&key) {
                return Err(format!("`{key}` does not apply to a `{kind}` matrix"));
            }
        }
        let random = Random {
            rng: raw.rng.unwrap_or_default(),
            seed: raw.seed,
        };
        let shape = |s: [usize; 2]| {
            if s[0] == 0 || s[1] == 0 {
                Err(format!(
                    "`{kind}` needs a shape [rows, cols] of at least 1x1, got {s:?}"
                ))
            } else {
                Ok(s)
            }
        };
        Ok(match kind {
            "rows" => Self::Rows(raw.rows.unwrap_or_default()),
            "diag" => Self::Diag(raw.diag.unwrap_or_default()),
            "identity" => match raw.identity {
                Some(0) | None => return Err("`identity` needs a size of at least 1".into()),
                Some(n) => Self::Identity(n),
            },
            "uniform" => {
                let (low, high) = (raw.low.unwrap_or(0.0), raw.high.unwrap_or(1.0));
                if !(low.is_finite() && high.is_finite() && low < high) {
                    return Err(format!(
                        "`uniform` needs finite low < high, got low = {low}, high = {high}"
                    ));
                }
                Self::Uniform {
                    shape: shape(raw.uniform.unwrap_or_default())?,
                    low,
                    high,
                    random,
                }
            }
            "normal" => {
                let (mean, std) = (raw.mean.unwrap_or(0.0), raw.std.unwrap_or(1.0));
                if !(mean.is_finite() && std.is_finite() && std >= 0.0) {
                    return Err(format!(
                        "`normal` needs a finite mean and a finite std >= 0, got mean = {mean}, std = {std}"
                    ));
                }
                Self::Normal {
                    shape: shape(raw.normal.unwrap_or_default())?,
                    mean,
                    std,
                    random,
                }
            }
            "spd" => {
                let cond = raw.cond.unwrap_or(100.0);
                let n = raw.spd.unwrap_or_default();
                if n == 0 {
                    return Err("`spd` needs a size of at least 1".into());
                }
                if !(cond.is_finite() && cond >= 1.0) {
                    return Err(format!("`cond` must be a finite number >= 1, got {cond}"));
                }
                if n == 1 && cond != 1.0 {
                    return Err(format!("a 1x1 matrix has condition number 1, not {cond}"));
                }
                Self::Spd { n, cond, random }
            }
            "rotated_diag" => {
                let diag = raw.rotated_diag.unwrap_or_default();
                if diag.is_empty() {
                    return Err("`rotated_diag` needs at least one value".into());
                }
                Self::RotatedDiag { diag, random }
            }
            "npy" => Self::Npy(raw.npy.unwrap_or_default()),
            "given" => Self::Given(raw.given.unwrap_or_default()),
            _ => Self::Csv(raw.csv.unwrap_or_default()),
        })
    }
}

impl From<MatrixSource> for RawSource {
    fn from(s: MatrixSource) -> Self {
        let with_random = |mut raw: RawSource, r: Random| {
            raw.rng = Some(r.rng);
            raw.seed = r.seed;
            raw
        };
        match s {
            MatrixSource::Rows(rows) => Self {
                rows: Some(rows),
                ..Self::default()
            },
            MatrixSource::Diag(d) => Self {
                diag: Some(d),
                ..Self::default()
            },
            MatrixSource::Identity(n) => Self {
                identity: Some(n),
                ..Self::default()
            },
            MatrixSource::Uniform {
                shape,
                low,
                high,
                random,
            } => with_random(
                Self {
                    uniform: Some(shape),
                    low: Some(low),
                    high: Some(high),
                    ..Self::default()
                },
                random,
            ),
            MatrixSource::Normal {
                shape,
                mean,
                std,
                random,
            } => with_random(
                Self {
                    normal: Some(shape),
                    mean: Some(mean),
                    std: Some(std),
                    ..Self::default()
                },
                random,
            ),
            MatrixSource::Spd { n, cond, random } => with_random(
                Self {
                    spd: Some(n),
                    cond: Some(cond),
                    ..Self::default()
                },
                random,
            ),
            MatrixSource::RotatedDiag { diag, random } => with_random(
                Self {
                    rotated_diag: Some(diag),
                    ..Self::default()
                },
                random,
            ),
            MatrixSource::Npy(p) => Self {
                npy: Some(p),
                ..Self::default()
            },
            MatrixSource::Csv(p) => Self {
                csv: Some(p),
                ..Self::default()
            },
            MatrixSource::Given(name) => Self {
                given: Some(name),
                ..Self::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact;

    fn parse(text: &str) -> Result<MatrixSource, String> {
        #[derive(Deserialize)]
        struct Doc {
            m: MatrixSource,
        }
        toml::from_str::<Doc>(&format!("m = {text}"))
            .map(|d| d.m)
            .map_err(|e| e.message().to_string())
    }

    fn build(text: &str) -> Matrix {
        parse(text)
            .unwrap()
            .build(&mut RandomStreams::new(0), Dtype::F64)
            .unwrap()
    }

    #[test]
    fn literal_sources_build_what_they_say() {
        assert_eq!(build("{ diag = [1.0, 2.0] }"), Matrix::diag(&[1.0, 2.0]));
        assert_eq!(build("{ identity = 3 }"), Matrix::identity(3));
        assert_eq!(
            build("{ rows = [[1.0, 2.0], [3.0, 4.0]] }").data(),
            &[1.0, 2.0, 3.0, 4.0]
        );
    }

    #[test]
    fn uniform_is_torch_rand_scaled_and_stays_in_its_bounds() {
        let m = parse("{ uniform = [4, 4] }")
            .unwrap()
            .build(&mut RandomStreams::new(314), Dtype::F32)
            .unwrap();
        assert_eq!(
            m.get(0, 0).to_bits(),
            f64::from(f32::from_bits(0x3f38_3a08)).to_bits()
        );
        let m = build("{ uniform = [30, 7], low = -2.0, high = 3.0 }");
        assert_eq!(m.shape(), (30, 7));
        assert!(m.data().iter().all(|v| (-2.0..3.0).contains(v)));
    }

    #[test]
    fn normal_with_torch_rng_is_torch_randn_and_an_own_seed_is_used() {
        let m = parse("{ normal = [4, 4], seed = 314 }")
            .unwrap()
            .build(&mut RandomStreams::new(0), Dtype::F32)
            .unwrap();
        assert_eq!(m.get(0, 0) as f32, f32::from_bits(0x3fcb_db46));
        assert_eq!(m.get(3, 3) as f32, f32::from_bits(0x3f85_cce9));
    }

    #[test]
    fn spd_has_the_exact_condition_number_and_is_symmetric_positive_definite() {
        for (n, cond) in [(2, 10.0), (5, 100.0), (8, 1e4)] {
            let m = build(&format!("{{ spd = {n}, cond = {cond} }}"));
            assert_eq!(m, m.transpose());
            let c = exact::condition_number(&m).unwrap();
            assert!(
                (c / cond - 1.0).abs() < 1e-10,
                "n = {n}: cond {c} vs {cond}"
            );
            let s = exact::singular_values(&m).unwrap();
            assert!((s[0] - 1.0).abs() < 1e-12);
            // Symmetric with positive eigenvalues: its Cholesky factorisation exists.
            assert!(m.to_faer().llt(faer::Side::Lower).is_ok());
        }
    }

    #[test]
    fn rotated_diag_has_the_given_spectrum_without_being_diagonal() {
        let m = build("{ rotated_diag = [1.0, 2.0, 3.0, 4.0] }");
        let s = exact::singular_values(&m).unwrap();
        for (got, want) in s.iter().zip([4.0, 3.0, 2.0, 1.0]) {
            assert!((got - want).abs() < 1e-13, "{got} vs {want}");
        }
        assert!(m.get(0, 1).abs() > 1e-3);
    }

    #[test]
    fn bad_sources_are_refused_with_the_reason() {
        for (text, reason) in [
            ("{ }", "needs one of"),
            ("{ rows = [[1.0]], diag = [1.0] }", "`rows` and `diag`"),
            (
                "{ diag = [1.0], low = 0.0 }",
                "`low` does not apply to a `diag` matrix",
            ),
            ("{ uniform = [0, 3] }", "at least 1x1"),
            ("{ uniform = [2, 2], low = 1.0, high = 1.0 }", "low < high"),
            ("{ normal = [2, 2], std = -1.0 }", "std >= 0"),
            ("{ spd = 3, cond = 0.5 }", "finite number >= 1"),
            ("{ spd = 1, cond = 10.0 }", "condition number 1"),
            ("{ identity = 0 }", "at least 1"),
            ("{ rotated_diag = [] }", "at least one value"),
            ("{ rows = [[1.0]], colour = 3 }", "unknown field `colour`"),
            ("{ uniform = [2] }", "expected"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(reason), "{text}: {err}");
        }
        let nan = parse("{ diag = [1.0, nan] }")
            .unwrap()
            .build(&mut RandomStreams::new(0), Dtype::F64);
        assert!(matches!(
            nan,
            Err(TensorError::NotFinite { row: 1, col: 1, .. })
        ));
        let ragged = parse("{ rows = [[1.0, 2.0], [3.0]] }")
            .unwrap()
            .build(&mut RandomStreams::new(0), Dtype::F64);
        assert!(matches!(ragged, Err(TensorError::Ragged { row: 1, .. })));
        let empty = parse("{ rows = [] }")
            .unwrap()
            .build(&mut RandomStreams::new(0), Dtype::F64);
        assert!(matches!(empty, Err(TensorError::Empty)));
    }

    #[test]
    fn shape_is_what_build_makes() {
        for text in [
            "{ rows = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] }",
            "{ diag = [1.0, 2.0] }",
            "{ identity = 3 }",
            "{ uniform = [5, 2] }",
            "{ normal = [1, 7] }",
            "{ spd = 4 }",
            "{ rotated_diag = [1.0, 2.0, 3.0] }",
        ] {
            let source = parse(text).unwrap();
            assert_eq!(source.shape(), Some(build(text).shape()), "{text}");
        }
        assert_eq!(parse("{ npy = \"a.npy\" }").unwrap().shape(), None);
        // Known without allocating: the shape of a matrix that could never be built.
        let huge = parse("{ uniform = [9223372036854775807, 2] }").unwrap();
        assert_eq!(huge.shape(), Some((9_223_372_036_854_775_807, 2)));
    }

    #[test]
    fn sources_round_trip_through_toml() {
        for text in [
            "{ rows = [[1.0, 2.0]] }",
            "{ uniform = [2, 3], low = -1.0, high = 2.0, rng = \"native\", seed = 4 }",
            "{ spd = 4, cond = 10.0 }",
            "{ npy = \"a.npy\" }",
        ] {
            let s = parse(text).unwrap();
            let back: MatrixSource = toml::Value::try_from(&s).unwrap().try_into().unwrap();
            assert_eq!(back, s, "{text}");
        }
    }
}
