//! Lanes: runs of one problem that differ in optimizer, lr, momentum, schedule or seed, run in one loop, give every record and the final iterate bit for bit as each run alone.

use std::path::Path;

use descent_runner::{Config, Experiment, Observer, Record, Registry, Summary};
use descent_tensor::Matrix;

const DIAG4: &str = r#"
seed = 314
iterations = 150
log_every = 0
[problem]
kind = "inverse"
matrix = { diag = [1.0, 2.0, 3.0, 4.0] }
[optimizer]
kind = "sgd"
lr = 0.46
"#;

/// Every record and the final result.
#[derive(Default)]
struct Everything {
    records: Vec<Record>,
    result: Vec<Matrix>,
}

impl Observer for Everything {
    fn record(&mut self, r: &Record) -> anyhow::Result<()> {
        self.records.push(*r);
        Ok(())
    }
    fn finish(&mut self, _: &Summary, result: &[(String, Matrix)]) -> anyhow::Result<()> {
        self.result = result.iter().map(|(_, m)| m.clone()).collect();
        Ok(())
    }
}

fn config(text: &str, sets: &[&str]) -> Config {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Config::from_text(Path::new("lanes.toml"), text, &sets, &Registry::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn bits(records: &[Record]) -> Vec<[u64; 3]> {
    records
        .iter()
        .map(|r| [r.loss.to_bits(), r.grad_norm.to_bits(), r.lr.to_bits()])
        .collect()
}

#[test]
fn lanes_equal_their_runs_alone_bit_for_bit() {
    let variants: [&[&str]; 6] = [
        &[],
        &["optimizer.lr=0.2"],
        &["optimizer.momentum=0.9", "optimizer.lr=0.1"],
        &["seed=7", "optimizer.lr=0.3"],
        &[
            "optimizer.kind=\"adam\"",
            "optimizer.lr=0.05",
            "iterations=90",
        ],
        &[
            "schedule.kind=\"cosine\"",
            "stop.rel_error_below=1e-3",
            "dtype=\"f32\"",
        ],
    ];
    let experiment = Experiment::new(config(DIAG4, &[])).expect("experiment");
    assert!(experiment.seed_free, "diag4 draws nothing for its problem");
    let lanes: Vec<_> = variants
        .iter()
        .map(|sets| experiment.lane(config(DIAG4, sets)).expect("lane"))
        .collect();
    let mut seen: Vec<Everything> = variants.iter().map(|_| Everything::default()).collect();
    let summaries: Vec<Summary> = {
        let mut refs: Vec<[&mut dyn Observer; 1]> =
            seen.iter_mut().map(|e| [e as &mut dyn Observer]).collect();
        let mut lists: Vec<&mut [&mut dyn Observer]> =
            refs.iter_mut().map(|a| &mut a[..]).collect();
        experiment
            .run_lanes(&lanes, &mut lists)
            .into_iter()
            .map(|s| s.expect("lane ran"))
            .collect()
    };
    for ((sets, lane), summary) in variants.iter().zip(&seen).zip(&summaries) {
        let alone_experiment = Experiment::new(config(DIAG4, sets)).expect("alone");
        let mut alone = Everything::default();
        let s = alone_experiment.run(&mut [&mut alone]).expect("run");
        assert_eq!(bits(&lane.records), bits(&alone.records), "{sets:?}");
        assert_eq!(lane.result, alone.result, "{sets:?}");
        assert_eq!(summary.iterations, s.iterations, "{sets:?}");
        assert_eq!(summary.evaluations, s.evaluations);
        assert_eq!(summary.stop_reason, s.stop_reason);
        assert_eq!(summary.final_loss.to_bits(), s.final_loss.to_bits());
        assert_eq!(summary.rel_error.to_bits(), s.rel_error.to_bits());
        assert_eq!(summary.seed, s.seed);
        assert_eq!(summary.optimizer, s.optimizer);
        assert_eq!(
            serde_json::to_string(&summary.theory).expect("json"),
            serde_json::to_string(&s.theory).expect("json"),
            "{sets:?}"
        );
    }
    // The lanes really differ from each other.
    assert_ne!(bits(&seen[0].records), bits(&seen[1].records));
    assert_ne!(
        seen[0].result, seen[3].result,
        "another seed starts elsewhere"
    );
}

#[test]
fn a_lane_must_share_the_problem_and_a_drawn_problem_its_seed() {
    let experiment = Experiment::new(config(DIAG4, &[])).expect("experiment");
    let e = experiment
        .lane(config(
            DIAG4,
            &["problem.matrix={ diag = [1.0, 2.0, 3.0, 5.0] }"],
        ))
        .expect_err("another problem");
    assert!(e.to_string().contains("`problem`"), "{e}");
    let e = experiment
        .lane(config(DIAG4, &["loss.kind=\"sse\""]))
        .expect_err("another loss");
    assert!(e.to_string().contains("`loss`"), "{e}");
    // An spd matrix drawn from the run's stream changes with the seed.
    let drawn = config(DIAG4, &["problem.matrix={ spd = 4, cond = 10.0 }"]);
    let experiment = Experiment::new(drawn).expect("experiment");
    assert!(!experiment.seed_free);
    let e = experiment
        .lane(config(
            DIAG4,
            &["problem.matrix={ spd = 4, cond = 10.0 }", "seed=5"],
        ))
        .expect_err("another seed of a drawn problem");
    assert!(e.to_string().contains("seed"), "{e}");
    experiment
        .lane(config(
            DIAG4,
            &[
                "problem.matrix={ spd = 4, cond = 10.0 }",
                "optimizer.lr=0.1",
            ],
        ))
        .expect("the same seed shares it");
}
