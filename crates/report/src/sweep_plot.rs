//! `sweep.svg`: the loss curves of every run of a sweep, one colour per grid point (its seeds share it), with the legend beside the plot.

use plotters::coord::Shift;
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::prelude::*;

use crate::figure::{log_chart, log_mesh, to_png, to_svg};
use crate::plot_loss::LossPoint;
use crate::plottable::{draw_notes, drawable_log, left_out, range};

/// Ten colours that stay distinct on white (Tableau's).
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
    RGBColor(188, 189, 34),
];

/// The colour of group `i`: the palette's, and past ten a lighter or darker shade of it, so
/// that up to thirty groups differ.
pub fn group_colour(i: usize) -> RGBColor {
    let RGBColor(r, g, b) = PALETTE[i % PALETTE.len()];
    let shade = |c: u8| -> u8 {
        match (i / PALETTE.len()) % 3 {
            0 => c,
            1 => (u16::from(c) / 2) as u8,
            _ => (255 - (255 - u16::from(c)) / 2) as u8,
        }
    };
    RGBColor(shade(r), shade(g), shade(b))
}

/// The width of the plot; the legend's column is to its right.
const PLOT_WIDTH: u32 = 720;
/// The width of the legend's column.
const LEGEND_WIDTH: u32 = 380;
/// The characters of a legend line before it is cut with an ellipsis.
const LEGEND_CHARS: usize = 52;

/// One run's curve in a sweep picture: the index of its group (grid point) and its losses.
#[derive(Debug, Clone)]
pub struct SweepCurve {
    /// The grid point it belongs to: an index into the groups' labels (its colour).
    pub group: usize,
    /// Its loss curve.
    pub points: Vec<LossPoint>,
}

/// The picture's size: the legend's column grows with the groups.
fn curves_size(groups: usize) -> (u32, u32) {
    (PLOT_WIDTH + LEGEND_WIDTH, 460.max(70 + 18 * groups as u32))
}

/// The loss curves (log scale) as an SVG document: one colour per group (`labels[group]`), the
/// legend in a column of its own to the right of the plot.
pub fn sweep_svg(labels: &[String], curves: &[SweepCurve], title: &str) -> anyhow::Result<String> {
    curves_svg(&Curves {
        labels,
        curves,
        title,
        y_desc: "loss (log scale)",
        heading: "grid point (seeds share a colour)",
    })
}

/// [`sweep_svg`] as PNG bytes.
pub fn sweep_png(labels: &[String], curves: &[SweepCurve], title: &str) -> anyhow::Result<Vec<u8>> {
    curves_png(&Curves {
        labels,
        curves,
        title,
        y_desc: "loss (log scale)",
        heading: "grid point (seeds share a colour)",
    })
}

/// Curves of a positive quantity against the iteration (log scale), a colour per group, the
/// legend beside the plot: the sweep's losses, and `compare`'s losses and errors.
#[derive(Debug, Clone, Copy)]
pub struct Curves<'a> {
    /// The groups' labels (their colours by index).
    pub labels: &'a [String],
    /// The curves (`loss` holds the quantity).
    pub curves: &'a [SweepCurve],
    /// The title.
    pub title: &'a str,
    /// The y axis's description.
    pub y_desc: &'a str,
    /// The legend's heading.
    pub heading: &'a str,
}

/// [`Curves`] as an SVG document.
pub fn curves_svg(c: &Curves<'_>) -> anyhow::Result<String> {
    to_svg(curves_size(c.labels.len()), |root| draw_curves(root, c))
}

/// [`Curves`] as PNG bytes.
pub fn curves_png(c: &Curves<'_>) -> anyhow::Result<Vec<u8>> {
    to_png(curves_size(c.labels.len()), |root| draw_curves(root, c))
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Curves<'_>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (plot, legend) = plot_and_legend(root, PLOT_WIDTH, 460)?;
    let all = c.curves.iter().flat_map(|c| c.points.iter());
    let (lo, hi) = range(all.clone().map(|p| p.loss), drawable_log)
        .map_or((1e-3, 1.0), |(lo, hi)| (lo / 2.0, hi * 2.0));
    let x_max = all
        .clone()
        .map(|p| p.iteration as f64)
        .fold(1.0f64, f64::max);
    let left = all.filter(|p| !drawable_log(p.loss)).count();
    let mut chart = log_chart(&plot, c.title, x_max, (lo, hi), 0)?;
    log_mesh(&mut chart, c.y_desc)?;
    for curve in c.curves {
        let colour = group_colour(curve.group);
        chart.draw_series(LineSeries::new(
            curve
                .points
                .iter()
                .filter(|p| drawable_log(p.loss))
                .map(|p| (p.iteration as f64, p.loss)),
            colour.stroke_width(2),
        ))?;
    }
    let notes: Vec<String> = left_out(left, "value").into_iter().collect();
    draw_notes(&plot, &notes, (100, 40))?;
    draw_legend(&legend, c.heading, c.labels)
}

