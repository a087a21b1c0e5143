//! The hint of a divergence message: what the optimizer's stability bound on a quadratic says about the lr and momentum.
//!
//! On a quadratic with Hessian eigenvalues in (0, L], gradient descent with step lr is stable
//! exactly when lr L < 2; heavy ball with momentum β when 0 <= β < 1 and lr L < 2 (1 + β);
//! Nesterov's momentum when lr L < 2 (1 + β) / (1 + 2 β) (Goh, "Why Momentum Really Works",
//! Distill 2017; Lessard, Recht and Packard 2016). Dampening d scales the step by (1 - d); weight
//! decay adds its value to every eigenvalue. Other optimizers have no such bound: the hint then
//! says so instead of blaming the lr.

use toml::Table;

use crate::console::sci;

/// The optimizer's keys the bound depends on, read from its resolved table.
struct Sgd {
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
}

fn number(t: &Table, key: &str) -> f64 {
    t.get(key)
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .unwrap_or(0.0)
}

/// Why a run at learning rate `lr` diverged, given the optimizer's resolved table and, for a
/// quadratic problem, `curvature`: L, the largest eigenvalue of the loss's Hessian.
pub fn divergence_hint(optimizer: &Table, curvature: Option<f64>, lr: f64) -> String {
    let kind = optimizer
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("the optimizer");
    let Some(l) = curvature.filter(|l| l.is_finite() && *l > 0.0) else {
        return format!(
            "the run diverged under {kind} at lr {lr}; the lr may be too large (no stability bound \
             is known for this problem or loss)"
        );
    };
    if kind != "sgd" {
        return format!(
            "the run diverged under {kind} at lr {lr}; {kind} has no simple stability bound (plain \
             SGD's on this quadratic is lr < 2/L = {}, L = {}), so try a smaller lr",
            sci(2.0 / l, 3),
            sci(l, 3)
        );
    }
    let sgd = Sgd {
        momentum: number(optimizer, "momentum"),
        dampening: number(optimizer, "dampening"),
        nesterov: optimizer
            .get("nesterov")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        weight_decay: number(optimizer, "weight_decay"),
    };
    let b = sgd.momentum;
    if b >= 1.0 {
        return format!(
            "the run diverged: momentum = {b} >= 1, and on a quadratic heavy ball diverges for every \
             lr unless 0 <= momentum < 1; the lr {lr} is not the cause"
        );
    }
    let l = l + sgd.weight_decay.max(0.0);
    let (name, product) = if b == 0.0 {
        ("plain SGD", 2.0)
    } else if sgd.nesterov {
        (
            "SGD with Nesterov momentum",
            2.0 * (1.0 + b) / (1.0 + 2.0 * b),
        )
    } else {
        ("SGD with heavy-ball momentum", 2.0 * (1.0 + b))
    };
    let scale = if b > 0.0 { 1.0 - sgd.dampening } else { 1.0 };
    let bound = product / (l * scale.max(f64::MIN_POSITIVE));
    let with = if b > 0.0 {
        format!(" (momentum {b})")
    } else {
        String::new()
    };
    if lr >= bound {
        format!(
            "the run diverged; for this quadratic problem {name}{with} is stable only for \
             lr < {} (L = {}, the largest curvature of the loss), and the lr here is {lr}",
            sci(bound, 3),
            sci(l, 3)
        )
    } else {
        format!(
            "the run diverged although the lr {lr} is within the stable range of {name}{with} on \
             this quadratic (lr < {}, L = {}): the cause is elsewhere (the schedule, a transform, the \
             loss's parameters, or the dtype's range)",
            sci(bound, 3),
            sci(l, 3)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn plain_sgd_is_blamed_only_beyond_two_over_l() {
        let sgd = table("kind = \"sgd\"\nmomentum = 0.0");
        assert!(divergence_hint(&sgd, Some(2.0), 1.5).contains("stable only for lr < 1.000e+00"));
        let fine = divergence_hint(&sgd, Some(2.0), 0.5);
        assert!(fine.contains("within the stable range"), "{fine}");
    }

    #[test]
    fn heavy_ball_and_nesterov_have_their_own_bounds() {
        // Heavy ball: lr < 2 (1 + 0.5) / L = 1.5 for L = 2.
        let hb = table("kind = \"sgd\"\nmomentum = 0.5\ndampening = 0.0");
        assert!(divergence_hint(&hb, Some(2.0), 1.6).contains("lr < 1.500e+00"));
        assert!(divergence_hint(&hb, Some(2.0), 1.2).contains("within"));
        // Nesterov: lr < 2 (1.5) / (2 * 2) = 0.75.
        let nag = table("kind = \"sgd\"\nmomentum = 0.5\nnesterov = true");
        assert!(divergence_hint(&nag, Some(2.0), 0.8).contains("lr < 7.500e-01"));
        // Weight decay adds to the curvature: L = 2 + 2 = 4, plain bound 0.5.
        let wd = table("kind = \"sgd\"\nweight_decay = 2.0");
        assert!(divergence_hint(&wd, Some(2.0), 0.6).contains("lr < 5.000e-01"));
    }

    #[test]
    fn momentum_of_one_or_more_is_blamed_instead_of_the_lr() {
        let m = table("kind = \"sgd\"\nmomentum = 1.5");
        let hint = divergence_hint(&m, Some(2.0), 0.01);
        assert!(
            hint.contains("momentum = 1.5 >= 1") && hint.contains("not the cause"),
            "{hint}"
        );
    }

    #[test]
    fn other_optimizers_get_no_sgd_bound_as_blame() {
        let adam = table("kind = \"adam\"");
        let hint = divergence_hint(&adam, Some(2.0), 0.1);
        assert!(
            hint.contains("adam has no simple stability bound"),
            "{hint}"
        );
        assert!(divergence_hint(&adam, None, 0.1).contains("no stability bound is known"));
    }
}
