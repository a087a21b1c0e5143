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
    let found = svg_texts(&out.join("found.svg"));
    assert!(found.iter().any(|t| t == "found X") && found.iter().any(|t| t == "exact X"));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("<script") && !html.contains("http://") && !html.contains("https://")
            || html.matches("http://www.w3.org/2000/svg").count() == html.matches("http").count(),
        "self-contained: no scripts, no links but the SVG namespace"
    );
    assert_eq!(
        html.matches("<svg").count(),
        11,
        "loss, modes, spectrum, found beside exact, error, 5 checkpoints and the final difference, inline"
    );
    // modes.svg: the notebook's four directions, the slowest shrinking by 1 - 0.4605 / 8 = 0.942
    // per iteration, the fastest by 1 - 0.4605 * 2 = 0.079.
    let modes = svg_texts(&out.join("modes.svg"));
    for want in [
        "λ = 1.25e-01: shrinks by 0.942 per iteration",
        "λ = 2.00e+00: shrinks by 0.079 per iteration",
    ] {
        assert!(modes.iter().any(|t| t == want), "{want} not in {modes:?}");
    }
    let spectrum = svg_texts(&out.join("spectrum.svg"));
    assert!(
        spectrum.iter().any(|t| t == "plain SGD stable: (0, 2)"),
        "{spectrum:?}"
    );
    assert!(html.contains("stopped by") && html.contains("iterations"));
    // It opens with what happened: the verdict and the rate against the best, from the theory.
    let opening = &html[html.find("<h2>What happened</h2>").expect("what happened")..];
    assert!(
        opening.find("<h2>Summary</h2>") > Some(0)
            && opening.contains("<strong>converging</strong>")
            && opening.contains("the theory predicts 0.9424")
            && opening.contains("the best settings would give 0.8824"),
        "{opening}"
    );
    // The loss curve carries the prediction, dashed.
    assert!(
        svg_texts(&out.join("loss.svg"))
            .iter()
            .any(|t| t == "predicted (theory)")
    );
    assert!(
        html.contains("kind = &quot;sgd&quot;"),
        "the config, escaped"
    );
    std::fs::remove_dir_all(out).ok();
}

