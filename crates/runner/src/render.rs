//! Writing a run's pictures and `report.html` into its directory, drawn by `descent-report`; shared by the live run and `cargo xtask report`.

use std::path::Path;

use descent_report::{RenderInput, pictures, report_html};

use crate::files::write_atomic;

/// Write every picture (SVG, and PNG too when `png`) and `report.html` into `dir`; returns the
/// file names written.
pub fn render(dir: &Path, input: &RenderInput, png: bool) -> anyhow::Result<Vec<String>> {
    let pictures = pictures(input)?;
    let mut files = Vec::new();
    for p in &pictures {
        write_atomic(&dir.join(&p.file), |tmp| Ok(std::fs::write(tmp, &p.svg)?))?;
        files.push(p.file.clone());
        if png {
            let name = p.file.replace(".svg", ".png");
            let bytes = p.figure.png()?;
            write_atomic(&dir.join(&name), |tmp| Ok(std::fs::write(tmp, &bytes)?))?;
            files.push(name);
        }
    }
    let html = report_html(input, &pictures);
    write_atomic(&dir.join("report.html"), |tmp| {
        Ok(std::fs::write(tmp, &html)?)
    })?;
    files.push("report.html".into());
    Ok(files)
}
