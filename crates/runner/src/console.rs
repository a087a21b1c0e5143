//! `Console`: the notebook-style lines on stdout (start product, loss and difference at checkpoints, summary).
#![allow(clippy::print_stdout)]

use descent_tensor::Matrix;

use crate::observer::{Checkpoint, Observer, Start, Summary};

/// Format a number in scientific notation with `digits` digits after the point: `1.66504e-01`.
pub fn sci(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let s = format!("{x:.digits$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Format a matrix with `decimals` decimals, aligned, one row per line, numpy style.
pub fn format_matrix(m: &Matrix, decimals: usize) -> String {
    let cells: Vec<String> = m.data().iter().map(|v| format!("{v:.decimals$}")).collect();
    let width = cells.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for i in 0..m.rows() {
        out.push_str(if i == 0 { "[[" } else { " [" });
        let row: Vec<String> = (0..m.cols())
            .map(|j| format!("{:>width$}", cells[i * m.cols() + j]))
            .collect();
        out.push_str(&row.join(", "));
        out.push(']');
        if i + 1 < m.rows() {
            out.push_str(",\n");
        }
    }
    out.push(']');
    out
}

/// Prints the run as the notebook did; silent when `quiet`.
#[derive(Debug, Default)]
pub struct Console {
    /// Print nothing.
    pub quiet: bool,
    /// The run directory, printed last in the summary.
    pub files: Option<std::path::PathBuf>,
}

impl Observer for Console {
    fn start(&mut self, start: &Start) -> anyhow::Result<()> {
        if !self.quiet {
            println!("{}", start.headline);
            for (label, m) in &start.inputs {
                if m.rows() <= 24 && m.cols() <= 24 {
                    let integers = m.data().iter().all(|v| v.fract() == 0.0);
                    println!(
                        "{label} =\n{}",
                        format_matrix(m, if integers { 0 } else { 4 })
                    );
                } else {
                    println!("{label}: {}x{} (too large to print)", m.rows(), m.cols());
                }
            }
            println!(
                "{} at the start:\n{}",
                start.prediction_label,
                format_matrix(&start.prediction, 4)
            );
        }
        Ok(())
    }

    fn checkpoint(&mut self, c: &Checkpoint) -> anyhow::Result<()> {
        if !self.quiet {
            println!(
                "\nt = {:<6} loss = {}   lr = {}   |grad| = {}",
                c.record.iteration,
                sci(c.record.loss, 5),
                c.record.lr,
                sci(c.record.grad_norm, 3)
            );
            println!("Diff ({}):\n{}", c.label, format_matrix(&c.difference, 2));
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary, _result: &[(String, Matrix)]) -> anyhow::Result<()> {
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
        let line = |label: &str, value: String| println!("  {label:<width$} {value}");
        println!("\nsummary");
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
        for fact in &s.facts {
            line(&fact.label, fact.value.clone());
        }
        line(
            "wall time",
            format!(
                "{:.4} s ({:.0} iterations/s)",
                s.wall_seconds, s.iterations_per_second
            ),
        );
        if let Some(m) = &s.message {
            line("note", m.clone());
        }
        if let Some(dir) = &self.files {
            line("files", dir.display().to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sci_pads_the_exponent() {
        assert_eq!(sci(1.6650421619, 4), "1.6650e+00");
        assert_eq!(sci(4.7337413e-5, 4), "4.7337e-05");
    }

    #[test]
    fn matrices_print_aligned_with_negative_zero_kept() {
        let m = Matrix::new(2, 2, vec![-0.281, 1.26, -0.001, 12.0]).unwrap();
        assert_eq!(format_matrix(&m, 2), "[[-0.28,  1.26],\n [-0.00, 12.00]]");
    }
}
