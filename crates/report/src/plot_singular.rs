//! `singular_values.svg`: the singular values an SVD run found against the exact ones.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{to_png, to_svg};
use crate::plottable::{draw_notes, drawable, left_out};

/// The exact singular values (red) and the found ones (blue), both sorted largest first.
pub fn singular_svg(exact: &[f64], found: &[f64]) -> anyhow::Result<String> {
    to_svg((640, 420), |root| draw_singular(root, exact, found))
}

/// Draw the picture of [`singular_svg`] as PNG bytes.
pub fn singular_png(exact: &[f64], found: &[f64]) -> anyhow::Result<Vec<u8>> {
    to_png((640, 420), |root| draw_singular(root, exact, found))
}

fn draw_singular<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    exact: &[f64],
    found: &[f64],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let sorted = |v: &[f64]| {
        let mut s: Vec<f64> = v.iter().map(|x| x.abs()).collect();
        s.sort_by(|a, b| b.total_cmp(a));
        s
    };
    let (exact, found) = (sorted(exact), sorted(found));
    let top = exact
        .iter()
        .chain(&found)
        .filter(|&&v| drawable(v))
        .fold(0.0f64, |a, &v| a.max(v))
        .max(1e-12)
        * 1.15;
    let n = exact.len().max(found.len()).max(1);
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption("singular values: found against exact", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)?;
    chart
        .configure_mesh()
        .x_desc("index (largest first)")
        .y_desc("singular value")
        .x_labels(n.min(12))
        .x_label_formatter(&|v| format!("{}", v.round() as i64))
        .draw()?;
    let note = left_out(
        exact
            .iter()
            .chain(&found)
            .filter(|&&v| !drawable(v))
            .count(),
        "singular",
    );
    let at = |v: &[f64], shift: f64| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .filter(|&(_, &s)| drawable(s))
            .map(|(i, &s)| (i as f64 + shift, s))
            .collect()
    };
    chart
        .draw_series(
            at(&exact, -0.08)
                .into_iter()
                .map(|p| Circle::new(p, 7, RED.filled())),
        )?
        .label("exact (faer)")
        .legend(|(x, y)| Circle::new((x + 8, y), 5, RED.filled()));
    chart
        .draw_series(
            at(&found, 0.08)
                .into_iter()
                .map(|p| Cross::new(p, 7, BLUE.stroke_width(3))),
        )?
        .label("found")
        .legend(|(x, y)| Cross::new((x + 8, y), 5, BLUE.stroke_width(3)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    draw_notes(root, &Vec::from_iter(note), (70, 36))?;
    Ok(())
}
