//! Heatmaps of a matrix (the notebook's `imshow` of the difference), with a colour bar, as SVG.

use descent_tensor::Matrix;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{to_png, to_svg};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::format::sci;
use crate::plottable::drawable;

/// The most cells drawn along each side of a matrix shown entry by entry.
pub const MAX_CELLS: usize = 64;

/// The most blocks along each side of a larger matrix, shown as blocks (each the entry of
/// largest magnitude in its block, sign kept): a picture of 32 x 32 cells is about 100 KB of
/// SVG, so a run's dozen heatmaps and the report that inlines them stay within a few MB.
pub const MAX_BLOCKS: usize = 32;

/// `m` itself up to `MAX_CELLS` a side, else shrunk to at most `MAX_BLOCKS` a side by taking,
/// in each block, the entry of largest magnitude.
pub fn blocks(m: &Matrix) -> Matrix {
    let (rows, cols) = m.shape();
    if rows <= MAX_CELLS && cols <= MAX_CELLS {
        return m.clone();
    }
    let (br, bc) = (
        rows.div_ceil(MAX_BLOCKS).max(1),
        cols.div_ceil(MAX_BLOCKS).max(1),
    );
    Matrix::from_fn(rows.div_ceil(br), cols.div_ceil(bc), |i, j| {
        let mut best = 0.0f64;
        for r in i * br..((i + 1) * br).min(rows) {
            for c in j * bc..((j + 1) * bc).min(cols) {
                let v = m.get(r, c);
                if v.abs() > best.abs() || v.is_nan() {
                    best = v;
                }
            }
        }
        best
    })
}

/// A diverging colour for `t` in [-1, 1]: blue below 0, white at 0, red above (NaN is black).
fn colour(t: f64) -> RGBColor {
    if t.is_nan() {
        return RGBColor(0, 0, 0);
    }
    let t = t.clamp(-1.0, 1.0);
    let (end, s) = if t < 0.0 {
        ((33.0, 102.0, 172.0), -t)
    } else {
        ((178.0, 24.0, 43.0), t)
    };
    let mix = |e: f64| (255.0 + (e - 255.0) * s).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// The heatmap of `m` as an SVG document: a cell per entry (row 0 on top), coloured symmetric
/// around 0, the values written in the cells of small matrices, and a colour bar.
pub fn heatmap_svg(m: &Matrix, title: &str) -> anyhow::Result<String> {
    to_svg((640, 520), |root| draw_heatmap(root, m, title))
}

/// Draw the picture of [`heatmap_svg`] as PNG bytes.
pub fn heatmap_png(m: &Matrix, title: &str) -> anyhow::Result<Vec<u8>> {
    to_png((640, 520), |root| draw_heatmap(root, m, title))
}

/// The found matrix beside the exact one, two heatmaps on one colour scale (the larger magnitude
/// of the two), as an SVG document.
pub fn side_by_side_svg(found: &Matrix, exact: &Matrix, name: &str) -> anyhow::Result<String> {
    to_svg((1280, 520), |root| {
        draw_side_by_side(root, found, exact, name)
    })
}

/// Draw the picture of [`side_by_side_svg`] as PNG bytes.
pub fn side_by_side_png(found: &Matrix, exact: &Matrix, name: &str) -> anyhow::Result<Vec<u8>> {
    to_png((1280, 520), |root| {
        draw_side_by_side(root, found, exact, name)
    })
}

fn draw_side_by_side<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    found: &Matrix,
    exact: &Matrix,
    name: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let limit = largest(&blocks(found)).max(largest(&blocks(exact)));
    let (left, right) = root.split_horizontally(640);
    draw_scaled(&left, found, &format!("found {name}"), Some(limit))?;
    draw_scaled(&right, exact, &format!("exact {name}"), Some(limit))
}

/// The largest magnitude of the drawable entries of `m`.
fn largest(m: &Matrix) -> f64 {
    m.data()
        .iter()
        .filter(|&&v| drawable(v))
        .fold(0.0f64, |a, v| a.max(v.abs()))
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Matrix,
    title: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    draw_scaled(root, m, title, None)
}

