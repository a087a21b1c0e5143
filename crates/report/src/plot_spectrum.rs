//! `spectrum.svg`: the Hessian's eigenvalues times the lr, with the stable band of plain SGD (and of heavy ball) shaded.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{to_png, to_svg};
use crate::plottable::drawable;

/// Each eigenvalue λ as a mark at `lr λ`; plain gradient descent is stable where every mark lies in
/// (0, 2), heavy ball with momentum β in (0, 2 (1 + β)).
pub fn spectrum_svg(eigenvalues: &[f64], lr: f64, momentum: f64) -> anyhow::Result<String> {
    to_svg((760, 300), |root| {
        draw_spectrum(root, eigenvalues, lr, momentum)
    })
}

/// Draw the picture of [`spectrum_svg`] as PNG bytes.
pub fn spectrum_png(eigenvalues: &[f64], lr: f64, momentum: f64) -> anyhow::Result<Vec<u8>> {
    to_png((760, 300), |root| {
        draw_spectrum(root, eigenvalues, lr, momentum)
    })
}

fn draw_spectrum<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    eigenvalues: &[f64],
    lr: f64,
    momentum: f64,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let scaled: Vec<f64> = eigenvalues
        .iter()
        .map(|l| lr * l)
        .filter(|&v| drawable(v))
        .collect();
    let band = if momentum > 0.0 && momentum < 1.0 {
        2.0 * (1.0 + momentum)
    } else {
        2.0
    };
    let x_max = scaled.iter().copied().fold(band, f64::max) * 1.1;
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "Hessian eigenvalues times the lr ({})",
                crate::format::sci(lr, 3)
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(20)
        .build_cartesian_2d(0f64..x_max, 0f64..1.0)?;
    chart
        .configure_mesh()
        .disable_y_axis()
        .disable_y_mesh()
        .x_desc("lr × eigenvalue")
        .label_style(("sans-serif", 13))
        .draw()?;
    chart
        .draw_series([Rectangle::new(
            [(0.0, 0.0), (2.0, 1.0)],
            GREEN.mix(0.15).filled(),
        )])?
        .label("plain SGD stable: (0, 2)")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], GREEN.mix(0.3).filled()));
    if band > 2.0 {
        chart
            .draw_series([Rectangle::new(
                [(2.0, 0.0), (band, 1.0)],
                BLUE.mix(0.1).filled(),
            )])?
            .label(format!(
                "heavy ball (momentum {momentum}) stable up to {band:.2}"
            ))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(0.2).filled()));
    }
    chart
        .draw_series(
            scaled
                .iter()
                .map(|&v| PathElement::new(vec![(v, 0.2), (v, 0.8)], BLACK.stroke_width(2))),
        )?
        .label("an eigenvalue")
        .legend(|(x, y)| {
            PathElement::new(vec![(x + 8, y - 6), (x + 8, y + 6)], BLACK.stroke_width(2))
        });
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
