//! `Verdict`: what became of a run, in five words: converged, converging, stalled, plateau, diverging.

use serde::Serialize;

/// What became of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The error against the exact answer is below the tolerance.
    Converged,
    /// Still making progress toward the tolerance.
    Converging,
    /// No progress, at the precision floor of the run's dtype.
    Stalled,
    /// No progress, above the precision floor.
    Plateau,
    /// The run diverged.
    Diverging,
}

impl Verdict {
    /// The name in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Converged => "converged",
            Self::Converging => "converging",
            Self::Stalled => "stalled",
            Self::Plateau => "plateau",
            Self::Diverging => "diverging",
        }
    }
}

/// What the verdict is judged from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// The run diverged.
    pub diverged: bool,
    /// Relative error against the exact answer at the end.
    pub rel_error: f64,
    /// The tolerance on it.
    pub tolerance: f64,
    /// Iterations done.
    pub iterations: usize,
    /// The last iteration at which the loss made progress (fell below 0.99 times its best).
    pub last_progress: usize,
    /// The relative error the dtype can resolve: about `sqrt(κ_H) eps` (κ of the matrix, times
    /// the unit roundoff), times a margin.
    pub floor: f64,
}

/// The verdict: diverging, converged, then (without progress over the last tenth of the run, at
/// least ten iterations) stalled at the floor or on a plateau above it, else converging.
pub fn judge(e: &Evidence) -> Verdict {
    if e.diverged || !e.rel_error.is_finite() {
        return Verdict::Diverging;
    }
    if e.rel_error <= e.tolerance {
        return Verdict::Converged;
    }
    let window = (e.iterations / 10).max(10);
    if e.iterations > window && e.last_progress + window <= e.iterations {
        return if e.rel_error <= e.floor {
            Verdict::Stalled
        } else {
            Verdict::Plateau
        };
    }
    Verdict::Converging
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence() -> Evidence {
        Evidence {
            diverged: false,
            rel_error: 1e-2,
            tolerance: 1e-4,
            iterations: 100,
            last_progress: 99,
            floor: 1e-6,
        }
    }

    #[test]
    fn each_outcome_has_its_evidence() {
        assert_eq!(judge(&evidence()), Verdict::Converging);
        let done = Evidence {
            rel_error: 1e-5,
            ..evidence()
        };
        assert_eq!(judge(&done), Verdict::Converged);
        let flat = Evidence {
            last_progress: 50,
            ..evidence()
        };
        assert_eq!(judge(&flat), Verdict::Plateau);
        let floor = Evidence {
            rel_error: 1e-7,
            tolerance: 1e-8,
            last_progress: 50,
            ..evidence()
        };
        assert_eq!(judge(&floor), Verdict::Stalled);
        let bad = Evidence {
            diverged: true,
            ..evidence()
        };
        assert_eq!(judge(&bad), Verdict::Diverging);
    }
}
