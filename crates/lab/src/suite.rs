//! `cargo xtask suite`: every optimizer on every problem, tuned on a log grid of learning rates (DeepOBS), the best rerun with every seed, resumable; results.csv and best.csv.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use descent_runner::{Config, Experiment, Observer, Registry, RunFiles, StopReason, write_atomic};

use crate::suite_spec::{Budget, Rates, SuiteSpec};
use crate::sweep::{diverging, read_curve};

/// Whether a run tuned the learning rate (first seed, every rate of the grid) or is a final run
/// (the best rate, every seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// One rate of the grid, on the first seed.
    Tune,
    /// The chosen rate, on every seed.
    Final,
}

/// One planned run: a problem, an optimizer at a rate, a seed.
#[derive(Debug, Clone)]
pub struct Trial {
    /// The problem's index in the suite.
    pub problem: usize,
    /// The optimizer's index in the suite.
    pub optimizer: usize,
    /// The learning rate.
    pub lr: f64,
    /// The seed.
    pub seed: i64,
    /// Tune or final.
    pub phase: Phase,
}

/// One row of results.csv: a run and what it reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteRow {
    /// The problem's name.
    pub problem: String,
    /// The optimizer's name.
    pub optimizer: String,
    /// The learning rate.
    pub lr: f64,
    /// The optimizer's other keys, `key=value` joined by `; ` (empty for none).
    pub hyperparameters: String,
    /// The seed.
    pub seed: i64,
    /// `tune` or `final` (a run that is both, the best rate on the first seed, is `final`).
    pub phase: Phase,
    /// Whether it reached the target.
    pub solved: bool,
    /// Updates to the target (empty when not solved).
    pub iterations_to_target: Option<usize>,
    /// Evaluations of the loss and gradient to the target (empty when not solved).
    pub evaluations_to_target: Option<usize>,
    /// The relative error against the exact answer at the end.
    pub final_error: f64,
    /// The final loss.
    pub final_loss: f64,
    /// Updates done.
    pub iterations: usize,
    /// Evaluations done.
    pub evaluations: usize,
    /// The loop's wall time.
    pub wall_seconds: f64,
    /// `rel_error_below` (solved), `iterations` or `evaluations` (the budget ran out),
    /// `diverged`, `diverging`, or `failed` (it could not run).
    pub stop_reason: String,
    /// What went wrong, if anything.
    pub message: String,
    /// The run's directory, relative to the suite's.
    pub dir: String,
}

impl SuiteRow {
    /// The cost of reaching the target in the budget's unit, `None` when not solved.
    pub fn cost(&self, budget: Budget) -> Option<f64> {
        match budget {
            Budget::Iterations(_) => self.iterations_to_target.map(|n| n as f64),
            Budget::Evaluations(_) => self.evaluations_to_target.map(|n| n as f64),
        }
    }
}

/// The best setting of one optimizer on one problem, and how its final runs did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestRow {
    /// The problem.
    pub problem: String,
    /// The optimizer.
    pub optimizer: String,
    /// The chosen learning rate.
    pub lr: f64,
    /// How many rates were tried.
    pub rates_tried: usize,
    /// Final runs that reached the target.
    pub solved: usize,
    /// Final runs.
    pub runs: usize,
    /// The median cost (budget's unit) to the target over the solved final runs.
    pub median_cost: Option<f64>,
    /// The median final relative error over the final runs.
    pub median_final_error: f64,
}

/// A finished (or interrupted) suite.
#[derive(Debug, Clone)]
pub struct SuiteOutcome {
    /// The suite's directory.
    pub dir: PathBuf,
    /// Every run, in plan order.
    pub rows: Vec<SuiteRow>,
    /// Runs reused from an earlier start.
    pub reused: usize,
    /// Whether Ctrl-C stopped it (the rows hold what finished).
    pub interrupted: bool,
    /// The loops the runs that ran took: runs of one problem run as lanes of one loop
    /// (vectorized), at most [`MAX_LANES`] a loop.
    pub loops: usize,
}

