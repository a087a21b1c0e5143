//! Sweeps: the cartesian product of a grid of config values (and seeds), run several at a time, summarised in sweep.csv, sweep.svg and sweep.html.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use rayon::prelude::*;
use toml::{Table, Value};

use descent_report::{
    AxisPicture, AxisPoint, LossPoint, STYLE, SweepCurve, escape, sweep_axis_png, sweep_axis_svg,
    sweep_png, sweep_svg,
};
use descent_runner::{
    Config, Console, Experiment, Lane, MetricsRow, Observer, Pictures, Registry, RunFiles,
    RunOptions, Thinned, about, available_bytes, create_run_dir, write_atomic,
};

use crate::suite::{Shard, jobs_or_cpus, lanes_per_loop};

/// One axis of a grid: a dotted config key and the values it takes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    /// The dotted key (`optimizer.lr`).
    pub key: String,
    /// Its values, as TOML.
    pub values: Vec<Value>,
}

/// What to sweep: the axes (their cartesian product), the seeds per point, the parallel runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SweepSpec {
    /// The axes, in order; the last one varies fastest.
    pub axes: Vec<Axis>,
    /// Runs per grid point, with seeds `seed, seed + 1, ...` (default 1: the config's seed).
    pub seeds: usize,
    /// Runs at a time (default: the number of CPUs).
    pub jobs: Option<usize>,
    /// Run only this slice of the runs (run k, counted from 0, when k is `index - 1` modulo
    /// `count`); `sweep merge` combines the slices.
    pub shard: Option<Shard>,
}

/// The most runs one sweep may plan (each gets a directory and is built before the first starts).
pub const MAX_RUNS: usize = 100_000;
/// The most runs at a time (`jobs`), and the most threads a command starts (`--threads`).
pub const MAX_THREADS: usize = 1024;

impl SweepSpec {
    /// The number of runs: the product of the axes' lengths times the seeds, if it is at most
    /// [`MAX_RUNS`], and `jobs` at most [`MAX_THREADS`]; otherwise why not (counted without
    /// building the grid, so a grid of a billion points is refused at once).
    pub fn check_size(&self) -> anyhow::Result<usize> {
        let runs = self
            .axes
            .iter()
            .map(|a| a.values.len())
            .chain([self.seeds.max(1)])
            .try_fold(1usize, usize::checked_mul)
            .filter(|&n| n <= MAX_RUNS);
        let Some(runs) = runs else {
            bail!(
                "the sweep would plan more than {MAX_RUNS} runs ({} grid values x {} seeds); split it",
                self.axes
                    .iter()
                    .map(|a| a.values.len().to_string())
                    .collect::<Vec<_>>()
                    .join(" x "),
                self.seeds
            );
        };
        if let Some(jobs) = self.jobs.filter(|&j| j == 0 || j > MAX_THREADS) {
            bail!("jobs must be between 1 and {MAX_THREADS}, got {jobs}");
        }
        Ok(runs)
    }

    /// Parse `--grid key=[v1, v2, ...]`.
    pub fn parse_axis(text: &str) -> anyhow::Result<Axis> {
        let o = descent_runner::Override::parse(text)?;
        match o.value {
            Value::Array(values) if !values.is_empty() => Ok(Axis {
                key: o.path.join("."),
                values,
            }),
            _ => bail!("--grid {text}: expected key=[value, value, ...] with at least one value"),
        }
    }

    /// The config's `[sweep]` (from its `text`) with the caller's `grid` axes (`key=[values]`,
    /// each replacing the config's axis of its key), `seeds` and `jobs` (each at least 1).
    pub fn with_overrides(
        file: &Path,
        text: &str,
        grid: &[String],
        seeds: Option<usize>,
        jobs: Option<usize>,
    ) -> anyhow::Result<Self> {
        let mut spec = Self::from_config_text(file, text)?;
        for g in grid {
            let axis = Self::parse_axis(g)?;
            spec.axes.retain(|a| a.key != axis.key);
            spec.axes.push(axis);
        }
        if let Some(s) = seeds {
            anyhow::ensure!(s >= 1, "seeds must be at least 1, got 0");
            spec.seeds = s;
        }
        if let Some(j) = jobs {
            anyhow::ensure!(j >= 1, "jobs must be at least 1, got 0");
            spec.jobs = Some(j);
        }
        Ok(spec)
    }

