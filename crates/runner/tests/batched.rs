//! A batch of inverse problems moves each instance exactly as a run of its own would, and reports each instance.

use std::path::Path;

use descent_runner::{Config, Experiment, Observer, Registry, Summary};
use descent_tensor::Matrix;

const X1: &str = "[[0.72, 0.63, 0.67, 0.34], [0.85, 0.31, 0.50, 0.46], [0.01, 0.45, 0.80, 0.55], [0.36, 0.37, 0.68, 0.31]]";
const X2: &str = "[[0.10, 0.20, 0.30, 0.40], [0.50, 0.60, 0.70, 0.80], [0.90, 0.15, 0.25, 0.35], [0.45, 0.55, 0.65, 0.75]]";

#[derive(Default)]
struct Result(Vec<Matrix>);

impl Observer for Result {
    fn finish(&mut self, _s: &Summary, result: &[(String, Matrix)]) -> anyhow::Result<()> {
        self.0 = result.iter().map(|(_, m)| m.clone()).collect();
        Ok(())
    }
}

fn run(batch: usize, start: &str, loss: &str) -> (Summary, Matrix) {
    // Stable steps: sse's curvature is 16 times mse's here.
    let lr = if loss == "mse" { 0.1 } else { 0.01 };
    let text = format!(
        "iterations = 50\nlog_every = 0\n[problem]\nkind = \"inverse\"\nbatch = {batch}\nmatrix = {{ diag = [1.0, 2.0, 3.0, 4.0] }}\n[init]\nfrom = {{ rows = {start} }}\n[loss]\nkind = \"{loss}\"\n[optimizer]\nkind = \"sgd\"\nlr = {lr}\n"
    );
    let config = Config::from_text(Path::new("batch.toml"), &text, &[], &Registry::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut result = Result::default();
    let summary = Experiment::new(config)
        .unwrap_or_else(|e| panic!("{e}"))
        .run(&mut [&mut result])
        .expect("run");
    (summary, result.0.remove(0))
}

#[test]
fn each_instance_of_a_batch_follows_its_own_run() {
    let both = format!("{}, {}", &X1[..X1.len() - 1], &X2[1..]);
    for loss in ["mse", "sse", "mae"] {
        let (summary, batched) = run(2, &both, loss);
        assert_eq!(batched.shape(), (8, 4));
        let (_, one) = run(1, X1, loss);
        let (_, two) = run(1, X2, loss);
        for (k, alone) in [one, two].iter().enumerate() {
            for i in 0..4 {
                for j in 0..4 {
                    let (b, a) = (batched.get(4 * k + i, j), alone.get(i, j));
                    assert!(
                        (b - a).abs() <= 1e-6 * a.abs().max(1e-3),
                        "{loss}, instance {k}: {b} vs {a}"
                    );
                }
            }
        }
        let facts: Vec<&str> = summary.facts.iter().map(|f| f.label.as_str()).collect();
        for label in [
            "instance errors",
            "instance losses",
            "instance 0",
            "instance 1",
        ] {
            assert!(facts.contains(&label), "{facts:?}");
        }
    }
}

#[test]
fn a_batch_of_zero_is_a_config_error() {
    let text = "iterations = 5\n[problem]\nkind = \"inverse\"\nbatch = 0\nmatrix = { diag = [1.0, 2.0] }\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n";
    let config = Config::from_text(Path::new("b.toml"), text, &[], &Registry::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let e = Experiment::new(config).err().expect("batch 0");
    assert_eq!(e.key, "problem.batch");
}