/// A deterministic slice of a suite: shard `index` of `count` (1-based) runs the cells (problem,
/// optimizer) whose number, problem-major, is `index - 1` modulo `count`. A cell's tuning and
/// final runs stay in one shard, so each shard picks its own best rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: usize,
    /// How many.
    pub count: usize,
}

impl Shard {
    /// Parse `i/n` (1 <= i <= n).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let parsed = text
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if index >= 1 && index <= count && count <= 100_000 => {
                Ok(Self { index, count })
            }
            _ => anyhow::bail!(
                "--shard {text}: expected i/n with 1 <= i <= n <= 100000, e.g. --shard 2/8"
            ),
        }
    }

    /// Whether this shard runs the cell of `problem` and `optimizer` (of `optimizers`).
    pub fn runs(&self, problem: usize, optimizer: usize, optimizers: usize) -> bool {
        (problem * optimizers + optimizer) % self.count == self.index - 1
    }
}

/// How to run a suite.
#[derive(Debug, Clone, Default)]
pub struct SuiteOptions {
    /// The suite's directory; runs found in it are reused.
    pub out: PathBuf,
    /// Runs at a time (overrides the suite's `jobs`).
    pub jobs: Option<usize>,
    /// Set by Ctrl-C: running runs stop cleanly and no new one starts.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Run only this slice of the suite.
    pub shard: Option<Shard>,
}

/// The run directory of a trial, relative to the suite's.
pub fn trial_dir(spec: &SuiteSpec, t: &Trial) -> String {
    format!(
        "runs/{}/{}/lr{}-seed{}",
        spec.problems[t.problem].name, spec.optimizers[t.optimizer].name, t.lr, t.seed
    )
}

/// Set `value` at a dotted `key` of `table`, creating tables on the way.
fn set_dotted(table: &mut Table, key: &str, value: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut t = table;
    for p in parts {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(inner) = entry else {
            return;
        };
        t = inner;
    }
    t.insert(last.to_string(), value);
}

/// The config of a trial: the problem's config with the optimizer at its rate, the seed, the
/// budget, the target as a stop rule, and no checkpoints.
pub fn trial_config(spec: &SuiteSpec, t: &Trial, registry: &Registry) -> anyhow::Result<Config> {
    let problem = &spec.problems[t.problem];
    let optimizer = &spec.optimizers[t.optimizer];
    let mut table = problem.table.clone();
    for key in ["optimizer", "sweep"] {
        table.remove(key);
    }
    if let Some(Value::Table(stop)) = table.get_mut("stop") {
        stop.remove("iterations");
    }
    for (k, v) in &spec.set {
        set_dotted(&mut table, k, v.clone());
    }
    let mut opt = optimizer.table.clone();
    opt.insert("lr".into(), Value::Float(t.lr));
    table.insert("optimizer".into(), Value::Table(opt));
    table.insert(
        "name".into(),
        Value::String(format!("{}-{}", problem.name, optimizer.name)),
    );
    table.insert("seed".into(), Value::Integer(t.seed));
    // An evaluation budget stops the loop by `stop.evaluations`; its iterations are one more,
    // so that one evaluation per update ends by the budget's own rule.
    let iterations = match spec.budget {
        Budget::Iterations(n) => n,
        Budget::Evaluations(n) => n.saturating_add(1),
    };
    table.insert("iterations".into(), Value::Integer(iterations as i64));
    table.insert("log_every".into(), Value::Integer(0));
    set_dotted(
        &mut table,
        "stop.rel_error_below",
        Value::Float(spec.target),
    );
    if let Budget::Evaluations(n) = spec.budget {
        set_dotted(&mut table, "stop.evaluations", Value::Integer(n as i64));
    }
    let text = toml::to_string(&table).context("writing the trial's config")?;
    Ok(Config::from_text(&problem.file, &text, &[], registry)?)
}

