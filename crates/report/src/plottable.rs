//! What a picture can draw: values an axis can hold without overflowing, ranges built from them, and the note for the rest.
//!
//! plotters computes an axis's tick marks by stepping through its range; a range with an infinite
//! end (or one whose padding overflows to infinity) never ends that loop. Every picture therefore
//! builds its axes only from [`drawable`] values, and says in a note how many it left out.

/// The largest magnitude a picture draws: beyond it (or at infinity, or NaN) a value is left out.
/// Padding an axis by a factor of two or so must stay finite, hence well below `f64::MAX`.
pub const LARGEST: f64 = 1e300;

/// A value a linear axis can hold: finite and at most [`LARGEST`] in magnitude.
pub fn drawable(v: f64) -> bool {
    v.is_finite() && v.abs() <= LARGEST
}

/// A value a logarithmic axis can hold: [`drawable`] and at least `1 / LARGEST`.
pub fn drawable_log(v: f64) -> bool {
    drawable(v) && v >= 1.0 / LARGEST
}

/// The smallest and largest of the values that pass `keep`, if any pass.
pub fn range(values: impl IntoIterator<Item = f64>, keep: fn(f64) -> bool) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|&v| keep(v))
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
}

/// `v` clamped to within ten widths of the axis range `lo..hi`: a line may leave the chart, but
/// plotters maps a coordinate to pixels in `i32` and overflows far outside its range.
pub fn near(lo: f64, hi: f64, v: f64) -> f64 {
    let w = 10.0 * (hi - lo);
    if v.is_nan() {
        lo
    } else {
        v.clamp(lo - w, hi + w)
    }
}

/// Tick marks for a logarithmic axis from `lo` to `hi` (both > 0): the powers of ten inside,
/// at most about ten of them (every second, fifth, ... decade on a long axis), and the 2x and 5x
/// marks of each decade when fewer than three powers of ten fall inside, so that every log axis
/// carries at least three labelled ticks.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && drawable(hi)) {
        return Vec::new();
    }
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: &f64| *v >= lo && *v <= hi;
    let decades: Vec<i32> = (first..=last).collect();
    let step = (decades.len() / 10).max(1) as i32;
    let mut ticks: Vec<f64> = decades
        .iter()
        .filter(|&&k| k.rem_euclid(step) == 0)
        .map(|&k| 10f64.powi(k))
        .filter(inside)
        .collect();
    if ticks.len() < 3 {
        ticks = decades
            .iter()
            .flat_map(|&k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
            .filter(inside)
            .collect();
    }
    if ticks.len() < 3 {
        // Under half a decade: evenly spaced in the logarithm.
        ticks = (0..5)
            .map(|i| lo * (hi / lo).powf(f64::from(i) / 4.0))
            .collect();
    }
    ticks
}

/// Write `notes` in red, one line each, from `at` (pixels) down: what a picture left out.
pub fn draw_notes<DB: plotters::prelude::DrawingBackend>(
    root: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    notes: &[String],
    at: (i32, i32),
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    use plotters::prelude::*;
    for (i, note) in notes.iter().enumerate() {
        root.draw_text(
            note,
            &("sans-serif", 12).into_font().color(&RED),
            (at.0, at.1 + 14 * i as i32),
        )?;
    }
    Ok(())
}

/// The note for a picture that left `count` values of `what` out, or `None` when it left none.
pub fn left_out(count: usize, what: &str) -> Option<String> {
    (count > 0).then(|| {
        format!(
            "{count} {what} value{} left out (not finite or beyond 1e300 in magnitude)",
            if count == 1 { "" } else { "s" }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinities_nan_and_astronomical_values_are_not_drawable() {
        for v in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e301, -f64::MAX] {
            assert!(!drawable(v), "{v}");
        }
        for v in [0.0, -1.0, 1e300, -1e300, f64::MIN_POSITIVE] {
            assert!(drawable(v), "{v}");
        }
        assert!(!drawable_log(0.0) && !drawable_log(-1.0) && !drawable_log(1e-301));
        assert!(drawable_log(1e-300) && drawable_log(2.0));
    }

    #[test]
    fn a_range_covers_only_what_it_keeps_and_its_padding_stays_finite() {
        assert_eq!(
            range([3.0, f64::INFINITY, -2.0, f64::NAN], drawable),
            Some((-2.0, 3.0))
        );
        assert_eq!(range([f64::INFINITY, 0.0], drawable_log), None);
        let (_, hi) = range([LARGEST], drawable).unwrap();
        assert!((hi * 2.0).is_finite());
        assert_eq!(left_out(0, "lr"), None);
        // At least three ticks on every log axis; powers of ten where there are enough.
        assert_eq!(log_ticks(1e-6, 1e2).len(), 9);
        assert_eq!(log_ticks(0.3, 7.0), vec![0.5, 1.0, 2.0, 5.0]);
        assert!(log_ticks(1.1, 1.3).len() >= 3);
        assert!(log_ticks(1e-300, 1e300).len() <= 11);
        assert_eq!(near(0.0, 1.0, 1e200), 11.0);
        assert_eq!(near(0.0, 1.0, f64::NEG_INFINITY), -10.0);
        assert_eq!(near(0.0, 1.0, 0.5), 0.5);
        assert!(
            left_out(2, "lr")
                .unwrap()
                .starts_with("2 lr values left out")
        );
    }
}
