//! `rerender`: draw a finished run's pictures and report again from the files in its directory.

use std::path::Path;

use anyhow::{Context as _, bail};

use crate::config::Config;
use crate::context::read_npy_any;
use crate::files::{MetricsRow, RunFiles};
use crate::registry::Registry;
use crate::render::render;
use crate::thin::Thinned;
use crate::train::Experiment;
use descent_report::LossPoint;
use descent_report::{CheckpointData, RenderInput};

/// Re-render the pictures and `report.html` of the run in `dir` from its `config.toml` (which
/// rebuilds the problem and its exact answer), `summary.json`, `metrics.csv`, `checkpoints.json`,
/// `path.csv` and result files; PNG copies too when `png`. Returns the files written.
pub fn rerender(dir: &Path, registry: &Registry, png: bool) -> anyhow::Result<Vec<String>> {
    let summary_file = dir.join("summary.json");
    if !summary_file.is_file() {
        bail!(
            "{}: not a finished run directory (no summary.json)",
            dir.display()
        );
    }
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&summary_file)
            .with_context(|| format!("reading {}", summary_file.display()))?,
    )
    .with_context(|| format!("parsing {}", summary_file.display()))?;
    let config_file = dir.join("config.toml");
    let config_text = std::fs::read_to_string(&config_file)
        .with_context(|| format!("reading {}", config_file.display()))?;
    let experiment = Experiment::new(Config::load(&config_file, &[], registry)?)?;
    let metrics = dir.join("metrics.csv");
    let mut reader = csv::Reader::from_path(&metrics)
        .with_context(|| format!("reading {}", metrics.display()))?;
    let mut points = Thinned::new(4000);
    for row in reader.deserialize::<MetricsRow>() {
        let r = row.with_context(|| format!("parsing {}", metrics.display()))?;
        points.push(
            r.iteration,
            LossPoint {
                iteration: r.iteration,
                loss: r.loss,
                lr: r.lr,
                predicted: r.predicted_loss,
            },
        );
    }
    let checkpoints_file = dir.join("checkpoints.json");
    let checkpoints: Vec<CheckpointData> = if checkpoints_file.is_file() {
        serde_json::from_str(&std::fs::read_to_string(&checkpoints_file)?)
            .with_context(|| format!("parsing {}", checkpoints_file.display()))?
    } else {
        Vec::new()
    };
    for c in &checkpoints {
        if c.rows.checked_mul(c.cols) != Some(c.data.len()) {
            bail!(
                "{}: the checkpoint at iteration {} has {} entries, not {}x{}",
                checkpoints_file.display(),
                c.iteration,
                c.data.len(),
                c.rows,
                c.cols
            );
        }
    }
    let path_file = dir.join("path.csv");
    let path: Vec<[f64; 2]> = if path_file.is_file() {
        csv::Reader::from_path(&path_file)?
            .deserialize::<(f64, f64)>()
            .map(|r| r.map(|(a, b)| [a, b]))
            .collect::<Result<_, _>>()
            .with_context(|| format!("parsing {}", path_file.display()))?
    } else {
        Vec::new()
    };
    let exact = experiment.exact();
    let mut result = Vec::new();
    for ((name, _), file) in exact.iter().zip(RunFiles::result_names(&exact)) {
        let m = read_npy_any(&dir.join(&file)).map_err(anyhow::Error::msg)?;
        result.push((name.clone(), m));
    }
    let found: Vec<descent_tensor::Matrix> = result.iter().map(|(_, m)| m.clone()).collect();
    let compared: Option<Vec<(String, descent_tensor::Matrix)>> = experiment
        .problem
        .compared(&found)
        .map(|ms| result.iter().map(|(n, _)| n.clone()).zip(ms).collect());
    let input = RenderInput {
        name: experiment.config.name.clone(),
        headline: experiment.headline(),
        problem: experiment.problem.kind().to_string(),
        config_text,
        summary,
        points: points.items().into_iter().map(|(_, p)| p).collect(),
        checkpoints,
        inputs: experiment.problem.inputs(),
        exact,
        result_note: compared
            .as_ref()
            .map(|_| experiment.problem.compared_note()),
        result: compared.unwrap_or(result),
        path,
    };
    render(dir, &input, png)
}
