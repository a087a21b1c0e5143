//! `suite merge DIR...`: the shards of a suite combined into the files an unsharded run writes; `suite.json` records which suite (and shard) a directory holds.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use descent_runner::write_atomic;

use crate::suite::{Shard, SuiteRow, read_results, sort_rows};
use crate::suite_spec::SuiteSpec;

/// What `suite.json` says of a suite's directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteMeta {
    /// The suite file, as given.
    pub suite_file: PathBuf,
    /// Its text when the suite ran (shards must share it to be merged).
    pub suite_text: String,
    /// The slice this directory holds; `None` for the whole suite.
    pub shard: Option<Shard>,
}

/// The name of the record in a suite's directory.
pub const META: &str = "suite.json";

/// Write `suite.json` into `dir`.
pub fn write_meta(dir: &Path, meta: &SuiteMeta) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(meta)?;
    write_atomic(&dir.join(META), |tmp| Ok(std::fs::write(tmp, &text)?))
}

/// Read `suite.json` of `dir`.
pub fn read_meta(dir: &Path) -> anyhow::Result<SuiteMeta> {
    let path = dir.join(META);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{}: not a suite's directory (no readable {META})",
            dir.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{}: malformed", path.display()))
}

/// Copy the directory tree `from` into `to` (files overwritten, directories made).
pub(crate) fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("{}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("{}", from.display()))? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            std::fs::copy(&source, &target)
                .with_context(|| format!("copying {} to {}", source.display(), target.display()))?;
        }
    }
    Ok(())
}

/// Check that `shards` (each directory with the slice it holds) are every shard of one split,
/// once each; `what` (`suite`, `sweep`) names what they hold in the errors.
pub(crate) fn check_split(shards: &[(&Path, Option<Shard>)], what: &str) -> anyhow::Result<()> {
    let mut seen = Vec::new();
    let mut count = None;
    for (dir, shard) in shards {
        let Some(shard) = shard else {
            bail!(
                "{} holds a whole {what}, not a shard: nothing to merge",
                dir.display()
            );
        };
        let first = *count.get_or_insert(shard.count);
        if first != shard.count {
            bail!(
                "{} is shard {}/{}, and {} is of {first} shards: merge the shards of one split",
                dir.display(),
                shard.index,
                shard.count,
                shards[0].0.display()
            );
        }
        if seen.contains(&shard.index) {
            bail!(
                "shard {}/{} is given twice ({})",
                shard.index,
                shard.count,
                dir.display()
            );
        }
        seen.push(shard.index);
    }
    let count = count.unwrap_or(0);
    let missing: Vec<String> = (1..=count)
        .filter(|i| !seen.contains(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "shard(s) {} missing: give every shard's directory (a shard whose job failed can be run again with --shard)",
            missing.join(", ")
        );
    }
    Ok(())
}

/// Merge the shard directories `dirs` into `out`: they must hold shards of one suite (the same
/// text), every shard once; their runs are copied into `out` (unless it is one of them) and
/// their rows put in the suite's order. The suite and the rows, for
/// [`crate::write_suite_files`].
pub fn merge(dirs: &[PathBuf], out: &Path) -> anyhow::Result<(SuiteSpec, Vec<SuiteRow>)> {
    let Some(first) = dirs.first() else {
        bail!("suite merge: give the shards' directories");
    };
    let metas: Vec<SuiteMeta> = dirs
        .iter()
        .map(|d| read_meta(d))
        .collect::<Result<_, _>>()?;
    let base = &metas[0];
    for (dir, meta) in dirs.iter().zip(&metas) {
        if meta.suite_text != base.suite_text {
            bail!(
                "{} ran another suite (or another version of it) than {}: merge shards of one suite",
                dir.display(),
                first.display()
            );
        }
    }
    let shards: Vec<(&Path, Option<Shard>)> = dirs
        .iter()
        .zip(&metas)
        .map(|(d, m)| (d.as_path(), m.shard))
        .collect();
    check_split(&shards, "suite")?;
    let spec = SuiteSpec::from_text(&base.suite_file, &base.suite_text)?;
    std::fs::create_dir_all(out).with_context(|| format!("{}", out.display()))?;
    let out_real = out.canonicalize()?;
    let mut rows = Vec::new();
    for dir in dirs {
        rows.extend(read_results(&dir.join("results.csv"))?);
        if dir.canonicalize()? != out_real && dir.join("runs").is_dir() {
            copy_tree(&dir.join("runs"), &out.join("runs"))?;
        }
    }
    sort_rows(&spec, &mut rows);
    write_meta(
        out,
        &SuiteMeta {
            shard: None,
            ..base.clone()
        },
    )?;
    Ok((spec, rows))
}
