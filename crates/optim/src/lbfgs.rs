//! `Lbfgs`: torch.optim.LBFGS, limited-memory BFGS with an optional strong-Wolfe line search, using the closure.

use std::collections::VecDeque;

use descent_tensor::Real;
use serde::{Deserialize, Serialize};

use crate::config::{check_lr, check_non_negative};
use crate::line_search::strong_wolfe;
use crate::optimizer::check_shapes;
use crate::reduce::{dot, max_abs, sum_abs};
use crate::scalar::Scalar::{self, Host, Tensor};
use crate::{Closure, Invalid, OptimError, Optimizer, OptimizerConfig};

/// The line search of [`Lbfgs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineSearchFn {
    /// A fixed step `lr` (torch's `line_search_fn=None`).
    #[default]
    None,
    /// The strong-Wolfe line search (`"strong_wolfe"`).
    StrongWolfe,
}

/// Config of [`Lbfgs`], with torch.optim.LBFGS's keys and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LbfgsConfig {
    /// Learning rate: the step along each direction, or the line search's first trial (default 1).
    pub lr: f64,
    /// Inner iterations per optimizer step (default 20).
    pub max_iter: usize,
    /// Objective evaluations per step (default `max_iter * 5 / 4`, rounded down).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_eval: Option<usize>,
    /// Stop a step when every gradient entry is at most this in size (default 1e-7).
    pub tolerance_grad: f64,
    /// Stop a step when the loss or the parameters change less than this (default 1e-9).
    pub tolerance_change: f64,
    /// Curvature pairs kept (default 100).
    pub history_size: usize,
    /// `"none"` (default: a fixed step) or `"strong_wolfe"`.
    pub line_search_fn: LineSearchFn,
    /// Maximize the objective (default false).
    pub maximize: bool,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        Self {
            lr: 1.0,
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            line_search_fn: LineSearchFn::None,
            maximize: false,
        }
    }
}

impl LbfgsConfig {
    /// The evaluation budget of one step: `max_eval`, or torch's default `max_iter * 5 / 4`.
    pub fn max_eval(&self) -> usize {
        self.max_eval.unwrap_or(self.max_iter.saturating_mul(5) / 4)
    }
}

impl OptimizerConfig for LbfgsConfig {
    const KIND: &'static str = "lbfgs";
    const SUMMARY: &'static str = "torch.optim.LBFGS: lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size, line_search_fn (\"none\" or \"strong_wolfe\"), maximize";

    fn lr(&self) -> f64 {
        self.lr
    }

    /// Two vectors per curvature pair kept, and the direction, the previous gradient and the
    /// line search's trials.
    fn state_slots(&self) -> usize {
        self.history_size.saturating_mul(2).saturating_add(6)
    }

    fn validate(&self) -> Result<(), Invalid> {
        check_lr(self.lr)?;
        if self.max_iter == 0 {
            return Err(Invalid::new("max_iter", "must be at least 1"));
        }
        if self.max_eval == Some(0) {
            return Err(Invalid::new("max_eval", "must be at least 1"));
        }
        if self.history_size == 0 {
            return Err(Invalid::new("history_size", "must be at least 1"));
        }
        check_non_negative("tolerance_grad", self.tolerance_grad)?;
        check_non_negative("tolerance_change", self.tolerance_change)
    }

    fn build<F: Real>(&self) -> Box<dyn Optimizer<F>> {
        Box::new(Lbfgs::new(self.clone()))
    }
}

/// One curvature pair of the history: `y = Δg`, `s = Δx`, `ρ = 1 / (y · s)`.
#[derive(Debug, Clone)]
struct Pair<F> {
    y: Vec<F>,
    s: Vec<F>,
    rho: F,
}

