//! The experiment config: the TOML document, `--set` overrides, top-level keys, and each part resolved by kind.

use std::path::{Path, PathBuf};

use descent_optim::AverageConfig;
use descent_problems::Projection;
use descent_tensor::{DeviceKind, Dtype, MatrixSource, RngKind};
use serde::{Deserialize, Serialize};
use toml::Table;

use crate::context::GivenMatrices;
use crate::error::{ConfigError, Origin};
use crate::locate::line_of;
use crate::memory::MemoryLimit;
use crate::overrides::Override;
use crate::registry::{
    Entry, LossFactory, OptimizerFactory, PartError, ProblemFactory, Registry, ScheduleFactory,
    TransformFactory, parse_table,
};

/// How the parameters start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitKind {
    /// Uniform in [low, high), as `torch.rand` for [0, 1).
    #[default]
    Uniform,
    /// Normal with `mean` and `std`, as `torch.randn * std + mean`.
    Normal,
    /// All zeros.
    Zeros,
    /// The identity (ones on the diagonal).
    Identity,
    /// `A^T / (||A||_1 ||A||_inf)`, the classical safe start of inverse iterations.
    ScaledTranspose,
    /// A given matrix: `from = <matrix source>`.
    From,
}

/// `[init]`: the starting point of every parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InitConfig {
    /// `uniform` (default), `normal`, `zeros`, `identity`, `scaled_transpose` or `from` (implied
    /// when `from` is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<InitKind>,
    /// Lower bound of `uniform` (default 0).
    pub low: f64,
    /// Upper bound of `uniform` (default 1).
    pub high: f64,
    /// Mean of `normal` (default 0).
    pub mean: f64,
    /// Standard deviation of `normal` (default 1).
    pub std: f64,
    /// `torch` (default: exactly `torch.manual_seed(seed); torch.rand(shape)`) or `native`.
    pub rng: RngKind,
    /// Its own seed; by default the start continues the run's stream after the problem's draws.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// The starting matrix of `kind = "from"` (any matrix source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<MatrixSource>,
}

impl InitConfig {
    /// The kind: as given, else `from` when a `from` matrix is given, else `uniform`.
    pub fn kind(&self) -> InitKind {
        match (self.kind, &self.from) {
            (Some(k), _) => k,
            (None, Some(_)) => InitKind::From,
            (None, None) => InitKind::Uniform,
        }
    }
}

impl Default for InitConfig {
    fn default() -> Self {
        Self {
            kind: None,
            low: 0.0,
            high: 1.0,
            mean: 0.0,
            std: 1.0,
            rng: RngKind::Torch,
            seed: None,
            from: None,
        }
    }
}

/// How the gradient is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradientKind {
    /// The problem's exact gradient on host buffers where the problem and the loss provide it
    /// (every built-in problem and loss), candle's autodiff otherwise (the default).
    #[default]
    Auto,
    /// candle's autodiff, always (the reference the host gradients are tested against).
    Autodiff,
    /// The host gradient, or a config error where the problem or the loss provides none.
    Analytic,
}

impl GradientKind {
    /// The name in configs.
    pub fn name(self) -> &'static str {
        match self {
            GradientKind::Auto => "auto",
            GradientKind::Autodiff => "autodiff",
            GradientKind::Analytic => "analytic",
        }
    }
}

/// When the theory decomposes the problem (an SVD of its matrix per instance, before iteration 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TheoryMode {
    /// Up to 262,144 entries of the problem's matrix per instance (512 x 512) and 10,000
    /// instances: above that the decomposition costs about as much as a short run.
    #[default]
    Auto,
    /// Always (as long as the problem is quadratic).
    On,
    /// Never: no `predicted_loss`, and only the verdict in `summary.json`'s `theory`.
    Off,
}

