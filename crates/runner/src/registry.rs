//! The registry: config `kind` names mapped to the optimizers, schedules, losses and problems that build them.
//!
//! A user crate adds its own parts with [`Registry::add_optimizer`] and friends, without editing
//! descent's crates, and then names them in TOML like the built-in ones.

use std::collections::BTreeMap;

use descent_losses::{
    HuberConfig, LogCoshConfig, Loss, LossConfig, MaeConfig, MseConfig, SseConfig,
};
use descent_optim::{
    AdaBeliefConfig, AdadeltaConfig, AdafactorConfig, AdagradConfig, AdamConfig, AdamWConfig,
    AdamaxConfig, AsgdConfig, ChainedConfig, ClipNormConfig, ClipValueConfig, ConstantConfig,
    CosineLrConfig, CyclicConfig, ExponentialLrConfig, Invalid, LambConfig, LambdaConfig,
    LbfgsConfig, LinearLrConfig, LionConfig, LogspaceConfig, MultiStepLrConfig,
    MultiplicativeConfig, MuonConfig, MuonKellerConfig, NAdamConfig, NoiseConfig, OneCycleConfig,
    Optimizer, OptimizerConfig, PlateauConfig, PolynomialLrConfig, ProdigyConfig, RAdamConfig,
    RmsPropConfig, RpropConfig, Schedule, ScheduleConfig, ScheduleFreeAdamWConfig,
    ScheduleFreeSgdConfig, SequentialConfig, SgdConfig, ShampooConfig, SoapConfig, StepLrConfig,
    Transform, TransformConfig, WarmRestartsConfig, YogiConfig,
};
use descent_problems::{
    BuildContext, CholeskyConfig, CompletionConfig, EigenConfig, Footprint, IndicatorConfig,
    InverseConfig, LinearSystemConfig, LowRankConfig, NmfConfig, PolarConfig, Problem,
    ProblemConfig, ProblemError, QrConfig, RidgeConfig, Shapes, SvdConfig,
};
use serde::{Serialize, de::DeserializeOwned};
use toml::Table;

/// A problem in a part's table: the key path inside the part, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartError {
    /// Key path inside the part's table (may be empty).
    pub path: Vec<String>,
    /// What is wrong.
    pub reason: String,
}

impl PartError {
    /// An error at one key.
    pub fn at(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: key.into().split('.').map(String::from).collect(),
            reason: reason.into(),
        }
    }
}

/// Deserialize a part's table (without `kind`) into its config type, with the failing key path.
pub fn parse_table<C: DeserializeOwned>(table: Table) -> Result<C, PartError> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let mut path: Vec<String> = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = e.inner().message().to_string();
        let reason = if let Some(field) = quoted_after(&message, "missing field `") {
            if path.last() != Some(&field) {
                path.push(field);
            }
            "missing key".to_string()
        } else if let Some(field) = quoted_after(&message, "unknown field `") {
            if path.last() != Some(&field) {
                path.push(field);
            }
            message.replacen("unknown field", "unknown key", 1)
        } else {
            message
        };
        PartError { path, reason }
    })
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    Some(rest[..rest.find('`')?].to_string())
}

fn to_table<C: Serialize>(config: &C, kind: &str) -> Table {
    let mut table = Table::new();
    table.insert("kind".into(), toml::Value::String(kind.into()));
    if let Ok(toml::Value::Table(fields)) = toml::Value::try_from(config) {
        table.extend(fields);
    }
    table
}

/// A parsed optimizer config that can build the optimizer in either dtype.
pub trait OptimizerFactory: Send + Sync {
    /// The base learning rate.
    fn lr(&self) -> f64;
    /// The fully resolved table, every default filled in, with `kind`.
    fn resolved(&self) -> Table;
    /// Vectors the size of the parameters the optimizer keeps, for the memory estimate.
    fn state_slots(&self) -> usize;
    /// A fresh optimizer computing in `f32`.
    fn build_f32(&self) -> Box<dyn Optimizer<f32>>;
    /// A fresh optimizer computing in `f64`.
    fn build_f64(&self) -> Box<dyn Optimizer<f64>>;
}

impl<C: OptimizerConfig> OptimizerFactory for C {
    fn lr(&self) -> f64 {
        OptimizerConfig::lr(self)
    }
    fn resolved(&self) -> Table {
        to_table(self, C::KIND)
    }
    fn state_slots(&self) -> usize {
        OptimizerConfig::state_slots(self)
    }
    fn build_f32(&self) -> Box<dyn Optimizer<f32>> {
        self.build::<f32>()
    }
    fn build_f64(&self) -> Box<dyn Optimizer<f64>> {
        self.build::<f64>()
    }
}