    /// The `[sweep]` table of a config file: `grid = { "optimizer.lr" = [..], .. }`, `seeds`, `jobs`.
    pub fn from_config_text(file: &Path, text: &str) -> anyhow::Result<Self> {
        let table: Table =
            toml::from_str(text).with_context(|| format!("{}: invalid TOML", file.display()))?;
        let mut spec = SweepSpec {
            seeds: 1,
            ..Self::default()
        };
        let Some(sweep) = table.get("sweep") else {
            return Ok(spec);
        };
        let shown = file.display();
        let Value::Table(sweep) = sweep else {
            bail!("{shown}: `sweep` must be a table");
        };
        for (key, value) in sweep {
            match (key.as_str(), value) {
                ("grid", Value::Table(grid)) => {
                    for (k, v) in grid {
                        match v {
                            Value::Array(values) if !values.is_empty() => spec.axes.push(Axis {
                                key: k.clone(),
                                values: values.clone(),
                            }),
                            _ => bail!(
                                "{shown}: `sweep.grid.{k}`: expected a non-empty array of values"
                            ),
                        }
                    }
                }
                ("seeds", Value::Integer(n)) if *n >= 1 => spec.seeds = *n as usize,
                ("jobs", Value::Integer(n)) if *n >= 1 => spec.jobs = Some(*n as usize),
                ("grid" | "seeds" | "jobs", other) => bail!(
                    "{shown}: `sweep.{key}`: {} is not valid here (grid: a table of arrays; seeds, jobs: integers >= 1)",
                    other.type_str()
                ),
                _ => bail!(
                    "{shown}: `sweep.{key}`: unknown key; known keys: `grid`, `seeds`, `jobs`"
                ),
            }
        }
        Ok(spec)
    }

    /// Every grid point: the `key=value` overrides of each, the last axis varying fastest.
    pub fn points(&self) -> Vec<Vec<(String, Value)>> {
        let mut points = vec![Vec::new()];
        for axis in &self.axes {
            points = points
                .into_iter()
                .flat_map(|p| {
                    axis.values.iter().map(move |v| {
                        let mut q = p.clone();
                        q.push((axis.key.clone(), v.clone()));
                        q
                    })
                })
                .collect();
        }
        points
    }
}

/// One row of sweep.csv.
#[derive(Debug, Clone)]
pub struct SweepRow {
    /// The run's number in the sweep.
    pub run: usize,
    /// The grid values, `key=value` joined by `; `.
    pub point: String,
    /// The grid values alone, one per axis.
    pub values: Vec<String>,
    /// The seed.
    pub seed: i64,
    /// Final loss (NaN when the run failed).
    pub final_loss: f64,
    /// Max abs error against the exact answer.
    pub max_abs_error: f64,
    /// Relative Frobenius error against the exact answer.
    pub rel_error: f64,
    /// Iterations done.
    pub iterations: usize,
    /// Why it stopped (`failed` when it could not run).
    pub stop_reason: String,
    /// Wall time of the loop.
    pub wall_seconds: f64,
    /// What went wrong, if anything.
    pub message: String,
    /// The run's directory, relative to the sweep's.
    pub dir: String,
}