/// `[stop]`: when the loop ends before its last iteration. Every rule is off unless given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StopConfig {
    /// The most iterations (the same as the top-level `iterations`; give one of the two).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<usize>,
    /// Stop once the loss is below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_below: Option<f64>,
    /// Stop once the gradient's Euclidean norm is below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad_norm_below: Option<f64>,
    /// Stop once the loss improved by less than this fraction over the last `window` iterations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel_improvement_below: Option<f64>,
    /// The window of `rel_improvement_below` (default 10).
    pub window: usize,
    /// Stop after this many seconds of wall time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// A loss above this is divergence (default: 1e10 times the first loss).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diverge_above: Option<f64>,
    /// Stop once the relative error against the exact answer (the summary's `rel_error`) is
    /// below this; checked before every update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel_error_below: Option<f64>,
    /// Stop before an update once the objective has been evaluated this many times (an lbfgs
    /// iteration evaluates several times; other optimizers once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<usize>,
}

impl Default for StopConfig {
    fn default() -> Self {
        Self {
            iterations: None,
            loss_below: None,
            grad_norm_below: None,
            rel_improvement_below: None,
            window: 10,
            seconds: None,
            diverge_above: None,
            rel_error_below: None,
            evaluations: None,
        }
    }
}

impl StopConfig {
    /// The first invalid key and why.
    fn check(&self) -> Result<(), (&'static str, String)> {
        let positive = |key, v: Option<f64>| match v {
            Some(x) if !(x.is_finite() && x > 0.0) => {
                Err((key, format!("must be a finite number > 0, got {x}")))
            }
            _ => Ok(()),
        };
        if let Some(x) = self.loss_below.filter(|x| !x.is_finite()) {
            return Err(("loss_below", format!("must be finite, got {x}")));
        }
        positive("grad_norm_below", self.grad_norm_below)?;
        positive("rel_improvement_below", self.rel_improvement_below)?;
        positive("seconds", self.seconds)?;
        positive("diverge_above", self.diverge_above)?;
        positive("rel_error_below", self.rel_error_below)?;
        if self.evaluations == Some(0) {
            return Err(("evaluations", "must be at least 1".into()));
        }
        if self.window == 0 {
            return Err(("window", "must be at least 1".into()));
        }
        Ok(())
    }
}

fn default_tolerance() -> f64 {
    1e-4
}

fn default_log_every() -> usize {
    20
}

fn default_metrics_every() -> usize {
    1
}

fn part(kind: &str) -> Table {
    let mut t = Table::new();
    t.insert("kind".into(), toml::Value::String(kind.into()));
    t
}

/// The top level of a config; the parts stay tables until their kind is looked up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    seed: i64,
    #[serde(default)]
    iterations: Option<usize>,
    #[serde(default)]
    stop: StopConfig,
    #[serde(default = "default_log_every")]
    log_every: usize,
    #[serde(default = "default_metrics_every")]
    metrics_every: usize,
    #[serde(default)]
    flush_denormal: bool,
    #[serde(default)]
    dtype: Dtype,
    #[serde(default)]
    device: DeviceKind,
    #[serde(default)]
    gradient: GradientKind,
    #[serde(default)]
    max_memory: Option<RawLimit>,
    #[serde(default = "default_tolerance")]
    tolerance: f64,
    #[serde(default)]
    theory: TheoryMode,
    #[serde(default)]
    project: Projection,
    problem: Table,
    #[serde(default)]
    init: InitConfig,
    #[serde(default = "mse")]
    loss: Table,
    optimizer: Table,
    #[serde(default = "constant")]
    schedule: Table,
    #[serde(default)]
    transform: Vec<Table>,
    #[serde(default)]
    average: Option<AverageConfig>,
    /// `[sweep]`: read by `cargo xtask sweep`; a single run ignores it.
    #[serde(default)]
    #[allow(dead_code)]
    sweep: Option<Table>,
}

/// `max_memory` as written: a number of bytes or a string (`"4 GiB"`, `"75%"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a number of bytes or a string such as \"4 GiB\" or \"75%\""
)]
enum RawLimit {
    Bytes(i64),
    Text(String),
}

fn mse() -> Table {
    part("mse")
}

pub(crate) fn constant() -> Table {
    part("constant")
}

/// The text of the config file `file`, or a config error saying why it cannot be read.
pub fn read_config(file: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(file).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        origin: Origin::Unknown,
        key: String::new(),
        reason: format!("cannot read the config: {e}"),
    })
}

