//! The run directory and its files: config.toml, metrics.csv, summary.json, result.npy, each written atomically.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use descent_tensor::{Dtype, Matrix};

use crate::metrics::MetricsWriter;
use crate::npy::npy_bytes;
use crate::observer::{Observer, Record, Summary};

/// The temporary name of `path` while it is written: hidden, and unique to this process and
/// thread, so that two writers never share one.
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    path.with_file_name(format!(".{name}.{}-{thread}.tmp", std::process::id()))
}

/// A row of `metrics.csv`, read by its header (runs written before `predicted_loss` existed read
/// with it empty).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct MetricsRow {
    /// The iteration.
    pub iteration: usize,
    /// Its lr.
    pub lr: f64,
    /// Its loss.
    pub loss: f64,
    /// Its gradient norm.
    pub grad_norm: f64,
    /// The theory's predicted loss, where there is one.
    #[serde(default)]
    pub predicted_loss: Option<f64>,
    /// The loss at the averaged iterate, where the run keeps one (empty in runs before it).
    #[serde(default)]
    pub avg_loss: Option<f64>,
}

/// The hidden file by which a run claims its directory (it holds the process id).
pub const CLAIM: &str = ".descent-run";

/// Write `bytes` to `path` by writing a temporary file beside it and renaming it over: a reader (or a
/// killed run) never sees a half-written file.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let tmp = temporary(path);
    write(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

/// [`write_atomic`] of a buffer, synced before the rename.
pub(crate) fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, |tmp| {
        let mut f = fs::File::create(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        Ok(())
    })
}

/// Claim the directory `dir` for this run: create the hidden [`CLAIM`] file in it, atomically
/// (`create_new`), so that of two runs given the same directory exactly one gets it.
fn claim(dir: &Path) -> anyhow::Result<()> {
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(CLAIM));
    match file {
        Ok(mut f) => {
            writeln!(f, "{}", std::process::id())?;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "--out {}: another run has claimed this directory; refusing to mix two runs",
            dir.display()
        ),
        Err(e) => Err(e).with_context(|| format!("claiming --out {}", dir.display())),
    }
}

/// Create a fresh run directory: `out` if given (it must not exist or be empty), otherwise the next
/// free `root/<name>/NNN`. An existing run is never overwritten, and a directory is claimed
/// atomically, so two runs started together with the same `--out` never mix: the second gets an
/// error.
pub fn create_run_dir(root: &Path, name: &str, out: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = out {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)
                .with_context(|| format!("creating --out {}", parent.display()))?;
        }
        match fs::create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mut entries = fs::read_dir(dir)
                    .with_context(|| format!("reading --out {}", dir.display()))?;
                if let Some(entry) = entries.next() {
                    let taken = entry.map(|e| e.file_name() == CLAIM).unwrap_or(false);
                    if taken {
                        bail!(
                            "--out {}: another run has claimed this directory; refusing to mix two runs",
                            dir.display()
                        );
                    }
                    bail!(
                        "--out {}: the directory is not empty; refusing to overwrite an earlier run",
                        dir.display()
                    );
                }
            }
            Err(e) => {
                return Err(e).with_context(|| format!("creating --out {}", dir.display()));
            }
        }
        claim(dir)?;
        return Ok(dir.to_path_buf());
    }
    let parent = root.join(name);
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let mut next = fs::read_dir(&parent)
        .with_context(|| format!("reading {}", parent.display()))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .max()
        .map_or(1, |n| n + 1);
    loop {
        let dir = parent.join(format!("{next:03}"));
        match fs::create_dir(&dir) {
            Ok(()) => {
                claim(&dir)?;
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => next += 1,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
}

/// Writes the run's files into its directory. The metrics stream to a hidden temporary file while
/// the run goes on and become `metrics.csv` when it ends, so a killed run leaves no partial CSV.
#[derive(Debug)]
pub struct RunFiles {
    dir: PathBuf,
    dtype: Dtype,
    metrics: Option<MetricsWriter>,
    metrics_tmp: PathBuf,
}

impl RunFiles {
    /// Files for a run in `dir`, starting with the resolved config; metrics.csv gets every
    /// `metrics_every`-th row (and the last).
    pub fn new(
        dir: PathBuf,
        dtype: Dtype,
        resolved_config: &str,
        metrics_every: usize,
    ) -> anyhow::Result<Self> {
        write_bytes_atomic(&dir.join("config.toml"), resolved_config.as_bytes())?;
        let tmp = temporary(&dir.join("metrics.csv"));
        let metrics = MetricsWriter::create(&tmp, metrics_every)?;
        Ok(Self {
            dir,
            dtype,
            metrics: Some(metrics),
            metrics_tmp: tmp,
        })
    }

    /// The run directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The names of the result files of these parameters (by name).
    pub fn result_names<S: AsRef<str>>(result: &[(S, Matrix)]) -> Vec<String> {
        Self::result_files(result.iter().map(|(name, _)| name.as_ref()))
    }

    /// The result file of each parameter named: `result.npy` for one, `result_<name>.npy` each
    /// for several.
    pub fn result_files<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> Vec<String> {
        if names.len() == 1 {
            vec!["result.npy".into()]
        } else {
            names.map(|name| format!("result_{name}.npy")).collect()
        }
    }
}

impl Observer for RunFiles {
    fn record(&mut self, record: &Record) -> anyhow::Result<()> {
        if let Some(w) = &mut self.metrics {
            w.push(record)?;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary, result: &[(String, Matrix)]) -> anyhow::Result<()> {
        if let Some(w) = self.metrics.take() {
            let file = w.finish()?;
            file.sync_all()?;
            let tmp = &self.metrics_tmp;
            fs::rename(tmp, self.dir.join("metrics.csv"))
                .with_context(|| format!("renaming {}", tmp.display()))?;
        }
        let json = serde_json::to_string_pretty(summary)?;
        write_bytes_atomic(&self.dir.join("summary.json"), json.as_bytes())?;
        for ((_, m), file) in result.iter().zip(Self::result_names(result)) {
            write_bytes_atomic(&self.dir.join(file), &npy_bytes(m, self.dtype))?;
        }
        if let Some(averaged) = &summary.averaged {
            let names = Self::result_names(averaged);
            for ((_, m), file) in averaged.iter().zip(names) {
                let file = file.replacen("result", "average", 1);
                write_bytes_atomic(&self.dir.join(file), &npy_bytes(m, self.dtype))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_dirs_are_numbered_and_never_reused() {
        let root = std::env::temp_dir().join(format!("descent-rundir-{}", std::process::id()));
        let a = create_run_dir(&root, "x", None).unwrap();
        let b = create_run_dir(&root, "x", None).unwrap();
        assert_eq!(a.file_name().unwrap(), "001");
        assert_eq!(b.file_name().unwrap(), "002");
        fs::write(b.join("keep"), "earlier").unwrap();
        assert!(create_run_dir(&root, "x", Some(&b)).is_err());
        assert_eq!(fs::read_to_string(b.join("keep")).unwrap(), "earlier");
        fs::remove_dir_all(root).unwrap();
    }
}
