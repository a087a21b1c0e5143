//! Drawing a figure to an SVG string or PNG bytes, with the bundled DejaVu Sans font so text needs no system fonts.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// DejaVu Sans (Bitstream Vera license, `fonts/DejaVuSans-LICENSE.txt`): the text of every picture.
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Register the bundled font as `sans-serif` once per process.
fn fonts() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The font is valid (it is bundled); if registering failed, text would be left out of PNGs.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
        let _ = register_font("sans-serif", FontStyle::Bold, FONT);
    });
}

/// A chart of the iteration against a log-scale quantity with chosen tick marks.
pub type LogChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, WithKeyPoints<LogCoord<f64>>>>;

/// The chart of a quantity against the iteration on a log scale (at least three labelled ticks,
/// see [`crate::plottable::log_ticks`]): the loss, the modes and the sweep. `right` is the width
/// of a right-hand label area (for a secondary axis; 0 without one). Draw its mesh with
/// [`log_mesh`], after setting a secondary axis if there is one.
pub fn log_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x_max: f64,
    (lo, hi): (f64, f64),
    right: u32,
) -> anyhow::Result<LogChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    Ok(ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .right_y_label_area_size(right)
        .build_cartesian_2d(
            0f64..x_max,
            (lo..hi)
                .log_scale()
                .with_key_points(crate::plottable::log_ticks(lo, hi)),
        )?)
}

/// The mesh of a [`log_chart`]: iterations below, `y_desc` on the left, labels of 13 px.
pub fn log_mesh<DB: DrawingBackend>(
    chart: &mut LogChart<'_, DB>,
    y_desc: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc(y_desc)
        .label_style(("sans-serif", 13))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| crate::format::sci(*v, 0))
        .draw()?;
    Ok(())
}

/// Draw into an SVG document of `size` pixels and return its text. SVG text is drawn by the
/// viewer with its own sans-serif font; the bundled one sizes the layout.
pub fn to_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}

/// Draw into a PNG image of `size` pixels, text rendered with the bundled font, and return its
/// bytes (the caller writes them: this crate touches no files).
pub fn to_png(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<u8>> {
    use image::ImageEncoder as _;
    fonts();
    let (w, h) = size;
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(
        &pixels,
        w,
        h,
        image::ColorType::Rgb8,
    )?;
    Ok(png)
}