/// A config, validated and resolved: every part parsed by its kind, every default filled in.
pub struct Config {
    /// The config file it came from.
    pub file: PathBuf,
    /// The run's name (default: the file's stem).
    pub name: String,
    /// The seed of every random draw (torch's `manual_seed`; only the low 32 bits matter for torch).
    pub seed: i64,
    /// The most optimizer steps.
    pub iterations: usize,
    /// The stop rules and the divergence threshold (`stop.iterations` is folded into `iterations`).
    pub stop: StopConfig,
    /// Print the loss and the difference every `log_every` iterations (0: never).
    pub log_every: usize,
    /// Write every `metrics_every`-th iteration's row to metrics.csv (1, the default: every
    /// row), and always the last; to thin the file of a long run.
    pub metrics_every: usize,
    /// Flush subnormal numbers to zero while the loop runs, on every thread of the run's pool
    /// (`torch.set_flush_denormal(True)`; XLA's default). Off by default, as in torch: the
    /// notebook's bits need subnormals.
    pub flush_denormal: bool,
    /// Element type.
    pub dtype: Dtype,
    /// Device.
    pub device: DeviceKind,
    /// How the gradient is computed: `auto` (the default), `autodiff` or `analytic`.
    pub gradient: GradientKind,
    /// The most memory the run may plan to use (`max_memory`; default 75% of what is available).
    pub max_memory: MemoryLimit,
    /// The relative error against the exact answer at which a run counts as converged
    /// (`tolerance`, default 1e-4): the theory's verdict and iterations to go aim at it.
    pub tolerance: f64,
    /// When the theory decomposes the problem (`theory`: `auto`, `on` or `off`).
    pub theory: TheoryMode,
    /// `project = "nonnegative"`: project every parameter onto the nonnegative orthant after each
    /// step (and the start), beside any projection the problem asks for itself; `none` (default)
    /// leaves the problem's own.
    pub project: Projection,
    /// Starting point.
    pub init: InitConfig,
    /// The problem.
    pub problem: Box<dyn ProblemFactory>,
    /// The loss.
    pub loss: Box<dyn LossFactory>,
    /// The optimizer.
    pub optimizer: Box<dyn OptimizerFactory>,
    /// The schedule.
    pub schedule: Box<dyn ScheduleFactory>,
    /// The gradient transforms, in order.
    pub transforms: Vec<Box<dyn TransformFactory>>,
    /// `[average]`: an averaged iterate recorded beside the run's (none by default).
    pub average: Option<AverageConfig>,
    /// Where the config came from, for locating errors found later (e.g. while building the problem).
    pub doc: Document,
    /// The matrices handed over in memory for `{ given = NAME }` sources (none unless a program
    /// sets them, as `descent.run(..., matrices=...)` does through [`crate::RunOptions`]).
    pub given: GivenMatrices,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("file", &self.file)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Read `file`, apply `--set` overrides, and resolve it against `registry`.
    pub fn load(file: &Path, sets: &[String], registry: &Registry) -> Result<Self, ConfigError> {
        Self::from_text(file, &read_config(file)?, sets, registry)
    }

