//! Numbers and matrices as text: scientific notation with a padded exponent, and numpy-style aligned matrices.

use descent_tensor::Matrix;

/// Format a number in scientific notation with `digits` digits after the point: `1.66504e-01`.
pub fn sci(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let s = format!("{x:.digits$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Format a matrix with `decimals` decimals, aligned, one row per line, numpy style.
pub fn format_matrix(m: &Matrix, decimals: usize) -> String {
    let cells: Vec<String> = m.data().iter().map(|v| format!("{v:.decimals$}")).collect();
    let width = cells.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for i in 0..m.rows() {
        out.push_str(if i == 0 { "[[" } else { " [" });
        let row: Vec<String> = (0..m.cols())
            .map(|j| format!("{:>width$}", cells[i * m.cols() + j]))
            .collect();
        out.push_str(&row.join(", "));
        out.push(']');
        if i + 1 < m.rows() {
            out.push_str(",\n");
        }
    }
    out.push(']');
    out
}

/// Decimals that show the largest entry of `m` with at least two significant digits, and never
/// fewer than `least`: at t = 80 the notebook's differences are about 0.01, which two decimals
/// print as 0.00 everywhere.
pub fn decimals_for(m: &Matrix, least: usize) -> usize {
    let max = m.max_abs();
    if !(max > 0.0 && max.is_finite()) {
        return least;
    }
    let need = (-max.log10()).ceil() as i64 + 1;
    need.clamp(least as i64, 12) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sci_pads_the_exponent() {
        assert_eq!(sci(1.6650421619, 4), "1.6650e+00");
        assert_eq!(sci(4.7337413e-5, 4), "4.7337e-05");
    }

    #[test]
    fn small_differences_get_the_decimals_they_need() {
        let m = |v: f64| Matrix::new(1, 2, vec![v, -v / 4.0]).unwrap();
        assert_eq!(decimals_for(&m(0.26), 2), 2);
        assert_eq!(decimals_for(&m(0.0105), 2), 3);
        assert_eq!(decimals_for(&m(2.3e-5), 2), 6);
        assert_eq!(decimals_for(&m(0.0), 2), 2);
        assert_eq!(
            format_matrix(&m(0.0105), decimals_for(&m(0.0105), 2)),
            "[[ 0.011, -0.003]]"
        );
    }

    #[test]
    fn matrices_print_aligned_with_negative_zero_kept() {
        let m = Matrix::new(2, 2, vec![-0.281, 1.26, -0.001, 12.0]).unwrap();
        assert_eq!(format_matrix(&m, 2), "[[-0.28,  1.26],\n [-0.00, 12.00]]");
    }
}
