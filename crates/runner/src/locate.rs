//! Finding the line of a key path in the text of a TOML document, for error messages.

use toml::de::{DeTable, DeValue};

/// The 1-based line where the value at `path` (or, if absent, its deepest present ancestor) starts.
pub fn line_of(text: &str, path: &[String]) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let mut span = None;
    let mut current = DeValue::Table(root.into_inner());
    for key in path {
        let next = match key.parse::<usize>() {
            Ok(index) if matches!(current, DeValue::Array(_)) => current.get(index),
            _ => current.get(key.as_str()),
        };
        match next {
            Some(v) => {
                span = Some(v.span().start);
                let inner = v.get_ref().clone();
                current = inner;
            }
            None => break,
        }
    }
    span.map(|offset| text[..offset.min(text.len())].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(String::from).collect()
    }

    #[test]
    fn finds_top_level_nested_and_inline_keys() {
        let text = "name = \"x\"\niterations = 3\n\n[problem]\nkind = \"inverse\"\nmatrix = { diag = [1.0] }\n";
        assert_eq!(line_of(text, &p("iterations")), Some(2));
        assert_eq!(line_of(text, &p("problem.kind")), Some(5));
        assert_eq!(line_of(text, &p("problem.matrix.diag")), Some(6));
        // A missing key falls back to its deepest present ancestor.
        assert_eq!(line_of(text, &p("problem.side")), Some(4));
        assert_eq!(line_of(text, &p("nothing")), None);
    }
}