/// Resolve the config of every problem with every optimizer (its first rate, the first seed)
/// without building anything: a misspelt optimizer key or an unknown kind is an error naming the
/// suite file, the optimizer and the key before anything runs.
pub fn check_suite(spec: &SuiteSpec, registry: &Registry) -> anyhow::Result<()> {
    for problem in 0..spec.problems.len() {
        for (optimizer, o) in spec.optimizers.iter().enumerate() {
            let trial = Trial {
                problem,
                optimizer,
                lr: o.rates.all()[0],
                seed: spec.seeds[0],
                phase: Phase::Tune,
            };
            if let Err(e) = trial_config(spec, &trial, registry) {
                // The key and the reason; the line of the generated config would mislead.
                let why = match e.downcast_ref::<descent_runner::ConfigError>() {
                    Some(c) if !c.key.is_empty() => format!("`{}`: {}", c.key, c.reason),
                    Some(c) => c.reason.clone(),
                    None => format!("{e:#}"),
                };
                anyhow::bail!(
                    "{}: [[optimizer]] `{}` on the problem `{}`: {why}",
                    spec.file.display(),
                    o.name,
                    spec.problems[problem].name
                );
            }
        }
    }
    Ok(())
}

/// The optimizer's keys other than `kind`, as `key=value; ...`.
fn hyperparameters(table: &Table) -> String {
    table
        .iter()
        .filter(|(k, _)| k.as_str() != "kind")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A row for a trial that has not produced a summary (yet).
fn empty_row(spec: &SuiteSpec, t: &Trial) -> SuiteRow {
    SuiteRow {
        problem: spec.problems[t.problem].name.clone(),
        optimizer: spec.optimizers[t.optimizer].name.clone(),
        lr: t.lr,
        hyperparameters: hyperparameters(&spec.optimizers[t.optimizer].table),
        seed: t.seed,
        phase: t.phase,
        solved: false,
        iterations_to_target: None,
        evaluations_to_target: None,
        final_error: f64::NAN,
        final_loss: f64::NAN,
        iterations: 0,
        evaluations: 0,
        wall_seconds: 0.0,
        stop_reason: "failed".into(),
        message: String::new(),
        dir: trial_dir(spec, t),
    }
}

/// What a summary.json says, read back.
#[derive(Debug, Deserialize)]
struct StoredSummary {
    final_loss: Option<f64>,
    iterations: usize,
    #[serde(default)]
    evaluations: usize,
    stop_reason: String,
    message: Option<String>,
    rel_error: Option<f64>,
    wall_seconds: f64,
}

/// Fill `row` from the run directory's summary.json (and its metrics.csv for `diverging`);
/// `None` when there is no complete run there.
fn read_back(dir: &Path, mut row: SuiteRow) -> Option<SuiteRow> {
    let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
    let s: StoredSummary = serde_json::from_str(&text).ok()?;
    if matches!(s.stop_reason.as_str(), "interrupted" | "terminated") {
        return None;
    }
    row.final_loss = s.final_loss.unwrap_or(f64::NAN);
    row.final_error = s.rel_error.unwrap_or(f64::NAN);
    row.iterations = s.iterations;
    row.evaluations = s.evaluations;
    row.wall_seconds = s.wall_seconds;
    row.solved = s.stop_reason == StopReason::RelErrorBelow.name();
    if row.solved {
        row.iterations_to_target = Some(s.iterations);
        row.evaluations_to_target = Some(s.evaluations);
    }
    row.message = s.message.unwrap_or_default();
    row.stop_reason = s.stop_reason;
    if !row.solved
        && row.stop_reason != "diverged"
        && let Some(why) = diverging(&read_curve(&dir.join("metrics.csv")), row.final_loss)
    {
        row.stop_reason = "diverging".into();
        row.message = why;
    }
    Some(row)
}

/// A trial's row, and whether it was read back from an earlier start; `None` when interrupted.
type Outcome = Option<(SuiteRow, bool)>;

/// A trial before it runs: read back, refused, or ready with its config.
enum Prepared {
    /// Finished by an earlier start (or refused: its config is bad): its row, and whether reused.
    Done(Box<SuiteRow>, bool),
    /// To run.
    Ready(Box<Config>, String),
}

/// A trial's config, or its row when an earlier start finished the same config in its
/// directory (or the config is bad).
fn prepare(spec: &SuiteSpec, t: &Trial, root: &Path, registry: &Registry) -> Prepared {
    let mut row = empty_row(spec, t);
    let dir = root.join(&row.dir);
    let config = match trial_config(spec, t, registry) {
        Ok(c) => c,
        Err(e) => {
            row.message = format!("{e:#}");
            return Prepared::Done(Box::new(row), false);
        }
    };
    let resolved = config.resolved_toml();
    let same = std::fs::read_to_string(dir.join("config.toml")).is_ok_and(|old| old == resolved);
    if same && let Some(done) = read_back(&dir, row) {
        return Prepared::Done(Box::new(done), true);
    }
    Prepared::Ready(Box::new(config), resolved)
}

/// The most lanes one loop runs.
pub const MAX_LANES: usize = 16;

/// The lanes of one loop for `runs` runs on `jobs` threads (default: rayon's): as many as
/// spread the runs over every thread, from 1 to [`MAX_LANES`].
pub fn lanes_per_loop(runs: usize, jobs: Option<usize>) -> usize {
    runs.div_ceil(jobs_or_cpus(jobs)).clamp(1, MAX_LANES)
}

/// `jobs`, or the CPUs the process may use (not rayon's global pool, which `cargo xtask` sizes
/// to one thread per run for sweeps and suites).
pub fn jobs_or_cpus(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// Run a group of trials of one problem as lanes of one loop (vectorized: one problem built,
/// one exact answer, the gradients of every lane per iteration, then each lane's update with
/// its own rate); a trial that cannot be a lane of the group's experiment runs alone. The rows
/// of the group's trials; `None` for those interrupted.
fn run_group(
    spec: &SuiteSpec,
    group: Vec<(Trial, Config, String)>,
    root: &Path,
    registry: &Registry,
    interrupt: Option<&Arc<AtomicBool>>,
) -> Vec<Option<(SuiteRow, bool)>> {
    if interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
        return group.iter().map(|_| None).collect();
    }
    let fail = |t: &Trial, e: &anyhow::Error| {
        let mut row = empty_row(spec, t);
        row.message = format!("{e:#}");
        Some((row, false))
    };
    let Some((first, _, _)) = group.first() else {
        return Vec::new();
    };
    // The group's experiment, from its first trial's config (built again: a config is consumed).
    let experiment = trial_config(spec, first, registry).and_then(|c| {
        let mut e = Experiment::new(c)?;
        e.interrupt = interrupt.cloned();
        Ok(e)
    });
    let experiment = match experiment {
        Ok(e) => e,
        // The problem cannot be built: every lane would fail the same way.
        Err(e) => return group.iter().map(|(t, _, _)| fail(t, &e)).collect(),
    };
    let mut out: Vec<Option<(SuiteRow, bool)>> = group.iter().map(|_| None).collect();
    let mut lanes = Vec::new();
    let mut members = Vec::new();
    for (k, (t, config, resolved)) in group.into_iter().enumerate() {
        match experiment.lane(config) {
            Ok(lane) => {
                lanes.push(lane);
                members.push((k, t, resolved));
            }
            Err(_) => {
                // Not a lane of this experiment (a drawn problem of another seed): alone.
                out[k] = run_alone(spec, &t, root, registry, interrupt);
            }
        }
    }
    let mut files = Vec::new();
    let mut kept = Vec::new();
    let mut kept_lanes = Vec::new();
    for ((k, t, resolved), lane) in members.into_iter().zip(lanes) {
        let dir = root.join(trial_dir(spec, &t));
        let made = fresh_dir(&dir).and_then(|()| {
            RunFiles::new(
                dir.clone(),
                lane.config.dtype,
                &resolved,
                lane.config.metrics_every,
            )
        });
        match made {
            Ok(f) => {
                files.push(f);
                kept.push((k, t));
                kept_lanes.push(lane);
            }
            Err(e) => out[k] = fail(&t, &e),
        }
    }
    let mut observers: Vec<[&mut dyn Observer; 1]> =
        files.iter_mut().map(|f| [f as &mut dyn Observer]).collect();
    let mut lists: Vec<&mut [&mut dyn Observer]> =
        observers.iter_mut().map(|a| &mut a[..]).collect();
    let ran = experiment.run_lanes(&kept_lanes, &mut lists);
    drop(lists);
    drop(observers);
    drop(files);
    for ((k, t), outcome) in kept.into_iter().zip(ran) {
        out[k] = match outcome {
            Ok(_) => {
                read_back(&root.join(trial_dir(spec, &t)), empty_row(spec, &t)).map(|r| (r, false))
            }
            Err(e) => fail(&t, &e),
        };
    }
    out
}

/// Remove what an unfinished run left in `dir`, and make it.
fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("removing the unfinished run {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))
}

/// Run one trial by itself into its directory; `None` when interrupted.
fn run_alone(
    spec: &SuiteSpec,
    t: &Trial,
    root: &Path,
    registry: &Registry,
    interrupt: Option<&Arc<AtomicBool>>,
) -> Option<(SuiteRow, bool)> {
    let mut row = empty_row(spec, t);
    let dir = root.join(&row.dir);
    let ran = (|| -> anyhow::Result<()> {
        let config = trial_config(spec, t, registry)?;
        let resolved = config.resolved_toml();
        fresh_dir(&dir)?;
        let (dtype, every) = (config.dtype, config.metrics_every);
        let mut experiment = Experiment::new(config)?;
        experiment.interrupt = interrupt.cloned();
        let mut files = RunFiles::new(dir.clone(), dtype, &resolved, every)?;
        experiment.run(&mut [&mut files])?;
        Ok(())
    })();
    if let Err(e) = ran {
        row.message = format!("{e:#}");
        return Some((row, false));
    }
    read_back(&dir, row).map(|r| (r, false))
}

/// The index of the best rate among one cell's tuning rows: the solved run of least cost
/// (then least final error, then smallest rate); without one, the least finite final error.
pub fn best_of(rows: &[&SuiteRow], budget: Budget) -> Option<usize> {
    let key = |r: &SuiteRow| {
        (
            r.cost(budget).unwrap_or(f64::INFINITY),
            if r.final_error.is_finite() && r.stop_reason != "diverging" {
                r.final_error
            } else {
                f64::INFINITY
            },
            r.lr,
        )
    };
    rows.iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            let (a, b) = (key(a), key(b));
            a.0.total_cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(a.2.total_cmp(&b.2))
        })
        .map(|(i, _)| i)
}

