//! Benchmark support: the configs the benches run, so that benches and tests share them.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// The path of a config in the workspace's `configs/` directory.
pub fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("configs")
        .join(name)
}
