//! `clip_norm` against torch.nn.utils.clip_grad_norm_, bit for bit, in float32 and float64.

use descent_optim::testing::torch_hex;
use descent_optim::{ClipNormConfig, TransformConfig};
use descent_tensor::{Real, TorchRng};
use serde_json::Value;

/// `crates/optim/tests/data/clip_norm_torch.json`, written by PyTorch 2.15 with the script beside
/// it: gradients of 3, 5 and 16 entries from `torch.randn`, clipped together (the norm of the
/// parameters' norms, as torch stacks them) or one by one.
#[test]
fn clip_norm_equals_torchs_clip_grad_norm_bit_for_bit() {
    let data: Value =
        serde_json::from_str(include_str!("data/clip_norm_torch.json")).expect("json");
    let cases = data["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 10);
    for case in cases {
        let seed = case["seed"].as_u64().expect("seed");
        let sizes: Vec<usize> = case["sizes"]
            .as_array()
            .expect("sizes")
            .iter()
            .map(|n| n.as_u64().expect("size") as usize)
            .collect();
        let config = ClipNormConfig {
            max_norm: case["max_norm"].as_f64().expect("max_norm"),
            global: case["global"].as_bool().expect("global"),
        };
        let want: Vec<Vec<f64>> = case["clipped"]
            .as_array()
            .expect("clipped")
            .iter()
            .map(|g| {
                let hex: Vec<&str> = g
                    .as_array()
                    .expect("gradient")
                    .iter()
                    .map(|h| h.as_str().expect("hex"))
                    .collect();
                torch_hex(&hex)
            })
            .collect();
        let total: usize = sizes.iter().sum();
        let label = format!(
            "{} seed {seed}, max_norm {}, global {}",
            case["dtype"], config.max_norm, config.global
        );
        match case["dtype"].as_str() {
            Some("f32") => check(
                &split(TorchRng::new(seed).randn_f32(total), &sizes),
                &config,
                &want,
                &label,
            ),
            Some("f64") => check(
                &split(TorchRng::new(seed).randn_f64(total), &sizes),
                &config,
                &want,
                &label,
            ),
            other => panic!("dtype {other:?}"),
        }
    }
}

fn split<F: Real>(x: Vec<F>, sizes: &[usize]) -> Vec<Vec<F>> {
    let mut rest = x.as_slice();
    sizes
        .iter()
        .map(|&n| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head.to_vec()
        })
        .collect()
}

fn check<F: Real>(grads: &[Vec<F>], config: &ClipNormConfig, want: &[Vec<f64>], label: &str) {
    let mut got = grads.to_vec();
    config.build::<F>(0).apply(&mut got);
    for (p, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len());
        for (k, (a, b)) in g.iter().zip(w).enumerate() {
            assert_eq!(
                a.widen().to_bits(),
                b.to_bits(),
                "parameter {p}, entry {k}: {a} vs torch {b:e} in {label}"
            );
        }
    }
}
