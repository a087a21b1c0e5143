//! Pictures and the report: every run writes them, the SVGs parse, and they show what they claim.

use std::path::{Path, PathBuf};

use descent_runner::{Registry, RunOptions, run_file};

fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../configs/{name}.toml"))
}

fn run(name: &str, tag: &str, sets: &[&str]) -> PathBuf {
    run_with(name, tag, sets, false)
}

fn run_with(name: &str, tag: &str, sets: &[&str], png: bool) -> PathBuf {
    let out = std::env::temp_dir().join(format!("descent-pictures-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let options = RunOptions {
        sets: sets.iter().map(|s| s.to_string()).collect(),
        out: Some(out.clone()),
        quiet: true,
        png,
        ..RunOptions::default()
    };
    run_file(&config(name), &options, &Registry::default()).expect("run");
    out
}

/// Parse an SVG file and return its document's text nodes.
fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    assert_eq!(
        doc.root_element().tag_name().name(),
        "svg",
        "{}",
        path.display()
    );
    doc.descendants()
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn diag4_writes_the_loss_curve_the_difference_heatmaps_the_error_and_the_report() {
    let out = run("diag4", "diag4", &[]);
    // log_every = 20 over 100 iterations: checkpoints at 0, 20, 40, 60, 80.
    for t in [0, 20, 40, 60, 80] {
        let texts = svg_texts(&out.join(format!("diff_{t}.svg")));
        assert!(
            texts.iter().any(|s| s.contains(&format!("t = {t}"))),
            "{texts:?}"
        );
    }
    // The heatmap writes the notebook's values in its cells: Diff at t = 0 has -0.28 at (0, 0).
    let texts = svg_texts(&out.join("diff_0.svg"));
    assert!(texts.iter().any(|s| s == "-0.28"), "{texts:?}");
    let loss = svg_texts(&out.join("loss.svg"));
    assert!(loss.iter().any(|s| s.contains("loss (log scale)")));
    assert!(
        !loss.iter().any(|s| s.contains("learning rate")),
        "constant lr: no lr axis"
    );
    svg_texts(&out.join("error.svg"));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("<script") && !html.contains("http://") && !html.contains("https://")
            || html.matches("http://www.w3.org/2000/svg").count() == html.matches("http").count(),
        "self-contained: no scripts, no links but the SVG namespace"
    );
    assert_eq!(
        html.matches("<svg").count(),
        7,
        "loss, error and 5 checkpoints, inline"
    );
    assert!(html.contains("stopped by") && html.contains("iterations"));
    assert!(
        html.contains("kind = &quot;sgd&quot;"),
        "the config, escaped"
    );
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn a_changing_lr_gets_its_own_axis() {
    let out = run(
        "diag4",
        "lr-axis",
        &["schedule.kind=exponential", "schedule.gamma=0.97"],
    );
    let loss = svg_texts(&out.join("loss.svg"));
    assert!(loss.iter().any(|s| s.contains("learning rate")), "{loss:?}");
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn a_system_in_two_unknowns_draws_its_lines_solution_and_path() {
    let out = run("linear2", "linear2", &[]);
    let texts = svg_texts(&out.join("linear_system.svg"));
    assert!(
        texts
            .iter()
            .any(|s| s.starts_with("exact solution (2.2000, 0.6000)")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|s| s.contains("iterates")));
    let mut reader = csv::Reader::from_path(out.join("path.csv")).expect("path.csv");
    let path: Vec<(f64, f64)> = reader.deserialize().map(|r| r.expect("row")).collect();
    assert_eq!(path.first(), Some(&(0.0, 0.0)), "starts at the zeros init");
    let last = path.last().expect("points");
    assert!(
        (last.0 - 2.2).abs() < 1e-3 && (last.1 - 0.6).abs() < 1e-3,
        "{last:?}"
    );
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn an_svd_run_plots_found_against_exact_singular_values() {
    let out = run("svd", "svd", &["iterations=300"]);
    let texts = svg_texts(&out.join("singular_values.svg"));
    assert!(texts.iter().any(|s| s.contains("exact (faer)")) && texts.iter().any(|s| s == "found"));
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn a_long_run_keeps_at_most_a_dozen_checkpoint_pictures() {
    let out = run("diag4", "long", &["iterations=2000", "log_every=1"]);
    let diffs = std::fs::read_dir(&out)
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("diff_"))
        })
        .count();
    assert!((2..=13).contains(&diffs), "{diffs}");
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn png_copies_are_written_on_request_with_the_bundled_font() {
    let out = run_with("linear2", "png", &[], true);
    for f in ["loss", "error", "diff_0", "linear_system"] {
        let bytes = std::fs::read(out.join(format!("{f}.png"))).expect("png");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{f}.png is a PNG");
        assert!(bytes.len() > 5_000, "{f}.png has {} bytes", bytes.len());
        assert!(
            out.join(format!("{f}.svg")).is_file(),
            "SVG is always written"
        );
    }
    std::fs::remove_dir_all(out).ok();
}
