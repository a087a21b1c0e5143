//! A suite's files from its rows: results.csv, best.csv, scores.csv, the profiles, the sensitivity picture and suite.html.

use std::path::Path;

use descent_report::{
    Panel, ProfileKind, ProfilePicture, STYLE, SensitivityPicture, SensitivityPoint, StepSeries,
    escape, profile_png, profile_svg, sensitivity_png, sensitivity_svg,
};
use descent_runner::{sci, write_atomic};
use serde::Serialize;

use crate::profiles;
use crate::suite::{BestRow, SuiteRow, best_rows, cost_table, write_best, write_results};
use crate::suite_spec::SuiteSpec;

/// An optimizer's standing over the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The optimizer.
    pub optimizer: String,
    /// AlgoPerf's score: the area under its performance profile up to τ = 4, over 3.
    pub score: f64,
    /// `ρ(1)`: the fraction of problem instances on which it was the fastest.
    pub fastest: f64,
    /// `ρ(∞)`: the fraction it solved.
    pub solved: f64,
}

/// The scores of every optimizer, from the final runs.
pub fn scores(spec: &SuiteSpec, rows: &[SuiteRow]) -> Vec<Score> {
    let (_, costs) = cost_table(spec, rows);
    let ratios = profiles::ratios(&costs);
    spec.optimizers
        .iter()
        .enumerate()
        .map(|(s, o)| {
            let r = profiles::column(&ratios, s);
            Score {
                optimizer: o.name.clone(),
                score: profiles::score(&r),
                fastest: profiles::performance(&r, 1.0),
                solved: profiles::performance(&r, f64::INFINITY),
            }
        })
        .collect()
}

/// Plain SGD's stable and optimal rates on a problem, from the theory in its runs' summaries.
fn theory_rates(dir: &Path, rows: &[&SuiteRow]) -> (Option<f64>, Option<f64>) {
    for r in rows {
        let Ok(text) = std::fs::read_to_string(dir.join(&r.dir).join("summary.json")) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let get = |k: &str| {
            v["theory"][k]
                .as_f64()
                .filter(|x| x.is_finite() && *x > 0.0)
        };
        if let (Some(s), o) = (get("stable_lr"), get("optimal_lr")) {
            return (Some(s), o);
        }
    }
    (None, None)
}

/// Write every file of a suite into `dir` from its rows; the names written.
pub fn write_suite_files(
    spec: &SuiteSpec,
    rows: &[SuiteRow],
    dir: &Path,
    png: bool,
) -> anyhow::Result<Vec<String>> {
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        write_atomic(&dir.join(name), |tmp| Ok(std::fs::write(tmp, bytes)?))?;
        written.push(name.to_string());
        Ok(())
    };
    write_results(&dir.join("results.csv"), rows)?;
    let best = best_rows(spec, rows);
    write_best(&dir.join("best.csv"), &best)?;
    let scores = scores(spec, rows);
    let mut w = csv::Writer::from_writer(Vec::new());
    for s in &scores {
        w.serialize(s)?;
    }
    put("scores.csv", &w.into_inner()?)?;

    let (_, costs) = cost_table(spec, rows);
    let ratios = profiles::ratios(&costs);
    let tau_max = ratios
        .iter()
        .flatten()
        .copied()
        .filter(|r| r.is_finite())
        .fold(4.0f64, f64::max);
    let performance: Vec<StepSeries> = spec
        .optimizers
        .iter()
        .enumerate()
        .map(|(s, o)| StepSeries {
            label: format!("{} (score {:.3})", o.name, scores[s].score),
            steps: profiles::steps(&profiles::column(&ratios, s)),
        })
        .collect();
    let unit = spec.budget.unit();
    let title = format!(
        "{}: performance profiles ({unit} to a relative error of {})",
        spec.name, spec.target
    );
    let picture = ProfilePicture {
        title: &title,
        x_desc: "log2 τ (τ: cost over the best optimizer's cost on the problem)",
        series: &performance,
        kind: ProfileKind::Performance { tau_max },
    };
    let profiles_svg = profile_svg(&picture)?;
    put("profiles.svg", profiles_svg.as_bytes())?;
    if png {
        put("profiles.png", &profile_png(&picture)?)?;
    }
    let data: Vec<StepSeries> = spec
        .optimizers
        .iter()
        .enumerate()
        .map(|(s, o)| StepSeries {
            label: o.name.clone(),
            steps: profiles::data_steps(&profiles::column(&costs, s)),
        })
        .collect();
    let title = format!("{}: data profiles (solved within a budget)", spec.name);
    let x_desc = format!("{unit} (log scale)");
    let picture = ProfilePicture {
        title: &title,
        x_desc: &x_desc,
        series: &data,
        kind: ProfileKind::Data {
            budget: spec.budget.amount() as f64,
        },
    };
    let data_svg = profile_svg(&picture)?;
    put("data_profiles.svg", data_svg.as_bytes())?;
    if png {
        put("data_profiles.png", &profile_png(&picture)?)?;
    }

    let names: Vec<String> = spec.optimizers.iter().map(|o| o.name.clone()).collect();
    let panels: Vec<Panel> = spec
        .problems
        .iter()
        .map(|p| {
            let mine: Vec<&SuiteRow> = rows.iter().filter(|r| r.problem == p.name).collect();
            let (stable_lr, optimal_lr) = theory_rates(dir, &mine);
            Panel {
                title: p.name.clone(),
                points: mine
                    .iter()
                    .filter_map(|r| {
                        Some(SensitivityPoint {
                            optimizer: names.iter().position(|n| *n == r.optimizer)?,
                            lr: r.lr,
                            error: r.final_error,
                            solved: r.solved,
                        })
                    })
                    .collect(),
                stable_lr,
                optimal_lr,
            }
        })
        .collect();
    let title = format!(
        "{}: final relative error against the learning rate",
        spec.name
    );
    let picture = SensitivityPicture {
        title: &title,
        optimizers: &names,
        panels: &panels,
        target: spec.target,
    };
    let sensitivity = sensitivity_svg(&picture)?;
    put("sensitivity.svg", sensitivity.as_bytes())?;
    if png {
        put("sensitivity.png", &sensitivity_png(&picture)?)?;
    }
    let html = page(
        spec,
        rows,
        &best,
        &scores,
        [&profiles_svg, &data_svg, &sensitivity],
    );
    put("suite.html", html.as_bytes())?;
    written.splice(0..0, ["results.csv".to_string(), "best.csv".to_string()]);
    Ok(written)
}