/// Run `trials` `jobs` at a time; rows in trial order (`None` for those interrupted).
fn run_all(
    spec: &SuiteSpec,
    trials: &[Trial],
    root: &Path,
    registry: &Registry,
    options: &SuiteOptions,
    progress: &(dyn Fn(&SuiteRow, bool) + Sync),
) -> anyhow::Result<(Vec<Outcome>, usize)> {
    let work = || -> (Vec<Outcome>, usize) {
        let prepared: Vec<Prepared> = trials
            .par_iter()
            .map(|t| prepare(spec, t, root, registry))
            .collect();
        let mut out: Vec<Option<(SuiteRow, bool)>> = trials.iter().map(|_| None).collect();
        // The trials to run, grouped by problem (a group's lanes share it), as many a group as
        // spread them over the threads (at most MAX_LANES).
        let running = prepared
            .iter()
            .filter(|p| matches!(p, Prepared::Ready(..)))
            .count();
        let cap = lanes_per_loop(running, options.jobs.or(spec.jobs));
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut ready = Vec::new();
        for (k, p) in prepared.into_iter().enumerate() {
            match p {
                Prepared::Done(row, reused) => {
                    progress(&row, reused);
                    out[k] = Some((*row, reused));
                    ready.push(None);
                }
                Prepared::Ready(config, resolved) => {
                    let problem = trials[k].problem;
                    match groups
                        .iter_mut()
                        .find(|(p, g)| *p == problem && g.len() < cap)
                    {
                        Some((_, g)) => g.push(k),
                        None => groups.push((problem, vec![k])),
                    }
                    ready.push(Some((*config, resolved)));
                }
            }
        }
        let loops = groups.len();
        let batches: Vec<Vec<(usize, Trial, Config, String)>> = groups
            .into_iter()
            .map(|(_, g)| {
                g.into_iter()
                    .filter_map(|k| {
                        let (config, resolved) = ready[k].take()?;
                        Some((k, trials[k].clone(), config, resolved))
                    })
                    .collect()
            })
            .collect();
        let done: Vec<Vec<(usize, Outcome)>> = batches
            .into_par_iter()
            .map(|batch| {
                let indices: Vec<usize> = batch.iter().map(|(k, _, _, _)| *k).collect();
                let group = batch.into_iter().map(|(_, t, c, r)| (t, c, r)).collect();
                let rows = run_group(spec, group, root, registry, options.interrupt.as_ref());
                for (row, reused) in rows.iter().flatten() {
                    progress(row, *reused);
                }
                indices.into_iter().zip(rows).collect()
            })
            .collect();
        for (k, row) in done.into_iter().flatten() {
            out[k] = row;
        }
        (out, loops)
    };
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(jobs_or_cpus(options.jobs.or(spec.jobs)))
        .build()
        .context("starting the suite's threads")?
        .install(work))
}

