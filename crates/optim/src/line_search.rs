//! The strong-Wolfe line search and the cubic interpolation of torch.optim.LBFGS, with torch's scalar types.

use descent_tensor::Real;

use crate::OptimError;
use crate::reduce::{dot, max_abs};
use crate::scalar::Scalar::{self, Host, Tensor};

/// Sufficient decrease (Armijo) constant.
const C1: f64 = 1e-4;
/// Curvature constant.
const C2: f64 = 0.9;
/// The line search's own tolerance on the bracket width.
const TOLERANCE_CHANGE: f64 = 1e-9;

/// A trial point of the line search: step, loss, gradient and directional derivative.
#[derive(Debug, Clone)]
pub(crate) struct Trial<F> {
    /// The step along the direction.
    pub t: Scalar<F>,
    /// The loss there.
    pub f: f64,
    /// The flat gradient there.
    pub g: Vec<F>,
    /// `g · d`.
    pub gtd: F,
}

/// The minimizer of the cubic through `(x1, f1)` and `(x2, f2)` with slopes `g1` and `g2`,
/// clamped to `bounds` (default: between the two points); the middle of the bounds when the
/// cubic has no minimum. The square root is correctly rounded (torch's MKL float32 one is not).
pub(crate) fn cubic_interpolate<F: Real>(
    (x1, f1, g1): (Scalar<F>, f64, F),
    (x2, f2, g2): (Scalar<F>, f64, F),
    bounds: Option<(Scalar<F>, Scalar<F>)>,
) -> Scalar<F> {
    let (lo, hi) = bounds.unwrap_or(if x1.le(x2) { (x1, x2) } else { (x2, x1) });
    let (g1, g2) = (Tensor(g1), Tensor(g2));
    let d1 = g1.add(g2).sub(Host(3.0 * (f1 - f2)).div(x1.sub(x2)));
    let d2_square = d1.mul(d1).sub(g1.mul(g2));
    if d2_square.ge(Host(0.0)) {
        let d2 = Tensor(d2_square.value().sqrt());
        let two_d2 = Host(2.0).mul(d2);
        let min_pos = if x1.le(x2) {
            x2.sub(
                x2.sub(x1)
                    .mul(g2.add(d2).sub(d1).div(g2.sub(g1).add(two_d2))),
            )
        } else {
            x1.sub(
                x1.sub(x2)
                    .mul(g1.add(d2).sub(d1).div(g1.sub(g2).add(two_d2))),
            )
        };
        min_pos.max(lo).min(hi)
    } else {
        lo.add(hi).div(Host(2.0))
    }
}

