//! `profiles.svg` and `data_profiles.svg`: step functions of the fraction of problems solved, one colour per optimizer, legend beside the plot.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{to_png, to_svg};
use crate::sweep_plot::group_colour;

/// One optimizer's step function: `(x, fraction)` at each step, increasing in x (the fraction
/// holds from that x on; 0 before the first).
#[derive(Debug, Clone, PartialEq)]
pub struct StepSeries {
    /// The optimizer's name (and its score, if the caller adds it).
    pub label: String,
    /// The steps.
    pub steps: Vec<(f64, f64)>,
}

/// Which profile: the x axis and its range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProfileKind {
    /// A performance profile: x is the ratio τ >= 1, drawn as log2 τ from 0; `tau_max` is the
    /// right end, and τ = 4 (AlgoPerf's score's limit) is marked.
    Performance {
        /// The right end of the axis (τ).
        tau_max: f64,
    },
    /// A data profile: x is the budget (evaluations or iterations) on a log scale from 1 to
    /// `budget`.
    Data {
        /// The right end of the axis (the suite's budget).
        budget: f64,
    },
}

/// A profile picture.
#[derive(Debug, Clone)]
pub struct ProfilePicture<'a> {
    /// The title.
    pub title: &'a str,
    /// The x axis's description (`log2 τ`, `evaluations`).
    pub x_desc: &'a str,
    /// The series.
    pub series: &'a [StepSeries],
    /// Which profile.
    pub kind: ProfileKind,
}

const WIDTH: u32 = 720;
const LEGEND: u32 = 300;

fn size(series: usize) -> (u32, u32) {
    (WIDTH + LEGEND, 440.max(60 + 18 * series as u32))
}

/// The profile as an SVG document.
pub fn profile_svg(p: &ProfilePicture<'_>) -> anyhow::Result<String> {
    to_svg(size(p.series.len()), |root| draw(root, p))
}

/// The profile as PNG bytes.
pub fn profile_png(p: &ProfilePicture<'_>) -> anyhow::Result<Vec<u8>> {
    to_png(size(p.series.len()), |root| draw(root, p))
}

/// The polyline of a step function from `x0` to `x1` (in the steps' own x).
fn staircase(steps: &[(f64, f64)], x0: f64, x1: f64) -> Vec<(f64, f64)> {
    let mut line = vec![(x0, 0.0)];
    let mut level = 0.0;
    for &(x, f) in steps {
        let x = x.clamp(x0, x1);
        line.push((x, level));
        line.push((x, f));
        level = f;
    }
    line.push((x1, level));
    line
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &ProfilePicture<'_>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (plot, legend) = crate::sweep_plot::plot_and_legend(root, WIDTH, 440)?;
    let mut builder = ChartBuilder::on(&plot);
    builder
        .caption(p.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60);
    match p.kind {
        ProfileKind::Performance { tau_max } => {
            let right = tau_max.max(4.0).log2() * 1.05;
            let mut chart = builder.build_cartesian_2d(0f64..right, 0f64..1.05)?;
            chart
                .configure_mesh()
                .x_desc(p.x_desc)
                .y_desc("fraction of problems")
                .label_style(("sans-serif", 13))
                .draw()?;
            for (i, s) in p.series.iter().enumerate() {
                let steps: Vec<(f64, f64)> = s.steps.iter().map(|&(t, f)| (t.log2(), f)).collect();
                chart.draw_series(LineSeries::new(
                    staircase(&steps, 0.0, right),
                    group_colour(i).stroke_width(2),
                ))?;
            }
            chart.draw_series(DashedLineSeries::new(
                [(2.0, 0.0), (2.0, 1.05)],
                6,
                4,
                BLACK.stroke_width(1),
            ))?;
            chart.draw_series([Text::new(
                " τ = 4".to_string(),
                (2.0, 0.04),
                ("sans-serif", 12).into_font(),
            )])?;
        }
        ProfileKind::Data { budget } => {
            let hi = budget.max(2.0) * 1.1;
            let mut chart = builder.build_cartesian_2d((1f64..hi).log_scale(), 0f64..1.05)?;
            chart
                .configure_mesh()
                .x_desc(p.x_desc)
                .y_desc("fraction of problems solved")
                .label_style(("sans-serif", 13))
                .x_label_formatter(&|v| crate::format::sci(*v, 0))
                .draw()?;
            for (i, s) in p.series.iter().enumerate() {
                chart.draw_series(LineSeries::new(
                    staircase(&s.steps, 1.0, hi),
                    group_colour(i).stroke_width(2),
                ))?;
            }
        }
    }
    let labels: Vec<String> = p.series.iter().map(|s| s.label.clone()).collect();
    crate::sweep_plot::draw_legend(&legend, "optimizer", &labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staircase_rises_at_each_step_and_runs_to_the_end() {
        let line = staircase(&[(1.0, 0.5), (2.0, 1.0)], 0.0, 3.0);
        assert_eq!(
            line,
            [
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 0.5),
                (2.0, 0.5),
                (2.0, 1.0),
                (3.0, 1.0)
            ]
        );
    }

    #[test]
    fn both_kinds_draw_valid_svg() {
        let series = [
            StepSeries {
                label: "sgd".into(),
                steps: vec![(1.0, 0.5), (3.0, 1.0)],
            },
            StepSeries {
                label: "adam".into(),
                steps: vec![],
            },
        ];
        for kind in [
            ProfileKind::Performance { tau_max: 3.0 },
            ProfileKind::Data { budget: 1000.0 },
        ] {
            let svg = profile_svg(&ProfilePicture {
                title: "t",
                x_desc: "x",
                series: &series,
                kind,
            })
            .expect("svg");
            assert!(svg.contains("adam") && svg.starts_with("<svg"));
        }
    }
}