/// The picture's plot (`width` x `height` pixels from the top left) and the legend's column to
/// its right, on a white page.
#[allow(clippy::type_complexity)]
pub fn plot_and_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    width: u32,
    height: u32,
) -> anyhow::Result<(DrawingArea<DB, Shift>, DrawingArea<DB, Shift>)>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (plot, legend) = root.split_horizontally(width);
    let (plot, _) = plot.split_vertically(height);
    Ok((plot, legend))
}

/// The legend's column: a line of each group's colour and its label, from the top.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    labels: &[String],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let font = ("sans-serif", 12).into_font().color(&BLACK);
    area.draw_text(heading, &font, (8, 16))?;
    for (i, label) in labels.iter().enumerate() {
        let y = 40 + 18 * i as i32;
        area.draw(&PathElement::new(
            vec![(8, y + 6), (32, y + 6)],
            group_colour(i).stroke_width(3),
        ))?;
        area.draw_text(&shorten(label), &font, (40, y))?;
    }
    Ok(())
}

/// `text` cut to [`LEGEND_CHARS`] characters, with an ellipsis when cut.
fn shorten(text: &str) -> String {
    if text.chars().count() <= LEGEND_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(LEGEND_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// One run in a picture of the final loss against a numeric axis of the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisPoint {
    /// The axis's value.
    pub x: f64,
    /// The final loss (not finite when the run failed or diverged to infinity).
    pub final_loss: f64,
    /// Its series: the index of the other axes' values (one colour each).
    pub series: usize,
    /// Whether it finished (neither failed, diverged nor diverging).
    pub finished: bool,
}

/// The final loss against one numeric axis of a sweep.
#[derive(Debug, Clone)]
pub struct AxisPicture<'a> {
    /// The axis's key (`optimizer.lr`).
    pub key: &'a str,
    /// The series' labels (the other axes' values; one empty label when there are none).
    pub series: &'a [String],
    /// Every run.
    pub points: &'a [AxisPoint],
    /// A value of the axis to mark with a dashed line and its label (`2/L`, plain SGD's stable
    /// limit from the theory), where there is one.
    pub mark: Option<(f64, &'a str)>,
    /// The best run, ringed: an index into `points`.
    pub best: Option<usize>,
    /// The title.
    pub title: &'a str,
}

/// The size of an axis picture.
fn axis_size(series: usize) -> (u32, u32) {
    curves_size(series)
}

/// The final loss (log) against the axis (log when every value is positive), a series per
/// combination of the other axes, each run a dot (hollow and red-edged when it did not
/// finish, drawn at the top when its loss is not finite), the series' median over seeds joined
/// by a line, the best run ringed and the mark dashed.
pub fn sweep_axis_svg(p: &AxisPicture<'_>) -> anyhow::Result<String> {
    to_svg(axis_size(p.series.len()), |root| draw_axis(root, p))
}

/// [`sweep_axis_svg`] as PNG bytes.
pub fn sweep_axis_png(p: &AxisPicture<'_>) -> anyhow::Result<Vec<u8>> {
    to_png(axis_size(p.series.len()), |root| draw_axis(root, p))
}

fn draw_axis<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &AxisPicture<'_>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (plot, legend) = plot_and_legend(root, PLOT_WIDTH, 460)?;
    let xs = p.points.iter().map(|q| q.x);
    let mark = p.mark.filter(|(v, _)| drawable_log(*v));
    let (x_lo, x_hi) = range(
        xs.clone().chain(mark.map(|m| m.0)),
        crate::plottable::drawable,
    )
    .unwrap_or((0.0, 1.0));
    let log_x = x_lo > 0.0;
    let (y_lo, y_hi) = range(p.points.iter().map(|q| q.final_loss), drawable_log)
        .map_or((1e-3, 1.0), |(lo, hi)| (lo / 2.0, hi * 8.0));
    // Losses that cannot be drawn (diverged to infinity, failed) sit at the top edge.
    let top = y_hi / 1.5;
    let y = |q: &AxisPoint| {
        if drawable_log(q.final_loss) {
            q.final_loss
        } else {
            top
        }
    };
    let y_range = (y_lo..y_hi)
        .log_scale()
        .with_key_points(crate::plottable::log_ticks(y_lo, y_hi));
    let caption = (p.title, ("sans-serif", 18));
    let mut builder = ChartBuilder::on(&plot);
    builder
        .caption(caption.0, caption.1)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80);
    let not_drawn = p
        .points
        .iter()
        .filter(|q| !drawable_log(q.final_loss))
        .count();
    if log_x {
        let (lo, hi) = if x_hi > x_lo {
            (x_lo / 1.5, x_hi * 1.5)
        } else {
            (x_lo / 2.0, x_lo * 2.0)
        };
        let mut chart = builder.build_cartesian_2d(
            (lo..hi)
                .log_scale()
                .with_key_points(crate::plottable::log_ticks(lo, hi)),
            y_range,
        )?;
        chart
            .configure_mesh()
            .x_desc(format!("{} (log scale)", p.key))
            .y_desc("final loss (log scale)")
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|v| crate::format::sci(*v, 1))
            .y_label_formatter(&|v| crate::format::sci(*v, 0))
            .draw()?;
        draw_axis_series(&mut chart, p, &y, mark, (y_lo, y_hi))?;
    } else {
        let pad = ((x_hi - x_lo) * 0.05).max(1e-9);
        let mut chart = builder.build_cartesian_2d((x_lo - pad)..(x_hi + pad), y_range)?;
        chart
            .configure_mesh()
            .x_desc(p.key)
            .y_desc("final loss (log scale)")
            .label_style(("sans-serif", 13))
            .y_label_formatter(&|v| crate::format::sci(*v, 0))
            .draw()?;
        draw_axis_series(&mut chart, p, &y, mark, (y_lo, y_hi))?;
    }
    let notes: Vec<String> = (not_drawn > 0)
        .then(|| {
            format!(
                "{not_drawn} run{} with no finite final loss drawn at the top edge",
                if not_drawn == 1 { "" } else { "s" }
            )
        })
        .into_iter()
        .collect();
    draw_notes(&plot, &notes, (100, 40))?;
    let labels: Vec<String> = if p.series.len() == 1 && p.series[0].is_empty() {
        vec!["every run".to_string()]
    } else {
        p.series.to_vec()
    };
    draw_legend(&legend, "series (the other axes' values)", &labels)?;
    let font = ("sans-serif", 12).into_font().color(&BLACK);
    let below = 40 + 18 * labels.len() as i32 + 10;
    let mut lines = vec![
        "ringed: the best run that finished".to_string(),
        "hollow red: did not finish".to_string(),
    ];
    if let Some((_, label)) = mark {
        lines.push(format!("dashed: {label}"));
    }
    for (i, line) in lines.iter().enumerate() {
        legend.draw_text(&shorten(line), &font, (8, below + 18 * i as i32))?;
    }
    Ok(())
}

