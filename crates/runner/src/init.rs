//! The starting point of the parameters, from `[init]`, continuing the run's random streams.

use descent_problems::{Parameter, Problem, Projection};
use descent_tensor::{Dtype, Matrix};

use crate::config::{InitConfig, InitKind};
use crate::context::{RunContext, round_to};

/// The starting value of each parameter, in order, rounded to `dtype`, projected onto the
/// parameter's constraint set (the problem's own, and `project` from the config).
///
/// Random kinds continue the run's stream of `init.rng` after the problem's own draws (or start a
/// fresh generator with `init.seed`): a run whose problem draws nothing starts exactly as
/// `torch.manual_seed(seed); torch.rand(m, n)`. Errors are `(key, reason)` inside `[init]`.
pub fn initial_values(
    init: &InitConfig,
    dtype: Dtype,
    problem: &dyn Problem,
    project: Projection,
    ctx: &mut RunContext,
) -> Result<Vec<Matrix>, (String, String)> {
    let parameters: &[Parameter] = problem.parameters();
    let own_seed = init.seed.map(|s| s as u64);
    let values = match init.kind() {
        InitKind::Uniform => parameters
            .iter()
            .map(|p| {
                ctx.streams_mut().draw(init.rng, own_seed, |r| {
                    r.uniform(p.rows, p.cols, init.low, init.high, dtype)
                })
            })
            .collect(),
        InitKind::Normal => parameters
            .iter()
            .map(|p| {
                ctx.streams_mut().draw(init.rng, own_seed, |r| {
                    r.normal(p.rows, p.cols, init.mean, init.std, dtype)
                })
            })
            .collect(),
        InitKind::Zeros => parameters.iter().map(|p| Matrix::zeros(p.rows, p.cols)).collect(),
        InitKind::Identity => parameters
            .iter()
            .map(|p| Matrix::from_fn(p.rows, p.cols, |i, j| if i == j { 1.0 } else { 0.0 }))
            .collect(),
        InitKind::ScaledTranspose => problem.scaled_transpose().ok_or_else(|| {
            (
                "kind".to_string(),
                format!(
                    "`scaled_transpose` is not defined for the `{}` problem; use uniform, normal, zeros, identity or from",
                    problem.kind()
                ),
            )
        })?,
        InitKind::From => {
            let source = init.from.as_ref().ok_or_else(|| {
                ("from".to_string(), "kind = \"from\" needs `from = <matrix>`".to_string())
            })?;
            let [p] = parameters else {
                let names: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
                return Err((
                    "from".into(),
                    format!(
                        "sets one matrix, but the `{}` problem has {} parameters ({})",
                        problem.kind(),
                        names.len(),
                        names.join(", ")
                    ),
                ));
            };
            let m = ctx.resolve(source).map_err(|reason| ("from".to_string(), reason))?;
            if m.shape() != (p.rows, p.cols) {
                return Err((
                    "from".into(),
                    format!(
                        "is {}x{}, but the parameter {} is {}x{}",
                        m.rows(),
                        m.cols(),
                        p.name,
                        p.rows,
                        p.cols
                    ),
                ));
            }
            vec![m]
        }
    };
    Ok(values
        .iter()
        .enumerate()
        .map(|(index, m)| {
            // The start lies in the constraint set: projected, then the fixed entries zeroed.
            let m = project
                .and(problem.projection(index))
                .of(&round_to(m, dtype));
            match problem.fixed(index) {
                // Fixed entries start (and stay) at zero.
                Some(fixed) => Matrix::from_fn(m.rows(), m.cols(), |i, j| {
                    if fixed[i * m.cols() + j] {
                        0.0
                    } else {
                        m.get(i, j)
                    }
                }),
                None => m,
            }
        })
        .collect())
}
