//! The test kit as an extension author uses it: a PyTorch trajectory from JSON, random quadratics under proptest, a reference update.

use descent_optim::testing::{Quadratic, Trajectory, descends, follows};
use descent_optim::{AdamaxConfig, LionConfig, OptimizerConfig, SgdConfig};
use proptest::prelude::*;

/// `crates/optim/tests/data/adamax_torch.json`: 25 steps of torch.optim.Adamax in float32,
/// written by PyTorch 2.15 with the script in docs/extending.md.
#[test]
fn adamax_follows_a_pytorch_trajectory_from_json() {
    let text = include_str!("data/adamax_torch.json");
    let t = Trajectory::from_json(text).expect("trajectory");
    let c = AdamaxConfig {
        lr: 0.05,
        betas: [0.8, 0.99],
        weight_decay: 0.01,
        ..Default::default()
    };
    t.compare::<f32>(c.build::<f32>().as_mut())
        .expect("bit for bit");
    // Other betas leave the trajectory, and the message says where: at step 2, since Adamax's
    // first step is lr sign(g) whatever its betas.
    let e = t
        .compare::<f32>(AdamaxConfig::default().build::<f32>().as_mut())
        .expect_err("other betas");
    assert!(e.starts_with("step 2, entry 0"), "{e}");
}

#[test]
fn malformed_trajectories_are_refused_with_the_reason() {
    let e = Trajectory::from_json(
        r#"{"lr": 0.1, "dtype": "float32", "weights": [1], "start": [0, 1], "steps": []}"#,
    )
    .expect_err("lengths");
    assert!(e.contains("entries of `start`"), "{e}");
    let e = Trajectory::from_json(
        r#"{"lr": 0.1, "dtype": "bf16", "weights": [1], "start": [0], "steps": []}"#,
    )
    .expect_err("dtype");
    assert!(e.contains("dtype"), "{e}");
}

#[test]
fn a_wrong_reference_is_caught() {
    let mut sgd = SgdConfig {
        lr: 0.1,
        ..Default::default()
    }
    .build::<f64>();
    // The right update passes; one off by a factor of 2 in the step fails at step 1.
    follows(sgd.as_mut(), 0.1, 10, 1e-12, |_, p, g| {
        for (p, g) in p.iter_mut().zip(g) {
            *p -= 0.1 * g;
        }
    })
    .expect("plain SGD");
    let mut sgd = SgdConfig {
        lr: 0.1,
        ..Default::default()
    }
    .build::<f64>();
    let e = follows(sgd.as_mut(), 0.1, 10, 1e-12, |_, p, g| {
        for (p, g) in p.iter_mut().zip(g) {
            *p -= 0.2 * g;
        }
    })
    .expect_err("wrong");
    assert!(e.starts_with("step 1"), "{e}");
}

#[test]
fn random_quadratics_are_positive_definite_with_their_minimum_where_said() {
    for seed in 0..20 {
        let q = Quadratic::random(seed, 5);
        assert_eq!(q.value(&q.minimum), 0.0);
        assert!(q.gradient(&q.minimum).iter().all(|g| g.abs() < 1e-12));
        // Symmetric, and xᵀ A x >= xᵀ x for the eigenvalues in [1, 10].
        for r in 0..5 {
            for c in 0..5 {
                assert!((q.a[r * 5 + c] - q.a[c * 5 + r]).abs() < 1e-12);
            }
        }
        let x = [1.0, -2.0, 0.5, 3.0, -1.0];
        let shifted: Vec<f64> = x.iter().zip(&q.minimum).map(|(x, m)| x + m).collect();
        let norm2: f64 = x.iter().map(|v| v * v).sum();
        let v = 2.0 * q.value(&shifted);
        assert!(
            v >= norm2 * (1.0 - 1e-12) && v <= 10.0 * norm2 * (1.0 + 1e-12),
            "{v}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// What an extension author writes for a new method: it lowers every random quadratic.
    #[test]
    fn lion_and_adamax_lower_random_quadratics(seed in any::<u64>(), n in 1usize..6) {
        let q = Quadratic::random(seed, n);
        let mut lion = LionConfig::default().build::<f64>();
        prop_assert!(descends(lion.as_mut(), &q, 0.01, 50).is_ok());
        let mut adamax = AdamaxConfig::default().build::<f64>();
        prop_assert!(descends(adamax.as_mut(), &q, 0.05, 50).is_ok());
    }
}
