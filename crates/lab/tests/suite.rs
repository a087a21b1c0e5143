//! Suites: the shipped quick suite writes every file; a second start reuses the finished runs; a run that cannot run is recorded and the rest go on; the best setting and the costs agree with single runs.

use std::path::{Path, PathBuf};

use descent_lab::{
    Phase, Rates, Shard, SuiteOptions, SuiteRow, SuiteSpec, best_rows, check_suite, merge,
    read_results, run_suite, trial_config, write_suite_files,
};
use descent_runner::{Experiment, Registry};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn out(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-suite-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(spec: &SuiteSpec, dir: &Path) -> descent_lab::SuiteOutcome {
    let options = SuiteOptions {
        out: dir.to_path_buf(),
        jobs: Some(2),
        interrupt: None,
        shard: None,
    };
    run_suite(spec, &Registry::default(), &options, &|_, _| {}).expect("suite")
}

/// Rows without their wall times, NaN (a loss that overflowed) as -1 so that rows compare
/// equal: for comparing two starts.
fn timeless(rows: &[SuiteRow]) -> Vec<SuiteRow> {
    let known = |x: f64| if x.is_nan() { -1.0 } else { x };
    rows.iter()
        .map(|r| SuiteRow {
            wall_seconds: 0.0,
            final_loss: known(r.final_loss),
            final_error: known(r.final_error),
            ..r.clone()
        })
        .collect()
}

#[test]
fn the_quick_suite_writes_its_files_and_a_second_start_reuses_every_run() {
    let spec = SuiteSpec::load(&root().join("suites/quick.toml")).expect("quick.toml");
    let dir = out("quick");
    let first = run(&spec, &dir);
    assert!(!first.interrupted);
    // Per problem and optimizer: every rate of the grid on the first seed, and the best rate on
    // the other seeds.
    let expected: usize = spec
        .optimizers
        .iter()
        .map(|o| match &o.rates {
            Rates::One(_) => spec.seeds.len(),
            Rates::Grid(g) => g.len() + spec.seeds.len() - 1,
        })
        .sum::<usize>()
        * spec.problems.len();
    assert_eq!(first.rows.len(), expected);
    assert_eq!(first.reused, 0);
    let files = write_suite_files(&spec, &first.rows, &dir, false).expect("files");
    for f in [
        "results.csv",
        "best.csv",
        "scores.csv",
        "profiles.svg",
        "data_profiles.svg",
        "sensitivity.svg",
        "suite.html",
    ] {
        assert!(files.iter().any(|w| w == f), "{f} in {files:?}");
        assert!(dir.join(f).is_file(), "{f}");
    }
    for svg in ["profiles.svg", "data_profiles.svg", "sensitivity.svg"] {
        let text = std::fs::read_to_string(dir.join(svg)).expect(svg);
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{svg}: {e}"));
    }
    let back = timeless(&read_results(&dir.join("results.csv")).expect("read"));
    assert_eq!(back.len(), first.rows.len());
    for (a, b) in back.iter().zip(timeless(&first.rows)) {
        assert_eq!(*a, b, "results.csv holds every row as it was");
    }
    // Resume: every run is read back, none is run again, and the rows are the same.
    let second = run(&spec, &dir);
    assert_eq!(second.reused, second.rows.len());
    assert_eq!(timeless(&second.rows), timeless(&first.rows));
    // A run lost (as if the first start had stopped before it) is run again, alone.
    let lost = &first.rows[5];
    std::fs::remove_file(dir.join(&lost.dir).join("summary.json")).expect("remove");
    let third = run(&spec, &dir);
    assert_eq!(third.reused, third.rows.len() - 1);
    assert_eq!(timeless(&third.rows), timeless(&first.rows));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_best_rate_is_the_cheapest_solved_tuning_run_and_its_cost_is_a_single_runs() {
    let text = r#"
target = 1e-4
budget = { evaluations = 400 }
seeds = [314, 315]
[[problem]]
config = "configs/diag4.toml"
[[optimizer]]
kind = "sgd"
lr = [0.1, 0.3, 0.6, 0.9, 1.05]
"#;
    let spec = SuiteSpec::from_text(&root().join("suite.toml"), text).expect("spec");
    let dir = out("best");
    let outcome = run(&spec, &dir);
    let tuned: Vec<&SuiteRow> = outcome.rows.iter().filter(|r| r.seed == 314).collect();
    assert_eq!(tuned.len(), 5);
    let cheapest = tuned
        .iter()
        .filter(|r| r.solved)
        .min_by_key(|r| r.evaluations_to_target)
        .expect("some rate solves diag4");
    let best = best_rows(&spec, &outcome.rows);
    assert_eq!(best.len(), 1);
    assert_eq!(best[0].lr, cheapest.lr);
    assert_eq!(best[0].runs, 2);
    let finals: Vec<&SuiteRow> = outcome
        .rows
        .iter()
        .filter(|r| r.phase == Phase::Final)
        .collect();
    assert_eq!(finals.len(), 2);
    assert!(finals.iter().all(|r| r.lr == cheapest.lr));
    // lr 1.05 is past plain SGD's 2/L = 1 on diag4: not solved, and never the best.
    let past = tuned.iter().find(|r| r.lr == 1.05).expect("row");
    assert!(
        !past.solved && past.stop_reason.starts_with("diverg"),
        "{}",
        past.stop_reason
    );
    // The cost in results.csv is what a single run of the same config reports.
    let trial = descent_lab::Trial {
        problem: 0,
        optimizer: 0,
        lr: cheapest.lr,
        seed: 315,
        phase: Phase::Final,
    };
    let config = trial_config(&spec, &trial, &Registry::default()).expect("config");
    let summary = Experiment::new(config)
        .expect("experiment")
        .run(&mut [])
        .expect("run");
    let row = finals.iter().find(|r| r.seed == 315).expect("row");
    assert_eq!(Some(summary.evaluations), row.evaluations_to_target);
    assert_eq!(summary.rel_error, row.final_error);
    assert!(row.final_error < 1e-4);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_optimizer_that_cannot_run_is_recorded_and_the_others_finish() {
    let text = r#"
target = 1e-3
budget = { iterations = 300 }
[[problem]]
family = "inverse"
n = 3
cond = 2.0
spectrum = "diagonal"
[[optimizer]]
kind = "nosuch"
lr = 0.1
[[optimizer]]
kind = "sgd"
lr = 2.0
"#;
    let spec = SuiteSpec::from_text(&root().join("suite.toml"), text).expect("spec");
    // `cargo xtask suite` refuses it before anything runs, naming the optimizer and the key ...
    let e = format!(
        "{:#}",
        check_suite(&spec, &Registry::default()).expect_err("refused")
    );
    assert!(
        e.contains("suite.toml") && e.contains("`nosuch`") && e.contains("optimizer.kind"),
        "{e}"
    );
    // ... and a suite run from the library records the failure and goes on.
    let dir = out("failing");
    let outcome = run(&spec, &dir);
    assert_eq!(outcome.rows.len(), 2);
    let bad = &outcome.rows[0];
    assert_eq!(bad.stop_reason, "failed");
    assert!(bad.message.contains("nosuch"), "{}", bad.message);
    assert!(!bad.solved);
    assert!(outcome.rows[1].solved, "{:?}", outcome.rows[1]);
    write_suite_files(&spec, &outcome.rows, &dir, false).expect("files");
    let scores = std::fs::read_to_string(dir.join("scores.csv")).expect("scores");
    assert!(scores.contains("nosuch,0.0,0.0,0.0"), "{scores}");
    assert!(scores.contains("sgd,1.0,1.0,1.0"), "{scores}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn shards_merged_equal_the_unsharded_suite() {
    let file = root().join("suites/quick.toml");
    let spec = SuiteSpec::load(&file).expect("quick.toml");
    let text = std::fs::read_to_string(&file).expect("text");
    let base = out("shards");
    let whole = run(&spec, &base.join("whole"));
    let mut dirs = Vec::new();
    let mut sizes = Vec::new();
    for index in 1..=3 {
        let dir = base.join(format!("shard-{index}"));
        let shard = Shard { index, count: 3 };
        let options = SuiteOptions {
            out: dir.clone(),
            jobs: Some(2),
            interrupt: None,
            shard: Some(shard),
        };
        let part = run_suite(&spec, &Registry::default(), &options, &|_, _| {}).expect("shard");
        sizes.push(part.rows.len());
        write_suite_files(&spec, &part.rows, &dir, false).expect("files");
        merge::write_meta(
            &dir,
            &merge::SuiteMeta {
                suite_file: file.clone(),
                suite_text: text.clone(),
                shard: Some(shard),
            },
        )
        .expect("meta");
        dirs.push(dir);
    }
    assert_eq!(sizes.iter().sum::<usize>(), whole.rows.len());
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
    // A shard missing is refused, naming it.
    let e = merge::merge(&dirs[..2], &base.join("merged")).expect_err("incomplete");
    assert!(e.to_string().contains("3/3 missing"), "{e}");
    let merged_dir = base.join("merged");
    let (merged_spec, rows) = merge::merge(&dirs, &merged_dir).expect("merge");
    assert_eq!(merged_spec, spec);
    assert_eq!(timeless(&rows), timeless(&whole.rows));
    // The runs were copied: every row's directory has its summary.
    assert!(
        rows.iter()
            .all(|r| merged_dir.join(&r.dir).join("summary.json").is_file())
    );
    write_suite_files(&spec, &whole.rows, &base.join("whole"), false).expect("files");
    write_suite_files(&spec, &rows, &merged_dir, false).expect("files");
    for f in ["scores.csv", "best.csv"] {
        assert_eq!(
            std::fs::read_to_string(merged_dir.join(f)).expect(f),
            std::fs::read_to_string(base.join("whole").join(f)).expect(f),
            "{f}"
        );
    }
    std::fs::remove_dir_all(base).ok();
}

#[test]
fn a_suites_vectorized_runs_write_the_bytes_of_each_run_alone() {
    // Seven runs of diag4 (two optimizers, rates and seeds) share a loop as lanes; each run's
    // metrics.csv and result.npy equal those of its config run by itself.
    let text = r#"
target = 1e-6
budget = { evaluations = 300 }
seeds = [314, 7]
[[problem]]
config = "configs/diag4.toml"
[[optimizer]]
kind = "sgd"
lr = [0.1, 0.3, 0.6]
[[optimizer]]
name = "heavy-ball"
kind = "sgd"
momentum = 0.9
lr = 0.05
"#;
    let spec = SuiteSpec::from_text(&root().join("suite.toml"), text).expect("spec");
    let dir = out("bytes");
    let outcome = run(&spec, &dir);
    assert_eq!(outcome.rows.len(), 3 + 1 + 2);
    assert!(outcome.loops < outcome.rows.len(), "runs shared loops");
    for (k, row) in outcome.rows.iter().enumerate() {
        let trial = descent_lab::Trial {
            problem: 0,
            optimizer: usize::from(row.optimizer == "heavy-ball"),
            lr: row.lr,
            seed: row.seed,
            phase: row.phase,
        };
        let config = trial_config(&spec, &trial, &Registry::default()).expect("config");
        let alone = dir.join(format!("alone-{k}"));
        std::fs::create_dir_all(&alone).expect("dir");
        let resolved = config.resolved_toml();
        let (dtype, every) = (config.dtype, config.metrics_every);
        let mut files =
            descent_runner::RunFiles::new(alone.clone(), dtype, &resolved, every).expect("files");
        Experiment::new(config)
            .expect("experiment")
            .run(&mut [&mut files])
            .expect("run");
        drop(files);
        for f in ["metrics.csv", "result.npy", "config.toml"] {
            let lane = std::fs::read(dir.join(&row.dir).join(f)).expect(f);
            let single = std::fs::read(alone.join(f)).expect(f);
            assert!(lane == single, "{f} of {} differs", row.dir);
        }
    }
    std::fs::remove_dir_all(dir).ok();
}