/// The trials of the first phase: every rate of each grid on the first seed, and every seed
/// of each single rate.
pub fn first_phase(spec: &SuiteSpec) -> Vec<Trial> {
    let mut out = Vec::new();
    for problem in 0..spec.problems.len() {
        for (optimizer, o) in spec.optimizers.iter().enumerate() {
            match &o.rates {
                Rates::One(lr) => out.extend(spec.seeds.iter().map(|&seed| Trial {
                    problem,
                    optimizer,
                    lr: *lr,
                    seed,
                    phase: Phase::Final,
                })),
                Rates::Grid(g) => out.extend(g.iter().map(|&lr| Trial {
                    problem,
                    optimizer,
                    lr,
                    seed: spec.seeds[0],
                    phase: Phase::Tune,
                })),
            }
        }
    }
    out
}

/// Run the suite: the first phase (tuning and single rates), then every seed of each grid's
/// best rate. Runs finished by an earlier start in the same directory are read back, not run.
pub fn run_suite(
    spec: &SuiteSpec,
    registry: &Registry,
    options: &SuiteOptions,
    progress: &(dyn Fn(&SuiteRow, bool) + Sync),
) -> anyhow::Result<SuiteOutcome> {
    let root = options.out.clone();
    std::fs::create_dir_all(&root).with_context(|| format!("{}", root.display()))?;
    let mine = |t: &Trial| {
        options
            .shard
            .is_none_or(|s| s.runs(t.problem, t.optimizer, spec.optimizers.len()))
    };
    let first: Vec<Trial> = first_phase(spec).into_iter().filter(mine).collect();
    let (done, mut loops) = run_all(spec, &first, &root, registry, options, progress)?;
    let mut interrupted = done.iter().any(Option::is_none);
    let mut rows: Vec<SuiteRow> = Vec::new();
    let mut reused = 0;
    for (row, again) in done.into_iter().flatten() {
        reused += usize::from(again);
        rows.push(row);
    }
    // The second phase: the best rate of each grid, every seed (the first seed's run is the
    // tuning run of that rate, read back).
    let mut second = Vec::new();
    for problem in 0..spec.problems.len() {
        for (optimizer, o) in spec.optimizers.iter().enumerate() {
            let Rates::Grid(_) = o.rates else { continue };
            if options
                .shard
                .is_some_and(|s| !s.runs(problem, optimizer, spec.optimizers.len()))
            {
                continue;
            }
            let tuned: Vec<&SuiteRow> = rows
                .iter()
                .filter(|r| {
                    r.problem == spec.problems[problem].name
                        && r.optimizer == o.name
                        && r.phase == Phase::Tune
                })
                .collect();
            let Some(best) = best_of(&tuned, spec.budget).map(|i| tuned[i].lr) else {
                continue;
            };
            second.extend(spec.seeds.iter().map(|&seed| Trial {
                problem,
                optimizer,
                lr: best,
                seed,
                phase: Phase::Final,
            }));
        }
    }
    // The best rate's tuning run on the first seed is that final run: one row, `final`.
    second.retain(|t| {
        let dir = trial_dir(spec, t);
        match rows.iter_mut().find(|r| r.dir == dir) {
            Some(tuned) => {
                tuned.phase = Phase::Final;
                false
            }
            None => true,
        }
    });
    if !interrupted {
        let (finals, more) = run_all(spec, &second, &root, registry, options, progress)?;
        loops += more;
        interrupted = finals.iter().any(Option::is_none);
        for (row, again) in finals.into_iter().flatten() {
            reused += usize::from(again);
            rows.push(row);
        }
    }
    sort_rows(spec, &mut rows);
    Ok(SuiteOutcome {
        dir: root,
        rows,
        reused,
        interrupted,
        loops,
    })
}

