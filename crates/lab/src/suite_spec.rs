//! `suite.toml`: the problems, optimizers, seeds, target and budget of a suite, read and checked with the file, line and key of every mistake.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;
use toml::{Table, Value};

use crate::family::Family;

/// The budget of each run: updates, or evaluations of the loss and gradient (fair to lbfgs,
/// which evaluates several times per update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Budget {
    /// At most this many updates.
    Iterations(usize),
    /// At most this many evaluations (and as many updates).
    Evaluations(usize),
}

impl Budget {
    /// The number.
    pub fn amount(self) -> usize {
        match self {
            Budget::Iterations(n) | Budget::Evaluations(n) => n,
        }
    }

    /// `iterations` or `evaluations`.
    pub fn unit(self) -> &'static str {
        match self {
            Budget::Iterations(_) => "iterations",
            Budget::Evaluations(_) => "evaluations",
        }
    }
}

/// The log grid of `lr = "tune"` (DeepOBS's protocol): `points` rates from `low` to `high`,
/// evenly spaced in the logarithm.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TuneGrid {
    /// The smallest rate (default 1e-4).
    pub low: f64,
    /// The largest rate (default 100).
    pub high: f64,
    /// How many rates (default 13: two per decade).
    pub points: usize,
}

impl Default for TuneGrid {
    fn default() -> Self {
        Self {
            low: 1e-4,
            high: 100.0,
            points: 13,
        }
    }
}

impl TuneGrid {
    /// The rates, from `low` to `high`; each rounded to three significant digits, so that they
    /// print and name run directories plainly (`0.000316`, not `0.00031622776601683794`).
    pub fn rates(&self) -> Vec<f64> {
        if self.points == 1 {
            return vec![self.low];
        }
        let (a, b) = (self.low.ln(), self.high.ln());
        (0..self.points)
            .map(|i| {
                let x = (a + (b - a) * i as f64 / (self.points - 1) as f64).exp();
                round_significant(x, 3)
            })
            .collect()
    }
}

/// `x` rounded to `digits` significant digits.
fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// The learning rates an optimizer entry tries.
#[derive(Debug, Clone, PartialEq)]
pub enum Rates {
    /// One rate: no tuning, every seed.
    One(f64),
    /// A grid, tried on the first seed; the best is rerun with every seed.
    Grid(Vec<f64>),
}

impl Rates {
    /// Every rate tried.
    pub fn all(&self) -> Vec<f64> {
        match self {
            Rates::One(lr) => vec![*lr],
            Rates::Grid(g) => g.clone(),
        }
    }
}

/// One optimizer of the suite: a name, its `[optimizer]` table without `lr`, and its rates.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteOptimizer {
    /// The name in results and pictures (default: the kind; must be unique).
    pub name: String,
    /// The `[optimizer]` table without `lr`.
    pub table: Table,
    /// Its learning rates.
    pub rates: Rates,
}

/// One problem of the suite: a name and its config.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteProblem {
    /// The name in results and pictures (unique).
    pub name: String,
    /// The base config's TOML table (its `[optimizer]` is replaced by each optimizer's).
    pub table: Table,
    /// The file relative paths in the table are relative to (the config file, or the suite's).
    pub file: PathBuf,
}

/// A suite, read from its file.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteSpec {
    /// The suite's name (default: the file's stem).
    pub name: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// The problems, in order.
    pub problems: Vec<SuiteProblem>,
    /// The optimizers, in order.
    pub optimizers: Vec<SuiteOptimizer>,
    /// The seeds of every final run (the first one also tunes).
    pub seeds: Vec<i64>,
    /// A run is solved when its relative error against the exact answer falls below this.
    pub target: f64,
    /// The budget of each run.
    pub budget: Budget,
    /// Runs at a time (default: the CPUs).
    pub jobs: Option<usize>,
    /// Config keys set in every run (`"dtype" = "f64"`), applied before the suite's own.
    pub set: Vec<(String, Value)>,
}

/// The file's keys, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    name: Option<String>,
    target: f64,
    budget: Budget,
    #[serde(default = "default_seeds")]
    seeds: Seeds,
    #[serde(default)]
    tune: TuneGrid,
    jobs: Option<usize>,
    #[serde(default)]
    set: Table,
    #[serde(rename = "problem")]
    problems: Vec<Table>,
    #[serde(rename = "optimizer")]
    optimizers: Vec<Table>,
}

/// `seeds = 3` (0, 1, 2) or `seeds = [7, 8]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Seeds {
    Count(usize),
    List(Vec<i64>),
}

fn default_seeds() -> Seeds {
    Seeds::Count(1)
}

/// The most runs one suite may plan.
pub const MAX_SUITE_RUNS: usize = 1_000_000;

