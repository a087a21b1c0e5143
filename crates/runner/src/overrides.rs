//! `--set key=value`: overriding any config key with a TOML value (or a bare string).

use toml::{Table, Value};

/// One `--set` override: a dotted key path and a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The path, split at dots (`optimizer.lr` -> `["optimizer", "lr"]`).
    pub path: Vec<String>,
    /// The value, parsed as TOML; text that is not valid TOML is taken as a string.
    pub value: Value,
    /// The text as given, for messages.
    pub text: String,
}

/// Why an override cannot be parsed or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// No `=` in the text.
    #[error("--set {0}: expected key=value")]
    NoEquals(String),
    /// More than one value after the `=` (a newline and another key).
    #[error(
        "--set {text}: the value holds more than one key (`{key}` after a newline); give one value per --set"
    )]
    Trailing {
        /// The override as given.
        text: String,
        /// The extra key.
        key: String,
    },
    /// A line break in a value that is not TOML (a bare word cannot span lines).
    #[error("--set {0}: the value has a line break; quote a multi-line string as TOML")]
    Newline(String),
    /// An empty segment in the key path.
    #[error("--set {0}: the key path has an empty part")]
    EmptyKey(String),
    /// The path runs through a value that is not a table.
    #[error("--set {text}: `{prefix}` is not a table, so it has no key `{key}`")]
    NotATable {
        /// The override as given.
        text: String,
        /// The part of the path that is not a table.
        prefix: String,
        /// The key that was to be set below it.
        key: String,
    },
}

impl Override {
    /// Parse `key.path=value`.
    pub fn parse(text: &str) -> Result<Self, OverrideError> {
        let (key, raw) = text
            .split_once('=')
            .ok_or_else(|| OverrideError::NoEquals(text.into()))?;
        let path: Vec<String> = key
            .trim()
            .split('.')
            .map(|s| s.trim().to_string())
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(OverrideError::EmptyKey(text.into()));
        }
        let raw = raw.trim();
        // A TOML value, read as the right-hand side of a key; anything else is a bare string. A
        // value that reads as more than one key (`0.1\nfoo = 1`) is refused: the rest would be
        // dropped without a word.
        let value = match toml::from_str::<Table>(&format!("v = {raw}")) {
            Ok(mut t) => {
                let value = t.remove("v");
                if let Some(extra) = t.keys().next() {
                    return Err(OverrideError::Trailing {
                        text: text.into(),
                        key: extra.clone(),
                    });
                }
                value.unwrap_or_else(|| Value::String(raw.to_string()))
            }
            Err(_) if raw.contains(['\n', '\r']) => {
                return Err(OverrideError::Newline(text.into()));
            }
            Err(_) => Value::String(raw.to_string()),
        };
        Ok(Self {
            path,
            value,
            text: text.to_string(),
        })
    }

    /// Set the value in `table`, creating intermediate tables as needed.
    pub fn apply(&self, table: &mut Table) -> Result<(), OverrideError> {
        let (last, parents) = self
            .path
            .split_last()
            .ok_or_else(|| OverrideError::EmptyKey(self.text.clone()))?;
        let mut current = table;
        for (depth, key) in parents.iter().enumerate() {
            let entry = current
                .entry(key.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            current = match entry {
                Value::Table(t) => t,
                _ => {
                    return Err(OverrideError::NotATable {
                        text: self.text.clone(),
                        prefix: self.path[..=depth].join("."),
                        key: self.path[depth + 1].clone(),
                    });
                }
            };
        }
        current.insert(last.clone(), self.value.clone());
        Ok(())
    }

    /// The dotted key path.
    pub fn key(&self) -> String {
        self.path.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn values_are_toml_and_bare_words_are_strings() {
        assert_eq!(
            Override::parse("optimizer.lr=0.1").unwrap().value,
            Value::Float(0.1)
        );
        assert_eq!(
            Override::parse("iterations=300").unwrap().value,
            Value::Integer(300)
        );
        assert_eq!(
            Override::parse("optimizer.kind=\"adam\"").unwrap().value,
            Value::String("adam".into())
        );
        assert_eq!(
            Override::parse("optimizer.kind=adam").unwrap().value,
            Value::String("adam".into())
        );
        assert_eq!(
            Override::parse("optimizer.betas=[0.8, 0.9]").unwrap().value,
            Value::Array(vec![Value::Float(0.8), Value::Float(0.9)])
        );
    }

    #[test]
    fn apply_sets_nested_keys_and_creates_tables() {
        let mut t = table("iterations = 5\n[optimizer]\nkind = \"sgd\"\n");
        Override::parse("optimizer.lr=0.5")
            .unwrap()
            .apply(&mut t)
            .unwrap();
        Override::parse("stop.loss_below=1e-3")
            .unwrap()
            .apply(&mut t)
            .unwrap();
        assert_eq!(t["optimizer"]["lr"], Value::Float(0.5));
        assert_eq!(t["optimizer"]["kind"], Value::String("sgd".into()));
        assert_eq!(t["stop"]["loss_below"], Value::Float(1e-3));
    }

    #[test]
    fn a_value_with_a_second_key_after_a_newline_is_refused_not_cut() {
        assert!(matches!(
            Override::parse("optimizer.lr=0.1\nbogus = 3"),
            Err(OverrideError::Trailing { key, .. }) if key == "bogus"
        ));
        assert!(matches!(
            Override::parse("optimizer.kind=adam\nbogus"),
            Err(OverrideError::Newline(_))
        ));
        // A TOML array may span lines.
        assert_eq!(
            Override::parse("optimizer.betas=[0.8,\n0.9]")
                .unwrap()
                .value,
            Value::Array(vec![Value::Float(0.8), Value::Float(0.9)])
        );
    }

    #[test]
    fn bad_overrides_are_errors() {
        assert!(matches!(
            Override::parse("lr"),
            Err(OverrideError::NoEquals(_))
        ));
        assert!(matches!(
            Override::parse("a..b=1"),
            Err(OverrideError::EmptyKey(_))
        ));
        let mut t = table("iterations = 5");
        let err = Override::parse("iterations.x=1")
            .unwrap()
            .apply(&mut t)
            .unwrap_err();
        assert!(matches!(err, OverrideError::NotATable { .. }));
    }
}
