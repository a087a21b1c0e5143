//! `compare`: finished runs side by side; the table is their summaries, the error curve ends at each run's final error, and a directory that is not a run is refused.

use std::path::{Path, PathBuf};

use descent_lab::{compare, read_runs};
use descent_runner::{Registry, RunOptions, run_file};

fn out(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-compare-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn two_runs_compared_hold_their_summaries_and_curves() {
    let base = out("two");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml");
    let mut dirs = Vec::new();
    let mut summaries = Vec::new();
    for (name, sets) in [
        ("sgd", vec![]),
        (
            "adam",
            vec![
                "optimizer.kind=\"adam\"".to_string(),
                "optimizer.lr=0.1".into(),
            ],
        ),
    ] {
        let options = RunOptions {
            sets,
            out: Some(base.join(name)),
            quiet: true,
            ..RunOptions::default()
        };
        let ran = run_file(&config, &options, &Registry::default()).expect("run");
        summaries.push(ran.summary);
        dirs.push(base.join(name));
    }
    let runs = read_runs(&dirs).expect("read");
    let files = compare(&runs, &base.join("compared"), false).expect("compare");
    for f in [
        "compare.csv",
        "compare_loss.svg",
        "compare_error.svg",
        "compare.html",
    ] {
        assert!(files.iter().any(|w| w == f), "{f}");
        assert!(base.join("compared").join(f).is_file(), "{f}");
    }
    for (r, s) in runs.iter().zip(&summaries) {
        assert_eq!(r.line.optimizer, s.optimizer);
        assert_eq!(r.line.iterations, s.iterations);
        assert_eq!(r.line.rel_error, s.rel_error);
        assert_eq!(r.losses.first().map(|p| p.iteration), Some(0));
        // diag4 logs every 20 iterations and at the end: the error curve ends where the run
        // did, at the summary's error.
        let last = r.errors.last().expect("an error curve");
        assert_eq!(last.iteration, s.iterations);
        assert_eq!(last.loss, s.rel_error);
    }
    let html = std::fs::read_to_string(base.join("compared/compare.html")).expect("html");
    assert!(html.contains("../sgd/report.html") && html.contains("adam"));
    let e = read_runs(&[base.join("nothing")]).expect_err("not a run");
    assert!(format!("{e:#}").contains("not a finished run"), "{e:#}");
    std::fs::remove_dir_all(base).ok();
}
