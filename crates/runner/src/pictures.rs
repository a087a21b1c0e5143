//! `Pictures`: the observer that keeps what the pictures need and, at the end, writes them and `report.html`.

use std::path::PathBuf;

use descent_tensor::Matrix;

use crate::files::write_atomic;
use crate::observer::{Checkpoint, Observer, Record, Start, Summary};
use crate::render::render;
use crate::thin::Thinned;
use descent_report::LossPoint;
use descent_report::{CheckpointData, RenderInput};

/// The most loss points kept for `loss.svg` (a long run is thinned evenly).
const MAX_POINTS: usize = 4000;
/// The most checkpoint heatmaps kept (`diff_<t>.svg`).
const MAX_CHECKPOINTS: usize = 12;
/// The most points of a path in two unknowns.
const MAX_PATH: usize = 4000;

/// Keeps the loss curve, the checkpoints and (for systems in two unknowns) the iterates, and at the
/// end writes `checkpoints.json`, `path.csv` when there is a path, every picture, and `report.html`.
pub struct Pictures {
    dir: PathBuf,
    config_text: String,
    start: Option<Kept>,
    points: Thinned<LossPoint>,
    checkpoints: Thinned<CheckpointData>,
    path: Thinned<[f64; 2]>,
    wants_path: bool,
    png: bool,
}

/// What the report needs from the start: not the start's prediction, which at n = 1024 would
/// keep 8 MB alive through the loop for nothing.
struct Kept {
    name: String,
    headline: String,
    problem: String,
    inputs: Vec<(String, Matrix)>,
    exact: Vec<(String, Matrix)>,
}

impl Pictures {
    /// Pictures of a run in `dir` whose resolved config is `config_text`; PNG copies when `png`.
    pub fn new(dir: PathBuf, config_text: String, png: bool) -> Self {
        Self {
            dir,
            config_text,
            start: None,
            points: Thinned::new(MAX_POINTS),
            checkpoints: Thinned::new(MAX_CHECKPOINTS),
            path: Thinned::new(MAX_PATH),
            wants_path: false,
            png,
        }
    }
}

impl Observer for Pictures {
    fn start(&mut self, start: &Start) -> anyhow::Result<()> {
        self.wants_path = start.problem == "linear_system"
            && start
                .exact
                .first()
                .is_some_and(|(_, x)| x.shape() == (2, 1));
        self.start = Some(Kept {
            name: start.name.clone(),
            headline: start.headline.clone(),
            problem: start.problem.clone(),
            inputs: start.inputs.clone(),
            exact: start.exact.clone(),
        });
        Ok(())
    }

    fn record(&mut self, r: &Record) -> anyhow::Result<()> {
        self.points.push(
            r.iteration,
            LossPoint {
                iteration: r.iteration,
                loss: r.loss,
                lr: r.lr,
                predicted: r.predicted_loss,
            },
        );
        Ok(())
    }

    fn wants_iterates(&self) -> bool {
        self.wants_path
    }

    fn iterate(&mut self, iteration: usize, params: &[Vec<f64>]) -> anyhow::Result<()> {
        if let Some(x) = params.first().filter(|x| x.len() == 2) {
            self.path.push(iteration, [x[0], x[1]]);
        }
        Ok(())
    }

    fn checkpoint(&mut self, c: &Checkpoint) -> anyhow::Result<()> {
        let index = c.record.iteration;
        // Kept as the heatmap will show it: a 2048 x 2048 difference is 32 MB, its blocks 8 KB.
        self.checkpoints.push(
            index,
            CheckpointData::new(
                index,
                c.record.loss,
                c.label.clone(),
                &c.difference,
                c.rel_error,
            ),
        );
        Ok(())
    }

    fn finish(&mut self, summary: &Summary, result: &[(String, Matrix)]) -> anyhow::Result<()> {
        let Some(start) = self.start.take() else {
            return Ok(());
        };
        let checkpoints: Vec<CheckpointData> = self
            .checkpoints
            .items()
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        let json = serde_json::to_string(&checkpoints)?;
        write_atomic(&self.dir.join("checkpoints.json"), |tmp| {
            Ok(std::fs::write(tmp, &json)?)
        })?;
        let path: Vec<[f64; 2]> = self.path.items().into_iter().map(|(_, p)| p).collect();
        if !path.is_empty() {
            write_atomic(&self.dir.join("path.csv"), |tmp| {
                let mut w = csv::Writer::from_path(tmp)?;
                w.write_record(["x1", "x2"])?;
                for p in &path {
                    w.serialize(p)?;
                }
                w.flush()?;
                Ok(())
            })?;
        }
        let input = RenderInput {
            name: start.name,
            headline: start.headline,
            problem: start.problem,
            config_text: self.config_text.clone(),
            summary: serde_json::to_value(summary)?,
            points: self.points.items().into_iter().map(|(_, p)| p).collect(),
            checkpoints,
            inputs: start.inputs,
            exact: start.exact,
            result: summary.compared.clone().unwrap_or_else(|| result.to_vec()),
            result_note: summary
                .compared
                .as_ref()
                .map(|_| summary.compared_note.clone()),
            path,
        };
        render(&self.dir, &input, self.png)?;
        Ok(())
    }
}
