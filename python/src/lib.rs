//! `descent._descent`: the Rust half of the Python package, a thin layer over the runner.
//!
//! Each function takes what the command line takes (a config file or text, `--set` overrides,
//! `--out`) and does what `cargo xtask` does with the same registry, so a run from Python writes
//! the same files, bit for bit. The Python half (`python/descent/__init__.py`) turns dicts into
//! config text and reads the run's files back as numpy arrays. Runs compute on a thread of their
//! own while the caller waits without the GIL, checking for Ctrl-C between waits.

// Built by maturin with the `extension` feature; without it (a plain `cargo build --workspace`) the
// crate is empty and needs no Python.
#![cfg(feature = "extension")]
// pyo3's macros expand to the unsafe FFI glue of a Python module; this crate writes none itself.
#![allow(unsafe_code)]

mod convert;
mod errors;
mod wait;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pyo3::prelude::*;

use descent_lab::{SweepSpec, run_sweep};
use descent_runner::{Experiment, Registry, RunOptions, load_config, read_config, run_text};

use crate::convert::matrix_of;
use crate::errors::{ConfigError, DescentError, to_py};
use crate::wait::wait_interruptibly;

/// mimalloc, as in `cargo xtask`: candle allocates a tensor per operation.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The config's file (for messages and relative paths) and its text: read from `file` unless the
/// text is given (a dict config, written as TOML by the Python half).
fn config_text(file: &Path, text: Option<String>) -> anyhow::Result<String> {
    match text {
        Some(t) => Ok(t),
        None => Ok(read_config(file)?),
    }
}

/// What [`run`] returns: the run directory, why it stopped, its iterations, its message, and each
/// parameter's name and result file.
type RunReply = (String, String, usize, Option<String>, Vec<(String, String)>);

/// A part a config can name: section, kind, summary, defaults as JSON (None: required keys).
type PartRow = (String, String, String, Option<String>);

/// The numpy arrays of `matrices=` as matrices, by key.
fn given_matrices(
    matrices: &BTreeMap<String, Bound<'_, PyAny>>,
) -> PyResult<BTreeMap<String, descent_tensor::Matrix>> {
    matrices
        .iter()
        .map(|(key, array)| Ok((key.clone(), matrix_of(key, array)?)))
        .collect()
}

/// Run a config and write its files; `(dir, stop_reason, iterations, message, results)` with
/// `results` each parameter's name and result file.
#[pyfunction]
#[pyo3(signature = (file, text, sets, out, runs_root, matrices, quiet, png))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    file: PathBuf,
    text: Option<String>,
    sets: Vec<String>,
    out: Option<PathBuf>,
    runs_root: PathBuf,
    matrices: BTreeMap<String, Bound<'_, PyAny>>,
    quiet: bool,
    png: bool,
) -> PyResult<RunReply> {
    let from_dict = text.is_some();
    let options = RunOptions {
        sets,
        matrices: Arc::new(given_matrices(&matrices)?),
        out,
        runs_root,
        quiet,
        png,
        ..RunOptions::default()
    };
    let outcome = wait_interruptibly(
        py,
        |flag| {
            let options = RunOptions {
                interrupt: Some(flag),
                ..options
            };
            let text = config_text(&file, text)?;
            run_text(&file, &text, &options, &Registry::default())
        },
        from_dict,
        |outcome| {
            format!(
                "{} after {} iterations; the run's files are complete up to there, in {}",
                outcome.summary.stop_reason.name(),
                outcome.summary.iterations,
                outcome.dir.display()
            )
        },
    )?;
    let dir = outcome.dir.display().to_string();
    let s = &outcome.summary;
    Ok((
        dir,
        s.stop_reason.name().to_string(),
        s.iterations,
        s.message.clone(),
        outcome.results,
    ))
}

/// Run the sweep of a config file: `grid` as `key=[values]` axes, `seeds` runs per point,
/// `jobs` at a time; `(dir, runs, unfinished)`.
#[pyfunction]
#[pyo3(signature = (file, grid, seeds, jobs, sets, out, png))]
#[allow(clippy::too_many_arguments)]
fn sweep(
    py: Python<'_>,
    file: PathBuf,
    grid: Vec<String>,
    seeds: Option<usize>,
    jobs: Option<usize>,
    sets: Vec<String>,
    out: Option<PathBuf>,
    png: bool,
) -> PyResult<(String, usize, usize)> {
    let sweep = |flag| {
        let text = config_text(&file, None)?;
        let spec = SweepSpec::with_overrides(&file, &text, &grid, seeds, jobs)?;
        anyhow::ensure!(
            !spec.axes.is_empty() || spec.seeds > 1,
            "{}: nothing to sweep: give grid={{key: [..]}} or seeds=N, or a [sweep] table",
            file.display()
        );
        let options = RunOptions {
            out,
            png,
            interrupt: Some(flag),
            ..RunOptions::default()
        };
        run_sweep(
            &file,
            &spec,
            &sets,
            &options,
            &Registry::default(),
            &|_, _| {},
        )
    };
    let outcome = wait_interruptibly(py, sweep, false, |outcome| {
        format!(
            "interrupted; the sweep's files are complete up to there, in {}",
            outcome.dir.display()
        )
    })?;
    let unfinished = outcome.rows.iter().filter(|r| !r.finished()).count();
    Ok((
        outcome.dir.display().to_string(),
        outcome.rows.len(),
        unfinished,
    ))
}

/// What the theory says of a config without running it: `(label, value)` lines, as
/// `cargo xtask theory` prints them.
#[pyfunction]
#[pyo3(signature = (file, text, sets, matrices))]
fn theory(
    py: Python<'_>,
    file: PathBuf,
    text: Option<String>,
    sets: Vec<String>,
    matrices: BTreeMap<String, Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, String)>> {
    let from_dict = text.is_some();
    let options = RunOptions {
        sets,
        matrices: Arc::new(given_matrices(&matrices)?),
        ..RunOptions::default()
    };
    let lines = py
        .detach(|| -> anyhow::Result<_> {
            let text = config_text(&file, text)?;
            let config = load_config(&file, &text, &options, &Registry::default())?;
            let experiment = Experiment::new(config)?;
            descent_runner::theory_preview(&experiment)
        })
        .map_err(|e| to_py(py, e, from_dict))?;
    Ok(lines)
}

/// Every part a config can name: `(section, kind, summary, defaults as JSON or None)`.
#[pyfunction]
fn parts() -> PyResult<Vec<PartRow>> {
    Registry::default()
        .listing()
        .into_iter()
        .map(|l| {
            let defaults = l
                .defaults
                .map(|t| serde_json::to_string(&t))
                .transpose()
                .map_err(|e| DescentError::new_err(e.to_string()))?;
            Ok((
                l.section.to_string(),
                l.kind.to_string(),
                l.summary.to_string(),
                defaults,
            ))
        })
        .collect()
}

/// The Rust half of the `descent` package.
#[pymodule]
fn _descent(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(theory, m)?)?;
    m.add_function(wrap_pyfunction!(parts, m)?)?;
    m.add("DescentError", m.py().get_type::<DescentError>())?;
    m.add("ConfigError", m.py().get_type::<ConfigError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