/// A finished sweep: its directory and one row per run.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// The sweep directory.
    pub dir: PathBuf,
    /// One row per run, in run order.
    pub rows: Vec<SweepRow>,
    /// The loops the runs took: the points of one problem run as lanes of one loop
    /// (vectorized), at most [`crate::MAX_LANES`] a loop.
    pub loops: usize,
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Run the sweep of the config at `path`: every point of `spec` (with `base_sets` applied first)
/// times its seeds. Every config is resolved (and its problem built) before the first run
/// starts; a point whose config is bad (an unknown kind, a singular matrix) is recorded as
/// `failed` with its message and the others run. Runs go `jobs` at a time, each in its own
/// directory under the sweep's; one that fails or diverges is recorded as such.
pub fn run_sweep(
    path: &Path,
    spec: &SweepSpec,
    base_sets: &[String],
    options: &RunOptions,
    registry: &Registry,
    progress: &(dyn Fn(&SweepRow, usize) + Sync),
) -> anyhow::Result<SweepOutcome> {
    let base = Config::load(path, base_sets, registry)?;
    spec.check_size()?;
    let seeds = spec.seeds.max(1);
    let mut planned = Vec::new();
    for point in spec.points() {
        for s in 0..seeds {
            let mut sets = base_sets.to_vec();
            sets.extend(point.iter().map(|(k, v)| format!("{k}={v}")));
            let seed = base.seed + s as i64;
            if seeds > 1 {
                sets.push(format!("seed={seed}"));
            }
            let label = point
                .iter()
                .map(|(k, v)| format!("{k}={}", value_text(v)))
                .collect::<Vec<_>>()
                .join("; ");
            let values: Vec<String> = point.iter().map(|(_, v)| value_text(v)).collect();
            // The estimate first: nothing is built until the whole sweep is known to fit.
            let resolved = Config::load(path, &sets, registry)
                .map_err(anyhow::Error::from)
                .and_then(|c| {
                    let estimate = Experiment::estimate(&c)?;
                    Ok((c, estimate.map_or(0, |e| e.bytes)))
                });
            let seed = resolved.as_ref().map_or(seed, |(c, _)| c.seed);
            planned.push((
                (label, values),
                seed,
                resolved.map_err(|e| format!("{e:#}")),
                sets,
            ));
        }
    }
    let mine = |i: usize| spec.shard.is_none_or(|s| i % s.count == s.index - 1);
    // Every run is built before the first starts, so together they must fit in max_memory.
    let together = planned
        .iter()
        .enumerate()
        .filter(|(i, _)| mine(*i))
        .filter_map(|(_, (_, _, r, _))| r.as_ref().ok().map(|(_, bytes)| *bytes))
        .fold(0u128, u128::saturating_add);
    let available = available_bytes();
    let limit = base.max_memory.bytes(available);
    if together > u128::from(limit) {
        return Err(base
            .doc
            .error_at(
                "max_memory",
                format!(
                    "the sweep's {} runs need {} together (each is built before the first starts), \
                     more than max_memory = {}; sweep fewer points or smaller problems, or raise it",
                    planned.len(),
                    about(together),
                    base.max_memory.describe(available)
                ),
            )
            .into());
    }
    // The points that share a problem run as lanes of one loop (vectorized): one problem
    // built, one exact answer; a point whose config cannot be built is refused, with its reason.
    let mut groups: Vec<Group> = Vec::new();
    let mut refused: Vec<(usize, String)> = Vec::new();
    let running = planned
        .iter()
        .enumerate()
        .filter(|(i, (_, _, resolved, _))| mine(*i) && resolved.is_ok())
        .count();
    let cap = lanes_per_loop(running, spec.jobs);
    let load = |sets: &[String]| Config::load(path, sets, registry);
    for (i, (_, _, resolved, sets)) in planned.iter().enumerate() {
        if !mine(i) {
            continue;
        }
        if let Err(message) = resolved {
            refused.push((i, message.clone()));
            continue;
        }
        let placed = groups
            .iter_mut()
            .filter(|g| g.members.len() < cap)
            .find_map(|g| {
                let lane = g.experiment.lane(load(sets).ok()?).ok()?;
                g.members.push((i, lane));
                Some(())
            });
        if placed.is_some() {
            continue;
        }
        let built = load(sets)
            .map_err(anyhow::Error::from)
            .and_then(|c| Ok(Experiment::new(c)?))
            .and_then(|e| Ok((e.lane(load(sets)?)?, e)));
        match built {
            Ok((lane, mut experiment)) => {
                experiment.interrupt = options.interrupt.clone();
                experiment.terminate = options.terminate.clone();
                groups.push(Group {
                    experiment,
                    members: vec![(i, lane)],
                });
            }
            Err(e) => refused.push((i, format!("{e:#}"))),
        }
    }
    let loops = groups.len();
    // Plain SGD's stable limit 2/L, where the theory has one and no axis changes the problem.
    let same_problem = spec
        .axes
        .iter()
        .all(|a| !(a.key.starts_with("problem") || a.key.starts_with("loss") || a.key == "dtype"));
    let stable_lr = groups
        .first()
        .filter(|_| same_problem)
        .and_then(|g| g.experiment.stable_lr());
    let dir = create_run_dir(
        &options.runs_root,
        &format!("{}-sweep", base.name),
        options.out.as_deref(),
    )?;
    let total = planned.len();
    let width = total.to_string().len().max(3);
    let rows_of: Vec<SweepRow> = planned
        .into_iter()
        .enumerate()
        .map(|(i, ((point, values), seed, _, _))| SweepRow {
            run: i + 1,
            point,
            values,
            seed,
            final_loss: f64::NAN,
            max_abs_error: f64::NAN,
            rel_error: f64::NAN,
            iterations: 0,
            stop_reason: "failed".into(),
            wall_seconds: 0.0,
            message: String::new(),
            dir: format!("run-{:0width$}", i + 1),
        })
        .collect();
    let mut results: Vec<Option<(SweepRow, Vec<LossPoint>)>> =
        rows_of.iter().map(|_| None).collect();
    for (i, message) in refused {
        // Refused before it ran: no directory, the config's message.
        let mut row = rows_of[i].clone();
        row.message = message;
        row.dir = String::new();
        progress(&row, total);
        results[i] = Some((row, Vec::new()));
    }
    let work = || -> Vec<(usize, SweepRow, Vec<LossPoint>)> {
        groups
            .into_par_iter()
            .flat_map_iter(|g| run_group(g, &rows_of, &dir, options.png))
            .map(|(i, row, curve)| {
                progress(&row, total);
                (i, row, curve)
            })
            .collect()
    };
    let ran = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs_or_cpus(spec.jobs))
        .build()
        .context("starting the sweep's threads")?
        .install(work);
    for (i, row, curve) in ran {
        results[i] = Some((row, curve));
    }
    let results: Vec<(SweepRow, Vec<LossPoint>)> = results.into_iter().flatten().collect();
    let (rows, curves): (Vec<SweepRow>, Vec<Vec<LossPoint>>) = results.into_iter().unzip();
    let meta = SweepMeta {
        name: base.name.clone(),
        config: path.to_path_buf(),
        config_text: std::fs::read_to_string(path).unwrap_or_default(),
        sets: base_sets.to_vec(),
        axes: spec.axes.clone(),
        seeds,
        runs: total,
        shard: spec.shard,
        stable_lr,
    };
    write_sweep_files(&dir, &meta, &rows, curves, options.png)?;
    Ok(SweepOutcome { dir, rows, loops })
}

