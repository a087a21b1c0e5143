//! Performance profiles (Dolan and Moré, 2002), data profiles (Moré and Wild, 2009) and AlgoPerf's score (the area under the performance profile up to τ = 4).
//!
//! The costs form a table with a row per problem instance and a column per solver: the cost of
//! solving it (evaluations to the target), or `None` when the solver did not solve it.
//! - The performance ratio `r[p][s] = t[p][s] / min_s t[p][s]` (infinite when unsolved), and
//!   the profile `ρ_s(τ)`, the fraction of problems with `r[p][s] <= τ`: `ρ_s(1)` is how often
//!   `s` is the best, `ρ_s(∞)` how often it solves at all.
//! - The data profile `d_s(κ)`: the fraction of problems `s` solves within a budget of `κ`.
//! - The score: `(1 / (τ_max - 1)) ∫_1^τ_max ρ_s(τ) dτ` with `τ_max = 4` (AlgoPerf's
//!   benchmark score, Dahl et al. 2023): 1 for a solver that is always the best, 0 for one that is
//!   never within 4x of it.
//!
//! A cost of 0 (solved at the start) counts as 1, so that ratios stay defined.

/// AlgoPerf's upper limit of τ for the score.
pub const TAU_MAX: f64 = 4.0;

/// The performance ratios `r[p][s]` of a cost table `costs[p][s]`: infinite where `s` did not
/// solve `p` (and for every solver of a problem none solved).
pub fn ratios(costs: &[Vec<Option<f64>>]) -> Vec<Vec<f64>> {
    costs
        .iter()
        .map(|row| {
            let cost = |c: &Option<f64>| c.map(|c| c.max(1.0));
            let best = row.iter().filter_map(cost).fold(f64::INFINITY, f64::min);
            row.iter()
                .map(|c| cost(c).map_or(f64::INFINITY, |c| c / best))
                .collect()
        })
        .collect()
}

/// `ρ_s(τ)`: the fraction of the ratios of one solver (`ratios[p]`) at most `tau`.
pub fn performance(ratios: &[f64], tau: f64) -> f64 {
    if ratios.is_empty() {
        return 0.0;
    }
    ratios
        .iter()
        .filter(|&&r| r.is_finite() && r <= tau)
        .count() as f64
        / ratios.len() as f64
}

/// The steps of `ρ_s`: each distinct finite ratio with the fraction at most it, in increasing
/// order (a step function, right-continuous, 0 below the first).
pub fn steps(ratios: &[f64]) -> Vec<(f64, f64)> {
    let mut finite: Vec<f64> = ratios.iter().copied().filter(|r| r.is_finite()).collect();
    finite.sort_by(f64::total_cmp);
    finite.dedup();
    finite
        .into_iter()
        .map(|r| (r, performance(ratios, r)))
        .collect()
}

/// AlgoPerf's score of one solver's ratios: the area under `ρ_s` from 1 to [`TAU_MAX`], divided
/// by `TAU_MAX - 1`; exactly `(1/|P|) Σ_{r_p <= 4} (4 - r_p) / 3`.
pub fn score(ratios: &[f64]) -> f64 {
    if ratios.is_empty() {
        return 0.0;
    }
    ratios
        .iter()
        .filter(|&&r| r <= TAU_MAX)
        .map(|&r| (TAU_MAX - r.max(1.0)) / (TAU_MAX - 1.0))
        .fold(0.0, |a, b| a + b)
        / ratios.len() as f64
}

/// `d_s(κ)`: the fraction of one solver's costs (`costs[p]`) that solved within `budget`.
pub fn data(costs: &[Option<f64>], budget: f64) -> f64 {
    if costs.is_empty() {
        return 0.0;
    }
    costs
        .iter()
        .filter(|c| c.is_some_and(|c| c.max(1.0) <= budget))
        .count() as f64
        / costs.len() as f64
}

/// The steps of `d_s`: each distinct cost with the fraction solved within it, increasing.
pub fn data_steps(costs: &[Option<f64>]) -> Vec<(f64, f64)> {
    let mut solved: Vec<f64> = costs.iter().flatten().map(|c| c.max(1.0)).collect();
    solved.sort_by(f64::total_cmp);
    solved.dedup();
    solved.into_iter().map(|c| (c, data(costs, c))).collect()
}