/// A parsed schedule config.
pub trait ScheduleFactory: Send + Sync {
    /// The fully resolved table, with `kind`.
    fn resolved(&self) -> Table;
    /// A schedule from the base learning rate for a run of `iterations`.
    fn build(&self, base_lr: f64, iterations: usize) -> Result<Box<dyn Schedule>, Invalid>;
}

impl<C: ScheduleConfig> ScheduleFactory for C {
    fn resolved(&self) -> Table {
        to_table(self, C::KIND)
    }
    fn build(&self, base_lr: f64, iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        ScheduleConfig::build(self, base_lr, iterations)
    }
}

/// A parsed gradient-transform config.
pub trait TransformFactory: Send + Sync {
    /// The fully resolved table, with `kind`.
    fn resolved(&self) -> Table;
    /// The transform computing in `f32`; `seed` is the run's.
    fn build_f32(&self, seed: i64) -> Box<dyn Transform<f32>>;
    /// The transform computing in `f64`.
    fn build_f64(&self, seed: i64) -> Box<dyn Transform<f64>>;
}

impl<C: TransformConfig> TransformFactory for C {
    fn resolved(&self) -> Table {
        to_table(self, C::KIND)
    }
    fn build_f32(&self, seed: i64) -> Box<dyn Transform<f32>> {
        self.build::<f32>(seed)
    }
    fn build_f64(&self, seed: i64) -> Box<dyn Transform<f64>> {
        self.build::<f64>(seed)
    }
}

/// A parsed loss config.
pub trait LossFactory: Send + Sync {
    /// The fully resolved table, with `kind`.
    fn resolved(&self) -> Table;
    /// The loss.
    fn build(&self) -> Box<dyn Loss>;
}

impl<C: LossConfig> LossFactory for C {
    fn resolved(&self) -> Table {
        to_table(self, C::KIND)
    }
    fn build(&self) -> Box<dyn Loss> {
        LossConfig::build(self)
    }
}

/// A parsed problem config.
pub trait ProblemFactory: Send + Sync {
    /// The fully resolved table, with `kind`.
    fn resolved(&self) -> Table;
    /// What the problem will hold, from its config and matrix shapes alone (`None`: not estimated).
    fn footprint(&self, shapes: &mut dyn Shapes) -> Result<Option<Footprint>, ProblemError>;
    /// Build the problem.
    fn build(&self, ctx: &mut dyn BuildContext) -> Result<Box<dyn Problem>, ProblemError>;
}

impl<C: ProblemConfig> ProblemFactory for C {
    fn resolved(&self) -> Table {
        to_table(self, C::KIND)
    }
    fn footprint(&self, shapes: &mut dyn Shapes) -> Result<Option<Footprint>, ProblemError> {
        ProblemConfig::footprint(self, shapes)
    }
    fn build(&self, ctx: &mut dyn BuildContext) -> Result<Box<dyn Problem>, ProblemError> {
        ProblemConfig::build(self, ctx)
    }
}

/// One registered kind: its name, a one-line summary, its defaults, and its parser.
pub struct Entry<T: ?Sized> {
    /// The `kind` name.
    pub kind: &'static str,
    /// One line for listings.
    pub summary: &'static str,
    /// Parse the part's table (without `kind`).
    pub parse: fn(Table) -> Result<Box<T>, PartError>,
}

fn parse_optimizer<C: OptimizerConfig>(t: Table) -> Result<Box<dyn OptimizerFactory>, PartError> {
    let c: C = parse_table(t)?;
    c.validate().map_err(|e| PartError::at(e.key, e.reason))?;
    Ok(Box::new(c))
}

fn parse_schedule<C: ScheduleConfig>(t: Table) -> Result<Box<dyn ScheduleFactory>, PartError> {
    let c: C = parse_table(t)?;
    c.validate().map_err(|e| PartError::at(e.key, e.reason))?;
    Ok(Box::new(c))
}

fn parse_transform<C: TransformConfig>(t: Table) -> Result<Box<dyn TransformFactory>, PartError> {
    let c: C = parse_table(t)?;
    c.validate().map_err(|e| PartError::at(e.key, e.reason))?;
    Ok(Box::new(c))
}

fn parse_loss<C: LossConfig>(t: Table) -> Result<Box<dyn LossFactory>, PartError> {
    let c: C = parse_table(t)?;
    c.validate().map_err(|e| PartError::at(e.key, e.reason))?;
    Ok(Box::new(c))
}

