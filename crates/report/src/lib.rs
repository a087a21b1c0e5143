//! Pictures and pages from a run's data: the loss, heatmaps, modes, spectrum, systems, singular values, sweeps and `report.html`.
//!
//! Everything here turns data into SVG text, PNG bytes or HTML text; nothing prints or touches a
//! file (the runner writes what this crate draws). Every picture builds its axes only from values
//! an axis can hold ([`plottable`]), and text uses a bundled font ([`figure`]).
#![deny(missing_docs)]

pub mod figure;
mod format;
mod plot_filters;
mod plot_heatmap;
mod plot_loss;
mod plot_modes;
mod plot_singular;
mod plot_spectrum;
mod plot_system;
pub mod plottable;
mod profile_plot;
mod render;
mod report;
mod sensitivity_plot;
mod sweep_plot;

pub use format::{decimals_for, format_matrix, sci};
pub use plot_filters::{FilterCurves, filters_png, filters_svg};
pub use plot_heatmap::{blocks, heatmap_png, heatmap_svg};
pub use plot_loss::{LossPoint, loss_png, loss_svg, loss_svg_with};
pub use plot_modes::{ModeTrace, modes_png, modes_svg};
pub use plot_singular::{singular_png, singular_svg};
pub use plot_spectrum::{spectrum_png, spectrum_svg};
pub use plot_system::{system_png, system_svg};
pub use profile_plot::{ProfileKind, ProfilePicture, StepSeries, profile_png, profile_svg};
pub use render::{CheckpointData, Figure, Picture, RenderInput, pictures, two_unknowns};
pub use report::{STYLE, escape, report_html};
pub use sensitivity_plot::{
    Panel, SensitivityPicture, SensitivityPoint, sensitivity_png, sensitivity_svg,
};
pub use sweep_plot::{
    AxisPicture, AxisPoint, Curves, PALETTE, SweepCurve, curves_png, curves_svg, group_colour,
    sweep_axis_png, sweep_axis_svg, sweep_png, sweep_svg,
};
