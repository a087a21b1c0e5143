//! Sweeps: the grid's cartesian product runs, a diverging run is recorded while the others finish, seeds aggregate.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use descent_lab::{Shard, SweepRow, SweepSpec, merge_sweep, read_rows, run_sweep};
use descent_runner::{Registry, RunOptions};

fn diag4() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml")
}

fn out(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-sweep-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn six_runs_with_one_diverging_write_six_rows_and_the_pictures() {
    let spec = SweepSpec {
        axes: vec![
            SweepSpec::parse_axis(r#"optimizer.kind=["sgd","adam"]"#).expect("axis"),
            SweepSpec::parse_axis("optimizer.lr=[0.01,0.1,1.5]").expect("axis"),
        ],
        seeds: 1,
        jobs: Some(2),
        shard: None,
    };
    let dir = out("six");
    let options = RunOptions {
        out: Some(dir.clone()),
        ..RunOptions::default()
    };
    let seen = Mutex::new(0);
    let progress = |_: &SweepRow, total: usize| {
        assert_eq!(total, 6);
        *seen.lock().expect("lock") += 1;
    };
    let outcome = run_sweep(
        &diag4(),
        &spec,
        &[],
        &options,
        &Registry::default(),
        &progress,
    )
    .expect("sweep");
    assert_eq!(*seen.lock().expect("lock"), 6);
    let mut reader = csv::Reader::from_path(dir.join("sweep.csv")).expect("sweep.csv");
    let header = reader.headers().expect("header").clone();
    assert_eq!(&header[1], "optimizer.kind");
    assert_eq!(&header[2], "optimizer.lr");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 6);
    let reason = header
        .iter()
        .position(|h| h == "stop_reason")
        .expect("column");
    // Plain SGD on diag4 is stable only for lr < 1 (2/L): lr = 1.5 diverges; Adam's steps are
    // bounded by lr and do not.
    for r in &rows {
        let diverged = &r[1] == "sgd" && &r[2] == "1.5";
        assert_eq!(&r[reason] == "diverged", diverged, "{r:?}");
    }
    assert_eq!(outcome.rows.len(), 6);
    for r in &outcome.rows {
        assert!(dir.join(&r.dir).join("report.html").is_file(), "{}", r.dir);
    }
    let svg = std::fs::read_to_string(dir.join("sweep.svg")).expect("sweep.svg");
    roxmltree::Document::parse(&svg).expect("sweep.svg parses");
    assert!(
        svg.contains("optimizer.kind=adam; optimizer.lr=0.1"),
        "labelled curves"
    );
    let html = std::fs::read_to_string(dir.join("sweep.html")).expect("sweep.html");
    assert_eq!(html.matches("/report.html").count(), 6);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn seeds_repeat_each_point_and_report_mean_and_spread() {
    let spec = SweepSpec {
        axes: vec![SweepSpec::parse_axis("optimizer.lr=[0.1,0.2]").expect("axis")],
        seeds: 3,
        jobs: None,
        shard: None,
    };
    let dir = out("seeds");
    let options = RunOptions {
        out: Some(dir.clone()),
        ..RunOptions::default()
    };
    let outcome = run_sweep(
        &diag4(),
        &spec,
        &["iterations=20".into()],
        &options,
        &Registry::default(),
        &|_, _| {},
    )
    .expect("sweep");
    let seeds: Vec<i64> = outcome.rows.iter().map(|r| r.seed).collect();
    assert_eq!(seeds, [314, 315, 316, 314, 315, 316]);
    let mut reader = csv::Reader::from_path(dir.join("sweep_points.csv")).expect("points");
    let points: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(points.len(), 2);
    let losses: Vec<f64> = outcome.rows[..3].iter().map(|r| r.final_loss).collect();
    let mean = losses.iter().sum::<f64>() / 3.0;
    let got: f64 = points[0][3].parse().expect("mean");
    assert!((got - mean).abs() <= 1e-12 * mean, "{got} vs {mean}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_points_are_recorded_with_their_message_and_the_others_run() {
    // An invalid lr, an unknown optimizer and a singular matrix among good points.
    let spec = SweepSpec {
        axes: vec![
            SweepSpec::parse_axis(r#"optimizer.kind=["sgd","nosuch"]"#).expect("axis"),
            SweepSpec::parse_axis(
                "problem.matrix=[{ diag = [1.0, 2.0] }, { rows = [[1.0, 2.0], [2.0, 4.0]] }]",
            )
            .expect("axis"),
            SweepSpec::parse_axis("optimizer.lr=[0.1,-1.0]").expect("axis"),
        ],
        seeds: 1,
        jobs: Some(2),
        shard: None,
    };
    let dir = out("bad");
    let options = RunOptions {
        out: Some(dir.clone()),
        ..RunOptions::default()
    };
    let outcome = run_sweep(
        &diag4(),
        &spec,
        &["init.kind=zeros".into()],
        &options,
        &Registry::default(),
        &|_, _| {},
    )
    .expect("the sweep runs the good points");
    assert_eq!(outcome.rows.len(), 8);
    let ran: Vec<&SweepRow> = outcome
        .rows
        .iter()
        .filter(|r| r.stop_reason != "failed")
        .collect();
    assert_eq!(ran.len(), 1, "only sgd on diag(1, 2) at lr 0.1 is good");
    assert!(ran[0].point.contains("sgd") && ran[0].point.contains("0.1"));
    for r in outcome.rows.iter().filter(|r| r.stop_reason == "failed") {
        assert!(
            r.message.contains("unknown kind `nosuch`")
                || r.message.contains("singular")
                || r.message.contains("optimizer.lr"),
            "{}: {}",
            r.point,
            r.message
        );
        assert!(r.dir.is_empty());
    }
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).expect("sweep.csv");
    assert_eq!(csv.lines().count(), 9, "a header and a row per point");
    assert!(csv.contains("unknown kind"), "{csv}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_sweep_table_in_the_config_gives_the_grid() {
    let text = "iterations = 5\n[sweep]\nseeds = 2\njobs = 1\ngrid = { \"optimizer.lr\" = [0.1, 0.2], \"optimizer.kind\" = [\"sgd\"] }\n";
    let spec = SweepSpec::from_config_text(Path::new("s.toml"), text).expect("spec");
    assert_eq!(spec.seeds, 2);
    assert_eq!(spec.jobs, Some(1));
    assert_eq!(spec.points().len(), 2);
    let e = SweepSpec::from_config_text(Path::new("s.toml"), "[sweep]\ngird = {}\n")
        .expect_err("unknown key");
    assert!(e.to_string().contains("sweep.gird"), "{e}");
}

#[test]
fn a_sweep_whose_runs_together_exceed_max_memory_is_refused_before_building_any() {
    // Each run of a 200 x 200 inverse fits in 10 MiB; two of them, built before the first
    // starts, do not.
    let spec = SweepSpec {
        axes: Vec::new(),
        seeds: 2,
        jobs: None,
        shard: None,
    };
    let dir = out("memory");
    let options = RunOptions {
        out: Some(dir.clone()),
        ..RunOptions::default()
    };
    let sets = [
        "problem.matrix={ spd = 200 }".to_string(),
        "max_memory=\"10 MiB\"".to_string(),
    ];
    let e = run_sweep(
        &diag4(),
        &spec,
        &sets,
        &options,
        &Registry::default(),
        &|_, _| {},
    )
    .expect_err("too large together");
    let message = format!("{e:#}");
    assert!(
        message.contains("`max_memory`") && message.contains("2 runs need"),
        "{message}"
    );
    assert!(!dir.exists(), "nothing was created");
    // One run alone fits.
    let one = SweepSpec { seeds: 1, ..spec };
    let grid = SweepSpec {
        axes: vec![SweepSpec::parse_axis("iterations=[2]").expect("axis")],
        ..one
    };
    let outcome = run_sweep(
        &diag4(),
        &grid,
        &sets,
        &options,
        &Registry::default(),
        &|_, _| {},
    )
    .expect("one run fits");
    assert_eq!(outcome.rows[0].stop_reason, "iterations");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_climbing_run_is_diverging_and_the_pictures_tell_the_truth() {
    // The issue's case: plain SGD on diag4 at lr 1.05, past 2/L = 1, climbs to a loss of about
    // 1e8 in 100 iterations without overflowing; it must not count as finished. A failing point
    // (a negative lr) is recorded too, and the others finish.
    let spec = SweepSpec {
        axes: vec![SweepSpec::parse_axis("optimizer.lr=[0.3,0.6,1.05,-1.0]").expect("axis")],
        seeds: 2,
        jobs: Some(2),
        shard: None,
    };
    let dir = out("climb");
    let options = RunOptions {
        out: Some(dir.clone()),
        png: true,
        ..RunOptions::default()
    };
    let outcome = run_sweep(
        &diag4(),
        &spec,
        &[],
        &options,
        &Registry::default(),
        &|_, _| {},
    )
    .expect("sweep");
    for r in &outcome.rows {
        let expected = match r.values[0].as_str() {
            "1.05" => "diverging",
            "-1.0" => "failed",
            _ => "iterations",
        };
        assert_eq!(r.stop_reason, expected, "{}: {}", r.point, r.message);
        assert_eq!(r.finished(), expected == "iterations");
    }
    let climbing = outcome
        .rows
        .iter()
        .find(|r| r.values[0] == "1.05")
        .expect("row");
    assert!(climbing.final_loss > 1e6 && climbing.final_loss.is_finite());
    assert!(
        climbing.message.contains("above the starting loss"),
        "{}",
        climbing.message
    );
    // One colour per grid point: the seeds of a point share it.
    let svg = std::fs::read_to_string(dir.join("sweep.svg")).expect("sweep.svg");
    let doc = roxmltree::Document::parse(&svg).expect("sweep.svg parses");
    let mut strokes: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
        .filter_map(|n| n.attribute("stroke"))
        .collect();
    let lines = strokes.len();
    strokes.sort_unstable();
    strokes.dedup();
    assert_eq!(lines, 6, "two seeds of three points that ran");
    assert_eq!(strokes.len(), 3, "{strokes:?}");
    // The legend is beside the plot, not on it: every label starts right of the plot's area.
    let label = doc
        .descendants()
        .find(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some("optimizer.lr=0.6"))
        .expect("a legend label");
    let x: f64 = label.attribute("x").expect("x").parse().expect("number");
    assert!(x >= 720.0, "legend label at x = {x}");
    // The final loss against the lr: 2/L marked, and PNGs with --png.
    let axis = std::fs::read_to_string(dir.join("sweep_optimizer.lr.svg")).expect("axis svg");
    roxmltree::Document::parse(&axis).expect("axis svg parses");
    assert!(axis.contains("2/L"), "the stable limit is marked");
    for png in ["sweep.png", "sweep_optimizer.lr.png"] {
        let bytes = std::fs::read(dir.join(png)).expect(png);
        assert!(bytes.starts_with(b"\x89PNG"), "{png}");
    }
    let html = std::fs::read_to_string(dir.join("sweep.html")).expect("sweep.html");
    assert!(html.contains("Final loss against optimizer.lr"));
    assert!(html.contains(">diverging<"));
    // diag4 draws nothing for its problem: the six runs of every seed and rate ran as lanes of
    // two loops (8 points over 2 jobs: 4 lanes a loop), and each run's files are those of the
    // same config run alone.
    assert_eq!(outcome.loops, 2);
    for r in outcome.rows.iter().filter(|r| !r.dir.is_empty()) {
        let alone = dir.join(format!("alone-{}", r.run));
        let options = RunOptions {
            sets: vec![
                format!("optimizer.lr={}", r.values[0]),
                format!("seed={}", r.seed),
            ],
            out: Some(alone.clone()),
            quiet: true,
            ..RunOptions::default()
        };
        descent_runner::run_file(&diag4(), &options, &Registry::default()).expect("alone");
        for f in ["metrics.csv", "result.npy", "checkpoints.json"] {
            let lane = std::fs::read(dir.join(&r.dir).join(f)).expect(f);
            assert!(
                lane == std::fs::read(alone.join(f)).expect(f),
                "{f} of {}",
                r.dir
            );
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sweep_shards_merged_equal_the_unsharded_sweep() {
    let spec = |shard| SweepSpec {
        axes: vec![SweepSpec::parse_axis("optimizer.lr=[0.1,0.3,0.6,1.05,-1.0]").expect("axis")],
        seeds: 2,
        jobs: Some(2),
        shard,
    };
    let base = out("shards");
    let run = |shard, dir: PathBuf| {
        let options = RunOptions {
            out: Some(dir),
            ..RunOptions::default()
        };
        run_sweep(
            &diag4(),
            &spec(shard),
            &["iterations=40".into()],
            &options,
            &Registry::default(),
            &|_, _| {},
        )
        .expect("sweep")
    };
    let whole = run(None, base.join("whole"));
    let mut dirs = Vec::new();
    for index in 1..=3 {
        let dir = base.join(format!("s{index}"));
        let part = run(Some(Shard { index, count: 3 }), dir.clone());
        assert!(part.rows.iter().all(|r| (r.run - 1) % 3 == index - 1));
        dirs.push(dir);
    }
    let e = merge_sweep(&dirs[1..], &base.join("m"), false).expect_err("a shard missing");
    assert!(e.to_string().contains("1/3 missing"), "{e}");
    let merged = merge_sweep(&dirs, &base.join("merged"), false).expect("merge");
    let key = |rows: &[SweepRow]| -> Vec<(usize, String, i64, u64, String, String)> {
        rows.iter()
            .map(|r| {
                (
                    r.run,
                    r.point.clone(),
                    r.seed,
                    r.final_loss.to_bits(),
                    r.stop_reason.clone(),
                    r.dir.clone(),
                )
            })
            .collect()
    };
    assert_eq!(key(&merged), key(&whole.rows));
    let back = read_rows(&base.join("merged/sweep.csv"), &["optimizer.lr"]).expect("read");
    assert_eq!(key(&back), key(&whole.rows));
    let points = |d: &str| std::fs::read_to_string(base.join(d).join("sweep_points.csv")).expect(d);
    assert_eq!(points("merged"), points("whole"));
    assert!(
        base.join("merged/run-001/metrics.csv").is_file(),
        "runs copied"
    );
    std::fs::remove_dir_all(base).ok();
}