    /// Resolve a config given as text (`file` names it in messages and sets the default name).
    pub fn from_text(
        file: &Path,
        text: &str,
        sets: &[String],
        registry: &Registry,
    ) -> Result<Self, ConfigError> {
        let err = |origin, key: &str, reason: String| ConfigError {
            file: file.to_path_buf(),
            origin,
            key: key.to_string(),
            reason,
        };
        let mut table = parse_toml(file, text)?;
        if let Some(dir) = file.parent() {
            relative_to(dir, &mut table);
        }
        let mut overrides = Vec::new();
        for set in sets {
            let o = Override::parse(set)
                .map_err(|e| err(Origin::Override(set.clone()), "", e.to_string()))?;
            o.apply(&mut table)
                .map_err(|e| err(Origin::Override(set.clone()), &o.key(), e.to_string()))?;
            overrides.push(o);
        }
        let doc = Document {
            file: file.to_path_buf(),
            text: text.to_string(),
            overrides,
        };
        let raw: RawConfig = parse_table(table).map_err(|e| doc.error(&e.path, e.reason))?;
        let iterations = match (raw.iterations, raw.stop.iterations) {
            (Some(_), Some(_)) => {
                return Err(doc.error_at(
                    "stop.iterations",
                    "give the number of iterations once: `iterations` or `stop.iterations`".into(),
                ));
            }
            (Some(n), None) => ("iterations", n),
            (None, Some(n)) => ("stop.iterations", n),
            (None, None) => return Err(doc.error_at("iterations", "missing key".into())),
        };
        if iterations.1 == 0 {
            return Err(doc.error_at(iterations.0, "must be at least 1".into()));
        }
        let iterations = iterations.1;
        if raw.flush_denormal && !descent_tensor::flush_denormal_supported() {
            return Err(doc.error_at(
                "flush_denormal",
                "flushing subnormal numbers is supported on x86-64 only".into(),
            ));
        }
        if raw.metrics_every == 0 {
            return Err(doc.error_at(
                "metrics_every",
                "must be at least 1 (1 writes every iteration's row to metrics.csv)".into(),
            ));
        }
        if let Err((key, reason)) = raw.stop.check() {
            return Err(doc.error_at(&format!("stop.{key}"), reason));
        }
        let stop = StopConfig {
            iterations: None,
            ..raw.stop.clone()
        };
        if let Some(Err(e)) = raw.average.as_ref().map(AverageConfig::validate) {
            return Err(doc.error_at(&format!("average.{}", e.key), e.reason));
        }
        if let Err(e) = raw.device.candle() {
            return Err(doc.error_at("device", e.to_string()));
        }
        if raw.init.from.is_some() && raw.init.kind() != InitKind::From {
            return Err(doc.error_at(
                "init.from",
                "a `from` matrix needs kind = \"from\" (or no kind)".into(),
            ));
        }
        if raw.init.kind() == InitKind::Normal {
            let (mean, std) = (raw.init.mean, raw.init.std);
            if !mean.is_finite() {
                return Err(doc.error_at("init.mean", format!("must be finite, got {mean}")));
            }
            if !(std.is_finite() && std >= 0.0) {
                return Err(doc.error_at(
                    "init.std",
                    format!("must be a finite number >= 0, got {std}"),
                ));
            }
        }
        if raw.init.kind() == InitKind::Uniform {
            let (low, high) = (raw.init.low, raw.init.high);
            if !low.is_finite() {
                return Err(doc.error_at("init.low", format!("must be finite, got {low}")));
            }
            if !high.is_finite() {
                return Err(doc.error_at("init.high", format!("must be finite, got {high}")));
            }
            if low >= high {
                return Err(doc.error_at(
                    "init.high",
                    format!("needs low < high, got low = {low}, high = {high}"),
                ));
            }
        }
        let max_memory = match &raw.max_memory {
            None => MemoryLimit::default(),
            Some(RawLimit::Bytes(b)) if *b >= 1 => MemoryLimit::Bytes(*b as u64),
            Some(RawLimit::Bytes(b)) => {
                return Err(doc.error_at("max_memory", format!("must be at least 1 byte, got {b}")));
            }
            Some(RawLimit::Text(t)) => {
                MemoryLimit::parse(t).map_err(|reason| doc.error_at("max_memory", reason))?
            }
        };
        if !(raw.tolerance.is_finite() && raw.tolerance > 0.0) {
            return Err(doc.error_at(
                "tolerance",
                format!("must be a finite number > 0, got {}", raw.tolerance),
            ));
        }
        let name = match raw.name {
            Some(n) if !n.trim().is_empty() => n,
            Some(_) => return Err(doc.error_at("name", "must not be empty".into())),
            None => file
                .file_stem()
                .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned()),
        };
        if name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(doc.error_at("name", format!("`{name}` cannot name a run directory")));
        }
        if raw.dtype == Dtype::F32 {
            // A value float32 cannot hold would be infinite in the run (a Huber delta of 1e39).
            let parts = [("optimizer", &raw.optimizer), ("loss", &raw.loss)];
            let transforms = raw.transform.iter().enumerate();
            let named: Vec<(String, &Table)> = parts
                .into_iter()
                .map(|(n, t)| (n.to_string(), t))
                .chain(transforms.map(|(i, t)| (format!("transform.{i}"), t)))
                .collect();
            for (name, table) in named {
                if let Some((key, v)) = beyond_f32(table) {
                    return Err(doc.error_at(
                        &format!("{name}.{key}"),
                        format!(
                            "{v:e} is beyond float32's range (largest {:e}): it would be infinite in \
                             this f32 run; use dtype = \"f64\" or a smaller value",
                            f32::MAX
                        ),
                    ));
                }
            }
        }
        let TrainingParts {
            optimizer,
            schedule,
            transforms,
        } = doc.training_parts(
            raw.optimizer,
            raw.schedule,
            raw.transform,
            iterations,
            registry,
        )?;
        Ok(Self {
            problem: doc.part("problem", raw.problem, &registry.problems)?,
            loss: doc.part("loss", raw.loss, &registry.losses)?,
            optimizer,
            schedule,
            transforms,
            average: raw.average.clone(),
            file: file.to_path_buf(),
            name,
            seed: raw.seed,
            iterations,
            stop,
            log_every: raw.log_every,
            metrics_every: raw.metrics_every,
            flush_denormal: raw.flush_denormal,
            dtype: raw.dtype,
            device: raw.device,
            gradient: raw.gradient,
            max_memory,
            tolerance: raw.tolerance,
            theory: raw.theory,
            project: raw.project,
            init: raw.init,
            doc,
            given: GivenMatrices::default(),
        })
    }
}

