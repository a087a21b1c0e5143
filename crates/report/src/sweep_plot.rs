//! `sweep.svg`: the loss curves of every run of a sweep, overlaid and labelled.

use plotters::prelude::*;

use crate::figure::{log_chart, log_mesh, to_svg};
use crate::plot_loss::LossPoint;
use crate::plottable::{drawable_log, range};

/// Ten colours that stay distinct on white (Tableau's, without its faint yellow-green).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 0),
];

/// The loss curves (log scale), one colour per run, with a legend of the labels.
pub fn sweep_svg(curves: &[(String, Vec<LossPoint>)], title: &str) -> anyhow::Result<String> {
    let finite = |p: &&LossPoint| drawable_log(p.loss);
    let all: Vec<&LossPoint> = curves
        .iter()
        .flat_map(|(_, c)| c.iter())
        .filter(finite)
        .collect();
    let (lo, hi) = range(all.iter().map(|p| p.loss), drawable_log)
        .map_or((1e-3, 1.0), |(lo, hi)| (lo / 2.0, hi * 2.0));
    let x_max = all
        .iter()
        .map(|p| p.iteration as f64)
        .fold(1.0f64, f64::max);
    let height = 460 + 18 * curves.len() as u32;
    to_svg((860, height), |root| {
        root.fill(&WHITE)?;
        let mut chart = log_chart(root, title, x_max, (lo, hi), 0)?;
        log_mesh(&mut chart, "loss (log scale)")?;
        for (i, (label, curve)) in curves.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()].to_rgba();
            chart
                .draw_series(LineSeries::new(
                    curve
                        .iter()
                        .filter(finite)
                        .map(|p| (p.iteration as f64, p.loss)),
                    colour.stroke_width(2),
                ))?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}
