//! Observers of the loop: what they are told (start, each iteration, checkpoints, the end).

use descent_problems::Fact;
use descent_tensor::Matrix;
use serde::Serialize;

use crate::theory::TheoryFacts;

/// Told once, before the first iteration.
#[derive(Debug, Clone)]
pub struct Start {
    /// The run's name.
    pub name: String,
    /// One line describing the run (problem, optimizer, dtype, seed).
    pub headline: String,
    /// How the prediction is written (`X @ A`).
    pub prediction_label: String,
    /// The prediction at the starting point.
    pub prediction: Matrix,
    /// The problem's data worth showing (`A`, `b`, `B`), labelled.
    pub inputs: Vec<(String, Matrix)>,
    /// The problem's kind (`inverse`).
    pub problem: String,
    /// The exact answer, one named matrix per parameter.
    pub exact: Vec<(String, Matrix)>,
}

/// One iteration: the loss at the iterate before update `iteration`, and the update's lr.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Record {
    /// 0-based iteration number t.
    pub iteration: usize,
    /// The learning rate of update t.
    pub lr: f64,
    /// The loss at the iterate before update t.
    pub loss: f64,
    /// The Euclidean norm of the gradient over all parameters, before update t.
    pub grad_norm: f64,
    /// The loss the theory predicts at this iterate (plain, heavy-ball or Nesterov SGD on a
    /// quadratic problem; empty otherwise).
    pub predicted_loss: Option<f64>,
    /// The loss at the averaged iterate (`[average]`, ASGD's average, schedule-free's x), where
    /// the run keeps one and it has begun.
    pub avg_loss: Option<f64>,
}

/// Every `log_every` iterations: the record and the difference prediction - target.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The iteration's record.
    pub record: Record,
    /// `prediction - target` at the iterate before the update (the notebook's `Diff`).
    pub difference: Matrix,
    /// How the difference is written (`X @ A - I`).
    pub label: String,
    /// The relative error of the iterate against the exact answer (as the summary's
    /// `rel_error`); NaN where it cannot be computed.
    pub rel_error: f64,
}

/// Why the loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// All configured iterations ran.
    Iterations,
    /// `stop.loss_below` fired.
    LossBelow,
    /// `stop.grad_norm_below` fired.
    GradNormBelow,
    /// `stop.rel_improvement_below` fired.
    RelImprovementBelow,
    /// `stop.seconds` ran out.
    Seconds,
    /// `stop.rel_error_below` fired: the run reached its target.
    RelErrorBelow,
    /// `stop.evaluations` ran out.
    Evaluations,
    /// The run was interrupted (Ctrl-C, SIGINT).
    Interrupted,
    /// The run was asked to stop by SIGTERM or SIGHUP.
    Terminated,
    /// The loss or a parameter became NaN or infinite, or the loss passed `stop.diverge_above`.
    Diverged,
}

impl StopReason {
    /// The name in summaries.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Iterations => "iterations",
            StopReason::LossBelow => "loss_below",
            StopReason::GradNormBelow => "grad_norm_below",
            StopReason::RelImprovementBelow => "rel_improvement_below",
            StopReason::Seconds => "seconds",
            StopReason::RelErrorBelow => "rel_error_below",
            StopReason::Evaluations => "evaluations",
            StopReason::Interrupted => "interrupted",
            StopReason::Terminated => "terminated",
            StopReason::Diverged => "diverged",
        }
    }
}

