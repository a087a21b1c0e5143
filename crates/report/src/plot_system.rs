//! `linear_system.svg`: a system in two unknowns drawn as lines, with its exact solution and the path of the iterates.

use descent_tensor::Matrix;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{to_png, to_svg};
use crate::plottable::{draw_notes, drawable, left_out, near};

/// The equations `a_i1 x + a_i2 y = b_i` of `a` (m x 2) and `b` (m x 1) as lines, the exact
/// solution as a red point, and `path` (the iterates, in order) as a blue line from a hollow start.
pub fn system_svg(
    a: &Matrix,
    b: &Matrix,
    exact: [f64; 2],
    path: &[[f64; 2]],
) -> anyhow::Result<String> {
    to_svg((640, 560), |root| draw_system(root, a, b, exact, path))
}

/// Draw the picture of [`system_svg`] as PNG bytes.
pub fn system_png(
    a: &Matrix,
    b: &Matrix,
    exact: [f64; 2],
    path: &[[f64; 2]],
) -> anyhow::Result<Vec<u8>> {
    to_png((640, 560), |root| draw_system(root, a, b, exact, path))
}

fn draw_system<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: &Matrix,
    b: &Matrix,
    exact: [f64; 2],
    path: &[[f64; 2]],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let points: Vec<[f64; 2]> = path.iter().copied().chain([exact]).collect();
    let (mut x0, mut x1, mut y0, mut y1) = points
        .iter()
        .filter(|p| p.iter().all(|&v| drawable(v)))
        .fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), p| (a.min(p[0]), b.max(p[0]), c.min(p[1]), d.max(p[1])),
        );
    let pad = |lo: f64, hi: f64| {
        let w = (hi - lo).max(1e-9).max(0.5 * (lo.abs() + hi.abs()) * 0.2);
        (lo - 0.25 * w, hi + 0.25 * w)
    };
    // Nothing drawable (an exact solution beyond 1e300): a unit square, with a note.
    if !(x0 <= x1 && y0 <= y1) {
        (x0, x1, y0, y1) = (-1.0, 1.0, -1.0, 1.0);
    }
    (x0, x1) = pad(x0, x1);
    (y0, y1) = pad(y0, y1);
    let path_line: Vec<(f64, f64)> = path
        .iter()
        .filter(|p| p.iter().all(|&v| drawable(v)))
        .map(|p| (p[0], p[1]))
        .collect();
    let note = left_out(
        path.len() - path_line.len() + exact.iter().any(|&v| !drawable(v)) as usize,
        "point",
    );
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption(
            "A x = b: the equations, the exact solution and the iterates",
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart.configure_mesh().x_desc("x1").y_desc("x2").draw()?;
    let colours = [
        GREEN.mix(0.9),
        MAGENTA.mix(0.9),
        CYAN.mix(0.9),
        BLACK.mix(0.6),
    ];
    for i in 0..a.rows() {
        let (p, q, r) = (a.get(i, 0), a.get(i, 1), b.get(i, 0));
        let line: Vec<(f64, f64)> = if q.abs() >= p.abs() && q != 0.0 {
            (0..=100)
                .map(|k| x0 + (x1 - x0) * k as f64 / 100.0)
                .map(|x| (x, near(y0, y1, (r - p * x) / q)))
                .collect()
        } else if p != 0.0 {
            (0..=100)
                .map(|k| y0 + (y1 - y0) * k as f64 / 100.0)
                .map(|y| (near(x0, x1, (r - q * y) / p), y))
                .collect()
        } else {
            continue;
        };
        let style = colours[i % colours.len()].stroke_width(2);
        chart
            .draw_series(LineSeries::new(line, style))?
            .label(format!("{p} x1 + {q} x2 = {r}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    chart
        .draw_series(LineSeries::new(path_line.clone(), BLUE.stroke_width(2)))?
        .label("iterates")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    if path_line.len() <= 200 {
        chart.draw_series(path_line.iter().map(|&p| Circle::new(p, 2, BLUE.filled())))?;
    }
    if let Some(&start) = path_line.first() {
        chart.draw_series([Circle::new(start, 6, BLUE.stroke_width(2))])?;
    }
    let exact_shown = exact.iter().all(|&v| drawable(v));
    chart
        .draw_series(exact_shown.then(|| Circle::new((exact[0], exact[1]), 6, RED.filled())))?
        .label(format!("exact solution ({:.4}, {:.4})", exact[0], exact[1]))
        .legend(|(x, y)| Circle::new((x + 8, y), 5, RED.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    draw_notes(root, &Vec::from_iter(note), (70, 36))?;
    Ok(())
}
