//! `report.html`: one self-contained page per run (config, summary, pictures inline, exact comparison), no script, no network.

use descent_tensor::Matrix;

use crate::format::{format_matrix, sci};
use crate::render::{Picture, RenderInput};

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page's style: plain, printable, pictures scaled to the width.
pub const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
pre{background:#f6f6f6;padding:.8em;overflow-x:auto}figure{display:inline-block;margin:.5em;vertical-align:top}\
figure svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#555;max-width:620px}\
.ok{color:#17702a}.bad{color:#b00020}\
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:.5em}\
.grid figure{display:block;margin:0}.grid svg{width:100%;height:auto}";

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if n.is_f64() => sci(x, 4),
            _ => n.to_string(),
        },
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn summary_table(summary: &serde_json::Value) -> String {
    let mut rows = String::new();
    let keys = [
        ("problem", "problem"),
        ("optimizer", "optimizer"),
        ("dtype", "dtype"),
        ("seed", "seed"),
        ("iterations", "iterations"),
        ("stop_reason", "stopped by"),
        ("message", "message"),
        ("final_loss", "final loss"),
        ("max_abs_error", "max abs error vs exact"),
        ("rel_error", "relative Frobenius error vs exact"),
        ("wall_seconds", "wall time (s)"),
        ("iterations_per_second", "iterations per second"),
    ];
    for (key, label) in keys {
        if let Some(v) = summary.get(key).filter(|v| !v.is_null()) {
            let class = match (key, v.as_str()) {
                ("stop_reason", Some("diverged")) => " class=\"bad\"",
                ("stop_reason", Some(_)) => " class=\"ok\"",
                _ => "",
            };
            rows.push_str(&format!(
                "<tr><th>{}</th><td{class}>{}</td></tr>\n",
                escape(label),
                escape(&value_text(v))
            ));
        }
    }
    if let Some(facts) = summary.get("facts").and_then(|f| f.as_array()) {
        for f in facts {
            let label = f.get("label").and_then(|l| l.as_str()).unwrap_or("");
            let value = f.get("value").and_then(|l| l.as_str()).unwrap_or("");
            rows.push_str(&format!(
                "<tr><th>{}</th><td>{}</td></tr>\n",
                escape(label),
                escape(value)
            ));
        }
    }
    format!("<table>\n{rows}</table>")
}

/// "What happened": the verdict, the rate against the best possible, and the spectrum, in three
/// plain sentences from `summary.json`'s `theory`.
fn what_happened(summary: &serde_json::Value) -> String {
    let Some(th) = summary.get("theory") else {
        return String::new();
    };
    let num = |key: &str| th.get(key).and_then(serde_json::Value::as_f64);
    let explanation = th
        .get("explanation")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let mut sentences = vec![format!("The run is {explanation}.")];
    match (
        num("measured_rate"),
        num("predicted_rate"),
        num("optimal_rate"),
    ) {
        (measured, predicted, Some(best)) => {
            let mut s = String::from("Its error shrank by a factor of ");
            s.push_str(&measured.map_or("(not measured)".into(), |r| format!("{r:.4}")));
            s.push_str(" per iteration");
            if let Some(p) = predicted {
                s.push_str(&format!(" (the theory predicts {p:.4})"));
            }
            s.push_str(&format!(
                "; the best settings would give {best:.4} (lr {}{}).",
                num("optimal_lr").map_or("-".into(), |x| sci(x, 3)),
                num("optimal_momentum")
                    .filter(|&m| m > 0.0)
                    .map_or(String::new(), |m| format!(", momentum {m:.3}"))
            ));
            sentences.push(s);
        }
        (Some(measured), _, None) => sentences.push(format!(
            "Its error shrank by a factor of {measured:.4} per iteration over the last iterations."
        )),
        _ => {}
    }
    if let (Some(l), Some(mu), Some(k)) = (
        num("hessian_max"),
        num("hessian_min"),
        num("condition_number"),
    ) {
        sentences.push(format!(
            "The Hessian's eigenvalues run from {} to {} (condition number {}): each eigendirection \
             of the error shrinks by its own factor, and the smallest eigenvalue sets the pace.",
            sci(mu, 3),
            sci(l, 3),
            sci(k, 3)
        ));
    } else {
        sentences.push(
            "This problem or loss is not a quadratic, so descent does not predict its run.".into(),
        );
    }
    let verdict = th.get("verdict").and_then(|v| v.as_str()).unwrap_or("");
    let class = match verdict {
        "converged" => "ok",
        "diverging" | "plateau" => "bad",
        _ => "",
    };
    format!(
        "<h2>What happened</h2>\n<p class=\"{class}\"><strong>{}</strong></p>\n<p>{}</p>\n",
        escape(verdict),
        escape(&sentences.join(" "))
    )
}

