//! A run's pictures from its data (`RenderInput`): which pictures a run gets, with their captions, as SVG and PNG.

use descent_tensor::Matrix;
use serde::{Deserialize, Serialize};

use crate::plot_heatmap::{heatmap_png, heatmap_svg, side_by_side_png, side_by_side_svg};
use crate::plot_loss::{LossPoint, loss_png, loss_svg_with};
use crate::plot_modes::{modes_png, modes_svg};
use crate::plot_singular::{singular_png, singular_svg};
use crate::plot_spectrum::{spectrum_png, spectrum_svg};
use crate::plot_system::{system_png, system_svg};

/// A checkpoint as stored in `checkpoints.json`: the difference prediction - target at an iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointData {
    /// The iteration.
    pub iteration: usize,
    /// The loss there (JSON writes NaN and infinities as null, read back as NaN).
    #[serde(deserialize_with = "null_is_nan")]
    pub loss: f64,
    /// How the difference is written (`X @ A - I`).
    pub label: String,
    /// Rows of the difference.
    pub rows: usize,
    /// Columns of the difference.
    pub cols: usize,
    /// The difference, row-major (non-finite entries, null in JSON, read back as NaN).
    #[serde(deserialize_with = "nulls_are_nan")]
    pub data: Vec<f64>,
    /// The shape of the whole difference when `data` holds only its heatmap's blocks (a
    /// matrix larger than 64 a side: each block's entry of largest magnitude), so that the
    /// file stays small; `None` when `data` is the difference itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks_of: Option<[usize; 2]>,
    /// The relative error of the iterate against the exact answer; `None` in runs written
    /// before it was recorded (and where it could not be computed).
    #[serde(default)]
    pub rel_error: Option<f64>,
}

impl CheckpointData {
    /// A checkpoint of `difference`, kept whole up to 64 a side, else as its heatmap's blocks.
    pub fn new(
        iteration: usize,
        loss: f64,
        label: String,
        difference: &Matrix,
        rel_error: f64,
    ) -> Self {
        let shown = crate::plot_heatmap::blocks(difference);
        let blocks_of =
            (shown.shape() != difference.shape()).then(|| [difference.rows(), difference.cols()]);
        Self {
            iteration,
            loss,
            label,
            rows: shown.rows(),
            cols: shown.cols(),
            data: shown.data().to_vec(),
            blocks_of,
            rel_error: rel_error.is_finite().then_some(rel_error),
        }
    }
}

/// A number that JSON may hold as null (serde_json writes NaN and infinities so): NaN.
fn null_is_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Numbers that JSON may hold as null: NaN for each.
fn nulls_are_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

/// Everything the pictures and the report are drawn from.
#[derive(Debug, Clone)]
pub struct RenderInput {
    /// The run's name.
    pub name: String,
    /// One line describing the run.
    pub headline: String,
    /// The problem's kind.
    pub problem: String,
    /// The resolved config, as written to `config.toml`.
    pub config_text: String,
    /// `summary.json` as a JSON value.
    pub summary: serde_json::Value,
    /// The loss curve (thinned for long runs).
    pub points: Vec<LossPoint>,
    /// The checkpoints (thinned).
    pub checkpoints: Vec<CheckpointData>,
    /// The problem's inputs (`A`, `b`).
    pub inputs: Vec<(String, Matrix)>,
    /// The exact answer, per parameter.
    pub exact: Vec<(String, Matrix)>,
    /// The final iterate, per parameter, as the errors compare it with the exact answer.
    pub result: Vec<(String, Matrix)>,
    /// How `result` was made comparable, where it was (the SVD's sorting and sign matching).
    pub result_note: Option<String>,
    /// The iterates of a system in two unknowns (thinned), else empty.
    pub path: Vec<[f64; 2]>,
}

