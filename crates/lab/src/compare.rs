//! `cargo xtask compare DIR...`: finished runs side by side: their loss and error curves overlaid, their summaries in one table, compare.csv and compare.html.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use descent_report::{
    CheckpointData, Curves, LossPoint, STYLE, SweepCurve, curves_png, curves_svg, escape,
};
use descent_runner::{sci, write_atomic};
use serde::Serialize;

use crate::sweep::read_curve;

/// One run's line of compare.csv.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compared {
    /// The run's directory, as given.
    pub dir: String,
    /// Its config's name.
    pub name: String,
    /// The problem's kind.
    pub problem: String,
    /// The optimizer's kind.
    pub optimizer: String,
    /// The lr of its config (`optimizer.lr`).
    pub lr: Option<f64>,
    /// The schedule's kind, if any.
    pub schedule: String,
    /// The dtype.
    pub dtype: String,
    /// The seed.
    pub seed: i64,
    /// Updates done.
    pub iterations: usize,
    /// The final loss.
    pub final_loss: f64,
    /// The relative error against the exact answer.
    pub rel_error: f64,
    /// Why it stopped.
    pub stop_reason: String,
    /// The loop's wall time.
    pub wall_seconds: f64,
    /// Iterations per second.
    pub iterations_per_second: f64,
}

/// A run read back: its line, its loss curve and its error curve (at its checkpoints).
#[derive(Debug, Clone)]
pub struct RunRead {
    /// The table's line.
    pub line: Compared,
    /// The loss at every recorded iteration (thinned to 1,000 points).
    pub losses: Vec<LossPoint>,
    /// The relative error at each checkpoint (`log_every`), where recorded.
    pub errors: Vec<LossPoint>,
}

/// Read a finished run's directory.
pub fn read_run(dir: &Path) -> anyhow::Result<RunRead> {
    let shown = dir.display();
    let summary: serde_json::Value = {
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{shown}: not a finished run (no readable summary.json)"))?;
        serde_json::from_str(&text).with_context(|| format!("{}: malformed", path.display()))?
    };
    let config: toml::Table = {
        let path = dir.join("config.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{shown}: no readable config.toml"))?;
        toml::from_str(&text).with_context(|| format!("{}: malformed", path.display()))?
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let number = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let line = Compared {
        dir: dir.display().to_string(),
        name: text(&summary["name"]),
        problem: text(&summary["problem"]),
        optimizer: text(&summary["optimizer"]),
        lr: config
            .get("optimizer")
            .and_then(|o| o.get("lr"))
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64))),
        schedule: config
            .get("schedule")
            .and_then(|s| s.get("kind"))
            .and_then(|k| k.as_str())
            .unwrap_or("constant")
            .to_string(),
        dtype: text(&summary["dtype"]),
        seed: summary["seed"].as_i64().unwrap_or(0),
        iterations: summary["iterations"].as_u64().unwrap_or(0) as usize,
        final_loss: number(&summary["final_loss"]),
        rel_error: number(&summary["rel_error"]),
        stop_reason: text(&summary["stop_reason"]),
        wall_seconds: number(&summary["wall_seconds"]),
        iterations_per_second: number(&summary["iterations_per_second"]),
    };
    let errors = std::fs::read_to_string(dir.join("checkpoints.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Vec<CheckpointData>>(&t).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| {
            Some(LossPoint {
                iteration: c.iteration,
                loss: c.rel_error?,
                lr: f64::NAN,
                predicted: None,
            })
        })
        .collect();
    Ok(RunRead {
        line,
        losses: read_curve(&dir.join("metrics.csv")),
        errors,
    })
}

/// Read every run of `dirs` (an error naming the first that is not a finished run).
pub fn read_runs(dirs: &[PathBuf]) -> anyhow::Result<Vec<RunRead>> {
    anyhow::ensure!(!dirs.is_empty(), "compare: give the runs' directories");
    dirs.iter().map(|d| read_run(d)).collect()
}

