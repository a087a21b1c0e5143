//! Rates from a loss curve, and iterations to a tolerance.

/// The rate of the error per iteration measured on `losses` (consecutive iterations): the
/// least-squares slope of `log(loss - floor)` against the iteration, as `exp(slope / 2)` (the loss
/// goes as the square of the error). `None` with fewer than three usable points.
pub fn measured(losses: &[f64], floor: f64) -> Option<f64> {
    let points: Vec<(f64, f64)> = losses
        .iter()
        .enumerate()
        .filter_map(|(t, &l)| {
            let excess = l - floor;
            (excess.is_finite() && excess > 0.0).then(|| (t as f64, excess.ln()))
        })
        .collect();
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    (sxx > 0.0).then(|| (0.5 * sxy / sxx).exp())
}

/// Iterations for an error of `now` to shrink to `tolerance` at `rate` per iteration (0 when it is
/// there already; `None` when the rate never gets there).
pub fn iterations_to(now: f64, tolerance: f64, rate: f64) -> Option<f64> {
    if now <= tolerance {
        return Some(0.0);
    }
    if !(rate > 0.0 && rate < 1.0) {
        return None;
    }
    Some(((tolerance / now).ln() / rate.ln()).ceil())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_geometric_loss_gives_its_rate_back() {
        let losses: Vec<f64> = (0..20).map(|t| 3.0 * 0.81f64.powi(t)).collect();
        assert!((measured(&losses, 0.0).unwrap() - 0.9).abs() < 1e-12);
        let shifted: Vec<f64> = losses.iter().map(|l| l + 2.0).collect();
        assert!((measured(&shifted, 2.0).unwrap() - 0.9).abs() < 1e-9);
        assert_eq!(measured(&[1.0, 0.5], 0.0), None);
    }

    #[test]
    fn iterations_to_a_tolerance_follow_the_rate() {
        assert_eq!(iterations_to(1.0, 1e-3, 0.1), Some(3.0));
        assert_eq!(iterations_to(1e-4, 1e-3, 0.5), Some(0.0));
        assert_eq!(iterations_to(1.0, 1e-3, 1.0), None);
    }
}