/// What a picture draws, with its data: drawn as SVG always, as PNG on request.
#[derive(Debug, Clone)]
pub enum Figure {
    /// The loss curve.
    Loss {
        /// Its points.
        points: Vec<LossPoint>,
        /// The theory's reference curve, `[iteration, loss]` (may be empty).
        reference: Vec<(usize, f64)>,
        /// Its title.
        title: String,
    },
    /// A heatmap of a matrix.
    Heatmap {
        /// The matrix.
        matrix: Matrix,
        /// Its title.
        title: String,
    },
    /// A found parameter beside the exact one, on one colour scale.
    SideBySide {
        /// The found matrix.
        found: Matrix,
        /// The exact one.
        exact: Matrix,
        /// The parameter's name.
        name: String,
    },
    /// A system in two unknowns.
    System {
        /// The m x 2 matrix.
        a: Matrix,
        /// The right-hand side.
        b: Matrix,
        /// The exact solution.
        exact: [f64; 2],
        /// The iterates.
        path: Vec<[f64; 2]>,
    },
    /// The predicted error along a few eigendirections.
    Modes {
        /// The traces.
        modes: Vec<crate::plot_modes::ModeTrace>,
        /// Its title.
        title: String,
    },
    /// The Hessian's eigenvalues times the lr, with the stable bands.
    Spectrum {
        /// The eigenvalues.
        eigenvalues: Vec<f64>,
        /// The run's lr.
        lr: f64,
        /// The run's momentum.
        momentum: f64,
    },
    /// Ridge's spectral filter beside gradient descent stopped early.
    Filters(crate::FilterCurves),
    /// Singular values, found against exact.
    Singular {
        /// The exact ones.
        exact: Vec<f64>,
        /// The found ones.
        found: Vec<f64>,
    },
}

impl Figure {
    /// The figure as an SVG document.
    pub fn svg(&self) -> anyhow::Result<String> {
        match self {
            Figure::Loss {
                points,
                reference,
                title,
            } => loss_svg_with(points, reference, title),
            Figure::Heatmap { matrix, title } => heatmap_svg(matrix, title),
            Figure::SideBySide { found, exact, name } => side_by_side_svg(found, exact, name),
            Figure::System { a, b, exact, path } => system_svg(a, b, *exact, path),
            Figure::Singular { exact, found } => singular_svg(exact, found),
            Figure::Filters(f) => crate::filters_svg(f),
            Figure::Modes { modes, title } => modes_svg(modes, title),
            Figure::Spectrum {
                eigenvalues,
                lr,
                momentum,
            } => spectrum_svg(eigenvalues, *lr, *momentum),
        }
    }

    /// The figure as PNG bytes.
    pub fn png(&self) -> anyhow::Result<Vec<u8>> {
        match self {
            Figure::Loss {
                points,
                reference,
                title,
            } => loss_png(points, reference, title),
            Figure::Heatmap { matrix, title } => heatmap_png(matrix, title),
            Figure::SideBySide { found, exact, name } => side_by_side_png(found, exact, name),
            Figure::System { a, b, exact, path } => system_png(a, b, *exact, path),
            Figure::Singular { exact, found } => singular_png(exact, found),
            Figure::Filters(f) => crate::filters_png(f),
            Figure::Modes { modes, title } => modes_png(modes, title),
            Figure::Spectrum {
                eigenvalues,
                lr,
                momentum,
            } => spectrum_png(eigenvalues, *lr, *momentum),
        }
    }
}

/// A picture: its file name, a caption, what it draws, and its SVG text.
#[derive(Debug, Clone)]
pub struct Picture {
    /// File name in the run directory (`.svg`).
    pub file: String,
    /// What it shows.
    pub caption: String,
    /// What it draws.
    pub figure: Figure,
    /// The SVG document.
    pub svg: String,
}

impl Picture {
    fn new(
        file: impl Into<String>,
        caption: impl Into<String>,
        figure: Figure,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            file: file.into(),
            caption: caption.into(),
            svg: figure.svg()?,
            figure,
        })
    }
}

/// The unknowns and right-hand side of a system in two unknowns with one right-hand side, if this is one.
pub fn two_unknowns(input: &RenderInput) -> Option<(&Matrix, &Matrix)> {
    let get = |name: &str| input.inputs.iter().find(|(n, _)| n == name).map(|(_, m)| m);
    let (a, b) = (get("A")?, get("b")?);
    (input.problem == "linear_system" && a.cols() == 2 && b.cols() == 1).then_some((a, b))
}

/// What a run solves, for titles: the problem and its shape, the optimizer and its lr (the
/// headline without the config's name, which a `--set` may have made wrong).
fn subject(input: &RenderInput) -> String {
    let rest = input
        .headline
        .split_once(": ")
        .map_or(input.headline.as_str(), |(_, r)| r);
    rest.split(", ").take(2).collect::<Vec<_>>().join(", ")
}

