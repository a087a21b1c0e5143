//! Generated problem families of a suite: inverses and linear systems over a ladder of condition numbers, diagonal or rotated, of several sizes; indicator matrices; SVDs.

use anyhow::bail;
use toml::{Table, Value};

/// How a family's matrix holds its spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spectrum {
    /// `diag(l)`: the eigenvectors are the axes, where a diagonal preconditioner (Adam's) helps.
    Diagonal,
    /// `Q diag(l) Q^T` with a Haar-random Q (the `spd` source): the same eigenvalues, turned
    /// away from the axes.
    Rotated,
}

impl Spectrum {
    fn name(self) -> &'static str {
        match self {
            Spectrum::Diagonal => "diagonal",
            Spectrum::Rotated => "rotated",
        }
    }
}

/// A `[[problem]]` table with `family = ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum Family {
    /// `inverse` or `linear_system` of symmetric positive definite matrices with eigenvalues
    /// `cond^(-i/(n-1))`, from 1 down to 1/cond (the `spd` source's).
    Conditioned {
        /// `inverse` or `linear_system`.
        kind: &'static str,
        /// Sizes.
        sizes: Vec<usize>,
        /// Condition numbers (2-norm, of A).
        conds: Vec<f64>,
        /// Diagonal, rotated, or both.
        spectra: Vec<Spectrum>,
        /// The seed of the random parts (Q, b): the same problem for every run.
        matrix_seed: i64,
    },
    /// The notebook's document-word indicator matrix.
    Indicator {
        /// Rows of B.
        documents: usize,
        /// Columns of B.
        words: usize,
        /// The probability of a one.
        p: f64,
        /// The seed of the draw (123: the notebook's).
        matrix_seed: i64,
    },
    /// The SVD of a normal m x n matrix.
    Svd {
        /// Rows.
        m: usize,
        /// Columns.
        n: usize,
        /// Triplets sought (default min(m, n)).
        rank: Option<usize>,
        /// The seed of the matrix.
        matrix_seed: i64,
    },
}

/// The largest size a family generates (a suite runs many of them).
pub const MAX_FAMILY_SIZE: usize = 4096;

/// A list of numbers or one number.
fn numbers(t: &Table, key: &str) -> anyhow::Result<Option<Vec<f64>>> {
    let one = |v: &Value| match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    };
    match t.get(key) {
        None => Ok(None),
        Some(Value::Array(a)) if !a.is_empty() => match a.iter().map(one).collect() {
            Some(v) => Ok(Some(v)),
            None => bail!("`{key}`: expected numbers, got {a:?}"),
        },
        Some(v) => match one(v) {
            Some(x) => Ok(Some(vec![x])),
            None => bail!("`{key}`: expected a number or a non-empty list of them, got {v}"),
        },
    }
}

/// A size (or list of sizes) in 1..=MAX_FAMILY_SIZE.
fn sizes(t: &Table, key: &str, default: usize) -> anyhow::Result<Vec<usize>> {
    let Some(v) = numbers(t, key)? else {
        return Ok(vec![default]);
    };
    v.iter()
        .map(|&x| {
            if x.fract() == 0.0 && (1.0..=MAX_FAMILY_SIZE as f64).contains(&x) {
                Ok(x as usize)
            } else {
                bail!("`{key}`: sizes are whole numbers from 1 to {MAX_FAMILY_SIZE}, got {x}")
            }
        })
        .collect()
}

/// One size.
fn size(t: &Table, key: &str, default: usize) -> anyhow::Result<usize> {
    let v = sizes(t, key, default)?;
    match v.as_slice() {
        [one] => Ok(*one),
        _ => bail!("`{key}`: one size, not a list"),
    }
}

fn seed(t: &Table, default: i64) -> anyhow::Result<i64> {
    match t.get("matrix_seed") {
        None => Ok(default),
        Some(Value::Integer(i)) => Ok(*i),
        Some(v) => bail!("`matrix_seed`: expected an integer, got {v}"),
    }
}

/// The keys a family's table may have besides its own.
const COMMON: [&str; 3] = ["family", "name", "matrix_seed"];

fn known(t: &Table, own: &[&str]) -> anyhow::Result<()> {
    if let Some(k) = t
        .keys()
        .find(|k| !COMMON.contains(&k.as_str()) && !own.contains(&k.as_str()))
    {
        let mut all: Vec<&str> = COMMON.to_vec();
        all.extend(own);
        bail!(
            "`{k}`: unknown key of this family (known: {})",
            all.join(", ")
        );
    }
    Ok(())
}

