//! `candle_parts`: a config's `[optimizer]`, `[schedule]` and `[[transform]]` built for a candle model's `DescentOptimizer`.

use std::path::Path;

use descent_optim::Parts;
use serde::Deserialize;
use toml::Table;

use crate::config::{Document, TrainingParts, parse_toml};
use crate::error::ConfigError;
use crate::registry::{Registry, parse_table};
use crate::train::Element;

/// The keys a candle training config may hold: those of a run's config that concern the
/// optimizer, with the same meaning.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParts {
    /// The steps the training takes, which schedules span (`cosine`'s `t_max` by default).
    iterations: usize,
    /// The seed of transforms that draw (`noise`).
    #[serde(default)]
    seed: i64,
    optimizer: Table,
    #[serde(default = "crate::config::constant")]
    schedule: Table,
    #[serde(default)]
    transform: Vec<Table>,
}

/// The optimizer, schedule and transforms of `text` (named `file` in messages), built in `F`
/// for [`descent_optim::DescentOptimizer`]: `iterations`, `seed`, `[optimizer]`, `[schedule]`
/// and `[[transform]]` mean what they mean in a run's config, and any other key is an error
/// naming the file, the line and the key.
fn parts<F: Element>(
    file: &Path,
    text: &str,
    registry: &Registry,
) -> Result<Parts<F>, ConfigError> {
    let table = parse_toml(file, text)?;
    let doc = Document::new(file, text);
    let raw: RawParts = parse_table(table).map_err(|e| doc.error(&e.path, e.reason))?;
    if raw.iterations == 0 {
        return Err(doc.error_at("iterations", "must be at least 1".into()));
    }
    let TrainingParts {
        optimizer,
        schedule,
        transforms,
    } = doc.training_parts(
        raw.optimizer,
        raw.schedule,
        raw.transform,
        raw.iterations,
        registry,
    )?;
    let built = schedule
        .build(optimizer.lr(), raw.iterations)
        .map_err(|e| doc.error_at(&format!("schedule.{}", e.key), e.reason))?;
    Ok(Parts {
        optimizer: F::optimizer(optimizer.as_ref()),
        schedule: built,
        transforms: transforms
            .iter()
            .map(|t| F::transform(t.as_ref(), raw.seed))
            .collect(),
    })
}

/// [`descent_optim::Parts`] in `f32` from a TOML text with `iterations`, `seed`, `[optimizer]`,
/// `[schedule]` and `[[transform]]`, as in a run's config.
pub fn candle_parts_f32(
    file: &Path,
    text: &str,
    registry: &Registry,
) -> Result<Parts<f32>, ConfigError> {
    parts::<f32>(file, text, registry)
}

/// [`candle_parts_f32`] in `f64`.
pub fn candle_parts_f64(
    file: &Path,
    text: &str,
    registry: &Registry,
) -> Result<Parts<f64>, ConfigError> {
    parts::<f64>(file, text, registry)
}