/// What `sweep.json` records of a sweep's directory: enough to merge shards and draw them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepMeta {
    /// The config's name.
    pub name: String,
    /// The config file.
    pub config: PathBuf,
    /// Its text when the sweep ran (shards must share it).
    pub config_text: String,
    /// The `--set` overrides of every run.
    pub sets: Vec<String>,
    /// The grid.
    pub axes: Vec<Axis>,
    /// Runs per grid point.
    pub seeds: usize,
    /// Runs of the whole sweep.
    pub runs: usize,
    /// The slice this directory holds; `None` for the whole sweep.
    pub shard: Option<Shard>,
    /// Plain SGD's stable rate 2/L, when it is marked.
    pub stable_lr: Option<f64>,
}

/// Write a sweep's files into `dir` from its rows and curves: sweep.json, sweep.csv,
/// sweep_points.csv (with seeds), sweep.svg, a picture per numeric axis, sweep.html (and PNGs).
pub fn write_sweep_files(
    dir: &Path,
    meta: &SweepMeta,
    rows: &[SweepRow],
    curves: Vec<Vec<LossPoint>>,
    png: bool,
) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(meta)?;
    write_atomic(&dir.join("sweep.json"), |tmp| {
        Ok(std::fs::write(tmp, &json)?)
    })?;
    let spec = SweepSpec {
        axes: meta.axes.clone(),
        seeds: meta.seeds,
        jobs: None,
        shard: meta.shard,
    };
    let keys: Vec<&str> = spec.axes.iter().map(|a| a.key.as_str()).collect();
    write_atomic(&dir.join("sweep.csv"), |tmp| write_rows(tmp, &keys, rows))?;
    if meta.seeds > 1 {
        write_atomic(&dir.join("sweep_points.csv"), |tmp| {
            write_points(tmp, &keys, rows)
        })?;
    }
    let title = format!("{}: sweep", meta.name);
    let (labels, curves) = grouped_curves(rows, curves);
    let svg = sweep_svg(&labels, &curves, &title)?;
    write_atomic(&dir.join("sweep.svg"), |tmp| Ok(std::fs::write(tmp, &svg)?))?;
    if png {
        let png = sweep_png(&labels, &curves, &title)?;
        write_atomic(&dir.join("sweep.png"), |tmp| Ok(std::fs::write(tmp, &png)?))?;
    }
    let mut axis_svgs = Vec::new();
    for (k, axis) in spec.axes.iter().enumerate() {
        let Some(picture) = axis_picture(&spec, k, rows) else {
            continue;
        };
        let mark = meta
            .stable_lr
            .filter(|_| axis.key == "optimizer.lr")
            .map(|lr| (lr, "2/L: plain SGD's stable limit"));
        let title = format!("{}: final loss against {}", meta.name, axis.key);
        let drawn = AxisPicture {
            key: &axis.key,
            series: &picture.series,
            points: &picture.points,
            mark,
            best: picture.best,
            title: &title,
        };
        let file = format!("sweep_{}", axis.key);
        let svg = sweep_axis_svg(&drawn)?;
        write_atomic(&dir.join(format!("{file}.svg")), |tmp| {
            Ok(std::fs::write(tmp, &svg)?)
        })?;
        if png {
            let png = sweep_axis_png(&drawn)?;
            write_atomic(&dir.join(format!("{file}.png")), |tmp| {
                Ok(std::fs::write(tmp, &png)?)
            })?;
        }
        axis_svgs.push((axis.key.clone(), svg));
    }
    let html = sweep_html(&meta.name, rows, meta.seeds, &svg, &axis_svgs);
    write_atomic(&dir.join("sweep.html"), |tmp| {
        Ok(std::fs::write(tmp, &html)?)
    })
}

