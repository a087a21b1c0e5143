//! `Formula`: a learning-rate factor written as an expression in the iteration `t` (`"0.95 ^ t"`), parsed and checked when the config loads, evaluated by the evalexpr crate.

use evalexpr::{
    ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Node, Value,
    build_operator_tree,
};

use crate::Invalid;

/// A parsed formula in `t` (evalexpr's syntax: `+ - * / % ^`, parentheses, `math::exp`, ...).
#[derive(Debug, Clone)]
pub struct Formula {
    tree: Node<DefaultNumericTypes>,
    context: HashMapContext<DefaultNumericTypes>,
}

impl Formula {
    /// Parse `text`, naming `key` in the error; it may use no variable but `t`, and must give a
    /// finite number at t = 0 and t = 1.
    pub fn parse(key: &'static str, text: &str) -> Result<Self, Invalid> {
        let tree = build_operator_tree::<DefaultNumericTypes>(text)
            .map_err(|e| Invalid::new(key, format!("`{text}` is not a formula: {e}")))?;
        if let Some(other) = tree.iter_variable_identifiers().find(|v| *v != "t") {
            return Err(Invalid::new(
                key,
                format!("`{text}`: the only variable is the iteration `t`, not `{other}`"),
            ));
        }
        let mut f = Self {
            tree,
            context: HashMapContext::new(),
        };
        for t in [0, 1] {
            let v = f
                .at(t)
                .map_err(|e| Invalid::new(key, format!("`{text}` at t = {t}: {e}")))?;
            if !v.is_finite() {
                return Err(Invalid::new(
                    key,
                    format!("`{text}` at t = {t} is {v}, not a finite number"),
                ));
            }
        }
        Ok(f)
    }

    /// The value at iteration `t`; an error when the formula gives no number there.
    pub fn at(&mut self, t: usize) -> Result<f64, String> {
        self.context
            .set_value("t".into(), Value::from_float(t as f64))
            .map_err(|e| e.to_string())?;
        match self.tree.eval_with_context(&self.context) {
            Ok(Value::Float(v)) => Ok(v),
            Ok(Value::Int(i)) => Ok(i as f64),
            Ok(other) => Err(format!("gives {other}, not a number")),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formula_in_t_evaluates_as_python_would() {
        let mut f = Formula::parse("factor", "0.95 ^ t").expect("formula");
        for t in 0..20 {
            assert_eq!(f.at(t).expect("value"), 0.95f64.powf(t as f64));
        }
        let mut g = Formula::parse("factor", "1 / (1 + t)").expect("formula");
        assert_eq!(g.at(3).expect("value"), 0.25);
    }

    #[test]
    fn bad_formulas_are_refused_at_load_naming_the_key() {
        for (text, want) in [
            ("0.95 ^", "expected 2 arguments"),
            ("(0.95", "not a formula"),
            ("0.95 ^ epoch", "not `epoch`"),
            ("1 / t", "not a finite number"),
            ("\"a\"", "not a number"),
        ] {
            let e = Formula::parse("factor", text).expect_err(text);
            assert_eq!(e.key, "factor");
            assert!(e.reason.contains(want), "{text}: {}", e.reason);
        }
    }
}
