//! `filters.svg`: ridge's spectral filter σ²/(σ²+λ) beside gradient descent's after t steps, 1 - (1 - η σ²)^t, over the singular values.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use crate::figure::{to_png, to_svg};
use crate::plottable::drawable;

/// The two filters as the theory samples them (summary.json's `theory.filters`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FilterCurves {
    /// The ridge weight λ.
    pub lambda: f64,
    /// η: the lr times the Hessian's scale.
    pub step: f64,
    /// t: the run's iterations.
    pub iterations: usize,
    /// `1 / (η t)`, the ridge weight early stopping acts like.
    pub equivalent_lambda: f64,
    /// The problem's singular values.
    pub sigma: Vec<f64>,
    /// The grid the curves are sampled on.
    pub grid: Vec<f64>,
    /// Ridge's filter on the grid.
    pub ridge: Vec<f64>,
    /// Early stopping's filter on the grid.
    pub early: Vec<f64>,
    /// Ridge's filter at the equivalent λ on the grid.
    pub equivalent: Vec<f64>,
}

/// The filters against σ (log axis), A's singular values marked.
pub fn filters_svg(f: &FilterCurves) -> anyhow::Result<String> {
    to_svg((760, 440), |root| draw_filters(root, f))
}

/// Draw the picture of [`filters_svg`] as PNG bytes.
pub fn filters_png(f: &FilterCurves) -> anyhow::Result<Vec<u8>> {
    to_png((760, 440), |root| draw_filters(root, f))
}

/// The top of the y axis: room above 1 for the legend (early stopping's filter exceeds 1 only
/// where a step diverges).
const TOP: f64 = 1.5;

fn draw_filters<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &FilterCurves,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let grid: Vec<f64> = f.grid.iter().copied().filter(|s| *s > 0.0).collect();
    let (lo, hi) = match (grid.first(), grid.last()) {
        (Some(&lo), Some(&hi)) if lo < hi && drawable(hi) => (lo, hi),
        _ => (1e-3, 1e3),
    };
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption(
            "spectral filters: ridge against gradient descent stopped early",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..TOP)?;
    chart
        .configure_mesh()
        .x_desc("singular value σ")
        .y_desc("fraction of the least-squares term kept")
        .label_style(("sans-serif", 13))
        .draw()?;
    chart
        .draw_series(f.sigma.iter().filter(|s| (lo..=hi).contains(*s)).map(|&s| {
            PathElement::new(
                vec![(s, 0.0), (s, 1.05)],
                RGBColor(90, 90, 90).stroke_width(2),
            )
        }))?
        .label("a singular value of A")
        .legend(|(x, y)| {
            PathElement::new(
                vec![(x + 8, y - 6), (x + 8, y + 6)],
                RGBColor(90, 90, 90).stroke_width(2),
            )
        });
    let curve = |values: &[f64]| -> Vec<(f64, f64)> {
        f.grid
            .iter()
            .zip(values)
            .filter(|(s, v)| **s > 0.0 && v.is_finite())
            .map(|(&s, &v)| (s, v.clamp(-0.1, TOP)))
            .collect()
    };
    chart
        .draw_series(LineSeries::new(curve(&f.ridge), RED.stroke_width(2)))?
        .label(format!(
            "ridge: σ² / (σ² + λ), λ = {}",
            crate::format::sci(f.lambda, 3)
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(curve(&f.early), BLUE.stroke_width(2)))?
        .label(format!(
            "gradient descent from 0: 1 - (1 - η σ²)^t, η = 2 s lr = {}, t = {}",
            crate::format::sci(f.step, 3),
            f.iterations
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(DashedLineSeries::new(
            curve(&f.equivalent),
            6,
            4,
            BLUE.mix(0.6).stroke_width(1),
        ))?
        .label(format!(
            "ridge at λ = 1/(η t) = {}",
            crate::format::sci(f.equivalent_lambda, 3)
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.mix(0.6)));
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