/// sweep.csv read back, with the grid's `keys`.
pub fn read_rows(path: &Path, keys: &[&str]) -> anyhow::Result<Vec<SweepRow>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
    let mut rows = Vec::new();
    let n = keys.len();
    for record in reader.records() {
        let r = record.with_context(|| format!("{}: a malformed row", path.display()))?;
        let field = |i: usize| r.get(i).unwrap_or_default();
        let number = |i: usize| field(i).parse::<f64>().unwrap_or(f64::NAN);
        let values: Vec<String> = (1..=n).map(|i| field(i).to_string()).collect();
        rows.push(SweepRow {
            run: field(0)
                .parse()
                .with_context(|| format!("{}: run", path.display()))?,
            point: keys
                .iter()
                .zip(&values)
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
            values,
            seed: field(n + 1).parse().unwrap_or(0),
            final_loss: number(n + 2),
            max_abs_error: number(n + 3),
            rel_error: number(n + 4),
            iterations: field(n + 5).parse().unwrap_or(0),
            stop_reason: field(n + 6).to_string(),
            wall_seconds: number(n + 7),
            message: field(n + 8).to_string(),
            dir: field(n + 9).to_string(),
        });
    }
    Ok(rows)
}

/// Merge the shard directories of one sweep into `out`: every shard once, the same config and
/// grid; their runs copied (unless `out` is one of them); the files of the whole sweep.
pub fn merge_sweep(dirs: &[PathBuf], out: &Path, png: bool) -> anyhow::Result<Vec<SweepRow>> {
    anyhow::ensure!(
        !dirs.is_empty(),
        "sweep merge: give the shards' directories"
    );
    let metas: Vec<SweepMeta> = dirs
        .iter()
        .map(|d| {
            let path = d.join("sweep.json");
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{}: not a sweep's directory (no readable sweep.json)",
                    d.display()
                )
            })?;
            serde_json::from_str(&text).with_context(|| format!("{}: malformed", path.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    let base = &metas[0];
    for (d, m) in dirs.iter().zip(&metas) {
        let same = SweepMeta {
            shard: base.shard,
            stable_lr: base.stable_lr,
            ..m.clone()
        };
        anyhow::ensure!(
            same == *base,
            "{} is another sweep (config, grid, seeds or overrides differ) than {}",
            d.display(),
            dirs[0].display()
        );
    }
    let shards: Vec<(&Path, Option<Shard>)> = dirs
        .iter()
        .zip(&metas)
        .map(|(d, m)| (d.as_path(), m.shard))
        .collect();
    crate::merge::check_split(&shards, "sweep")?;
    std::fs::create_dir_all(out).with_context(|| format!("{}", out.display()))?;
    let keys: Vec<&str> = base.axes.iter().map(|a| a.key.as_str()).collect();
    let mut rows = Vec::new();
    for d in dirs {
        let mine = read_rows(&d.join("sweep.csv"), &keys)?;
        for r in &mine {
            if !r.dir.is_empty() && d.canonicalize()? != out.canonicalize()? {
                crate::merge::copy_tree(&d.join(&r.dir), &out.join(&r.dir))?;
            }
        }
        rows.extend(mine);
    }
    rows.sort_by_key(|r| r.run);
    let curves = rows
        .iter()
        .map(|r| {
            if r.dir.is_empty() {
                Vec::new()
            } else {
                read_curve(&out.join(&r.dir).join("metrics.csv"))
            }
        })
        .collect();
    let meta = SweepMeta {
        shard: None,
        stable_lr: metas.iter().find_map(|m| m.stable_lr),
        ..base.clone()
    };
    write_sweep_files(out, &meta, &rows, curves, png)?;
    Ok(rows)
}

/// The points of one problem, run as lanes of one loop.
struct Group {
    experiment: Experiment,
    /// Each lane with its run's index.
    members: Vec<(usize, Lane)>,
}

/// Run a group's lanes, each into its run directory with the console (quiet), the files and
/// the pictures as observers; each run's row (from its summary, `diverging` told apart) and
/// loss curve.
fn run_group(
    g: Group,
    rows: &[SweepRow],
    dir: &Path,
    png: bool,
) -> Vec<(usize, SweepRow, Vec<LossPoint>)> {
    let mut out = Vec::new();
    let mut kept = Vec::new();
    let mut lanes: Vec<Lane> = Vec::new();
    let mut observers = Vec::new();
    for (i, lane) in g.members {
        let mut row = rows[i].clone();
        let run_dir = dir.join(&row.dir);
        let c = &lane.config;
        let made = std::fs::create_dir_all(&run_dir)
            .map_err(anyhow::Error::from)
            .and_then(|()| {
                RunFiles::new(
                    run_dir.clone(),
                    c.dtype,
                    &c.resolved_toml(),
                    c.metrics_every,
                )
            });
        match made {
            Ok(files) => {
                observers.push((
                    Console::new(true, Some(run_dir.clone()), c.iterations),
                    files,
                    Pictures::new(run_dir.clone(), c.resolved_toml(), png),
                ));
                kept.push((i, run_dir));
                lanes.push(lane);
            }
            Err(e) => {
                row.message = format!("{e:#}");
                out.push((i, row, Vec::new()));
            }
        }
    }
    let mut sets: Vec<[&mut dyn Observer; 3]> = observers
        .iter_mut()
        .map(|(console, files, pictures)| {
            [
                console as &mut dyn Observer,
                files as &mut dyn Observer,
                pictures as &mut dyn Observer,
            ]
        })
        .collect();
    let mut lists: Vec<&mut [&mut dyn Observer]> = sets.iter_mut().map(|s| &mut s[..]).collect();
    let summaries = g.experiment.run_lanes(&lanes, &mut lists);
    drop(lists);
    drop(sets);
    drop(observers);
    for ((i, run_dir), outcome) in kept.into_iter().zip(summaries) {
        let mut row = rows[i].clone();
        match outcome {
            Ok(s) => {
                row.final_loss = s.final_loss;
                row.max_abs_error = s.max_abs_error;
                row.rel_error = s.rel_error;
                row.iterations = s.iterations;
                row.stop_reason = s.stop_reason.name().into();
                row.wall_seconds = s.wall_seconds;
                row.message = s.message.unwrap_or_default();
            }
            Err(e) => row.message = format!("{e:#}"),
        }
        let curve = read_curve(&run_dir.join("metrics.csv"));
        if row.stop_reason != "failed"
            && row.stop_reason != "diverged"
            && let Some(why) = diverging(&curve, row.final_loss)
        {
            row.stop_reason = "diverging".into();
            row.message = why;
        }
        out.push((i, row, curve));
    }
    out
}

/// sweep.csv: a row per run with a column per grid key.
fn write_rows(path: &Path, keys: &[&str], rows: &[SweepRow]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let mut header = vec!["run"];
    header.extend_from_slice(keys);
    header.extend([
        "seed",
        "final_loss",
        "max_abs_error",
        "rel_error",
        "iterations",
        "stop_reason",
        "wall_seconds",
        "message",
        "dir",
    ]);
    w.write_record(&header)?;
    for r in rows {
        let mut record = vec![r.run.to_string()];
        record.extend(r.values.iter().cloned());
        record.extend([
            r.seed.to_string(),
            r.final_loss.to_string(),
            r.max_abs_error.to_string(),
            r.rel_error.to_string(),
            r.iterations.to_string(),
            r.stop_reason.clone(),
            r.wall_seconds.to_string(),
            r.message.clone(),
            r.dir.clone(),
        ]);
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

/// The runs of each grid point (over its seeds), in run order.
fn groups(rows: &[SweepRow]) -> Vec<Vec<&SweepRow>> {
    let mut out: Vec<Vec<&SweepRow>> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|g| g[0].point == r.point) {
            Some(g) => g.push(r),
            None => out.push(vec![r]),
        }
    }
    out
}

/// sweep_points.csv: per grid point, the mean and spread over its seeds.
fn write_points(path: &Path, keys: &[&str], rows: &[SweepRow]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let mut header: Vec<&str> = keys.to_vec();
    header.extend([
        "runs",
        "finished",
        "final_loss_mean",
        "final_loss_std",
        "rel_error_mean",
        "rel_error_std",
    ]);
    w.write_record(&header)?;
    for g in groups(rows) {
        let finished = g.iter().filter(|r| r.finished()).count();
        let (lm, ls) = mean_and_spread(&g.iter().map(|r| r.final_loss).collect::<Vec<_>>());
        let (em, es) = mean_and_spread(&g.iter().map(|r| r.rel_error).collect::<Vec<_>>());
        let mut record = g[0].values.clone();
        record.extend([
            g.len().to_string(),
            finished.to_string(),
            lm.to_string(),
            ls.to_string(),
            em.to_string(),
            es.to_string(),
        ]);
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

impl SweepRow {
    /// Whether the run finished: it neither failed, diverged nor was `diverging` (see
    /// [`diverging`]).
    pub fn finished(&self) -> bool {
        !matches!(
            self.stop_reason.as_str(),
            "failed" | "diverged" | "diverging"
        )
    }
}

/// How much above its best a run's final loss must be, rising at the end, to be `diverging`.
pub const RISE_FACTOR: f64 = 10.0;

/// Why a run that ran all its iterations is `diverging`, or `None`: its final loss is above its
/// starting loss, or it keeps rising (the final loss is more than [`RISE_FACTOR`] times the
/// run's best and the highest of the last quarter of the run). `curve` is its (thinned) loss
/// curve, `final_loss` the loss after the last update.
pub fn diverging(curve: &[LossPoint], final_loss: f64) -> Option<String> {
    let start = curve.first()?.loss;
    if final_loss.is_finite() && start.is_finite() && final_loss > start {
        return Some(format!(
            "diverging: the final loss {final_loss:.4e} is above the starting loss {start:.4e}"
        ));
    }
    let best = curve
        .iter()
        .map(|p| p.loss)
        .filter(|l| l.is_finite())
        .fold(f64::INFINITY, f64::min);
    let last_iteration = curve.last()?.iteration;
    let quarter = last_iteration - last_iteration / 4;
    let late_high = curve
        .iter()
        .filter(|p| p.iteration >= quarter)
        .map(|p| p.loss)
        .filter(|l| l.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    (final_loss.is_finite() && final_loss > RISE_FACTOR * best && final_loss >= late_high).then(
        || {
            format!(
                "diverging: the loss keeps rising, to {final_loss:.4e} at the end from its best {best:.4e}"
            )
        },
    )
}

/// The sweep picture's groups (one per grid point, labelled by it) and each run's curve in its
/// group.
fn grouped_curves(
    rows: &[SweepRow],
    curves: Vec<Vec<LossPoint>>,
) -> (Vec<String>, Vec<SweepCurve>) {
    let mut labels: Vec<String> = Vec::new();
    let curves = rows
        .iter()
        .zip(curves)
        .map(|(r, points)| {
            let group = labels
                .iter()
                .position(|l| *l == r.point)
                .unwrap_or_else(|| {
                    labels.push(r.point.clone());
                    labels.len() - 1
                });
            SweepCurve { group, points }
        })
        .collect();
    if labels.len() == 1 && labels[0].is_empty() {
        labels[0] = "the config (seeds only)".into();
    }
    (labels, curves)
}

/// The data of the final-loss picture of axis `k`.
struct AxisData {
    series: Vec<String>,
    points: Vec<AxisPoint>,
    best: Option<usize>,
}

/// The final loss of every run that ran against axis `k`, a series per combination of the other
/// axes' values, and the best finished run; `None` when the axis is not numeric or has one value.
/// A point refused before it ran (a bad config, such as a negative lr) has no loss to draw, and
/// its value would take a log axis away from the others: it is left out (sweep.csv lists it).
fn axis_picture(spec: &SweepSpec, k: usize, rows: &[SweepRow]) -> Option<AxisData> {
    let axis = &spec.axes[k];
    let numeric = |v: &Value| match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    let values: Vec<f64> = axis.values.iter().map(numeric).collect::<Option<_>>()?;
    if values.len() < 2 {
        return None;
    }
    let mut series: Vec<String> = Vec::new();
    let mut points = Vec::new();
    for r in rows.iter().filter(|r| !r.dir.is_empty()) {
        let x = r.values.get(k)?.parse::<f64>().ok()?;
        let others = spec
            .axes
            .iter()
            .zip(&r.values)
            .enumerate()
            .filter(|(j, _)| *j != k)
            .map(|(_, (a, v))| format!("{}={v}", a.key))
            .collect::<Vec<_>>()
            .join("; ");
        let s = series.iter().position(|l| *l == others).unwrap_or_else(|| {
            series.push(others.clone());
            series.len() - 1
        });
        points.push(AxisPoint {
            x,
            final_loss: r.final_loss,
            series: s,
            finished: r.finished(),
        });
    }
    let best = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.finished && p.final_loss.is_finite())
        .min_by(|a, b| a.1.final_loss.total_cmp(&b.1.final_loss))
        .map(|(i, _)| i);
    Some(AxisData {
        series,
        points,
        best,
    })
}

/// A run's loss curve from its metrics.csv (thinned), or nothing if it has none.
pub(crate) fn read_curve(path: &Path) -> Vec<LossPoint> {
    let Ok(mut reader) = csv::Reader::from_path(path) else {
        return Vec::new();
    };
    let mut thinned = Thinned::new(1000);
    for r in reader.deserialize::<MetricsRow>().flatten() {
        thinned.push(
            r.iteration,
            LossPoint {
                iteration: r.iteration,
                loss: r.loss,
                lr: r.lr,
                predicted: None,
            },
        );
    }
    thinned.items().into_iter().map(|(_, p)| p).collect()
}

/// Mean and sample standard deviation of the finite values.
pub fn mean_and_spread(values: &[f64]) -> (f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    let var = if finite.len() > 1 {
        finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

fn sweep_html(
    name: &str,
    rows: &[SweepRow],
    seeds: usize,
    svg: &str,
    axes: &[(String, String)],
) -> String {
    use descent_runner::sci;
    let mut body = format!("<h1>descent: sweep of {}</h1>\n", escape(name));
    if seeds > 1 {
        body.push_str(&format!(
            "<h2>Per grid point, over {seeds} seeds</h2>\n<table class=\"runs\"><tr><th>point</th><th>runs finished</th><th>final loss: mean</th><th>spread (std)</th><th>relative error: mean</th><th>spread (std)</th></tr>\n"
        ));
        let mut points: Vec<&str> = rows.iter().map(|r| r.point.as_str()).collect();
        points.dedup();
        for p in points {
            let group: Vec<&SweepRow> = rows.iter().filter(|r| r.point == p).collect();
            let ok = group.iter().filter(|r| r.finished()).count();
            let (lm, ls) = mean_and_spread(&group.iter().map(|r| r.final_loss).collect::<Vec<_>>());
            let (em, es) = mean_and_spread(&group.iter().map(|r| r.rel_error).collect::<Vec<_>>());
            body.push_str(&format!(
                "<tr><td>{}</td><td>{ok} of {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(p),
                group.len(),
                sci(lm, 3),
                sci(ls, 2),
                sci(em, 3),
                sci(es, 2)
            ));
        }
        body.push_str("</table>\n");
    }
    body.push_str("<h2>Loss curves</h2>\n<figure>");
    body.push_str(svg.trim_start());
    body.push_str("<figcaption>Every run's loss (log scale); failed and diverged runs end early or are missing.</figcaption></figure>\n");
    for (key, axis_svg) in axes {
        body.push_str(&format!(
            "<h2>Final loss against {}</h2>\n<figure>",
            escape(key)
        ));
        body.push_str(axis_svg.trim_start());
        body.push_str("<figcaption>Each run's final loss; the line joins the median of the runs that finished at each value; the best run is ringed.</figcaption></figure>\n");
    }
    body.push_str("<h2>Runs</h2>\n<table class=\"runs\"><tr><th>run</th><th>point</th><th>seed</th><th>final loss</th><th>relative error</th><th>iterations</th><th>stopped by</th><th>wall time (s)</th><th>message</th></tr>\n");
    for r in rows {
        let class = if !r.finished() { " class=\"bad\"" } else { "" };
        let run = if r.dir.is_empty() {
            r.run.to_string()
        } else {
            format!("<a href=\"{}/report.html\">{}</a>", escape(&r.dir), r.run)
        };
        body.push_str(&format!(
            "<tr><td>{run}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{class}>{}</td><td>{:.3}</td><td class=\"text\">{}</td></tr>\n",
            escape(&r.point),
            r.seed,
            sci(r.final_loss, 3),
            sci(r.rel_error, 3),
            r.iterations,
            escape(&r.stop_reason),
            r.wall_seconds,
            escape(&r.message),
        ));
    }
    body.push_str("</table>\n");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>descent: sweep of {}</title>\n<style>{STYLE}\ntable.runs td {{ white-space: nowrap; }} table.runs td.text {{ white-space: normal; }}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_the_cartesian_product_with_the_last_axis_fastest() {
        let spec = SweepSpec {
            axes: vec![
                SweepSpec::parse_axis(r#"optimizer.kind=["sgd","adam"]"#).unwrap(),
                SweepSpec::parse_axis("optimizer.lr=[0.01,0.1,0.5]").unwrap(),
            ],
            seeds: 1,
            jobs: None,
            shard: None,
        };
        let points = spec.points();
        assert_eq!(points.len(), 6);
        assert_eq!(points[1][0].1.as_str(), Some("sgd"));
        assert_eq!(points[1][1].1.as_float(), Some(0.1));
        assert_eq!(points[3][0].1.as_str(), Some("adam"));
        assert!(SweepSpec::parse_axis("optimizer.lr=0.1").is_err());
    }

    #[test]
    fn mean_and_spread_skip_failed_runs() {
        let (m, s) = mean_and_spread(&[1.0, 3.0, f64::NAN]);
        assert_eq!(m, 2.0);
        assert!((s - 2f64.sqrt()).abs() < 1e-15);
    }

    fn curve(losses: &[f64]) -> Vec<LossPoint> {
        losses
            .iter()
            .enumerate()
            .map(|(i, &loss)| LossPoint {
                iteration: i,
                loss,
                lr: 0.1,
                predicted: None,
            })
            .collect()
    }

    #[test]
    fn a_run_is_diverging_when_it_ends_above_its_start_or_keeps_rising() {
        // Ends above the start.
        assert!(diverging(&curve(&[1.0, 2.0, 4.0]), 8.0).is_some());
        // Falls, then climbs to 100x its best at the end, still below the start.
        let rising = curve(&[1.0, 1e-4, 1e-4, 1e-4, 1e-3, 1e-2]);
        assert!(diverging(&rising, 1e-2).is_some());
        // Falls and stays down; a small rise within 10x of the best is noise, not divergence.
        assert!(diverging(&curve(&[1.0, 1e-2, 1e-4, 1e-4]), 1e-4).is_none());
        assert!(diverging(&curve(&[1.0, 1e-4, 1e-4, 5e-4]), 5e-4).is_none());
        // Rose late, then came back down below the late peak: not rising at the end.
        assert!(diverging(&curve(&[1.0, 1e-6, 1e-6, 1e-2, 1e-3]), 1e-3).is_none());
        // No curve: nothing to say.
        assert!(diverging(&[], 1.0).is_none());
    }
}