fn matrix_block(m: &Matrix) -> String {
    // Up to 400 entries (the indicator's pinv(B), 3 x 17, among them), and rows a page can hold.
    if m.rows() * m.cols() <= 400 && m.cols() <= 24 {
        format!("<pre>{}</pre>", escape(&format_matrix(m, 4)))
    } else {
        format!(
            "<p>{}x{} (too large to print; see the error picture)</p>",
            m.rows(),
            m.cols()
        )
    }
}

fn figure(p: &Picture) -> String {
    // The SVG is inlined: the page needs no other file. Strip the XML declaration if any.
    let svg = p.svg.trim_start_matches(|c| c != '<');
    let svg = if svg.starts_with("<?xml") {
        svg.split_once("?>").map_or(svg, |(_, rest)| rest)
    } else {
        svg
    };
    format!(
        "<figure id=\"{}\">{svg}<figcaption>{} <small>({})</small></figcaption></figure>\n",
        escape(&p.file),
        escape(&p.caption),
        escape(&p.file)
    )
}

/// The report page.
pub fn report_html(input: &RenderInput, pictures: &[Picture]) -> String {
    let mut body = String::new();
    body.push_str(&format!(
        "<h1>descent: {}</h1>\n<p>{}</p>\n",
        escape(&input.name),
        escape(&input.headline)
    ));
    body.push_str(&what_happened(&input.summary));
    body.push_str("<h2>Summary</h2>\n");
    body.push_str(&summary_table(&input.summary));
    body.push_str("\n<h2>Loss</h2>\n");
    for p in pictures.iter().filter(|p| p.file == "loss.svg") {
        body.push_str(&figure(p));
    }
    let theory: Vec<&Picture> = pictures
        .iter()
        .filter(|p| p.file == "modes.svg" || p.file == "spectrum.svg" || p.file == "filters.svg")
        .collect();
    if !theory.is_empty() {
        body.push_str("<h2>Why it converges as it does</h2>\n");
        for p in theory {
            body.push_str(&figure(p));
        }
    }
    body.push_str("<h2>The answer against the exact one</h2>\n");
    if let Some(note) = &input.result_note {
        body.push_str(&format!("<p>{}</p>\n", escape(note)));
    }
    for (name, found) in &input.result {
        body.push_str(&format!("<h3>{}</h3>\n<table><tr><th>found</th><th>exact (faer, f64)</th></tr><tr><td>{}</td><td>{}</td></tr></table>\n",
            escape(name),
            matrix_block(found),
            input.exact.iter().find(|(n, _)| n == name).map_or_else(|| "-".into(), |(_, m)| matrix_block(m)),
        ));
    }
    for p in pictures.iter().filter(|p| {
        p.file.starts_with("found")
            || p.file.starts_with("error")
            || p.file == "linear_system.svg"
            || p.file == "singular_values.svg"
    }) {
        body.push_str(&figure(p));
    }
    let diffs: Vec<&Picture> = pictures
        .iter()
        .filter(|p| p.file.starts_with("diff_"))
        .collect();
    if !diffs.is_empty() {
        body.push_str(
            "<h2>The difference from the target at each checkpoint</h2>\n<div class=\"grid\">\n",
        );
        for p in diffs {
            body.push_str(&figure(p));
        }
        body.push_str("</div>\n");
    }
    if !input.inputs.is_empty() {
        body.push_str("<h2>The problem's data</h2>\n");
        for (label, m) in &input.inputs {
            body.push_str(&format!("<h3>{}</h3>{}\n", escape(label), matrix_block(m)));
        }
    }
    body.push_str("<h2>The resolved config</h2>\n");
    body.push_str(&format!("<pre>{}</pre>\n", escape(&input.config_text)));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>descent: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(&input.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup() {
        assert_eq!(
            escape("a < b & \"c\" > d"),
            "a &lt; b &amp; &quot;c&quot; &gt; d"
        );
    }
}