/// The series, the best ring and the mark of [`draw_axis`] on a chart of either x scale.
fn draw_axis_series<DB, X>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, WithKeyPoints<LogCoord<f64>>>>,
    p: &AxisPicture<'_>,
    y: &dyn Fn(&AxisPoint) -> f64,
    mark: Option<(f64, &str)>,
    (y_lo, y_hi): (f64, f64),
) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
{
    for s in 0..p.series.len() {
        let colour = group_colour(s);
        let mut xs: Vec<f64> = p
            .points
            .iter()
            .filter(|q| q.series == s)
            .map(|q| q.x)
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let line: Vec<(f64, f64)> = xs
            .iter()
            .filter_map(|&x| {
                let mut v: Vec<f64> = p
                    .points
                    .iter()
                    .filter(|q| q.series == s && q.x == x && q.finished)
                    .map(|q| q.final_loss)
                    .filter(|v| drawable_log(*v))
                    .collect();
                v.sort_by(f64::total_cmp);
                (!v.is_empty()).then(|| (x, v[v.len() / 2]))
            })
            .collect();
        chart.draw_series(LineSeries::new(line, colour.stroke_width(2)))?;
        chart.draw_series(p.points.iter().filter(|q| q.series == s).map(|q| {
            if q.finished {
                Circle::new((q.x, y(q)), 4, colour.filled())
            } else {
                Circle::new((q.x, y(q)), 5, RED.stroke_width(2))
            }
        }))?;
    }
    if let Some(q) = p.best.and_then(|b| p.points.get(b)) {
        chart.draw_series([Circle::new((q.x, y(q)), 10, BLACK.stroke_width(2))])?;
    }
    if let Some((x, label)) = mark {
        chart.draw_series(DashedLineSeries::new(
            [(x, y_lo), (x, y_hi)],
            6,
            4,
            BLACK.stroke_width(1),
        ))?;
        let short = label.split(':').next().unwrap_or(label).to_string();
        chart.draw_series([Text::new(
            format!(" {short}"),
            (x, y_lo * 2.0),
            ("sans-serif", 12).into_font(),
        )])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_past_the_palette_get_other_shades() {
        let first: Vec<RGBColor> = (0..30).map(group_colour).collect();
        for (i, a) in first.iter().enumerate() {
            for b in &first[i + 1..] {
                assert_ne!(a, b, "two of the first thirty groups share a colour");
            }
        }
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        let long = "x".repeat(80);
        assert_eq!(shorten(&long).chars().count(), LEGEND_CHARS);
        assert!(shorten(&long).ends_with('…'));
        assert_eq!(shorten("optimizer.lr=0.1"), "optimizer.lr=0.1");
    }
}
