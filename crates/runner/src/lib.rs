//! The experiment runner: config, registry, the loop, observers and the run directory.
//!
//! This crate, and the `xtask` binary on top of it, is the only place that does I/O. The data path
//! runs one way: config text and `--set` overrides become a [`Config`]; its parts are built from the
//! [`Registry`] by `kind` into an [`Experiment`]; the loop emits a [`Record`] per iteration and a
//! [`Summary`] at the end to [`Observer`]s (the console and the run's files).
#![deny(missing_docs)]

/// `println!` through [`say`]: a closed stdout is ignored instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::console::say(&format!("{}\n", format_args!($($arg)*)))
    };
}

mod candle_parts;
mod config;
mod console;
mod context;
mod error;
mod evaluate;
mod files;
mod given;
mod hint;
mod init;
mod lanes;
mod locate;
mod memory;
mod metrics;
mod npy;
mod observer;
mod overrides;
mod pictures;
mod registry;
mod regular;
mod render;
mod rerender;
mod stop;
mod theory;
mod theory_preview;
mod thin;
mod train;
mod transformed;

use std::path::{Path, PathBuf};

pub use candle_parts::{candle_parts_f32, candle_parts_f64};
pub use config::{
    Config, Document, GradientKind, InitConfig, InitKind, StopConfig, TheoryMode, read_config,
};
pub use console::{Console, format_matrix, say, sci};
pub use context::{GivenMatrices, RunContext, read_csv, read_npy, read_npy_any, round_to};
pub use descent_report::{
    CheckpointData, LossPoint, Picture, RenderInput, escape, heatmap_png, heatmap_svg, loss_png,
    loss_svg, modes_png, modes_svg, pictures, report_html, singular_png, singular_svg,
    spectrum_png, spectrum_svg, sweep_svg, system_png, system_svg, two_unknowns,
};
pub use error::{ConfigError, Origin};
pub use evaluate::Evaluator;
pub use files::{MetricsRow, RunFiles, create_run_dir, write_atomic};
pub use init::initial_values;
pub use lanes::Lane;
pub use memory::{
    Estimate, MemoryLimit, about, available_bytes, estimate, format_bytes, kib_field,
};
pub use observer::{AverageSummary, Checkpoint, Observer, Record, Start, StopReason, Summary};
pub use overrides::{Override, OverrideError};
pub use pictures::Pictures;
pub use registry::{
    Entry, Listing, LossFactory, OptimizerFactory, PartError, ProblemFactory, Registry,
    ScheduleFactory, TransformFactory, parse_table,
};
pub use render::render;
pub use rerender::rerender;
pub use theory::{ModeTrace, RunTheory, TheoryFacts};
pub use theory_preview::preview as theory_preview;
pub use thin::Thinned;
pub use train::Experiment;
pub use transformed::Transformed;

/// From this many instances (`batch`) a run says it is preparing before it builds the problem
/// (a batch of a million 4x4 inverses takes about a minute here).
const LONG_BUILD_INSTANCES: u128 = 10_000;
/// From this many bytes of estimated data a run says it is preparing.
const LONG_BUILD_BYTES: u128 = 1 << 30;

/// How to run a config.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--set key=value` overrides, in order.
    pub sets: Vec<String>,
    /// Matrices handed over in memory, by the config key they fill (`problem.matrix`): each key
    /// is set to `{ given = "KEY" }` after `sets`, and the run reads the matrix from here instead
    /// of a file (what `descent.run(..., matrices=...)` does in Python).
    pub matrices: GivenMatrices,
    /// Run directory (`--out`); default: the next free `runs_root/<name>/NNN`.
    pub out: Option<PathBuf>,
    /// Where default run directories go (`runs`).
    pub runs_root: PathBuf,
    /// Print nothing on the console.
    pub quiet: bool,
    /// Write PNG copies of the pictures beside the SVGs.
    pub png: bool,
    /// Set by a Ctrl-C handler: the run stops cleanly before its next iteration.
    pub interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Set by a SIGTERM or SIGHUP handler: the run stops cleanly before its next iteration, as
    /// `terminated`.
    pub terminate: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            sets: Vec::new(),
            matrices: GivenMatrices::default(),
            out: None,
            runs_root: PathBuf::from("runs"),
            quiet: false,
            png: false,
            interrupt: None,
            terminate: None,
        }
    }
}

