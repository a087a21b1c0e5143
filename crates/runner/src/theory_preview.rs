//! `cargo xtask theory`: what the theory says of a config without running it.

use descent_theory::rate;

use crate::theory::{RunTheory, thousands};

/// What `cargo xtask theory` prints: the theory of a config without running it, as labelled lines.
pub fn preview(e: &crate::Experiment) -> anyhow::Result<Vec<(String, String)>> {
    let c = &e.config;
    let sci = |x: f64| crate::console::sci(x, 3);
    let optimizer = c.optimizer.resolved();
    let theory = RunTheory::new(
        e.problem.as_ref(),
        e.loss.as_ref(),
        &optimizer,
        !c.transforms.is_empty(),
        &e.start,
        c.theory,
    );
    let mut lines = vec![("run".to_string(), e.headline())];
    let Some(spectrum) = &theory.spectrum else {
        lines.push(("theory".into(), theory.why_not.clone()));
        return Ok(lines);
    };
    lines.push((
        "Hessian".into(),
        format!(
            "L = {}, mu = {}, kappa = {}, null space of dimension {} ({} eigenvalues)",
            sci(spectrum.largest),
            sci(spectrum.smallest),
            sci(spectrum.condition),
            spectrum.null_dim,
            spectrum.eigenvalues.len()
        ),
    ));
    let lr = c.optimizer.lr();
    let facts = theory.facts(&optimizer, lr, 0, f64::NAN, c.tolerance, c.dtype, false);
    if let Some(stable) = facts.stable_lr {
        lines.push((
            "stable".into(),
            format!(
                "lr < {} for this optimizer; the config's lr {lr} is {:.2} of it",
                sci(stable),
                lr / stable
            ),
        ));
    }
    if let (Some(best), Some(rate)) = (facts.optimal_lr, facts.optimal_rate) {
        lines.push((
            "optimal".into(),
            format!(
                "lr {}{}: the error shrinks by {rate:.4} per iteration",
                sci(best),
                facts
                    .optimal_momentum
                    .filter(|&m| m > 0.0)
                    .map_or(String::new(), |m| format!(" with momentum {m:.4}"))
            ),
        ));
    }
    let Some(mut predictor) = theory.predictor.clone() else {
        lines.push(("prediction".into(), theory.why_not.clone()));
        return Ok(lines);
    };
    // The run's lrs, from its schedule fed the predicted losses (as a plateau schedule is fed).
    let mut schedule = c
        .schedule
        .build(lr, c.iterations)
        .map_err(|e| anyhow::anyhow!("schedule.{}: {}", e.key, e.reason))?;
    let first = predictor.loss();
    for _ in 0..c.iterations {
        let loss = predictor.loss();
        predictor.step(schedule.lr(), schedule.momentum());
        schedule.step(loss);
    }
    let start_error = e
        .problem
        .errors(&e.start)
        .map(|x| x.rel_frobenius)
        .unwrap_or(f64::NAN);
    let rate = facts.predicted_rate.unwrap_or(f64::NAN);
    lines.push((
        "predicted".into(),
        format!(
            "the loss goes from {} to {} in {} iterations (floor {}); the error shrinks by {rate:.4} per iteration at lr {lr}",
            sci(first),
            sci(predictor.loss()),
            c.iterations,
            sci(theory.floor)
        ),
    ));
    let to = rate::iterations_to(start_error, c.tolerance, rate);
    lines.push((
        "to tolerance".into(),
        match to {
            Some(n) => format!(
                "about {} iterations from the start's relative error {} to {}",
                thousands(n),
                sci(start_error),
                crate::console::sci(c.tolerance, 1)
            ),
            None => format!(
                "never at this lr (rate {rate:.4}); the relative error starts at {}",
                sci(start_error)
            ),
        },
    ));
    Ok(lines)
}