/// Compare `runs`, writing compare.csv, compare_loss.svg, compare_error.svg (when any run
/// recorded its error at checkpoints) and compare.html into `out`; the names written.
pub fn compare(runs: &[RunRead], out: &Path, png: bool) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(out).with_context(|| format!("{}", out.display()))?;
    let labels: Vec<String> = runs
        .iter()
        .map(|r| format!("{} ({})", r.line.name, r.line.dir))
        .collect();
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        write_atomic(&out.join(name), |tmp| Ok(std::fs::write(tmp, bytes)?))?;
        written.push(name.to_string());
        Ok(())
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in runs {
        w.serialize(&r.line)?;
    }
    put("compare.csv", &w.into_inner()?)?;
    let curves = |pick: fn(&RunRead) -> &Vec<LossPoint>| -> Vec<SweepCurve> {
        runs.iter()
            .enumerate()
            .map(|(group, r)| SweepCurve {
                group,
                points: pick(r).clone(),
            })
            .collect()
    };
    let mut figures = Vec::new();
    for (file, title, y_desc, pick, caption) in [
        (
            "compare_loss",
            "the loss",
            "loss (log scale)",
            (|r: &RunRead| &r.losses) as fn(&RunRead) -> &Vec<LossPoint>,
            "Each run's loss at every recorded iteration.",
        ),
        (
            "compare_error",
            "the relative error against the exact answer",
            "relative error (log scale)",
            |r: &RunRead| &r.errors,
            "Each run's distance to the exact answer at its checkpoints (log_every); runs without checkpoints have no curve.",
        ),
    ] {
        let drawn = curves(pick);
        if drawn.iter().all(|c| c.points.is_empty()) {
            continue;
        }
        let title = format!("compared: {title}");
        let c = Curves {
            labels: &labels,
            curves: &drawn,
            title: &title,
            y_desc,
            heading: "run",
        };
        let svg = curves_svg(&c)?;
        put(&format!("{file}.svg"), svg.as_bytes())?;
        if png {
            put(&format!("{file}.png"), &curves_png(&c)?)?;
        }
        figures.push((title, svg, caption));
    }
    put("compare.html", page(runs, out, &figures).as_bytes())?;
    Ok(written)
}

/// `target` as a link from a page in `from`: relative when both are, else absolute.
fn link(from: &Path, target: &str) -> String {
    let absolute = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().map_or_else(|_| p.to_path_buf(), |d| d.join(p))
        }
    };
    let (from, target) = (absolute(from), absolute(Path::new(target)));
    let common = from
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = from.components().count() - common;
    let mut rel = PathBuf::new();
    for _ in 0..ups {
        rel.push("..");
    }
    rel.extend(target.components().skip(common));
    rel.join("report.html").to_string_lossy().into_owned()
}

fn page(runs: &[RunRead], out: &Path, figures: &[(String, String, &str)]) -> String {
    let mut b = format!("<h1>descent: {} runs compared</h1>\n", runs.len());
    b.push_str("<table class=\"runs\"><tr><th>run</th><th>problem</th><th>optimizer</th><th>lr</th><th>schedule</th><th>dtype</th><th>seed</th><th>iterations</th><th>final loss</th><th>relative error</th><th>stopped by</th><th>wall time (s)</th><th>iterations/s</th></tr>\n");
    for r in runs {
        let l = &r.line;
        b.push_str(&format!(
            "<tr><td class=\"text\"><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td></tr>\n",
            escape(&link(out, &l.dir)),
            escape(&l.dir),
            escape(&l.problem),
            escape(&l.optimizer),
            l.lr.map_or_else(|| "-".into(), |v| sci(v, 4)),
            escape(&l.schedule),
            escape(&l.dtype),
            l.seed,
            l.iterations,
            sci(l.final_loss, 4),
            sci(l.rel_error, 3),
            escape(&l.stop_reason),
            l.wall_seconds,
            sci(l.iterations_per_second, 3),
        ));
    }
    b.push_str("</table>\n");
    for (title, svg, caption) in figures {
        b.push_str(&format!(
            "<h2>{}</h2>\n<figure>{}<figcaption>{caption}</figcaption></figure>\n",
            escape(title),
            svg.trim_start()
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>descent: runs compared</title>\n<style>{STYLE}\ntable.runs td {{ white-space: nowrap; }} table.runs td.text {{ white-space: normal; }}</style>\n</head>\n<body>\n{b}</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_climb_from_the_page_to_each_run() {
        assert_eq!(
            link(Path::new("/r/compare/001"), "/r/diag4/002"),
            "../../diag4/002/report.html"
        );
        assert_eq!(link(Path::new("/r/c"), "/r/c/run"), "run/report.html");
    }
}