impl SuiteSpec {
    /// Read and check the suite at `file`.
    pub fn load(file: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("{}: cannot read the suite", file.display()))?;
        Self::from_text(file, &text)
    }

    /// Read and check a suite given as text (`file` names it in messages, and relative paths
    /// are relative to it).
    pub fn from_text(file: &Path, text: &str) -> anyhow::Result<Self> {
        let shown = file.display();
        let raw: RawSuite = toml::from_str(text).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        if !(raw.target.is_finite() && raw.target > 0.0) {
            bail!(
                "{shown}: `target`: must be a finite number > 0 (a relative error), got {}",
                raw.target
            );
        }
        if raw.budget.amount() == 0 {
            bail!(
                "{shown}: `budget.{}`: must be at least 1",
                raw.budget.unit()
            );
        }
        let t = raw.tune;
        if !(t.low.is_finite() && t.low > 0.0 && t.high.is_finite() && t.high >= t.low)
            || t.points == 0
            || t.points > 1000
        {
            bail!(
                "{shown}: `tune`: needs 0 < low <= high, finite, and 1 to 1000 points; got low = {}, high = {}, points = {}",
                t.low,
                t.high,
                t.points
            );
        }
        let seeds = match raw.seeds {
            Seeds::Count(0) => bail!("{shown}: `seeds`: must be at least 1"),
            Seeds::Count(n) if n > 10_000 => bail!("{shown}: `seeds`: at most 10000, got {n}"),
            Seeds::Count(n) => (0..n as i64).collect(),
            Seeds::List(l) if l.is_empty() => bail!("{shown}: `seeds`: give at least one"),
            Seeds::List(l) => {
                let mut sorted = l.clone();
                sorted.sort_unstable();
                sorted.dedup();
                if sorted.len() != l.len() {
                    bail!("{shown}: `seeds`: a seed is repeated in {l:?}");
                }
                l
            }
        };
        if let Some(j) = raw.jobs.filter(|&j| j == 0 || j > crate::MAX_THREADS) {
            bail!(
                "{shown}: `jobs`: must be between 1 and {}, got {j}",
                crate::MAX_THREADS
            );
        }
        let dir = file.parent().unwrap_or(Path::new("."));
        let mut problems = Vec::new();
        for (i, p) in raw.problems.iter().enumerate() {
            problems.extend(
                problem_entries(dir, p)
                    .with_context(|| format!("{shown}: `problem` number {}", i + 1))?,
            );
        }
        if problems.is_empty() {
            bail!("{shown}: no problems: add a [[problem]] table");
        }
        unique(problems.iter().map(|p| p.name.as_str()), "problem", &shown)?;
        let mut optimizers = Vec::new();
        for (i, o) in raw.optimizers.iter().enumerate() {
            optimizers.push(
                optimizer_entry(o, &t)
                    .with_context(|| format!("{shown}: `optimizer` number {}", i + 1))?,
            );
        }
        if optimizers.is_empty() {
            bail!("{shown}: no optimizers: add an [[optimizer]] table");
        }
        unique(
            optimizers.iter().map(|o| o.name.as_str()),
            "optimizer",
            &shown,
        )?;
        let runs = problems.len().saturating_mul(
            optimizers
                .iter()
                .map(|o| o.rates.all().len() + seeds.len())
                .sum(),
        );
        if runs > MAX_SUITE_RUNS {
            bail!(
                "{shown}: the suite would plan about {runs} runs, more than {MAX_SUITE_RUNS}; split it"
            );
        }
        let mut set = Vec::new();
        flatten("", &raw.set, &mut set);
        let name = raw.name.unwrap_or_else(|| {
            file.file_stem()
                .map_or_else(|| "suite".into(), |s| s.to_string_lossy().into_owned())
        });
        Ok(Self {
            name,
            file: file.to_path_buf(),
            problems,
            optimizers,
            seeds,
            target: raw.target,
            budget: raw.budget,
            jobs: raw.jobs,
            set,
        })
    }
}

/// `[set]`'s keys as dotted paths with their values (`a = { b = 1 }` is `a.b = 1`).
fn flatten(prefix: &str, table: &Table, out: &mut Vec<(String, Value)>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Table(t) => flatten(&key, t, out),
            other => out.push((key, other.clone())),
        }
    }
}

/// An error when two entries share a name.
fn unique<'a>(
    names: impl Iterator<Item = &'a str>,
    what: &str,
    shown: &std::path::Display<'_>,
) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            bail!("{shown}: two {what}s are named `{n}`: give each a `name`");
        }
        if n.is_empty() || n.contains(['/', '\\']) || n.starts_with('.') {
            bail!("{shown}: the {what} name `{n}` cannot name a directory");
        }
    }
    Ok(())
}