impl Family {
    /// Read a `[[problem]]` table with `family = ...`.
    pub fn from_table(t: &Table) -> anyhow::Result<Self> {
        let family = match t.get("family") {
            Some(Value::String(s)) => s.as_str(),
            other => bail!("`family`: expected a string, got {other:?}"),
        };
        match family {
            "inverse" | "linear_system" => {
                known(t, &["n", "cond", "spectrum"])?;
                let kind = if family == "inverse" {
                    "inverse"
                } else {
                    "linear_system"
                };
                let sizes = sizes(t, "n", 8)?;
                if sizes.contains(&1) {
                    bail!("`n`: a conditioned family needs n >= 2");
                }
                let Some(conds) = numbers(t, "cond")? else {
                    bail!(
                        "`cond`: required: the condition number(s) of A, e.g. [1e1, 1e2, 1e3, 1e4]"
                    );
                };
                if let Some(c) = conds.iter().find(|c| !(c.is_finite() && **c >= 1.0)) {
                    bail!("`cond`: condition numbers are finite and >= 1, got {c}");
                }
                let spectra = match t.get("spectrum") {
                    None => vec![Spectrum::Diagonal, Spectrum::Rotated],
                    Some(Value::String(s)) => vec![spectrum(s)?],
                    Some(Value::Array(a)) if !a.is_empty() => a
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => spectrum(s),
                            other => bail!("`spectrum`: expected a string, got {other}"),
                        })
                        .collect::<anyhow::Result<_>>()?,
                    Some(other) => bail!(
                        "`spectrum`: expected \"diagonal\", \"rotated\" or a list of them, got {other}"
                    ),
                };
                Ok(Family::Conditioned {
                    kind,
                    sizes,
                    conds,
                    spectra,
                    matrix_seed: seed(t, 1)?,
                })
            }
            "indicator" => {
                known(t, &["documents", "words", "p"])?;
                let p = numbers(t, "p")?.map_or(Ok(0.2), |v| match v.as_slice() {
                    [p] if (0.0..=1.0).contains(p) => Ok(*p),
                    _ => bail!("`p`: one probability in [0, 1], got {v:?}"),
                })?;
                Ok(Family::Indicator {
                    documents: size(t, "documents", 17)?,
                    words: size(t, "words", 3)?,
                    p,
                    matrix_seed: seed(t, 123)?,
                })
            }
            "svd" => {
                known(t, &["m", "n", "rank"])?;
                let (m, n) = (size(t, "m", 6)?, size(t, "n", 4)?);
                let rank = match t.get("rank") {
                    None => None,
                    Some(_) => Some(size(t, "rank", 1)?),
                };
                if rank.is_some_and(|k| k > m.min(n)) {
                    bail!("`rank`: at most min(m, n) = {}", m.min(n));
                }
                Ok(Family::Svd {
                    m,
                    n,
                    rank,
                    matrix_seed: seed(t, 3)?,
                })
            }
            other => bail!(
                "`family`: unknown family `{other}` (known: inverse, linear_system, indicator, svd)"
            ),
        }
    }

    /// Every problem of the family: its name and its config's table (no `[optimizer]`).
    pub fn problems(&self) -> Vec<(String, Table)> {
        let config = |name: String, problem: Table| {
            let mut t = Table::new();
            t.insert("name".into(), Value::String(name.clone()));
            t.insert("problem".into(), Value::Table(problem));
            (name, t)
        };
        match self {
            Family::Conditioned {
                kind,
                sizes,
                conds,
                spectra,
                matrix_seed,
            } => {
                let mut out = Vec::new();
                for &spectrum in spectra {
                    for &n in sizes {
                        for &cond in conds {
                            let a = matrix(spectrum, n, cond, *matrix_seed);
                            let mut p = Table::new();
                            p.insert("kind".into(), Value::String((*kind).into()));
                            if *kind == "inverse" {
                                p.insert("matrix".into(), a);
                            } else {
                                p.insert("a".into(), a);
                                p.insert(
                                    "b".into(),
                                    source("normal", vec![n, 1], *matrix_seed + 1),
                                );
                            }
                            let name = format!(
                                "{}-{}-n{n}-cond{}",
                                kind.replace('_', "-"),
                                spectrum.name(),
                                short(cond)
                            );
                            out.push(config(name, p));
                        }
                    }
                }
                out
            }
            Family::Indicator {
                documents,
                words,
                p,
                matrix_seed,
            } => {
                let mut t = Table::new();
                t.insert("kind".into(), Value::String("indicator".into()));
                t.insert("documents".into(), Value::Integer(*documents as i64));
                t.insert("words".into(), Value::Integer(*words as i64));
                t.insert("p".into(), Value::Float(*p));
                t.insert("seed".into(), Value::Integer(*matrix_seed));
                // From zeros gradient descent converges to pinv(B), the exact answer; from a
                // random start X0 it keeps X0's part outside B's column space (docs/config.md).
                let (name, mut config) = config(format!("indicator-{documents}x{words}-p{p}"), t);
                let mut init = Table::new();
                init.insert("kind".into(), Value::String("zeros".into()));
                config.insert("init".into(), Value::Table(init));
                vec![(name, config)]
            }
            Family::Svd {
                m,
                n,
                rank,
                matrix_seed,
            } => {
                let mut t = Table::new();
                t.insert("kind".into(), Value::String("svd".into()));
                t.insert(
                    "matrix".into(),
                    source("normal", vec![*m, *n], *matrix_seed),
                );
                let k = rank.unwrap_or((*m).min(*n));
                if let Some(k) = rank {
                    t.insert("rank".into(), Value::Integer(*k as i64));
                }
                vec![config(format!("svd-{m}x{n}-k{k}"), t)]
            }
        }
    }
}