/// suite.html: the scores, the three pictures, the best settings and every run.
fn page(
    spec: &SuiteSpec,
    rows: &[SuiteRow],
    best: &[BestRow],
    scores: &[Score],
    [profiles_svg, data_svg, sensitivity]: [&str; 3],
) -> String {
    let unit = spec.budget.unit();
    let mut b = format!("<h1>descent: suite {}</h1>\n", escape(&spec.name));
    b.push_str(&format!(
        "<p>{} problems x {} seed(s) x {} optimizers; a run is solved when its relative error against the exact answer falls below {}, within {} {unit}. Learning rates given as a grid (or <code>\"tune\"</code>) are tried on seed {}; the best (fewest {unit} to the target, else the least final error) is rerun with every seed. Profiles and scores use the final runs, each (problem, seed) one instance.</p>\n",
        spec.problems.len(),
        spec.seeds.len(),
        spec.optimizers.len(),
        spec.target,
        spec.budget.amount(),
        spec.seeds[0],
    ));
    b.push_str("<h2>Scores</h2>\n<table class=\"runs\"><tr><th>optimizer</th><th>score (area under the profile to τ = 4, over 3)</th><th>fastest on</th><th>solved</th></tr>\n");
    let mut ranked: Vec<&Score> = scores.iter().collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    for s in ranked {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{:.3}</td><td>{:.0}%</td><td>{:.0}%</td></tr>\n",
            escape(&s.optimizer),
            s.score,
            100.0 * s.fastest,
            100.0 * s.solved
        ));
    }
    b.push_str("</table>\n");
    for (title, svg, caption) in [
        (
            "Performance profiles",
            profiles_svg,
            "The fraction of problem instances each optimizer solved within a factor τ of the fastest (Dolan and Moré, 2002); at log2 τ = 0, how often it was the fastest; at the right, how often it solved at all.",
        ),
        (
            "Data profiles",
            data_svg,
            "The fraction of problem instances each optimizer solved within a budget (Moré and Wild, 2009).",
        ),
        (
            "Sensitivity to the learning rate",
            sensitivity,
            "Every run's final relative error against its learning rate, per problem; where the theory knows the problem's Hessian, plain SGD's stable and optimal rates are marked.",
        ),
    ] {
        b.push_str(&format!(
            "<h2>{title}</h2>\n<figure>{}<figcaption>{caption}</figcaption></figure>\n",
            svg.trim_start()
        ));
    }
    b.push_str(&format!("<h2>Best setting per problem and optimizer</h2>\n<table class=\"runs\"><tr><th>problem</th><th>optimizer</th><th>lr</th><th>rates tried</th><th>solved</th><th>median {unit} to the target</th><th>median final error</th></tr>\n"));
    for r in best {
        b.push_str(&format!(
            "<tr><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} of {}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&r.problem),
            escape(&r.optimizer),
            r.lr,
            r.rates_tried,
            r.solved,
            r.runs,
            r.median_cost.map_or_else(|| "-".into(), |c| format!("{c}")),
            sci(r.median_final_error, 3)
        ));
    }
    b.push_str("</table>\n");
    b.push_str(&format!("<h2>Runs</h2>\n<table class=\"runs\"><tr><th>problem</th><th>optimizer</th><th>lr</th><th>seed</th><th>phase</th><th>{unit} to the target</th><th>final error</th><th>stopped by</th><th>wall time (s)</th><th>message</th></tr>\n"));
    for r in rows {
        let cost = r
            .cost(spec.budget)
            .map_or_else(|| "-".into(), |c| format!("{c}"));
        let class = if r.solved { "" } else { " class=\"bad\"" };
        b.push_str(&format!(
            "<tr><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{cost}</td><td>{}</td><td{class}>{}</td><td>{:.3}</td><td class=\"text\">{}</td></tr>\n",
            escape(&r.problem),
            escape(&r.optimizer),
            r.lr,
            r.seed,
            if r.phase == crate::Phase::Tune { "tune" } else { "final" },
            sci(r.final_error, 3),
            escape(&r.stop_reason),
            r.wall_seconds,
            escape(&r.message)
        ));
    }
    b.push_str("</table>\n");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>descent: suite {}</title>\n<style>{STYLE}\ntable.runs td {{ white-space: nowrap; }} table.runs td.text {{ white-space: normal; }}</style>\n</head>\n<body>\n{b}</body>\n</html>\n",
        escape(&spec.name)
    )
}