/// Column `s` of a table of rows.
pub fn column<T: Copy>(table: &[Vec<T>], s: usize) -> Vec<T> {
    table.iter().map(|row| row[s]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three problems, two solvers, worked by hand:
    /// p1: A 10, B 20 (ratios 1, 2); p2: A 30, B 10 (3, 1); p3: A unsolved, B 50 (∞, 1).
    fn table() -> Vec<Vec<Option<f64>>> {
        vec![
            vec![Some(10.0), Some(20.0)],
            vec![Some(30.0), Some(10.0)],
            vec![None, Some(50.0)],
        ]
    }

    #[test]
    fn ratios_and_profiles_match_the_hand_worked_table() {
        let r = ratios(&table());
        assert_eq!(r[0], [1.0, 2.0]);
        assert_eq!(r[1], [3.0, 1.0]);
        assert_eq!(r[2], [f64::INFINITY, 1.0]);
        let (a, b) = (column(&r, 0), column(&r, 1));
        assert_eq!(performance(&a, 1.0), 1.0 / 3.0);
        assert_eq!(performance(&a, 2.9), 1.0 / 3.0);
        assert_eq!(performance(&a, 3.0), 2.0 / 3.0);
        assert_eq!(performance(&a, 1e300), 2.0 / 3.0, "A never solves p3");
        assert_eq!(
            performance(&a, f64::INFINITY),
            2.0 / 3.0,
            "not even at τ = ∞"
        );
        assert_eq!(performance(&b, 1.0), 2.0 / 3.0);
        assert_eq!(performance(&b, 2.0), 1.0);
        assert_eq!(steps(&a), [(1.0, 1.0 / 3.0), (3.0, 2.0 / 3.0)]);
        assert_eq!(steps(&b), [(1.0, 2.0 / 3.0), (2.0, 1.0)]);
    }

    #[test]
    fn the_score_is_the_area_under_the_profile_up_to_four() {
        let r = ratios(&table());
        // A: 1/3 on [1, 3), 2/3 on [3, 4]: area 2/3 + 2/3 = 4/3, over 3: 4/9.
        // B: 2/3 on [1, 2), 1 on [2, 4]: area 2/3 + 2 = 8/3, over 3: 8/9.
        assert!((score(&column(&r, 0)) - 4.0 / 9.0).abs() < 1e-15);
        assert!((score(&column(&r, 1)) - 8.0 / 9.0).abs() < 1e-15);
        // The same by integrating the step function numerically.
        for s in 0..2 {
            let col = column(&r, s);
            let n = 300_000;
            let h = (TAU_MAX - 1.0) / n as f64;
            let area: f64 = (0..n)
                .map(|i| performance(&col, 1.0 + (i as f64 + 0.5) * h) * h)
                .sum();
            assert!((area / 3.0 - score(&col)).abs() < 1e-5, "{s}");
        }
        // Always the best: 1; never within 4x: 0.
        assert_eq!(score(&[1.0, 1.0]), 1.0);
        assert_eq!(score(&[5.0, f64::INFINITY]), 0.0);
    }

    #[test]
    fn data_profiles_count_what_is_solved_within_a_budget() {
        let t = table();
        let (a, b) = (column(&t, 0), column(&t, 1));
        assert_eq!(data(&a, 9.0), 0.0);
        assert_eq!(data(&a, 10.0), 1.0 / 3.0);
        assert_eq!(data(&a, 1e9), 2.0 / 3.0);
        assert_eq!(data(&b, 20.0), 2.0 / 3.0);
        assert_eq!(
            data_steps(&b),
            [(10.0, 1.0 / 3.0), (20.0, 2.0 / 3.0), (50.0, 1.0)]
        );
    }

    #[test]
    fn a_problem_nobody_solves_counts_against_everyone_and_zero_cost_is_one() {
        let r = ratios(&[vec![None, None], vec![Some(0.0), Some(2.0)]]);
        assert_eq!(r[0], [f64::INFINITY, f64::INFINITY]);
        assert_eq!(r[1], [1.0, 2.0]);
    }
}