/// torch.optim.LBFGS. Each [`Optimizer::step`] is one torch `step(closure)`: it evaluates the
/// objective through the closure (as torch's first `closure()` call), then runs up to `max_iter`
/// inner iterations: a direction by the two-loop recursion over the kept pairs, a step of `lr`
/// (or `min(1, 1 / Σ|g|) lr` on the very first iteration) or the strong-Wolfe line search, and
/// torch's stop tests. The direction, step, history and previous gradient carry over between steps.
///
/// Scalars follow torch's types: dot products, sums and maxima are element-type values, losses and
/// hyper-parameters `f64`, mixed as torch mixes them (see `scalar.rs`). The square root inside the
/// cubic interpolation is correctly rounded; torch's MKL float32 one is not, which can change the
/// trial steps of the zoom phase (torch-optim.md, section 7).
#[derive(Debug, Clone)]
pub struct Lbfgs<F> {
    config: LbfgsConfig,
    /// Inner iterations over the optimizer's life.
    n_iter: usize,
    /// Objective evaluations over the optimizer's life.
    func_evals: usize,
    d: Vec<F>,
    t: Scalar<F>,
    history: VecDeque<Pair<F>>,
    h_diag: F,
    prev_grad: Vec<F>,
    prev_loss: f64,
}

impl<F: Real> Lbfgs<F> {
    /// A fresh L-BFGS optimizer.
    pub fn new(config: LbfgsConfig) -> Self {
        Self {
            config,
            n_iter: 0,
            func_evals: 0,
            d: Vec::new(),
            t: Host(0.0),
            history: VecDeque::new(),
            h_diag: F::one(),
            prev_grad: Vec::new(),
            prev_loss: 0.0,
        }
    }

    /// How many times the objective was evaluated so far (torch's `state["func_evals"]`).
    pub fn evaluations(&self) -> usize {
        self.func_evals
    }

    /// The two-loop recursion: `d = -H g` from the history.
    fn direction(&self, g: &[F]) -> Vec<F> {
        let mut q: Vec<F> = g.iter().map(|&x| -x).collect();
        let mut alphas = vec![F::zero(); self.history.len()];
        for (i, pair) in self.history.iter().enumerate().rev() {
            alphas[i] = dot(&pair.s, &q) * pair.rho;
            let minus_alpha = -alphas[i];
            for (qj, &yj) in q.iter_mut().zip(&pair.y) {
                *qj = minus_alpha.mul_add(yj, *qj);
            }
        }
        let mut r: Vec<F> = q.iter().map(|&x| x * self.h_diag).collect();
        for (pair, &alpha) in self.history.iter().zip(&alphas) {
            let beta = dot(&pair.y, &r) * pair.rho;
            let coef = alpha - beta;
            for (rj, &sj) in r.iter_mut().zip(&pair.s) {
                *rj = coef.mul_add(sj, *rj);
            }
        }
        r
    }
}

/// The objective as L-BFGS sees it: flat parameters in, loss and flat gradient out.
struct Objective<'a, F> {
    closure: &'a mut dyn Closure<F>,
    /// The parameters' lengths, to unflatten.
    lengths: Vec<usize>,
    /// Scratch parameters handed to the closure.
    work: Vec<Vec<F>>,
    maximize: bool,
}

impl<F: Real> Objective<'_, F> {
    fn at(&mut self, x: &[F]) -> Result<(f64, Vec<F>), OptimError> {
        let mut offset = 0;
        for (w, &n) in self.work.iter_mut().zip(&self.lengths) {
            w.clear();
            w.extend_from_slice(&x[offset..offset + n]);
            offset += n;
        }
        let e = self.closure.evaluate(&self.work)?;
        check_shapes(&self.work, &e.grads)?;
        let sign = if self.maximize { -F::one() } else { F::one() };
        let g = e.grads.iter().flatten().map(|&v| v * sign).collect();
        Ok((if self.maximize { -e.loss } else { e.loss }, g))
    }

    /// The loss and gradient at `x + t d`, as torch's `_directional_evaluate`.
    fn along(&mut self, x: &[F], t: Scalar<F>, d: &[F]) -> Result<(f64, Vec<F>), OptimError> {
        let step = t.value();
        let moved: Vec<F> = x
            .iter()
            .zip(d)
            .map(|(&xi, &di)| step.mul_add(di, xi))
            .collect();
        self.at(&moved)
    }
}