/// The problems of one `[[problem]]` table: a config file, or a generated family.
fn problem_entries(dir: &Path, t: &Table) -> anyhow::Result<Vec<SuiteProblem>> {
    let name = match t.get("name") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => bail!("`name`: expected a string, got {}", other.type_str()),
    };
    match (t.get("config"), t.get("family")) {
        (Some(_), Some(_)) => bail!("give `config` or `family`, not both"),
        (None, None) => bail!(
            "give `config = \"path.toml\"` or `family = \"inverse\"` (or linear_system, indicator, svd)"
        ),
        (Some(Value::String(path)), None) => {
            if let Some(k) = t.keys().find(|k| !matches!(k.as_str(), "config" | "name")) {
                bail!("`{k}`: unknown key beside `config` (known: `config`, `name`)");
            }
            let file = dir.join(path);
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("`config`: cannot read {}", file.display()))?;
            let table: Table = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("`config`: {}: {e}", file.display()))?;
            let name = name
                .or_else(|| table.get("name").and_then(Value::as_str).map(String::from))
                .unwrap_or_else(|| {
                    file.file_stem()
                        .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
                });
            Ok(vec![SuiteProblem { name, table, file }])
        }
        (Some(other), None) => bail!("`config`: expected a path, got {}", other.type_str()),
        (None, Some(_)) => {
            let family = Family::from_table(t)?;
            let generated = family.problems();
            if name.is_some() && generated.len() > 1 {
                bail!(
                    "`name`: a family that makes {} problems names each itself",
                    generated.len()
                );
            }
            Ok(generated
                .into_iter()
                .map(|(generated_name, table)| SuiteProblem {
                    name: name.clone().unwrap_or(generated_name),
                    table,
                    file: dir.join("suite.toml"),
                })
                .collect())
        }
    }
}

/// One `[[optimizer]]` table: `kind` and its keys, `lr` a number, a list or `"tune"`.
fn optimizer_entry(t: &Table, tune: &TuneGrid) -> anyhow::Result<SuiteOptimizer> {
    let mut table = t.clone();
    let name = match table.remove("name") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => bail!("`name`: expected a string, got {}", other.type_str()),
    };
    let kind = match table.get("kind") {
        Some(Value::String(k)) => k.clone(),
        Some(other) => bail!("`kind`: expected a string, got {}", other.type_str()),
        None => bail!("`kind`: required (sgd, adam, ... as `cargo xtask list` shows)"),
    };
    let number = |v: &Value| match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    };
    let rates = match table.remove("lr") {
        None => bail!("`lr`: required: a number, a list of numbers, or \"tune\""),
        Some(Value::String(s)) if s == "tune" => Rates::Grid(tune.rates()),
        Some(Value::Array(a)) => {
            let rates: Option<Vec<f64>> = a.iter().map(number).collect();
            match rates {
                Some(r) if !r.is_empty() && r.iter().all(|x| x.is_finite() && *x > 0.0) => {
                    Rates::Grid(r)
                }
                _ => bail!("`lr`: a list of rates must hold numbers > 0, got {a:?}"),
            }
        }
        Some(v) => match number(&v) {
            Some(lr) if lr.is_finite() && lr > 0.0 => Rates::One(lr),
            _ => bail!("`lr`: expected a number > 0, a list of them, or \"tune\"; got {v}"),
        },
    };
    Ok(SuiteOptimizer {
        name: name.unwrap_or(kind),
        table,
        rates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tune_grid_is_even_in_the_logarithm() {
        let g = TuneGrid {
            low: 1e-3,
            high: 10.0,
            points: 9,
        };
        let r = g.rates();
        assert_eq!(r.len(), 9);
        assert_eq!(r[0], 1e-3);
        assert_eq!(r[8], 10.0);
        assert_eq!(r[2], 0.01);
        assert_eq!(r[1], 0.00316);
        for w in r.windows(2) {
            assert!((w[1] / w[0] - 10f64.sqrt()).abs() < 0.01, "{w:?}");
        }
    }

    #[test]
    fn mistakes_name_the_file_and_the_key() {
        let f = Path::new("s.toml");
        let base = "target = 1e-4\nbudget = { iterations = 100 }\n[[problem]]\nfamily = \"inverse\"\nn = 4\ncond = 10.0\n[[optimizer]]\nkind = \"sgd\"\nlr = 0.1\n";
        let ok = SuiteSpec::from_text(f, base).expect("valid");
        assert_eq!(ok.seeds, [0]);
        assert_eq!(ok.optimizers[0].rates, Rates::One(0.1));
        for (text, want) in [
            (base.replace("target = 1e-4", "target = -1.0"), "`target`"),
            (
                base.replace("iterations = 100", "iterations = 0"),
                "budget.iterations",
            ),
            (base.replace("iterations = 100", "steps = 100"), "steps"),
            (base.replace("lr = 0.1", "lr = \"fast\""), "`lr`"),
            (base.replace("lr = 0.1", "lr = []"), "`lr`"),
            (base.replace("kind = \"sgd\"", "knd = \"sgd\""), "`kind`"),
            (format!("seeds = 0\n{base}"), "seeds"),
            (
                base.replace("family = \"inverse\"", "family = \"qr\""),
                "family",
            ),
            (format!("tnue = 1\n{base}"), "tnue"),
        ] {
            let e = SuiteSpec::from_text(f, &text).expect_err(&text);
            let e = format!("{e:#}");
            assert!(e.contains("s.toml") && e.contains(want), "{want}: {e}");
        }
        let twice = format!("{base}[[optimizer]]\nkind = \"sgd\"\nlr = 0.2\n");
        let e = format!(
            "{:#}",
            SuiteSpec::from_text(f, &twice).expect_err("same name")
        );
        assert!(e.contains("two optimizers are named `sgd`"), "{e}");
    }
}