/// The canonical order of a suite's rows, the same however it was sharded: by problem, then
/// optimizer (in the suite's order), then seed (in the suite's order), then rate.
pub fn sort_rows(spec: &SuiteSpec, rows: &mut [SuiteRow]) {
    rows.sort_by(|a, b| {
        let key = |r: &SuiteRow| {
            (
                spec.problems
                    .iter()
                    .position(|p| p.name == r.problem)
                    .unwrap_or(usize::MAX),
                spec.optimizers
                    .iter()
                    .position(|o| o.name == r.optimizer)
                    .unwrap_or(usize::MAX),
                spec.seeds
                    .iter()
                    .position(|&s| s == r.seed)
                    .unwrap_or(usize::MAX),
            )
        };
        key(a).cmp(&key(b)).then(a.lr.total_cmp(&b.lr))
    });
}

/// The best setting of each optimizer on each problem, from the final runs.
pub fn best_rows(spec: &SuiteSpec, rows: &[SuiteRow]) -> Vec<BestRow> {
    let mut out = Vec::new();
    for p in &spec.problems {
        for o in &spec.optimizers {
            let finals: Vec<&SuiteRow> = rows
                .iter()
                .filter(|r| r.problem == p.name && r.optimizer == o.name && r.phase == Phase::Final)
                .collect();
            let Some(first) = finals.first() else {
                continue;
            };
            let mut costs: Vec<f64> = finals.iter().filter_map(|r| r.cost(spec.budget)).collect();
            let mut errors: Vec<f64> = finals.iter().map(|r| r.final_error).collect();
            out.push(BestRow {
                problem: p.name.clone(),
                optimizer: o.name.clone(),
                lr: first.lr,
                rates_tried: o.rates.all().len(),
                solved: costs.len(),
                runs: finals.len(),
                median_cost: median(&mut costs),
                median_final_error: median(&mut errors).unwrap_or(f64::NAN),
            });
        }
    }
    out
}