/// Draw every picture of the run.
pub fn pictures(input: &RenderInput) -> anyhow::Result<Vec<Picture>> {
    let mut out = Vec::new();
    out.push(Picture::new(
        "loss.svg",
        "The loss at each iteration (log scale), with the learning rate when it changes",
        Figure::Loss {
            points: input.points.clone(),
            reference: input
                .summary
                .get("theory")
                .and_then(|t| t.get("reference"))
                .and_then(|r| serde_json::from_value(r.clone()).ok())
                .unwrap_or_default(),
            title: format!("{}: loss", subject(input)),
        },
    )?);
    for (name, found) in &input.result {
        let Some((_, exact)) = input.exact.iter().find(|(n, _)| n == name) else {
            continue;
        };
        if input.problem == "svd" || found.shape() != exact.shape() {
            continue;
        }
        let (file, factor) = if input.result.len() == 1 {
            ("error.svg".to_string(), "found.svg".to_string())
        } else {
            (format!("error_{name}.svg"), format!("found_{name}.svg"))
        };
        out.push(Picture::new(
            factor,
            format!(
                "The found {name} beside the exact {name} (from faer), on one colour scale{}",
                if input.result_note.is_some() {
                    ", the found one as it is compared"
                } else {
                    ""
                }
            ),
            Figure::SideBySide {
                found: found.clone(),
                exact: exact.clone(),
                name: name.clone(),
            },
        )?);
        out.push(Picture::new(
            file,
            format!("The final error {name} - exact {name} (exact from faer)"),
            Figure::Heatmap {
                matrix: found.sub(exact)?,
                title: format!("final {name} - exact {name}"),
            },
        )?);
    }
    for c in &input.checkpoints {
        let m = Matrix::new(c.rows, c.cols, c.data.clone())?;
        out.push(Picture::new(
            format!("diff_{}.svg", c.iteration),
            format!(
                "{} at t = {} (loss {})",
                c.label,
                c.iteration,
                crate::format::sci(c.loss, 3)
            ),
            Figure::Heatmap {
                title: match c.blocks_of {
                    Some([r, k]) => format!(
                        "{} at t = {} ({r}x{k} shown as {}x{} blocks)",
                        c.label, c.iteration, c.rows, c.cols
                    ),
                    None => format!("{} at t = {}", c.label, c.iteration),
                },
                matrix: m,
            },
        )?);
    }
    if let (Some((a, b)), Some((_, x))) = (two_unknowns(input), input.exact.first()) {
        out.push(Picture::new(
            "linear_system.svg",
            "The two equations as lines, the exact solution, and the path of the iterates",
            Figure::System {
                a: a.clone(),
                b: b.clone(),
                exact: [x.get(0, 0), x.get(1, 0)],
                path: input.path.clone(),
            },
        )?);
    }
    let theory = input.summary.get("theory");
    let number = |key: &str| theory.and_then(|t| t.get(key)).and_then(|v| v.as_f64());
    let modes: Vec<crate::plot_modes::ModeTrace> = theory
        .and_then(|t| t.get("modes"))
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default();
    let lr = number("lr").unwrap_or(f64::NAN);
    if !modes.is_empty() {
        out.push(Picture::new(
            "modes.svg",
            "The predicted error along the slowest and fastest eigendirections of the Hessian (and a \
             few between): each shrinks by its own factor per iteration, and the slowest sets the pace",
            Figure::Modes {
                modes,
                title: format!("{}: error by eigendirection", input.problem),
            },
        )?);
    }
    let eigenvalues: Vec<f64> = theory
        .and_then(|t| t.get("eigenvalues"))
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default();
    if !eigenvalues.is_empty() && lr.is_finite() {
        out.push(Picture::new(
            "spectrum.svg",
            "Where this run sits: every eigenvalue of the Hessian times the lr, against the band where \
             gradient descent is stable",
            Figure::Spectrum {
                eigenvalues,
                lr,
                momentum: number("momentum").unwrap_or(0.0),
            },
        )?);
    }
    let filters: Option<crate::FilterCurves> = theory
        .and_then(|t| t.get("filters"))
        .and_then(|f| serde_json::from_value(f.clone()).ok());
    if let Some(f) = filters {
        out.push(Picture::new(
            "filters.svg",
            "How much of each singular direction's least-squares term the answer keeps: ridge's \
             filter, and that of gradient descent from zero stopped after this run's iterations at \
             its lr, which damps the small singular values as a ridge penalty of 1/(η t) would",
            Figure::Filters(f),
        )?);
    }
    if input.problem == "svd" {
        let s = |v: &[(String, Matrix)]| {
            v.iter()
                .find(|(n, _)| n == "s")
                .map(|(_, m)| m.data().to_vec())
        };
        if let (Some(exact), Some(found)) = (s(&input.exact), s(&input.result)) {
            out.push(Picture::new(
                "singular_values.svg",
                "The singular values found against the exact ones",
                Figure::Singular { exact, found },
            )?);
        }
    }
    Ok(out)
}