fn parse_problem<C: ProblemConfig>(t: Table) -> Result<Box<dyn ProblemFactory>, PartError> {
    Ok(Box::new(parse_table::<C>(t)?))
}

/// Every kind a config can name, by part.
pub struct Registry {
    /// `[optimizer]` kinds.
    pub optimizers: BTreeMap<&'static str, Entry<dyn OptimizerFactory>>,
    /// `[schedule]` kinds.
    pub schedules: BTreeMap<&'static str, Entry<dyn ScheduleFactory>>,
    /// `[[transform]]` kinds.
    pub transforms: BTreeMap<&'static str, Entry<dyn TransformFactory>>,
    /// `[loss]` kinds.
    pub losses: BTreeMap<&'static str, Entry<dyn LossFactory>>,
    /// `[problem]` kinds.
    pub problems: BTreeMap<&'static str, Entry<dyn ProblemFactory>>,
}

impl Registry {
    /// A registry with nothing in it.
    pub fn empty() -> Self {
        Self {
            optimizers: BTreeMap::new(),
            schedules: BTreeMap::new(),
            transforms: BTreeMap::new(),
            losses: BTreeMap::new(),
            problems: BTreeMap::new(),
        }
    }
}

/// One line of `cargo xtask list`: a registered kind, its summary and its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// The config section (`optimizer`, `schedule`, `transform`, `loss`, `problem`).
    pub section: &'static str,
    /// The kind.
    pub kind: &'static str,
    /// One line: what it is and its keys.
    pub summary: &'static str,
    /// Every key with its default (`None` when the kind has required keys, named in the summary).
    pub defaults: Option<Table>,
}

impl Registry {
    /// Everything registered, section by section, kinds in alphabetical order.
    pub fn listing(&self) -> Vec<Listing> {
        fn section<T: ?Sized>(
            out: &mut Vec<Listing>,
            name: &'static str,
            entries: &BTreeMap<&'static str, Entry<T>>,
            resolved: fn(&T) -> Table,
        ) {
            for e in entries.values() {
                let defaults = (e.parse)(Table::new()).ok().map(|f| {
                    let mut t = resolved(&f);
                    t.remove("kind");
                    t
                });
                out.push(Listing {
                    section: name,
                    kind: e.kind,
                    summary: e.summary,
                    defaults,
                });
            }
        }
        let mut out = Vec::new();
        section(&mut out, "optimizer", &self.optimizers, |f| f.resolved());
        section(&mut out, "schedule", &self.schedules, |f| f.resolved());
        section(&mut out, "transform", &self.transforms, |f| f.resolved());
        section(&mut out, "loss", &self.losses, |f| f.resolved());
        section(&mut out, "problem", &self.problems, |f| f.resolved());
        out
    }

    /// Make `[optimizer] kind = C::KIND` available.
    pub fn add_optimizer<C: OptimizerConfig>(&mut self) -> &mut Self {
        self.optimizers.insert(
            C::KIND,
            Entry {
                kind: C::KIND,
                summary: C::SUMMARY,
                parse: parse_optimizer::<C>,
            },
        );
        self
    }

    /// Make `[schedule] kind = C::KIND` available.
    pub fn add_schedule<C: ScheduleConfig>(&mut self) -> &mut Self {
        self.schedules.insert(
            C::KIND,
            Entry {
                kind: C::KIND,
                summary: C::SUMMARY,
                parse: parse_schedule::<C>,
            },
        );
        self
    }

    /// Make `[[transform]] kind = C::KIND` available.
    pub fn add_transform<C: TransformConfig>(&mut self) -> &mut Self {
        self.transforms.insert(
            C::KIND,
            Entry {
                kind: C::KIND,
                summary: C::SUMMARY,
                parse: parse_transform::<C>,
            },
        );
        self
    }

    /// Make `[loss] kind = C::KIND` available.
    pub fn add_loss<C: LossConfig>(&mut self) -> &mut Self {
        self.losses.insert(
            C::KIND,
            Entry {
                kind: C::KIND,
                summary: C::SUMMARY,
                parse: parse_loss::<C>,
            },
        );
        self
    }

    /// Make `[problem] kind = C::KIND` available.
    pub fn add_problem<C: ProblemConfig>(&mut self) -> &mut Self {
        self.problems.insert(
            C::KIND,
            Entry {
                kind: C::KIND,
                summary: C::SUMMARY,
                parse: parse_problem::<C>,
            },
        );
        self
    }
}