/// torch's `_strong_wolfe`: from loss `f`, gradient `g` and slope `gtd` at step 0, find a step
/// along `d` that satisfies the strong Wolfe conditions, trying at most `max_ls` + 1 points.
/// `evaluate(t)` gives the loss and gradient at step `t`. Returns the accepted trial and the
/// number of evaluations.
pub(crate) fn strong_wolfe<F: Real>(
    evaluate: &mut dyn FnMut(Scalar<F>) -> Result<(f64, Vec<F>), OptimError>,
    d: &[F],
    t: Scalar<F>,
    (f, g, gtd): (f64, &[F], F),
    max_ls: usize,
) -> Result<(Trial<F>, usize), OptimError> {
    let d_norm = Tensor(max_abs(d));
    let mut trial = |t: Scalar<F>| -> Result<Trial<F>, OptimError> {
        let (f, g) = evaluate(t)?;
        let gtd = dot(&g, d);
        Ok(Trial { t, f, g, gtd })
    };
    // f + c1 t gtd, evaluated as torch does, compared in the element type.
    let armijo_fails = |x: &Trial<F>| Host(x.f).gt(Host(f).add(Host(C1).mul(x.t).mul(Tensor(gtd))));
    let curvature_holds = |x: &Trial<F>| Tensor(x.gtd.abs()).le(Host(-C2).mul(Tensor(gtd)));

    let mut new = trial(t)?;
    let mut evals = 1;
    let mut prev = Trial {
        t: Host(0.0),
        f,
        g: g.to_vec(),
        gtd,
    };
    let mut ls_iter = 0;
    let mut bracket: Option<[Trial<F>; 2]> = None;
    while ls_iter < max_ls {
        if armijo_fails(&new) || (ls_iter > 1 && new.f >= prev.f) {
            bracket = Some([prev.clone(), new.clone()]);
            break;
        }
        if curvature_holds(&new) {
            return Ok((new, evals));
        }
        if new.gtd >= F::zero() {
            bracket = Some([prev.clone(), new.clone()]);
            break;
        }
        let min_step = new.t.add(Host(0.01).mul(new.t.sub(prev.t)));
        let max_step = new.t.mul(Host(10.0));
        let next = cubic_interpolate(
            (prev.t, prev.f, prev.gtd),
            (new.t, new.f, new.gtd),
            Some((min_step, max_step)),
        );
        prev = new;
        new = trial(next)?;
        evals += 1;
        ls_iter += 1;
    }
    let mut bracket = match bracket {
        Some(b) => b,
        None => {
            // Out of evaluations: the bracket is [0, t], keeping the slopes of the last pair.
            let zero = Trial {
                t: Host(0.0),
                f,
                g: g.to_vec(),
                gtd: prev.gtd,
            };
            [zero, new]
        }
    };
    let order = |b: &[Trial<F>; 2]| if b[0].f <= b[1].f { (0, 1) } else { (1, 0) };
    let (mut low, mut high) = order(&bracket);
    let mut insufficient_progress = false;
    while ls_iter < max_ls {
        let (b0, b1) = (bracket[0].t, bracket[1].t);
        if b1.sub(b0).abs().mul(d_norm).lt(Host(TOLERANCE_CHANGE)) {
            break;
        }
        let mut t = cubic_interpolate(
            (b0, bracket[0].f, bracket[0].gtd),
            (b1, bracket[1].f, bracket[1].gtd),
            None,
        );
        let (b_max, b_min) = (b0.max(b1), b0.min(b1));
        let eps = Host(0.1).mul(b_max.sub(b_min));
        if b_max.sub(t).min(t.sub(b_min)).lt(eps) {
            if insufficient_progress || t.ge(b_max) || t.le(b_min) {
                t = if t.sub(b_max).abs().lt(t.sub(b_min).abs()) {
                    b_max.sub(eps)
                } else {
                    b_min.add(eps)
                };
                insufficient_progress = false;
            } else {
                insufficient_progress = true;
            }
        } else {
            insufficient_progress = false;
        }
        let new = trial(t)?;
        evals += 1;
        ls_iter += 1;
        if armijo_fails(&new) || new.f >= bracket[low].f {
            bracket[high] = new;
            (low, high) = order(&bracket);
        } else {
            let done = curvature_holds(&new);
            if !done
                && Tensor(new.gtd)
                    .mul(bracket[high].t.sub(bracket[low].t))
                    .ge(Host(0.0))
            {
                bracket[high] = bracket[low].clone();
            }
            bracket[low] = new;
            if done {
                break;
            }
        }
    }
    let [first, second] = bracket;
    Ok((if low == 0 { first } else { second }, evals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_interpolation_finds_the_minimum_of_a_cubic() {
        // f(x) = x^3 - 3x has its local minimum at x = 1; f' = 3x^2 - 3.
        let f = |x: f64| x * x * x - 3.0 * x;
        let g = |x: f64| 3.0 * x * x - 3.0;
        let at = |x: f64| (Host::<f64>(x), f(x), g(x));
        let x = cubic_interpolate(at(0.0), at(2.0), None).widen();
        assert!((x - 1.0).abs() < 1e-12, "{x}");
        // Clamped to the bounds.
        let x = cubic_interpolate(at(0.0), at(2.0), Some((Host(1.5), Host(2.0)))).widen();
        assert_eq!(x, 1.5);
    }

    #[test]
    fn strong_wolfe_accepts_a_point_meeting_both_conditions_on_a_quadratic() {
        // phi(t) = (t - 3)^2 along d = 1 from 0: slope -6 at 0.
        let d = [1.0f64];
        let mut evaluate =
            |t: Scalar<f64>| Ok(((t.widen() - 3.0).powi(2), vec![2.0 * (t.widen() - 3.0)]));
        let (found, evals) =
            strong_wolfe(&mut evaluate, &d, Host(0.1), (9.0, &[-6.0], -6.0), 25).unwrap();
        let t = found.t.widen();
        // Armijo and the strong curvature condition hold at the accepted step.
        assert!(found.f <= 9.0 + C1 * t * -6.0);
        assert!(found.gtd.abs() <= C2 * 6.0);
        assert!(
            evals >= 2,
            "t = 1 fails the curvature test and needs another trial"
        );
    }
}