/// Every parameter is drawn beside its exact value on one scale: qr's R (3 x 3), found and exact,
/// each cell written, the exact cells those of faer's QR signed with R's diagonal positive.
#[test]
fn each_factor_is_drawn_beside_the_exact_one() {
    let out = run("qr", "qr", &[]);
    for name in ["Q", "R"] {
        let texts = svg_texts(&out.join(format!("found_{name}.svg")));
        assert!(
            texts.iter().any(|t| *t == format!("found {name}"))
                && texts.iter().any(|t| *t == format!("exact {name}")),
            "{texts:?}"
        );
    }
    let a = descent_tensor::Matrix::from_rows(&[
        vec![3.0, 1.0, 0.0],
        vec![1.0, 2.0, 1.0],
        vec![0.0, 1.0, 1.0],
        vec![1.0, 0.0, 2.0],
    ])
    .expect("A");
    let (_, r) = descent_tensor::exact::qr(&a).expect("qr");
    let texts = svg_texts(&out.join("found_R.svg"));
    for v in r.data() {
        // Each value twice: found (converged to 1e-10) and exact.
        let cell = format!("{v:.2}");
        assert!(
            texts.iter().filter(|t| **t == cell).count() >= 2,
            "{cell} in {texts:?}"
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("The found R beside the exact R"));
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
    // The report shows the found s as the errors compare it: sorted by |s| and non-negative,
    // so it reads against the exact [3.98, 2.17, 1.57] (it stood as [-2.17, 3.98, -1.57]).
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    let section = &html[html.find("<h3>s</h3>").expect("s")..];
    let section = &section[..section.find("</table>").expect("table")];
    let rows: Vec<&str> = section
        .split("<pre>")
        .skip(1)
        .map(|p| p.split("</pre>").next().unwrap_or_default())
        .collect();
    assert_eq!(rows.len(), 2, "{section}");
    let numbers = |row: &str| -> Vec<f64> {
        row.trim_matches(['[', ']'])
            .split(',')
            .map(|v| v.trim().parse().expect("number"))
            .collect()
    };
    let (found, exact) = (numbers(rows[0]), numbers(rows[1]));
    assert!(found.iter().all(|v| *v >= 0.0), "{found:?}");
    assert!(found.windows(2).all(|w| w[0] >= w[1]), "{found:?}");
    assert!(exact.windows(2).all(|w| w[0] >= w[1]), "{exact:?}");
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn a_ridge_run_draws_its_filter_beside_early_stoppings_and_other_runs_do_not() {
    let out = run("ridge", "ridge", &["iterations=200"]);
    let texts = svg_texts(&out.join("filters.svg"));
    assert!(
        texts
            .iter()
            .any(|s| s.starts_with("ridge: σ² / (σ² + λ), λ = 1.000e-01")),
        "{texts:?}"
    );
    // η = 2 lr / 12 = 8.333e-02 and t = 200: like ridge at 1 / (η t) = 6.000e-02.
    assert!(texts.iter().any(|s| s.contains("t = 200")), "{texts:?}");
    assert!(texts.iter().any(|s| s.contains("6.000e-02")), "{texts:?}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("filters.svg"));
    std::fs::remove_dir_all(out).ok();
    let out = run("linear2", "no-filters", &["iterations=5"]);
    assert!(!out.join("filters.svg").exists());
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

/// Run `f` on a thread and fail (instead of hanging the suite) if it takes longer than a minute.
fn within_a_minute<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    receive
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what}: still drawing after a minute (a hang)"))
}

#[test]
fn pictures_never_hang_on_infinite_nan_or_astronomical_values() {
    use descent_runner::{LossPoint, heatmap_svg, loss_svg, singular_svg, system_svg};
    use descent_tensor::Matrix;
    let extremes = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MAX,
        -f64::MAX,
        1e300,
        1e-320,
        0.0,
    ];
    for &bad in &extremes {
        // The lr column reaching a bad value (a logspace schedule to 1e400), then the loss.
        let points: Vec<LossPoint> = (0..50)
            .map(|t| LossPoint {
                iteration: t,
                loss: if t > 40 { bad } else { 1.0 / (t + 1) as f64 },
                lr: if t > 30 { bad } else { 10f64.powi(t as i32) },
                predicted: Some(bad),
            })
            .collect();
        let svg = within_a_minute("loss.svg", move || loss_svg(&points, "t").unwrap());
        roxmltree::Document::parse(&svg).expect("loss.svg parses");
        let m = Matrix::new(2, 2, vec![bad, 1.0, -1.0, 0.5]).unwrap();
        let svg = within_a_minute("heatmap", move || heatmap_svg(&m, "t").unwrap());
        roxmltree::Document::parse(&svg).expect("heatmap parses");
        let svg = within_a_minute("singular values", move || {
            singular_svg(&[bad, 1.0], &[2.0, bad]).unwrap()
        });
        roxmltree::Document::parse(&svg).expect("singular values parse");
        let a = Matrix::new(2, 2, vec![2.0, 1.0, 1.0, 3.0]).unwrap();
        let b = Matrix::new(2, 1, vec![5.0, 4.0]).unwrap();
        let svg = within_a_minute("linear system", move || {
            system_svg(&a, &b, [bad, 0.6], &[[0.0, 0.0], [bad, 1.0], [2.2, bad]]).unwrap()
        });
        roxmltree::Document::parse(&svg).expect("linear system parses");
    }
    // The note says what was left out.
    let points: Vec<LossPoint> = (0..10)
        .map(|t| LossPoint {
            iteration: t,
            loss: 1.0,
            lr: if t > 5 { f64::INFINITY } else { 1.0 + t as f64 },
            predicted: None,
        })
        .collect();
    let svg = loss_svg(&points, "t").unwrap();
    assert!(svg.contains("4 lr values left out"), "{svg}");
}

#[test]
fn a_run_whose_lr_reaches_infinity_finishes_with_every_file() {
    // The case: from the exact answer (a zero gradient) the lr of a logspace schedule to
    // 10^400 overflows to infinity; drawing loss.svg used to loop forever.
    let out = within_a_minute("the run", || {
        run(
            "diag4",
            "lr-infinity",
            &[
                "dtype=f64",
                "problem.matrix={ diag = [1.0, 2.0, 4.0, 8.0] }",
                "init.kind=from",
                "init.from={ diag = [1.0, 0.5, 0.25, 0.125] }",
                "schedule.kind=logspace",
                "schedule.start=-3",
                "schedule.stop=400",
            ],
        )
    });
    for file in ["metrics.csv", "summary.json", "loss.svg", "report.html"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(metrics.lines().any(|l| l.split(',').nth(1) == Some("inf")));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn the_indicator_report_prints_pinv_and_its_heatmap_cells_are_square() {
    let out = run("indicator", "indicator-square", &[]);
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    // pinv(B) is 3 x 17 = 51 entries: printed, not "too large to print".
    assert!(
        !html.contains("3x17 (too large to print"),
        "pinv(B) not printed"
    );
    let text = std::fs::read_to_string(out.join("error.svg")).expect("error.svg");
    let doc = roxmltree::Document::parse(&text).expect("parses");
    // The cells: filled rectangles; for a 3 x 17 matrix each is as wide as it is tall.
    let cells: Vec<(f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter_map(|n| {
            let w: f64 = n.attribute("width")?.parse().ok()?;
            let h: f64 = n.attribute("height")?.parse().ok()?;
            Some((w, h))
        })
        .filter(|&(w, h)| w > 5.0 && h > 5.0 && w < 200.0 && h < 200.0)
        .collect();
    assert!(cells.len() >= 51, "{}", cells.len());
    let square = cells.iter().filter(|(w, h)| (w - h).abs() <= 1.0).count();
    assert!(square >= 51, "{square} square cells of {}", cells.len());
    std::fs::remove_dir_all(out).ok();
}

/// A 300 x 300 inverse with a checkpoint every iteration: the differences are kept as their
/// heatmaps' 30 x 30 blocks (each the entry of largest magnitude), so checkpoints.json and the
/// pictures stay small, the titles say so, and `report` redraws the same pictures from them.
#[test]
fn large_differences_are_kept_as_their_heatmaps_blocks() {
    let out = run(
        "diag4",
        "blocks",
        &[
            "problem.matrix={ spd = 300, cond = 2.0 }",
            "iterations=20",
            "log_every=1",
            "optimizer.lr=0.5",
        ],
    );
    let text = std::fs::read_to_string(out.join("checkpoints.json")).expect("checkpoints.json");
    let checkpoints: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json");
    assert!(checkpoints.len() >= 2);
    for c in &checkpoints {
        assert_eq!(c["rows"], 30, "{c}");
        assert_eq!(c["cols"], 30);
        assert_eq!(c["blocks_of"], serde_json::json!([300, 300]));
    }
    let others: u64 = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry"))
        .filter(|e| e.file_name() != "result.npy")
        .map(|e| e.metadata().expect("metadata").len())
        .sum();
    assert!(others < 5_000_000, "{others} bytes besides result.npy");
    let diff = out.join("diff_0.svg");
    let titles = svg_texts(&diff).join(" ");
    assert!(titles.contains("300x300 shown as 30x30 blocks"), "{titles}");
    let before = std::fs::read_to_string(&diff).expect("diff_0.svg");
    descent_runner::rerender(&out, &Registry::default(), false).expect("report");
    assert_eq!(std::fs::read_to_string(&diff).expect("diff_0.svg"), before);
    std::fs::remove_dir_all(out).ok();
}
