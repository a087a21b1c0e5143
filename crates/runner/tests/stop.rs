//! Stop rules, divergence and interruption through the runner: each fires, is recorded, and leaves complete files.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use descent_runner::{
    Config, Experiment, Observer, Record, Registry, RunOptions, StopReason, Summary, run_file,
};

const DIAG4: &str = r#"
seed = 314
iterations = 1000
log_every = 0
[problem]
kind = "inverse"
matrix = { diag = [1.0, 2.0, 3.0, 4.0] }
[optimizer]
kind = "sgd"
lr = 0.5
"#;

#[derive(Default)]
struct Records(Vec<Record>);

impl Observer for Records {
    fn record(&mut self, r: &Record) -> anyhow::Result<()> {
        self.0.push(*r);
        Ok(())
    }
}

fn run(sets: &[&str]) -> (Summary, Vec<Record>) {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let config = Config::from_text(Path::new("stop.toml"), DIAG4, &sets, &Registry::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut records = Records::default();
    let summary = Experiment::new(config)
        .unwrap_or_else(|e| panic!("{e}"))
        .run(&mut [&mut records])
        .expect("run");
    (summary, records.0)
}

#[test]
fn loss_below_stops_at_the_first_iterate_under_the_threshold() {
    let (s, r) = run(&["stop.loss_below=1e-4"]);
    assert_eq!(s.stop_reason, StopReason::LossBelow);
    let last = r.last().expect("records");
    assert!(last.loss < 1e-4 && r[r.len() - 2].loss >= 1e-4);
    assert_eq!(
        s.iterations, last.iteration,
        "no update after the stopping iterate"
    );
    assert_eq!(s.final_loss, last.loss);
    assert!(
        s.message
            .as_deref()
            .is_some_and(|m| m.contains("loss_below"))
    );
}

#[test]
fn grad_norm_below_stops_at_the_first_small_gradient() {
    let (s, r) = run(&["stop.grad_norm_below=1e-3"]);
    assert_eq!(s.stop_reason, StopReason::GradNormBelow);
    assert!(r.last().is_some_and(|l| l.grad_norm < 1e-3));
    assert!(r[..r.len() - 1].iter().all(|x| x.grad_norm >= 1e-3));
}

#[test]
fn rel_improvement_below_stops_when_progress_over_the_window_stalls() {
    // Float32 SGD reaches its rounding floor; the loss then stops improving.
    let (s, r) = run(&["stop.rel_improvement_below=1e-3", "stop.window=5"]);
    assert_eq!(s.stop_reason, StopReason::RelImprovementBelow);
    let n = r.len();
    let (old, new) = (r[n - 6].loss, r[n - 1].loss);
    assert!((old - new) / old < 1e-3, "{old} -> {new}");
    assert!(n < 1000);
}

#[test]
fn seconds_stops_a_long_run() {
    let (s, _) = run(&["iterations=1000000000", "stop.seconds=0.2"]);
    assert_eq!(s.stop_reason, StopReason::Seconds);
    assert!(s.wall_seconds >= 0.2 && s.wall_seconds < 30.0);
}

#[test]
fn iterations_is_given_once() {
    let config = Config::from_text(
        Path::new("stop.toml"),
        DIAG4,
        &["stop.iterations=5".into()],
        &Registry::default(),
    );
    let e = config.expect_err("both is an error");
    assert_eq!(e.key, "stop.iterations");
    let only_stop = "seed = 314\nlog_every = 0\n[stop]\niterations = 7\n[problem]\nkind = \"inverse\"\nmatrix = { diag = [1.0, 2.0] }\n[optimizer]\nkind = \"sgd\"\nlr = 0.5\n";
    let c = Config::from_text(Path::new("s.toml"), only_stop, &[], &Registry::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.iterations, 7);
    let e = Config::from_text(
        Path::new("s.toml"),
        DIAG4,
        &["stop.window=0".into()],
        &Registry::default(),
    )
    .expect_err("window 0");
    assert_eq!(e.key, "stop.window");
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-stop-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn an_interrupted_run_writes_a_csv_that_parses_and_matches_the_iterations_done() {
    let dir = temp_dir("interrupt");
    let config = dir.join("config.toml");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        &config,
        DIAG4.replace("iterations = 1000", "iterations = 1000000000"),
    )
    .expect("config");
    let flag = Arc::new(AtomicBool::new(false));
    let setter = flag.clone();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        setter.store(true, Ordering::SeqCst);
    });
    let out = dir.join("run");
    let options = RunOptions {
        out: Some(out.clone()),
        quiet: true,
        interrupt: Some(flag),
        ..RunOptions::default()
    };
    let outcome = run_file(&config, &options, &Registry::default()).expect("run");
    timer.join().expect("timer");
    assert_eq!(outcome.summary.stop_reason, StopReason::Interrupted);
    let mut reader = csv::Reader::from_path(out.join("metrics.csv")).expect("metrics.csv");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), outcome.summary.iterations);
    assert_eq!(
        rows.last().map(|r| r[0].to_string()),
        Some((outcome.summary.iterations - 1).to_string())
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("json"))
            .expect("summary.json parses");
    assert_eq!(summary["stop_reason"], "interrupted");
    assert!(!out.join(".metrics.csv.tmp").exists());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn rel_error_below_stops_at_the_first_iterate_within_the_target_of_the_exact_answer() {
    let (s, r) = run(&["stop.rel_error_below=1e-3"]);
    assert_eq!(s.stop_reason, StopReason::RelErrorBelow);
    assert!(s.rel_error < 1e-3, "{}", s.rel_error);
    assert_eq!(
        r.len(),
        s.iterations + 1,
        "the record of the iterate that met it"
    );
    // The same run one update shorter ends outside the target: the rule fired at the first
    // iterate within it. (The summary's error is faer's exact inverse against the iterate.)
    let shorter = format!("iterations={}", s.iterations - 1);
    let (before, _) = run(&[&shorter]);
    assert!(before.rel_error >= 1e-3, "{}", before.rel_error);
    assert_eq!(s.evaluations, s.iterations, "one evaluation per sgd update");
    assert!(
        s.message
            .as_deref()
            .is_some_and(|m| m.contains("rel_error_below"))
    );
}

#[test]
fn an_evaluation_budget_stops_sgd_after_as_many_updates_and_lbfgs_sooner() {
    let (s, _) = run(&["stop.evaluations=25"]);
    assert_eq!(s.stop_reason, StopReason::Evaluations);
    assert_eq!((s.iterations, s.evaluations), (25, 25));
    // L-BFGS evaluates inside its steps too: the budget ends it in fewer iterations.
    let (l, _) = run(&[
        "optimizer.kind=\"lbfgs\"",
        "optimizer.lr=0.5",
        "stop.evaluations=25",
    ]);
    assert!(
        l.evaluations > l.iterations,
        "{} vs {}",
        l.evaluations,
        l.iterations
    );
    assert_eq!(l.stop_reason, StopReason::Evaluations);
    assert!(l.iterations < 25);
    let e = Config::from_text(
        Path::new("stop.toml"),
        DIAG4,
        &["stop.evaluations=0".into()],
        &Registry::default(),
    )
    .map(|_| ())
    .expect_err("refused");
    assert!(e.to_string().contains("stop.evaluations"), "{e}");
}
