//! `sensitivity.svg`: the final error against the learning rate, a panel per problem, a colour per optimizer, with the target and the theory's stable and optimal rates of plain SGD marked.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{to_png, to_svg};
use crate::plottable::{drawable_log, log_ticks, range};
use crate::sweep_plot::group_colour;

/// One run in a panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensitivityPoint {
    /// The optimizer's index (its colour).
    pub optimizer: usize,
    /// The learning rate.
    pub lr: f64,
    /// The final relative error (not finite: drawn at the top).
    pub error: f64,
    /// Whether it reached the target.
    pub solved: bool,
}

/// One problem's panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The problem's name.
    pub title: String,
    /// Its runs.
    pub points: Vec<SensitivityPoint>,
    /// Plain SGD's stable rate 2/L from the theory, where there is one.
    pub stable_lr: Option<f64>,
    /// Plain SGD's optimal rate 2/(L + μ), where there is one.
    pub optimal_lr: Option<f64>,
}

/// The whole picture.
#[derive(Debug, Clone)]
pub struct SensitivityPicture<'a> {
    /// The title.
    pub title: &'a str,
    /// The optimizers' names (colours by index).
    pub optimizers: &'a [String],
    /// The panels.
    pub panels: &'a [Panel],
    /// The suite's target (a dashed horizontal line).
    pub target: f64,
}

const COLUMNS: usize = 3;
const PANEL: (u32, u32) = (380, 280);
const HEADER: u32 = 70;

fn size(panels: usize) -> (u32, u32) {
    let rows = panels.div_ceil(COLUMNS).max(1) as u32;
    (PANEL.0 * COLUMNS as u32, HEADER + rows * PANEL.1)
}

/// The picture as an SVG document.
pub fn sensitivity_svg(p: &SensitivityPicture<'_>) -> anyhow::Result<String> {
    to_svg(size(p.panels.len()), |root| draw(root, p))
}

/// The picture as PNG bytes.
pub fn sensitivity_png(p: &SensitivityPicture<'_>) -> anyhow::Result<Vec<u8>> {
    to_png(size(p.panels.len()), |root| draw(root, p))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &SensitivityPicture<'_>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(HEADER);
    let font = ("sans-serif", 12).into_font().color(&BLACK);
    header.draw_text(
        p.title,
        &("sans-serif", 18).into_font().color(&BLACK),
        (12, 8),
    )?;
    let mut x = 12;
    for (i, name) in p.optimizers.iter().enumerate() {
        header.draw(&PathElement::new(
            vec![(x, 42), (x + 22, 42)],
            group_colour(i).stroke_width(3),
        ))?;
        header.draw_text(name, &font, (x + 28, 36))?;
        x += 40 + 8 * name.chars().count() as i32;
    }
    header.draw_text(
        "hollow: did not reach the target; dashed: 2/L (plain SGD's stable limit); dotted: 2/(L + mu) (its optimal rate); grey: the target",
        &font,
        (12, 54),
    )?;
    let rows = p.panels.len().div_ceil(COLUMNS).max(1);
    let areas = body.split_evenly((rows, COLUMNS));
    for (panel, area) in p.panels.iter().zip(areas.iter()) {
        draw_panel(area, panel, p.target)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    target: f64,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let marks = [panel.stable_lr, panel.optimal_lr];
    let xs = panel
        .points
        .iter()
        .map(|q| q.lr)
        .chain(marks.iter().flatten().copied());
    let (x_lo, x_hi) = range(xs, drawable_log).map_or((1e-3, 1.0), |(lo, hi)| {
        if hi > lo {
            (lo / 1.5, hi * 1.5)
        } else {
            (lo / 2.0, lo * 2.0)
        }
    });
    let ys = panel.points.iter().map(|q| q.error).chain([target]);
    let (y_lo, y_hi) = range(ys, drawable_log).map_or((1e-6, 1.0), |(lo, hi)| (lo / 3.0, hi * 8.0));
    let top = y_hi / 1.5;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 13))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d(
            (x_lo..x_hi)
                .log_scale()
                .with_key_points(log_ticks(x_lo, x_hi)),
            (y_lo..y_hi)
                .log_scale()
                .with_key_points(log_ticks(y_lo, y_hi)),
        )?;
    chart
        .configure_mesh()
        .x_desc("lr")
        .y_desc("final relative error")
        .label_style(("sans-serif", 10))
        .x_label_formatter(&|v| crate::format::sci(*v, 0))
        .y_label_formatter(&|v| crate::format::sci(*v, 0))
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(x_lo, target), (x_hi, target)],
        RGBColor(150, 150, 150).stroke_width(1),
    ))?;
    let optimizers = panel
        .points
        .iter()
        .map(|q| q.optimizer)
        .max()
        .map_or(0, |m| m + 1);
    for o in 0..optimizers {
        let colour = group_colour(o);
        let mut mine: Vec<&SensitivityPoint> =
            panel.points.iter().filter(|q| q.optimizer == o).collect();
        mine.sort_by(|a, b| a.lr.total_cmp(&b.lr));
        let y = |q: &SensitivityPoint| if drawable_log(q.error) { q.error } else { top };
        chart.draw_series(LineSeries::new(
            mine.iter()
                .filter(|q| drawable_log(q.error))
                .map(|q| (q.lr, q.error)),
            colour.stroke_width(1),
        ))?;
        chart.draw_series(mine.iter().map(|q| {
            if q.solved {
                Circle::new((q.lr, y(q)), 3, colour.filled())
            } else {
                Circle::new((q.lr, y(q)), 3, colour.stroke_width(1))
            }
        }))?;
    }
    if let Some(s) = panel.stable_lr.filter(|v| drawable_log(*v)) {
        chart.draw_series(DashedLineSeries::new(
            [(s, y_lo), (s, y_hi)],
            5,
            4,
            BLACK.stroke_width(1),
        ))?;
    }
    if let Some(o) = panel.optimal_lr.filter(|v| drawable_log(*v)) {
        chart.draw_series(DashedLineSeries::new(
            [(o, y_lo), (o, y_hi)],
            1,
            3,
            BLACK.stroke_width(1),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_with_and_without_the_theory_draw() {
        let panels = [
            Panel {
                title: "diag".into(),
                points: vec![
                    SensitivityPoint {
                        optimizer: 0,
                        lr: 0.1,
                        error: 1e-2,
                        solved: false,
                    },
                    SensitivityPoint {
                        optimizer: 0,
                        lr: 1.0,
                        error: 1e-6,
                        solved: true,
                    },
                    SensitivityPoint {
                        optimizer: 1,
                        lr: 10.0,
                        error: f64::NAN,
                        solved: false,
                    },
                ],
                stable_lr: Some(2.0),
                optimal_lr: Some(1.0),
            },
            Panel {
                title: "svd".into(),
                points: vec![],
                stable_lr: None,
                optimal_lr: None,
            },
        ];
        let svg = sensitivity_svg(&SensitivityPicture {
            title: "t",
            optimizers: &["sgd".into(), "adam".into()],
            panels: &panels,
            target: 1e-4,
        })
        .expect("svg");
        assert!(svg.contains("svd") && svg.contains("adam"));
    }
}
