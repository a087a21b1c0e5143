//! `loss.svg`: the loss against the iteration on a log scale, with the learning rate on a second axis when it changes.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{log_chart, log_mesh, to_png, to_svg};
use crate::plottable::{draw_notes, drawable, drawable_log, left_out, range};

use crate::format::sci;

/// One point of the loss curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossPoint {
    /// The iteration.
    pub iteration: usize,
    /// The loss there.
    pub loss: f64,
    /// The learning rate of its update.
    pub lr: f64,
    /// The theory's predicted loss there, where there is one (drawn dashed).
    pub predicted: Option<f64>,
}

/// The loss curve as an SVG document. Non-positive, non-finite or astronomically large losses
/// and lrs are left out with a note (the loss axis is logarithmic; see `plottable`); the lr gets
/// its own axis on the right when it is not constant.
pub fn loss_svg(points: &[LossPoint], title: &str) -> anyhow::Result<String> {
    loss_svg_with(points, &[], title)
}

/// [`loss_svg`] with a reference curve (`[iteration, loss]`): for an optimizer the theory does
/// not predict, plain SGD at the optimal lr from the same start, drawn dotted grey.
pub fn loss_svg_with(
    points: &[LossPoint],
    reference: &[(usize, f64)],
    title: &str,
) -> anyhow::Result<String> {
    to_svg((760, 440), |root| draw_loss(root, points, reference, title))
}

/// Draw the picture of [`loss_svg_with`] as PNG bytes.
pub fn loss_png(
    points: &[LossPoint],
    reference: &[(usize, f64)],
    title: &str,
) -> anyhow::Result<Vec<u8>> {
    to_png((760, 440), |root| draw_loss(root, points, reference, title))
}

fn draw_loss<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[LossPoint],
    reference: &[(usize, f64)],
    title: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let shown: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| drawable_log(p.loss))
        .map(|p| (p.iteration as f64, p.loss))
        .collect();
    let (lo, hi) = range(shown.iter().map(|&(_, y)| y), drawable_log)
        .map_or((1e-3, 1.0), |(lo, hi)| (lo / 2.0, hi * 2.0));
    let x_max = points.last().map_or(1.0, |p| (p.iteration as f64).max(1.0));
    let lrs: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| drawable(p.lr))
        .map(|p| (p.iteration as f64, p.lr))
        .collect();
    let lr_changes = points
        .iter()
        .any(|p| p.lr.to_bits() != points[0].lr.to_bits());
    let lr_range = range(lrs.iter().map(|&(_, lr)| lr), drawable);
    let (lr_lo, lr_hi) = match lr_range {
        Some((lo, hi)) if lr_changes && hi > lo => (lo.min(0.0), hi * 1.05),
        _ => (0.0, 1.0),
    };
    let notes: Vec<String> = [
        left_out(points.iter().filter(|p| !drawable(p.loss)).count(), "loss"),
        // A loss of exactly 0 cannot sit on a log axis: the curve ends there, with a note.
        points.iter().find(|p| p.loss == 0.0).map(|p| {
            format!(
                "the loss reached exactly 0 at iteration {} (not drawn on the log scale)",
                p.iteration
            )
        }),
        left_out(
            if lr_changes {
                points.len() - lrs.len()
            } else {
                0
            },
            "lr",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    root.fill(&WHITE)?;
    let mut chart = log_chart(
        root,
        title,
        x_max,
        (lo, hi),
        if lr_changes { 80 } else { 10 },
    )?
    .set_secondary_coord(0f64..x_max, lr_lo..lr_hi);
    log_mesh(&mut chart, "loss (log scale)")?;
    chart
        .draw_series(LineSeries::new(shown, BLUE.stroke_width(2)))?
        .label("loss")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    let predicted: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| p.predicted.map(|v| (p.iteration as f64, v)))
        .filter(|&(_, v)| drawable_log(v) && v >= lo && v <= hi)
        .collect();
    let reference: Vec<(f64, f64)> = reference
        .iter()
        .filter(|&&(t, v)| drawable_log(v) && v >= lo && v <= hi && t as f64 <= x_max)
        .map(|&(t, v)| (t as f64, v))
        .collect();
    if !reference.is_empty() {
        let style = BLACK.mix(0.45).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(reference, 2, 3, style))?
            .label("plain SGD at the optimal lr (theory)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    if !predicted.is_empty() {
        let style = BLACK.mix(0.8).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(predicted, 6, 4, style))?
            .label("predicted (theory)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    if lr_changes {
        chart
            .configure_secondary_axes()
            .y_desc("learning rate")
            .y_label_formatter(&|v| sci(*v, 1))
            .draw()?;
        chart
            .draw_secondary_series(LineSeries::new(lrs, RED.mix(0.7)))?
            .label("lr (right axis)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.mix(0.7)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    draw_notes(root, &notes, (90, 36))?;
    Ok(())
}
