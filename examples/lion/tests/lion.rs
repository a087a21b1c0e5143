//! The worked example of docs/extending.md: Lion's update by hand, and its config run through descent.

use std::path::Path;

use descent_example_lion::{LionConfig, registry};
use descent_optim::{NoClosure, OptimizerConfig};
use descent_runner::{Config, Experiment};

#[test]
fn lion_steps_by_lr_times_the_sign_of_the_interpolated_momentum() {
    let mut lion = LionConfig {
        lr: 0.1,
        ..Default::default()
    }
    .build::<f64>();
    let mut p = vec![vec![1.0, 1.0]];
    // Step 1: m = 0, c = 0.1 g: signs of g. m becomes 0.01 g.
    lion.step(&mut p, &[vec![2.0, -3.0]], 0.1, &mut NoClosure)
        .expect("step");
    assert_eq!(p[0], [0.9, 1.1]);
    // Step 2 with g = (-0.1, 0.1): c = 0.9 * 0.01 * (2, -3) + 0.1 * (-0.1, 0.1) = (0.008, -0.017).
    lion.step(&mut p, &[vec![-0.1, 0.1]], 0.1, &mut NoClosure)
        .expect("step");
    assert!(
        (p[0][0] - 0.8).abs() < 1e-15 && (p[0][1] - 1.2).abs() < 1e-15,
        "{p:?}"
    );
}

#[test]
fn the_example_equals_the_built_in_lion_bit_for_bit() {
    fn trajectory<F: descent_tensor::Real>(
        mut lion: Box<dyn descent_optim::Optimizer<F>>,
    ) -> Vec<F> {
        let w = [1.0, -2.0, 3.0, 0.5].map(F::host);
        let mut p = vec![[0.3, -0.7, 2.5, 1.2].map(F::host).to_vec()];
        for _ in 0..60 {
            let g: Vec<F> = p[0]
                .iter()
                .zip(w)
                .map(|(&x, w)| w * (x - F::one()))
                .collect();
            lion.step(&mut p, &[g], 0.03, &mut NoClosure).expect("step");
        }
        p.remove(0)
    }
    let (betas, weight_decay) = ([0.8, 0.95], 0.1);
    let example = LionConfig {
        lr: 0.03,
        betas,
        weight_decay,
    };
    let built_in = descent_optim::LionConfig {
        lr: 0.03,
        betas,
        weight_decay,
        maximize: false,
    };
    let (a, b) = (
        trajectory::<f32>(example.build()),
        trajectory::<f32>(built_in.build()),
    );
    assert_eq!(
        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    let (a, b) = (
        trajectory::<f64>(example.build()),
        trajectory::<f64>(built_in.build()),
    );
    assert_eq!(
        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn the_example_config_runs_lion_to_the_inverse() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("lion.toml");
    let config = Config::load(&file, &[], &registry()).expect("config");
    assert!(config.resolved_toml().contains("kind = \"lion\""));
    let summary = Experiment::new(config)
        .expect("experiment")
        .run(&mut [])
        .expect("run");
    assert_eq!(summary.optimizer, "lion");
    assert!(
        summary.rel_error < 1e-3,
        "relative error {}",
        summary.rel_error
    );
}

/// The example's binary is descent's command line with `lion` registered.
fn lion_binary(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_descent-example-lion"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("run the example's binary")
}

#[test]
fn the_binary_lists_and_runs_lion_with_every_command_of_xtask() {
    let listed = lion_binary(&["list"]);
    assert!(listed.status.success());
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("lion ")),
        "{text}"
    );
    let out = std::env::temp_dir().join(format!("descent-lion-bin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let ran = lion_binary(&[
        "run",
        "lion.toml",
        "--quiet",
        "--out",
        out.to_str().expect("utf-8"),
        "--set",
        "iterations=50",
    ]);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).expect("summary.json");
    assert!(summary.contains("\"optimizer\": \"lion\""), "{summary}");
    let bad = lion_binary(&["run", "lion.toml", "--set", "optimizer.lr=-1"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("optimizer.lr"));
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn the_binary_runs_a_suite_of_lion_against_adam() {
    let out = std::env::temp_dir().join(format!("descent-lion-suite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let ran = lion_binary(&[
        "suite",
        "suite.toml",
        "--out",
        out.to_str().expect("utf-8"),
        "--jobs",
        "2",
    ]);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let scores = std::fs::read_to_string(out.join("scores.csv")).expect("scores.csv");
    let names: Vec<&str> = scores
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(names, ["lion", "adam"]);
    let results = std::fs::read_to_string(out.join("results.csv")).expect("results.csv");
    // 7 problems x 2 optimizers x (9 rates on the first seed + the best on the second).
    assert_eq!(results.lines().count(), 1 + 7 * 2 * 10);
    // Lion solves diag4 with its best rate on both seeds (the cosine schedule settles it).
    let best = std::fs::read_to_string(out.join("best.csv")).expect("best.csv");
    let diag4_lion = best
        .lines()
        .find(|l| l.starts_with("diag4,lion,"))
        .expect("a best row");
    assert!(diag4_lion.split(',').nth(4) == Some("2"), "{diag4_lion}");
    assert!(out.join("suite.html").is_file());
    std::fs::remove_dir_all(out).ok();
}
