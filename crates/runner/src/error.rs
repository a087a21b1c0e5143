//! `ConfigError`: a bad config, reported with the file, the line and the key.

use std::fmt;
use std::path::PathBuf;

/// Where a config value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of the config file (1-based).
    Line(usize),
    /// A `--set` override on the command line.
    Override(String),
    /// Not located (e.g. a missing key of the whole document).
    Unknown,
}

/// A config that cannot be used: which file, where, which key, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file.
    pub file: PathBuf,
    /// Where in it (or on the command line) the problem is.
    pub origin: Origin,
    /// The dotted key path, e.g. `optimizer.lr` (empty for the document as a whole).
    pub key: String,
    /// What is wrong, lower case, no trailing period.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match &self.origin {
            Origin::Line(line) => write!(f, ":{line}")?,
            Origin::Override(set) => write!(f, " (--set {set})")?,
            Origin::Unknown => {}
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.reason)
        } else {
            write!(f, ": `{}`: {}", self.key, self.reason)
        }
    }
}

impl std::error::Error for ConfigError {}
