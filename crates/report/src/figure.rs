//! Drawing a figure to an SVG string or PNG bytes, with the bundled DejaVu Sans font so text needs no system fonts.

use std::sync::Once;

use plotters::coord::Shift;
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
