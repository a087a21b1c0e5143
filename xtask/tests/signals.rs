//! Signals at random moments of a long run: SIGINT, SIGTERM and SIGHUP each stop it cleanly, with
//! the exit status of the signal and files that parse and agree with each other.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{Random, root};

/// Start a long run, wait until its directory is claimed, wait `delay`, send `signal`; check
/// the exit status, the stop reason and that metrics.csv has one row per iteration summary.json
/// counts.
fn stop_with(signal: &str, status: i32, reason: &str, delay: Duration, tag: usize) {
    let out = std::env::temp_dir().join(format!(
        "descent-signal-{signal}-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&out);
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "run",
            "configs/diag4.toml",
            "--quiet",
            "--set",
            "iterations=1000000000",
            "--out",
            out.to_str().expect("utf-8"),
        ])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while !out.join("config.toml").is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(delay);
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let waited = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        if waited.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{signal} after {delay:?}: still running a minute later");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(code, Some(status), "{signal} after {delay:?}");
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json"),
    )
    .expect("summary.json parses");
    assert_eq!(summary["stop_reason"], reason, "{signal} after {delay:?}");
    let done = summary["iterations"].as_u64().expect("iterations") as usize;
    let mut reader = csv::Reader::from_path(out.join("metrics.csv")).expect("metrics.csv");
    let rows: Vec<(usize, f64, f64, f64)> = reader
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("metrics.csv parses");
    assert_eq!(rows.len(), done, "{signal} after {delay:?}");
    assert!(rows.iter().enumerate().all(|(i, r)| r.0 == i));
    for file in ["config.toml", "result.npy", "report.html", "loss.svg"] {
        assert!(out.join(file).is_file(), "{file} after {signal}");
    }
    // No temporary file is left behind.
    for entry in std::fs::read_dir(&out).expect("dir") {
        let name = entry.expect("entry").file_name();
        assert!(!name.to_string_lossy().ends_with(".tmp"), "{name:?} left");
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn sigint_sigterm_and_sighup_at_random_moments_stop_runs_with_complete_files() {
    let mut random = Random(13);
    for (signal, status, reason) in [
        ("INT", 130, "interrupted"),
        ("TERM", 143, "terminated"),
        ("HUP", 129, "terminated"),
    ] {
        for tag in 0..10 {
            let delay = Duration::from_millis(random.next() % 400);
            stop_with(signal, status, reason, delay, tag);
        }
    }
}