/// The end of a run, as written to summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The run's name.
    pub name: String,
    /// The problem's kind.
    pub problem: String,
    /// The optimizer's kind.
    pub optimizer: String,
    /// The element type.
    pub dtype: String,
    /// How the gradient was computed: `analytic` (the problem's exact gradient on host buffers)
    /// or `autodiff` (candle's).
    pub gradient: String,
    /// The seed.
    pub seed: i64,
    /// Optimizer steps taken.
    pub iterations: usize,
    /// Objective evaluations (loss and gradient) in those steps: one per iteration for most
    /// optimizers, more for lbfgs; the final iterate's evaluation is not counted.
    pub evaluations: usize,
    /// The loss at the final iterate (after the last update).
    pub final_loss: f64,
    /// Why the loop stopped.
    pub stop_reason: StopReason,
    /// What went wrong, for a run that did not finish normally.
    pub message: Option<String>,
    /// `max |x - exact|` at the final iterate.
    pub max_abs_error: f64,
    /// `||x - exact||_F / ||exact||_F` at the final iterate.
    pub rel_error: f64,
    /// Wall-clock seconds of the loop.
    pub wall_seconds: f64,
    /// Seconds from the start of building the experiment (reading its matrices, the exact
    /// answers, the theory) to iteration 0.
    pub setup_seconds: f64,
    /// Iterations per second of wall time.
    pub iterations_per_second: f64,
    /// Facts about the problem (exact answer's source, condition number, ...).
    pub facts: Vec<Fact>,
    /// What the theory says: the spectrum, the best settings, the rates and the verdict.
    pub theory: TheoryFacts,
    /// The final iterate as the errors compare it with the exact answer, where that differs from
    /// the iterate (the SVD's triplets sorted by |s|, signs matched); reports show it. Not in
    /// summary.json (result.npy holds the iterate itself).
    #[serde(skip)]
    pub compared: Option<Vec<(String, Matrix)>>,
    /// How `compared` was made comparable, for the report (the problem's `compared_note`).
    #[serde(skip)]
    pub compared_note: String,
    /// The averaged iterate's figures, where the run keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average: Option<AverageSummary>,
    /// The averaged iterate itself (average.npy); not in summary.json.
    #[serde(skip)]
    pub averaged: Option<Vec<(String, Matrix)>>,
}

/// The averaged iterate at the end of a run, as summary.json's `average`.
#[derive(Debug, Clone, Serialize)]
pub struct AverageSummary {
    /// Where it comes from: `swa` or `ema` (`[average]`), or the optimizer's kind (`asgd`,
    /// `schedule_free_sgd`, ...).
    pub source: String,
    /// Whether it is the method's answer (schedule-free's x): then the summary's `final_loss`,
    /// errors and result.npy are the average's too.
    pub is_answer: bool,
    /// The loss at the average.
    pub final_loss: f64,
    /// `max |average - exact|`.
    pub max_abs_error: f64,
    /// `||average - exact||_F / ||exact||_F`.
    pub rel_error: f64,
}

/// Something that watches the loop. Observers never change the run.
///
/// Observers are `Send`: [`crate::Experiment::run`] runs the loop on a rayon worker thread.
pub trait Observer: Send {
    /// Before the first iteration.
    fn start(&mut self, _start: &Start) -> anyhow::Result<()> {
        Ok(())
    }
    /// After the loss of each iteration is known.
    fn record(&mut self, _record: &Record) -> anyhow::Result<()> {
        Ok(())
    }
    /// Whether this observer wants [`Observer::iterate`] calls (each costs a copy of the parameters).
    fn wants_iterates(&self) -> bool {
        false
    }
    /// The parameters (as f64, one row-major buffer each) at the start (`iteration` 0) and after
    /// each update (`iteration` = updates done); only called when `wants_iterates`.
    fn iterate(&mut self, _iteration: usize, _params: &[Vec<f64>]) -> anyhow::Result<()> {
        Ok(())
    }
    /// Every `log_every` iterations.
    fn checkpoint(&mut self, _checkpoint: &Checkpoint) -> anyhow::Result<()> {
        Ok(())
    }
    /// After the loop, with the final iterate (one matrix per parameter).
    fn finish(&mut self, _summary: &Summary, _result: &[(String, Matrix)]) -> anyhow::Result<()> {
        Ok(())
    }
}
