//! Matrices given in memory, kept with the run: each is written into the run directory and the run's config.toml names that file, so the run re-runs and redraws from its directory alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use descent_tensor::Dtype;
use toml::{Table, Value};

use crate::config::Config;
use crate::files::write_bytes_atomic;
use crate::npy::npy_bytes;

/// The run's config.toml text: [`Config::resolved_toml`], where every `{ given = NAME }` source is
/// replaced by `{ npy = "DIR/given_NAME.npy" }` after that file is written (in float64, the
/// matrix exactly as the run received it; the run rounds it to its dtype as it would the file).
pub fn keep_given(dir: &Path, config: &Config) -> anyhow::Result<String> {
    let text = config.resolved_toml();
    if config.given.is_empty() {
        return Ok(text);
    }
    let mut files = BTreeMap::new();
    for (name, m) in config.given.iter() {
        let file = dir.join(format!("given_{name}.npy"));
        write_bytes_atomic(&file, &npy_bytes(m, Dtype::F64))?;
        files.insert(name.clone(), file);
    }
    let mut table: Table = toml::from_str(&text)?;
    replace_given(&mut table, &files);
    Ok(toml::to_string(&table)?)
}

/// Replace each `{ given = NAME }` table in `table` (at any depth) by `{ npy = FILE }`.
fn replace_given(table: &mut Table, files: &BTreeMap<String, PathBuf>) {
    for (_, value) in table.iter_mut() {
        match value {
            Value::Table(t) => {
                let file = match t.get("given") {
                    Some(Value::String(name)) if t.len() == 1 => files.get(name),
                    _ => None,
                };
                match file {
                    Some(file) => {
                        *t = Table::from_iter([(
                            "npy".to_string(),
                            Value::String(file.display().to_string()),
                        )]);
                    }
                    None => replace_given(t, files),
                }
            }
            Value::Array(items) => {
                for item in items {
                    if let Value::Table(t) = item {
                        replace_given(t, files);
                    }
                }
            }
            _ => {}
        }
    }
}