impl Default for Registry {
    /// Every built-in kind.
    fn default() -> Self {
        let mut r = Self::empty();
        r.add_optimizer::<SgdConfig>()
            .add_optimizer::<AdamConfig>()
            .add_optimizer::<AdamWConfig>()
            .add_optimizer::<RmsPropConfig>()
            .add_optimizer::<AdagradConfig>()
            .add_optimizer::<NAdamConfig>()
            .add_optimizer::<RAdamConfig>()
            .add_optimizer::<LbfgsConfig>()
            .add_optimizer::<AdadeltaConfig>()
            .add_optimizer::<AdamaxConfig>()
            .add_optimizer::<RpropConfig>()
            .add_optimizer::<AsgdConfig>()
            .add_optimizer::<AdafactorConfig>()
            .add_optimizer::<MuonConfig>()
            .add_optimizer::<MuonKellerConfig>()
            .add_optimizer::<LionConfig>()
            .add_optimizer::<AdaBeliefConfig>()
            .add_optimizer::<LambConfig>()
            .add_optimizer::<YogiConfig>()
            .add_optimizer::<ProdigyConfig>()
            .add_optimizer::<ScheduleFreeSgdConfig>()
            .add_optimizer::<ScheduleFreeAdamWConfig>()
            .add_optimizer::<ShampooConfig>()
            .add_optimizer::<SoapConfig>()
            .add_schedule::<ConstantConfig>()
            .add_schedule::<StepLrConfig>()
            .add_schedule::<MultiStepLrConfig>()
            .add_schedule::<ExponentialLrConfig>()
            .add_schedule::<CosineLrConfig>()
            .add_schedule::<LinearLrConfig>()
            .add_schedule::<PolynomialLrConfig>()
            .add_schedule::<OneCycleConfig>()
            .add_schedule::<PlateauConfig>()
            .add_schedule::<SequentialConfig>()
            .add_schedule::<ChainedConfig>()
            .add_schedule::<LogspaceConfig>()
            .add_schedule::<LambdaConfig>()
            .add_schedule::<MultiplicativeConfig>()
            .add_schedule::<WarmRestartsConfig>()
            .add_schedule::<CyclicConfig>()
            .add_transform::<ClipNormConfig>()
            .add_transform::<ClipValueConfig>()
            .add_transform::<NoiseConfig>()
            .add_loss::<MseConfig>()
            .add_loss::<SseConfig>()
            .add_loss::<MaeConfig>()
            .add_loss::<HuberConfig>()
            .add_loss::<LogCoshConfig>()
            .add_problem::<InverseConfig>()
            .add_problem::<LinearSystemConfig>()
            .add_problem::<RidgeConfig>()
            .add_problem::<IndicatorConfig>()
            .add_problem::<SvdConfig>()
            .add_problem::<LowRankConfig>()
            .add_problem::<CholeskyConfig>()
            .add_problem::<QrConfig>()
            .add_problem::<EigenConfig>()
            .add_problem::<PolarConfig>()
            .add_problem::<CompletionConfig>()
            .add_problem::<NmfConfig>();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_name_the_key_path() {
        let t: Table = toml::from_str("lr = \"fast\"").unwrap();
        let e = parse_table::<SgdConfig>(t).err().unwrap();
        assert_eq!(e.path, ["lr"]);
        assert!(e.reason.contains("invalid type"), "{}", e.reason);

        let t: Table = toml::from_str("lr = 0.1\nmomentom = 0.9").unwrap();
        let e = parse_table::<SgdConfig>(t).err().unwrap();
        assert_eq!(e.path, ["momentom"]);
        assert!(
            e.reason.starts_with("unknown key `momentom`"),
            "{}",
            e.reason
        );

        let e = parse_table::<InverseConfig>(Table::new()).err().unwrap();
        assert_eq!(
            (e.path, e.reason.as_str()),
            (vec!["matrix".to_string()], "missing key")
        );
    }

    #[test]
    fn resolved_tables_fill_torch_defaults() {
        let t: Table = toml::from_str("lr = 0.1").unwrap();
        let f = (Registry::default().optimizers["adam"].parse)(t)
            .ok()
            .unwrap();
        let r = f.resolved();
        assert_eq!(r["kind"].as_str(), Some("adam"));
        assert_eq!(r["eps"].as_float(), Some(1e-8));
        assert_eq!(r["betas"].as_array().map(Vec::len), Some(2));
        assert_eq!(r["amsgrad"].as_bool(), Some(false));
    }
}
