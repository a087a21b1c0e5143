//! `metrics_every` thins metrics.csv and keeps the last row; 0 is a config error.

use std::path::{Path, PathBuf};

use descent_runner::{Config, Registry, RunOptions, run_file};

fn diag4() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml")
}

#[test]
fn metrics_every_thins_metrics_csv_and_keeps_the_last_row() {
    let out = std::env::temp_dir().join(format!("descent-lean-{}", std::process::id()));
    let options = RunOptions {
        sets: vec!["metrics_every=7".into(), "iterations=30".into()],
        out: Some(out.clone()),
        quiet: true,
        ..RunOptions::default()
    };
    run_file(&diag4(), &options, &Registry::default()).expect("run");
    let mut reader = csv::Reader::from_path(out.join("metrics.csv")).expect("metrics.csv");
    let kept: Vec<usize> = reader
        .records()
        .map(|r| r.expect("row")[0].parse().expect("iteration"))
        .collect();
    assert_eq!(kept, [0, 7, 14, 21, 28, 29]);
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn metrics_every_zero_is_a_config_error_at_its_key() {
    let Err(e) = Config::load(&diag4(), &["metrics_every=0".into()], &Registry::default()) else {
        panic!("metrics_every = 0 was accepted");
    };
    assert_eq!(e.key, "metrics_every", "{e}");
}
