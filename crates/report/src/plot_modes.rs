//! `modes.svg`: the predicted error along the slowest and fastest eigendirections (and a few between) against the iteration.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{log_chart, log_mesh, to_png, to_svg};
use crate::format::sci;
use crate::plottable::{drawable_log, range};

/// The predicted error along one eigendirection, `sqrt(Σ_rows e^2)`, at some iterations.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeTrace {
    /// The Hessian's eigenvalue of the direction.
    pub lambda: f64,
    /// The factor its error shrinks by per iteration at the run's last lr (the spectral radius of
    /// the direction's iteration: `|1 - lr λ|` for plain SGD).
    pub factor: f64,
    /// The iterations (thinned evenly for long runs).
    pub iterations: Vec<usize>,
    /// The error there.
    pub errors: Vec<f64>,
}

/// The traces as an SVG document, log y: each direction shrinks by its own factor per iteration
/// (`|1 - lr λ|` for plain SGD), which the legend gives.
pub fn modes_svg(modes: &[ModeTrace], title: &str) -> anyhow::Result<String> {
    to_svg((760, 440), |root| draw_modes(root, modes, title))
}

/// Draw the picture of [`modes_svg`] as PNG bytes.
pub fn modes_png(modes: &[ModeTrace], title: &str) -> anyhow::Result<Vec<u8>> {
    to_png((760, 440), |root| draw_modes(root, modes, title))
}

fn draw_modes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    modes: &[ModeTrace],
    title: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = range(
        modes.iter().flat_map(|m| m.errors.iter().copied()),
        drawable_log,
    )
    // Sixteen decades below the largest error at most: a fast direction's error of 1e-110 in
    // exact arithmetic says nothing more than 1e-16 does, and squeezes the others flat.
    .map_or((1e-3, 1.0), |(lo, hi)| {
        ((lo / 2.0).max(hi * 1e-16), hi * 2.0)
    });
    let x_max = modes
        .iter()
        .filter_map(|m| m.iterations.last())
        .fold(1usize, |a, &b| a.max(b)) as f64;
    root.fill(&WHITE)?;
    let mut chart = log_chart(root, title, x_max, (lo, hi), 0)?;
    log_mesh(&mut chart, "error along the direction (log scale)")?;
    let last = modes.len().saturating_sub(1);
    for (k, m) in modes.iter().enumerate() {
        // Slowest (smallest λ) in red, fastest in blue, the rest between.
        let t = if last == 0 {
            0.0
        } else {
            k as f64 / last as f64
        };
        let colour = RGBColor((200.0 * (1.0 - t)) as u8, 60, (200.0 * t) as u8);
        let points: Vec<(f64, f64)> = m
            .iterations
            .iter()
            .zip(&m.errors)
            .filter(|&(_, &e)| drawable_log(e) && e >= lo)
            .map(|(&i, &e)| (i as f64, e))
            .collect();
        let label = format!(
            "λ = {}: shrinks by {:.3} per iteration",
            sci(m.lambda, 2),
            m.factor
        );
        let style = colour.stroke_width(2);
        chart
            .draw_series(LineSeries::new(points, style))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