/// The median (NaN sorts last), `None` of nothing.
fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// The cost table of the final runs: a row per problem instance (problem, seed), a column per
/// optimizer; `None` where it did not reach the target (or has no run).
pub fn cost_table(spec: &SuiteSpec, rows: &[SuiteRow]) -> (Vec<String>, Vec<Vec<Option<f64>>>) {
    let mut instances = Vec::new();
    let mut table = Vec::new();
    for p in &spec.problems {
        for &seed in &spec.seeds {
            instances.push(format!("{} (seed {seed})", p.name));
            table.push(
                spec.optimizers
                    .iter()
                    .map(|o| {
                        rows.iter()
                            .find(|r| {
                                r.problem == p.name
                                    && r.optimizer == o.name
                                    && r.seed == seed
                                    && r.phase == Phase::Final
                            })
                            .and_then(|r| r.cost(spec.budget))
                    })
                    .collect(),
            );
        }
    }
    (instances, table)
}

/// results.csv: a row per run.
pub fn write_results(path: &Path, rows: &[SuiteRow]) -> anyhow::Result<()> {
    write_atomic(path, |tmp| {
        let mut w = csv::Writer::from_path(tmp)?;
        for r in rows {
            w.serialize(r)?;
        }
        w.flush()?;
        Ok(())
    })
}

