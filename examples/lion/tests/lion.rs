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
