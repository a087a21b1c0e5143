//! `Console`: the notebook-style lines on stdout (start product, loss and difference at checkpoints, summary), with a progress bar on a terminal.

use std::io::IsTerminal as _;

pub use descent_report::{decimals_for, format_matrix, sci};
use descent_tensor::Matrix;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::observer::{Checkpoint, Observer, Record, Start, Summary};

/// Write `text` to stdout as it is. A closed stdout (`cargo xtask run ... | head`) is not an
/// error: the run goes on and writes its files (a panic on the broken pipe lost them).
pub fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// A matrix as [`format_matrix`] writes it, or its shape when it is too large to print.
fn shown(m: &Matrix, decimals: usize) -> String {
    if m.rows() * m.cols() <= 400 && m.cols() <= 24 {
        format_matrix(m, decimals)
    } else {
        format!(
            "({}x{}: too large to print; see the pictures)",
            m.rows(),
            m.cols()
        )
    }
}

/// Prints the run as the notebook did; silent when `quiet`. On a terminal it also shows a
/// progress bar (iteration, loss, lr, iterations/s), with the checkpoint lines printed above it.
#[derive(Debug, Default)]
pub struct Console {
    /// Print nothing.
    pub quiet: bool,
    /// The run directory, printed last in the summary.
    pub files: Option<std::path::PathBuf>,
    /// The number of iterations, for the progress bar; no bar when `None` or not on a terminal.
    pub iterations: Option<usize>,
    bar: Option<ProgressBar>,
    /// The next iteration the bar is told of, and how many iterations lie between two updates.
    next_update: usize,
    stride: usize,
    last_update: Option<std::time::Instant>,
}

impl Console {
    /// A console for a run of `iterations`, printing the run directory `files` at the end.
    pub fn new(quiet: bool, files: Option<std::path::PathBuf>, iterations: usize) -> Self {
        Self {
            quiet,
            files,
            iterations: Some(iterations),
            bar: None,
            next_update: 0,
            stride: 1,
            last_update: None,
        }
    }

    /// Print a line, above the progress bar when there is one.
    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => say!("{text}"),
        }
    }
}