impl<F: Real> Optimizer<F> for Lbfgs<F> {
    fn step(
        &mut self,
        params: &mut [Vec<F>],
        grads: &[Vec<F>],
        lr: f64,
        closure: &mut dyn Closure<F>,
    ) -> Result<(), OptimError> {
        check_shapes(params, grads)?;
        let c = self.config.clone();
        let max_eval = c.max_eval();
        let mut objective = Objective {
            closure,
            lengths: params.iter().map(Vec::len).collect(),
            work: params.to_vec(),
            maximize: c.maximize,
        };
        let mut x: Vec<F> = params.iter().flatten().copied().collect();
        let small = |v: F, tol: f64| Tensor(v).le(Host(tol));

        let (mut loss, mut g) = objective.at(&x)?;
        let mut current_evals = 1;
        self.func_evals += 1;
        if small(max_abs(&g), c.tolerance_grad) {
            return Ok(());
        }
        let mut n_iter = 0;
        while n_iter < c.max_iter {
            n_iter += 1;
            self.n_iter += 1;
            if self.n_iter == 1 {
                self.d = g.iter().map(|&v| -v).collect();
                self.history.clear();
                self.h_diag = F::one();
            } else {
                let y: Vec<F> = g
                    .iter()
                    .zip(&self.prev_grad)
                    .map(|(&a, &b)| a - b)
                    .collect();
                let t = self.t.value();
                let s: Vec<F> = self.d.iter().map(|&di| di * t).collect();
                let ys = dot(&y, &s);
                if Tensor(ys).gt(Host(1e-10)) {
                    if self.history.len() == c.history_size {
                        self.history.pop_front();
                    }
                    self.h_diag = ys / dot(&y, &y);
                    self.history.push_back(Pair {
                        rho: F::one() / ys,
                        y,
                        s,
                    });
                }
                self.d = self.direction(&g);
            }
            self.prev_grad.clone_from(&g);
            self.prev_loss = loss;
            self.t = if self.n_iter == 1 {
                Host(1.0)
                    .min(Host(1.0).div(Tensor(sum_abs(&g))))
                    .mul(Host(lr))
            } else {
                Host(lr)
            };
            let gtd = dot(&g, &self.d);
            if Tensor(gtd).gt(Host(-c.tolerance_change)) {
                break;
            }
            let mut ls_evals = 0;
            let mut optimal = false;
            match c.line_search_fn {
                LineSearchFn::StrongWolfe => {
                    let max_ls = max_eval.saturating_sub(current_evals);
                    let (found, evals) = {
                        let (x0, d) = (&x, &self.d);
                        let mut along = |t: Scalar<F>| objective.along(x0, t, d);
                        strong_wolfe(&mut along, d, self.t, (loss, &g, gtd), max_ls)?
                    };
                    self.t = found.t;
                    loss = found.f;
                    g = found.g;
                    let step = self.t.value();
                    for (xi, &di) in x.iter_mut().zip(&self.d) {
                        *xi = step.mul_add(di, *xi);
                    }
                    optimal = small(max_abs(&g), c.tolerance_grad);
                    ls_evals = evals;
                }
                LineSearchFn::None => {
                    let step = self.t.value();
                    for (xi, &di) in x.iter_mut().zip(&self.d) {
                        *xi = step.mul_add(di, *xi);
                    }
                    if n_iter != c.max_iter {
                        (loss, g) = objective.at(&x)?;
                        optimal = small(max_abs(&g), c.tolerance_grad);
                        ls_evals = 1;
                    }
                }
            }
            current_evals += ls_evals;
            self.func_evals += ls_evals;
            if n_iter == c.max_iter || current_evals >= max_eval || optimal {
                break;
            }
            let t = self.t.value();
            let moved = self.d.iter().fold(F::zero(), |m, &di| {
                let a = (di * t).abs();
                if a > m { a } else { m }
            });
            if small(moved, c.tolerance_change)
                || (loss - self.prev_loss).abs() < c.tolerance_change
            {
                break;
            }
        }
        let mut offset = 0;
        for p in params.iter_mut() {
            let n = p.len();
            p.copy_from_slice(&x[offset..offset + n]);
            offset += n;
        }
        Ok(())
    }
}