/// What a finished run produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The summary (also in summary.json).
    pub summary: Summary,
    /// The run directory.
    pub dir: PathBuf,
    /// Each parameter's name and the file in `dir` that holds its final value (`result.npy`, or
    /// `result_<name>.npy` when there are several).
    pub results: Vec<(String, String)>,
}

/// Load, validate and run the config at `path` with the parts of `registry`, writing the run's files.
///
/// Config errors come back as a [`ConfigError`] inside the `anyhow::Error` (downcast to match on
/// them) before anything is written. A run that diverges still writes every file and returns `Ok`
/// with `stop_reason = diverged`.
pub fn run_file(
    path: &Path,
    options: &RunOptions,
    registry: &Registry,
) -> anyhow::Result<RunOutcome> {
    let text = read_config(path)?;
    run_text(path, &text, options, registry)
}

/// [`run_file`] of a config given as text: `path` names it in messages and run files, and
/// relative matrix files are found from its folder.
pub fn run_text(
    path: &Path,
    text: &str,
    options: &RunOptions,
    registry: &Registry,
) -> anyhow::Result<RunOutcome> {
    let config = load_config(path, text, options, registry)?;
    if !options.quiet
        && let Some(estimate) = Experiment::estimate(&config)?
        && (estimate.instances >= LONG_BUILD_INSTANCES || estimate.bytes >= LONG_BUILD_BYTES)
    {
        {
            say!(
                "{}: preparing {} instance(s), {} of data: the exact answers are computed before iteration 0",
                config.name,
                estimate.instances,
                about(estimate.bytes)
            );
        }
    }
    let experiment = Experiment::new(config)?;
    let dir = create_run_dir(
        &options.runs_root,
        &experiment.config.name,
        options.out.as_deref(),
    )?;
    run_experiment(experiment, dir, options)
}

/// Resolve a config given as text with the `sets` and the given `matrices` of `options` (each
/// matrix's key set to `{ given = "KEY" }` after the sets): what [`run_text`] runs.
pub fn load_config(
    path: &Path,
    text: &str,
    options: &RunOptions,
    registry: &Registry,
) -> Result<Config, ConfigError> {
    let mut sets = options.sets.clone();
    for key in options.matrices.keys() {
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(ConfigError {
                file: path.to_path_buf(),
                origin: Origin::Unknown,
                key: key.clone(),
                reason: "a given matrix's key is a dotted config key such as `problem.matrix`"
                    .into(),
            });
        }
        sets.push(format!("{key}={{ given = \"{key}\" }}"));
    }
    let mut config = Config::from_text(path, text, &sets, registry)?;
    config.given = options.matrices.clone();
    Ok(config)
}

/// Run a built experiment into the fresh run directory `dir` with the console, the files and the
/// pictures as observers (what [`run_file`] does once the config is resolved).
pub fn run_experiment(
    mut experiment: Experiment,
    dir: PathBuf,
    options: &RunOptions,
) -> anyhow::Result<RunOutcome> {
    experiment.interrupt = options.interrupt.clone();
    experiment.terminate = options.terminate.clone();
    let c = &experiment.config;
    let resolved = given::keep_given(&dir, c)?;
    let mut files = RunFiles::new(dir.clone(), c.dtype, &resolved, c.metrics_every)?;
    let mut console = Console::new(options.quiet, Some(dir.clone()), c.iterations);
    let mut pictures = Pictures::new(dir.clone(), resolved, options.png);
    let parameters = experiment.problem.parameters();
    let results = parameters
        .iter()
        .map(|p| p.name.clone())
        .zip(RunFiles::result_files(
            parameters.iter().map(|p| p.name.as_str()),
        ))
        .collect();
    let summary = experiment.run(&mut [&mut console, &mut files, &mut pictures])?;
    Ok(RunOutcome {
        summary,
        dir,
        results,
    })
}
