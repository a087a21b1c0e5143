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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sci_pads_the_exponent() {
        assert_eq!(sci(1.6650421619, 4), "1.6650e+00");
        assert_eq!(sci(4.7337413e-5, 4), "4.7337e-05");
    }

    #[test]
    fn matrices_print_aligned_with_negative_zero_kept() {
        let m = Matrix::new(2, 2, vec![-0.281, 1.26, -0.001, 12.0]).unwrap();
        assert_eq!(format_matrix(&m, 2), "[[-0.28,  1.26],\n [-0.00, 12.00]]");
    }
}