fn spectrum(s: &str) -> anyhow::Result<Spectrum> {
    match s {
        "diagonal" => Ok(Spectrum::Diagonal),
        "rotated" => Ok(Spectrum::Rotated),
        other => bail!("`spectrum`: `{other}` is neither \"diagonal\" nor \"rotated\""),
    }
}

/// A random matrix source with its own seed: `{ kind = shape, seed = s }`.
fn source(kind: &str, shape: Vec<usize>, seed: i64) -> Value {
    let mut t = Table::new();
    t.insert(
        kind.into(),
        Value::Array(
            shape
                .into_iter()
                .map(|d| Value::Integer(d as i64))
                .collect(),
        ),
    );
    t.insert("seed".into(), Value::Integer(seed));
    Value::Table(t)
}

/// A of condition number `cond`: `diag(cond^(-i/(n-1)))`, or the `spd` source of the same
/// eigenvalues with its own seed.
fn matrix(spectrum: Spectrum, n: usize, cond: f64, seed: i64) -> Value {
    let mut t = Table::new();
    match spectrum {
        Spectrum::Diagonal => {
            let d = (0..n)
                .map(|i| Value::Float(cond.powf(-(i as f64) / (n - 1) as f64)))
                .collect();
            t.insert("diag".into(), Value::Array(d));
        }
        Spectrum::Rotated => {
            t.insert("spd".into(), Value::Integer(n as i64));
            t.insert("cond".into(), Value::Float(cond));
            t.insert("seed".into(), Value::Integer(seed));
        }
    }
    Value::Table(t)
}

/// `100` as `1e2`, `31.6` as `3.16e1`: short and safe in a directory name.
fn short(x: f64) -> String {
    format!("{x:e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        toml::from_str(text).expect("toml")
    }

    #[test]
    fn a_ladder_makes_one_problem_per_spectrum_size_and_condition() {
        let f = Family::from_table(&table(
            "family = \"inverse\"\nn = [4, 8]\ncond = [1e1, 1e2, 1e3]\n",
        ))
        .expect("family");
        let p = f.problems();
        assert_eq!(p.len(), 2 * 2 * 3);
        assert_eq!(p[0].0, "inverse-diagonal-n4-cond1e1");
        assert_eq!(p[11].0, "inverse-rotated-n8-cond1e3");
        // The diagonal's eigenvalues run from 1 down to 1/cond.
        let diag = p[2].1["problem"]["matrix"]["diag"]
            .as_array()
            .expect("diag");
        assert_eq!(diag.len(), 4);
        assert_eq!(diag[0].as_float(), Some(1.0));
        let last = diag[3].as_float().expect("float");
        assert!((last - 1e-3).abs() < 1e-15, "{last}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        for (text, want) in [
            ("family = \"inverse\"\ncond = 10.0\nsize = 4\n", "`size`"),
            ("family = \"inverse\"\n", "`cond`"),
            ("family = \"inverse\"\ncond = 0.5\n", "`cond`"),
            (
                "family = \"linear_system\"\ncond = 10.0\nspectrum = \"round\"\n",
                "`spectrum`",
            ),
            ("family = \"svd\"\nm = 3\nn = 2\nrank = 3\n", "`rank`"),
            ("family = \"indicator\"\np = 2.0\n", "`p`"),
        ] {
            let e = Family::from_table(&table(text))
                .expect_err(text)
                .to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
    }
}