/// results.csv read back (for `suite merge`).
pub fn read_results(path: &Path) -> anyhow::Result<Vec<SuiteRow>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
    reader
        .deserialize()
        .map(|r| r.with_context(|| format!("{}: a malformed row", path.display())))
        .collect()
}

/// best.csv: the best setting per problem and optimizer.
pub fn write_best(path: &Path, best: &[BestRow]) -> anyhow::Result<()> {
    write_atomic(path, |tmp| {
        let mut w = csv::Writer::from_path(tmp)?;
        for b in best {
            w.serialize(b)?;
        }
        w.flush()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(lr: f64, cost: Option<usize>, error: f64, reason: &str) -> SuiteRow {
        SuiteRow {
            problem: "p".into(),
            optimizer: "o".into(),
            lr,
            hyperparameters: String::new(),
            seed: 0,
            phase: Phase::Tune,
            solved: cost.is_some(),
            iterations_to_target: cost,
            evaluations_to_target: cost,
            final_error: error,
            final_loss: error,
            iterations: cost.unwrap_or(100),
            evaluations: cost.unwrap_or(100),
            wall_seconds: 0.0,
            stop_reason: reason.into(),
            message: String::new(),
            dir: String::new(),
        }
    }

    #[test]
    fn the_best_rate_is_the_cheapest_solved_then_the_most_accurate() {
        let b = Budget::Evaluations(100);
        let rows = [
            row(0.1, Some(80), 1e-5, "rel_error_below"),
            row(0.3, Some(30), 9e-5, "rel_error_below"),
            row(1.0, None, f64::NAN, "diverged"),
        ];
        let refs: Vec<&SuiteRow> = rows.iter().collect();
        assert_eq!(best_of(&refs, b), Some(1));
        let unsolved = [
            row(0.01, None, 1e-2, "evaluations"),
            row(0.1, None, 1e-3, "evaluations"),
            row(0.5, None, 1e-9, "diverging"),
        ];
        let refs: Vec<&SuiteRow> = unsolved.iter().collect();
        assert_eq!(
            best_of(&refs, b),
            Some(1),
            "a diverging run is never the best"
        );
    }

    #[test]
    fn dotted_keys_make_their_tables() {
        let mut t = Table::new();
        set_dotted(&mut t, "stop.rel_error_below", Value::Float(1e-4));
        set_dotted(&mut t, "dtype", Value::String("f64".into()));
        assert_eq!(t["stop"]["rel_error_below"].as_float(), Some(1e-4));
        assert_eq!(t["dtype"].as_str(), Some("f64"));
    }
}