/// Parse `text` as TOML; a syntax error names `file` and the line.
pub(crate) fn parse_toml(file: &Path, text: &str) -> Result<Table, ConfigError> {
    let err = |origin, key: &str, reason: String| ConfigError {
        file: file.to_path_buf(),
        origin,
        key: key.to_string(),
        reason,
    };
    toml::from_str(text).map_err(|e| {
        let span = e.span();
        let line = span
            .clone()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        // The key a duplicate-key error points at (`kind`, or a table header `[problem]`).
        let key = span
            .and_then(|s| text.get(s))
            .filter(|_| e.message().starts_with("duplicate key"))
            .map(|k| {
                k.trim()
                    .trim_matches(['[', ']'])
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
            .unwrap_or_default();
        err(
            line.map_or(Origin::Unknown, Origin::Line),
            &key,
            format!("invalid TOML: {}", e.message()),
        )
    })
}

/// Check that the schedule fits the run (its keys against `iterations`) and, when it cycles the
/// momentum, that the optimizer has one.
pub(crate) fn check_schedule(
    doc: &Document,
    optimizer: &dyn OptimizerFactory,
    schedule: &dyn ScheduleFactory,
    iterations: usize,
) -> Result<(), ConfigError> {
    let built = schedule
        .build(optimizer.lr(), iterations)
        .map_err(|e| doc.error_at(&format!("schedule.{}", e.key), e.reason))?;
    if built.momentum().is_some() && !optimizer.build_f64().set_momentum(0.9) {
        let kind = optimizer
            .resolved()
            .get("kind")
            .and_then(|k| k.as_str().map(String::from));
        let key = if schedule.resolved().contains_key("cycle_momentum") {
            "schedule.cycle_momentum"
        } else {
            "schedule"
        };
        return Err(doc.error_at(
            key,
            format!(
                "the schedule cycles the momentum, but the optimizer `{}` has no momentum or betas; \
                 set cycle_momentum = false",
                kind.unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// Resolve the relative paths of file matrix sources (`npy = ..`, `csv = ..`) against the config's
/// directory `dir` and make them absolute, so that a config names its files as seen from where it
/// lives and its resolved copy in a run directory still finds them. (Paths given with `--set` stay
/// relative to the working directory: they are applied after this.)
fn relative_to(dir: &Path, table: &mut Table) {
    for (key, value) in table.iter_mut() {
        match value {
            toml::Value::String(s) if key == "npy" || key == "csv" => {
                let path = Path::new(s.as_str());
                if path.is_relative() {
                    let joined = dir.join(path);
                    // Absolute, so that the resolved config in a run directory still finds it.
                    let resolved = std::path::absolute(&joined).unwrap_or(joined);
                    *s = resolved.to_string_lossy().into_owned();
                }
            }
            toml::Value::Table(t) => relative_to(dir, t),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(t) = item {
                        relative_to(dir, t);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The first number of `table` (searched in order, arrays included) that is finite but beyond
/// float32's range, with its dotted key.
fn beyond_f32(table: &Table) -> Option<(String, f64)> {
    fn search(value: &toml::Value) -> Option<(Vec<String>, f64)> {
        match value {
            toml::Value::Float(v) if v.is_finite() && v.abs() > f64::from(f32::MAX) => {
                Some((Vec::new(), *v))
            }
            toml::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
                search(v).map(|(mut p, x)| {
                    p.insert(0, i.to_string());
                    (p, x)
                })
            }),
            toml::Value::Table(t) => t.iter().find_map(|(k, v)| {
                search(v).map(|(mut p, x)| {
                    p.insert(0, k.clone());
                    (p, x)
                })
            }),
            _ => None,
        }
    }
    table.iter().find_map(|(k, v)| {
        search(v).map(|(p, x)| {
            (
                std::iter::once(k.clone())
                    .chain(p)
                    .collect::<Vec<_>>()
                    .join("."),
                x,
            )
        })
    })
}

/// The line where the top-level keys end: that of the first table header, or one past the last line.
fn top_level_end(text: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with('['))
        .map_or_else(|| text.lines().count() + 1, |i| i + 1)
}

/// The text a config came from and its overrides, for locating errors.
#[derive(Debug, Clone)]
pub struct Document {
    file: PathBuf,
    text: String,
    overrides: Vec<Override>,
}

/// A config's `[optimizer]`, `[schedule]` and `[[transform]]`, each resolved by its kind.
pub(crate) struct TrainingParts {
    pub(crate) optimizer: Box<dyn OptimizerFactory>,
    pub(crate) schedule: Box<dyn ScheduleFactory>,
    pub(crate) transforms: Vec<Box<dyn TransformFactory>>,
}

impl Document {
    /// The optimizer, the schedule (checked against the optimizer over `iterations`) and the
    /// transforms of a config's tables: what a run and a candle model's `DescentOptimizer` share.
    pub(crate) fn training_parts(
        &self,
        optimizer: Table,
        schedule: Table,
        transforms: Vec<Table>,
        iterations: usize,
        registry: &Registry,
    ) -> Result<TrainingParts, ConfigError> {
        let optimizer = self.part("optimizer", optimizer, &registry.optimizers)?;
        let schedule = self.part("schedule", schedule, &registry.schedules)?;
        check_schedule(self, optimizer.as_ref(), schedule.as_ref(), iterations)?;
        let transforms = transforms
            .into_iter()
            .enumerate()
            .map(|(i, t)| self.part(&format!("transform.{i}"), t, &registry.transforms))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrainingParts {
            optimizer,
            schedule,
            transforms,
        })
    }

    /// The document of `text`, read from `file`, without overrides.
    pub(crate) fn new(file: &Path, text: &str) -> Self {
        Self {
            file: file.to_path_buf(),
            text: text.to_string(),
            overrides: Vec::new(),
        }
    }

    pub(crate) fn part<T: ?Sized>(
        &self,
        name: &str,
        mut table: Table,
        entries: &std::collections::BTreeMap<&'static str, Entry<T>>,
    ) -> Result<Box<T>, ConfigError> {
        let known = entries
            .keys()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let kind = match table.remove("kind") {
            None => {
                return Err(self.error_at(
                    &format!("{name}.kind"),
                    format!("missing key; known kinds: {known}"),
                ));
            }
            Some(toml::Value::String(s)) => s,
            Some(other) => {
                return Err(self.error_at(
                    &format!("{name}.kind"),
                    format!(
                        "must be a string, got {}; known kinds: {known}",
                        other.type_str()
                    ),
                ));
            }
        };
        let entry = entries.get(kind.as_str()).ok_or_else(|| {
            self.error_at(
                &format!("{name}.kind"),
                format!("unknown kind `{kind}`; known kinds: {known}"),
            )
        })?;
        (entry.parse)(table).map_err(|e: PartError| {
            let mut path: Vec<String> = name.split('.').map(String::from).collect();
            path.extend(e.path);
            self.error(&path, e.reason)
        })
    }

    /// An error at a dotted key.
    pub fn error_at(&self, key: &str, reason: String) -> ConfigError {
        let path: Vec<String> = key.split('.').map(String::from).collect();
        self.error(&path, reason)
    }

    /// An error at a key path, located in the file or on the command line.
    pub fn error(&self, path: &[String], reason: String) -> ConfigError {
        let from_override = self
            .overrides
            .iter()
            .rev()
            .find(|o| path.len() >= o.path.len() && path[..o.path.len()] == o.path[..]);
        let origin = match from_override {
            Some(o) => Origin::Override(o.text.clone()),
            None => match line_of(&self.text, path) {
                Some(line) => Origin::Line(line),
                // A missing top-level key: the line where it belongs, before the first table.
                None if path.len() == 1 && !self.overrides.iter().any(|o| o.path[0] == path[0]) => {
                    Origin::Line(top_level_end(&self.text))
                }
                // A key of a part the file does not have, which an override brought in
                // (`--set schedule.kind=step` without `step_size`): name that override.
                None => self
                    .overrides
                    .iter()
                    .rev()
                    .find(|o| o.path.first() == path.first())
                    .map_or(Origin::Unknown, |o| Origin::Override(o.text.clone())),
            },
        };
        ConfigError {
            file: self.file.clone(),
            origin,
            key: path.join("."),
            reason,
        }
    }
}

impl Config {
    /// The fully resolved config as TOML: every default filled in, so it re-runs the same.
    pub fn resolved_toml(&self) -> String {
        let mut t = Table::new();
        let mut put = |k: &str, v: toml::Value| {
            t.insert(k.into(), v);
        };
        put("name", toml::Value::String(self.name.clone()));
        put("seed", toml::Value::Integer(self.seed));
        put("iterations", toml::Value::Integer(self.iterations as i64));
        put("log_every", toml::Value::Integer(self.log_every as i64));
        put("flush_denormal", toml::Value::Boolean(self.flush_denormal));
        put(
            "metrics_every",
            toml::Value::Integer(self.metrics_every as i64),
        );
        put("tolerance", toml::Value::Float(self.tolerance));
        put(
            "theory",
            toml::Value::String(
                match self.theory {
                    TheoryMode::Auto => "auto",
                    TheoryMode::On => "on",
                    TheoryMode::Off => "off",
                }
                .into(),
            ),
        );
        if let Ok(stop) = toml::Value::try_from(&self.stop) {
            put("stop", stop);
        }
        if let Some(Ok(average)) = self.average.as_ref().map(toml::Value::try_from) {
            put("average", average);
        }
        put("dtype", toml::Value::String(self.dtype.name().into()));
        put("gradient", toml::Value::String(self.gradient.name().into()));
        put("project", toml::Value::String(self.project.name().into()));
        put(
            "max_memory",
            match self.max_memory {
                MemoryLimit::Bytes(b) => i64::try_from(b)
                    .map_or_else(|_| toml::Value::String(b.to_string()), toml::Value::Integer),
                share => toml::Value::String(share.to_text()),
            },
        );
        put(
            "device",
            toml::Value::try_from(self.device).unwrap_or(toml::Value::String("cpu".into())),
        );
        put("problem", toml::Value::Table(self.problem.resolved()));
        let mut init = self.init.clone();
        init.kind = Some(init.kind());
        if let Ok(init) = toml::Value::try_from(&init) {
            put("init", init);
        }
        put("loss", toml::Value::Table(self.loss.resolved()));
        put("optimizer", toml::Value::Table(self.optimizer.resolved()));
        put("schedule", toml::Value::Table(self.schedule.resolved()));
        if !self.transforms.is_empty() {
            put(
                "transform",
                toml::Value::Array(
                    self.transforms
                        .iter()
                        .map(|t| toml::Value::Table(t.resolved()))
                        .collect(),
                ),
            );
        }
        toml::to_string(&t).unwrap_or_default()
    }
}