impl Observer for Console {
    fn start(&mut self, start: &Start) -> anyhow::Result<()> {
        if !self.quiet {
            say!("{}", start.headline);
            for (label, m) in &start.inputs {
                if m.rows() <= 24 && m.cols() <= 24 {
                    let integers = m.data().iter().all(|v| v.fract() == 0.0);
                    say!(
                        "{label} =\n{}",
                        format_matrix(m, if integers { 0 } else { 4 })
                    );
                } else {
                    say!("{label}: {}x{} (too large to print)", m.rows(), m.cols());
                }
            }
            say!(
                "{} at the start:\n{}",
                start.prediction_label,
                shown(&start.prediction, 4)
            );
            if let Some(n) = self.iterations.filter(|_| std::io::stdout().is_terminal()) {
                let bar =
                    ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stdout());
                bar.set_style(ProgressStyle::with_template(
                    "{bar:30} {pos}/{len}  {msg}  eta {eta}",
                )?);
                self.bar = Some(bar);
            }
        }
        Ok(())
    }

    /// The bar hears of an iteration only every `stride` iterations, a stride that doubles
    /// while updates come less than 10 ms apart and halves when they are more than 100 ms
    /// apart: between updates a record costs one comparison (the bar itself reads the clock
    /// and takes a lock on every update).
    fn record(&mut self, r: &Record) -> anyhow::Result<()> {
        if r.iteration < self.next_update {
            return Ok(());
        }
        let Some(bar) = &self.bar else {
            self.next_update = usize::MAX;
            return Ok(());
        };
        {
            let now = std::time::Instant::now();
            if let Some(last) = self.last_update {
                let gap = now.duration_since(last);
                if gap < std::time::Duration::from_millis(10) {
                    self.stride = self.stride.saturating_mul(2);
                } else if gap > std::time::Duration::from_millis(100) {
                    self.stride = (self.stride / 2).max(1);
                }
            }
            self.last_update = Some(now);
            bar.set_position(r.iteration as u64 + 1);
            bar.set_message(format!(
                "loss {}  lr {}  {:.0} it/s",
                sci(r.loss, 3),
                sci(r.lr, 3),
                bar.per_sec()
            ));
        }
        self.next_update = r.iteration.saturating_add(self.stride);
        Ok(())
    }

    fn checkpoint(&mut self, c: &Checkpoint) -> anyhow::Result<()> {
        if !self.quiet {
            self.line(&format!(
                "\nt = {:<6} loss = {}   lr = {}   |grad| = {}\nDiff ({}):\n{}",
                c.record.iteration,
                sci(c.record.loss, 5),
                c.record.lr,
                sci(c.record.grad_norm, 3),
                c.label,
                shown(&c.difference, decimals_for(&c.difference, 2))
            ));
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary, _result: &[(String, Matrix)]) -> anyhow::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.quiet {
            return Ok(());
        }
        let width = s
            .facts
            .iter()
            .map(|f| f.label.len())
            .chain([17])
            .max()
            .unwrap_or(17);
        let line = |label: &str, value: String| say!("  {label:<width$} {value}");
        say!("\nsummary");
        line(
            "iterations",
            format!("{} (stop: {})", s.iterations, s.stop_reason.name()),
        );
        line("final loss", sci(s.final_loss, 5));
        line(
            "error vs exact",
            format!(
                "max abs {}, relative Frobenius {}",
                sci(s.max_abs_error, 3),
                sci(s.rel_error, 3)
            ),
        );
        if let Some(a) = &s.average {
            line(
                "average",
                format!(
                    "{}{}: loss {}, max abs {}, relative Frobenius {}",
                    a.source,
                    if a.is_answer {
                        " (the method's answer, above)"
                    } else {
                        ""
                    },
                    sci(a.final_loss, 5),
                    sci(a.max_abs_error, 3),
                    sci(a.rel_error, 3)
                ),
            );
        }
        for fact in &s.facts {
            line(&fact.label, fact.value.clone());
        }
        line(
            "gradient",
            match s.gradient.as_str() {
                "analytic" => "exact, on host buffers (the problem's own derivative)".to_string(),
                other => format!("{other} (candle)"),
            },
        );
        line(
            "wall time",
            format!(
                "{:.4} s ({:.0} iterations/s; {:.3} s before iteration 0)",
                s.wall_seconds, s.iterations_per_second, s.setup_seconds
            ),
        );
        let th = &s.theory;
        if let (Some(l), Some(k)) = (th.hessian_max, th.condition_number) {
            line(
                "Hessian",
                format!(
                    "L = {}, mu = {}, kappa = {}{}",
                    sci(l, 3),
                    th.hessian_min.map_or("0".into(), |m| sci(m, 3)),
                    sci(k, 3),
                    th.null_dim
                        .filter(|&d| d > 0)
                        .map_or(String::new(), |d| format!(", null space of dimension {d}"))
                ),
            );
        }
        if let (Some(stable), Some(best)) = (th.stable_lr, th.optimal_lr) {
            line(
                "best settings",
                format!(
                    "stable for lr < {}; optimal lr {}{} (rate {:.4} per iteration)",
                    sci(stable, 3),
                    sci(best, 3),
                    th.optimal_momentum
                        .filter(|&m| m > 0.0)
                        .map_or(String::new(), |m| format!(", momentum {m:.4}")),
                    th.optimal_rate.unwrap_or(f64::NAN)
                ),
            );
        }
        let rate = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.4}"));
        if th.predicted_rate.is_some() || th.measured_rate.is_some() {
            line(
                "rate",
                format!(
                    "predicted {}, measured {} (error per iteration)",
                    rate(th.predicted_rate),
                    rate(th.measured_rate)
                ),
            );
        }
        line("verdict", th.explanation.clone());
        if let Some(m) = &s.message {
            line("note", m.clone());
        }
        if let Some(dir) = &self.files {
            line("files", dir.display().to_string());
        }
        Ok(())
    }
}