/// The heatmap of `m` with its colour scale running over `[-limit, limit]` (by default `m`'s
/// own largest magnitude).
fn draw_scaled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Matrix,
    title: &str,
    limit: Option<f64>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let shown = blocks(m);
    let (rows, cols) = shown.shape();
    let limit = limit.unwrap_or_else(|| largest(&shown));
    let outside = shown.data().iter().filter(|&&v| !drawable(v)).count();
    let note = (outside > 0).then(|| {
        format!(
            "{outside} cell(s) not finite or beyond 1e300 in magnitude: NaN black, the rest at the scale's ends"
        )
    });
    let limit = if limit > 0.0 { limit } else { 1.0 };
    let title = if shown.shape() == m.shape() {
        title.to_string()
    } else {
        format!(
            "{title} ({}x{} shown as {rows}x{cols} blocks)",
            m.rows(),
            m.cols()
        )
    };
    // Small magnitudes (errors near convergence) are written in scientific notation.
    let cell_text = |v: f64| {
        if limit < 0.01 || v.is_nan() || v.abs() >= 1e5 {
            sci(v, 1)
        } else {
            format!("{v:.2}")
        }
    };
    root.fill(&WHITE)?;
    let (main, bar) = root.split_horizontally(530);
    // Square cells: the plot takes the largest cell size that fits both ways, and the spare
    // width or height becomes margin (a 3 x 17 matrix is a wide strip, not 17 tall bars).
    // The title is drawn by hand in a band of 30 px, so that the layout below is exact.
    let (area_w, area_h) = main.dim_in_pixel();
    let (avail_w, avail_h) = (
        area_w.saturating_sub(2 * 12 + 44),
        area_h.saturating_sub(2 * 12 + 36 + 30),
    );
    let cell = (avail_w / cols.max(1) as u32)
        .min(avail_h / rows.max(1) as u32)
        .max(1);
    let (spare_w, spare_h) = (
        avail_w.saturating_sub(cell * cols as u32),
        avail_h.saturating_sub(cell * rows as u32),
    );
    let top = 12 + 30 + spare_h / 2;
    main.draw_text(
        &title,
        &("sans-serif", 16)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom)),
        (
            (12 + 44 + spare_w / 2 + area_w.saturating_sub(12 + spare_w - spare_w / 2)) as i32 / 2,
            top as i32 - 6,
        ),
    )?;
    let mut chart = ChartBuilder::on(&main)
        .margin(12)
        .margin_left(12 + spare_w / 2)
        .margin_right(12 + spare_w - spare_w / 2)
        .margin_top(top)
        .margin_bottom(12 + spare_h - spare_h / 2)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(-0.5f64..cols as f64 - 0.5, -0.5f64..rows as f64 - 0.5)?;
    // Cell (i, j) is centred at (j, rows - 1 - i): row 0 on top. Ticks only at whole numbers.
    let top = rows as f64 - 1.0;
    let whole = |v: f64| (v - v.round()).abs() < 1e-9;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("column")
        .y_desc("row")
        .x_labels(cols.min(16))
        .y_labels(rows.min(16))
        .label_style(("sans-serif", 12))
        .x_label_formatter(&|v| {
            if whole(*v) {
                format!("{}", v.round())
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| {
            if whole(*v) {
                format!("{}", (top - v).round())
            } else {
                String::new()
            }
        })
        .draw()?;
    let cells = &shown;
    chart.draw_series((0..rows).flat_map(|i| {
        (0..cols).map(move |j| {
            let (x, y) = (j as f64, top - i as f64);
            Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                colour(cells.get(i, j) / limit).filled(),
            )
        })
    }))?;
    if rows <= 8 && cols <= 8 {
        chart.draw_series((0..rows).flat_map(|i| {
            (0..cols).map(move |j| {
                Text::new(
                    cell_text(cells.get(i, j)),
                    (j as f64, top - i as f64),
                    ("sans-serif", 13)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )
            })
        }))?;
    }
    let mut legend = ChartBuilder::on(&bar)
        .margin_top(40)
        .margin_bottom(48)
        .margin_right(12)
        .y_label_area_size(62)
        .build_cartesian_2d(0f64..1.0, -limit..limit)?;
    legend
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .label_style(("sans-serif", 12))
        .y_label_formatter(&|v| {
            if v.abs() < limit * 1e-9 {
                "0".into()
            } else {
                sci(*v, 1)
            }
        })
        .draw()?;
    let steps = 100;
    legend.draw_series((0..steps).map(|k| {
        let a = -limit + 2.0 * limit * k as f64 / steps as f64;
        let b = -limit + 2.0 * limit * (k + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], colour((a + b) / 2.0 / limit).filled())
    }))?;
    if let Some(note) = note {
        root.draw_text(
            &note,
            &("sans-serif", 12).into_font().color(&RED),
            (12, 505),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_run_blue_white_red() {
        assert_eq!(colour(0.0), RGBColor(255, 255, 255));
        assert_eq!(colour(-1.0), RGBColor(33, 102, 172));
        assert_eq!(colour(1.0), RGBColor(178, 24, 43));
    }

    #[test]
    fn large_matrices_are_shown_as_blocks_keeping_the_largest_entry() {
        let m = Matrix::from_fn(130, 3, |i, j| if (i, j) == (129, 2) { -5.0 } else { 0.1 });
        let b = blocks(&m);
        assert_eq!(b.shape(), (26, 3), "blocks of 5 rows: 130 = 26 * 5");
        assert_eq!(b.get(25, 2), -5.0);
        let square = Matrix::from_fn(64, 64, |i, j| (i * 64 + j) as f64);
        assert_eq!(blocks(&square), square, "up to 64 a side, every entry");
        assert_eq!(blocks(&Matrix::identity(4)), Matrix::identity(4));
    }
}
