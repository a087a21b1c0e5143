//! The whole command line (`run`, `check`, `sweep`, `suite`, `compare`, `report`, `theory`, `list`) for any registry: [`main`] is a user's binary in one call.
//!
//! `cargo xtask` is this command line over descent's built-in [`Registry`], plus its own `bench`.
//! A crate that registers its own optimizer, schedule, loss or problem gets every command for
//! it with
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     let registry = descent_runner::Registry::default(); // add your parts to it
//!     descent_lab::cli::main(registry)
//! }
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use descent_runner::{
    Config, Experiment, Registry, RunOptions, StopReason, format_bytes, rerender, run_file,
};

use crate::suite::{SuiteOptions, SuiteRow, run_suite};
use crate::suite_page::write_suite_files;
use crate::suite_spec::SuiteSpec;
use crate::sweep::{MAX_THREADS, SweepRow, SweepSpec, run_sweep};
use crate::{peak, signals};

/// `println!` through `descent_runner::say`: a closed stdout (`| head`) is ignored, not a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        descent_runner::say(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// The options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Globals {
    /// Threads for the matrix products (default: RAYON_NUM_THREADS if set, else every CPU for a
    /// run and 1 per run for a sweep or a suite).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// The most memory a run may plan to use: bytes, a size ("4 GiB") or a share of the memory
    /// available ("75%", the default); the same as `--set max_memory=...`.
    #[arg(long, global = true, value_name = "SIZE")]
    pub max_memory: Option<String>,
}

impl Globals {
    /// The `--set` overrides of a command with `--max-memory` added as one more (last, so it wins).
    pub fn with_memory(&self, mut sets: Vec<String>) -> Vec<String> {
        if let Some(m) = &self.max_memory {
            // A TOML basic string: Rust's escapes of `"` and `\` are TOML's.
            sets.push(format!("max_memory={m:?}"));
        }
        sets
    }
}

/// The command line of [`main`].
#[derive(Debug, Parser)]
#[command(
    version,
    about = "descent: linear algebra by gradient descent, driven by TOML configs"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// The options every command takes.
    #[command(flatten)]
    pub globals: Globals,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the experiment a config describes and write its files.
    Run {
        /// The config file, e.g. configs/diag4.toml.
        config: PathBuf,
        /// Override a key: --set optimizer.lr=0.1, --set 'optimizer.kind="adam"' (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Run directory (must not exist or be empty); default `runs/<name>/NNN`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Also write every picture as PNG (SVG is always written).
        #[arg(long)]
        png: bool,
    },
    /// Validate a config (and build its problem, reading its files) without running it.
    Check {
        /// The config file.
        config: PathBuf,
        /// Override a key, as for `run` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// Run the cartesian product of a grid of config values, several runs at a time.
    /// `sweep merge DIR...` combines shards.
    Sweep(SweepArgs),
    /// Run a suite: every optimizer on every problem, tuned, rerun with every seed; results,
    /// performance and data profiles, scores and suite.html. Started again, it reuses the runs
    /// that finished. `suite merge DIR...` combines shards.
    Suite(SuiteArgs),
    /// Put finished runs side by side: their loss and error curves overlaid, their summaries in
    /// one table (compare.csv, compare.html).
    Compare {
        /// The runs' directories, e.g. runs/diag4/001 runs/diag4/002.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the comparison (must not exist or be empty); default
        /// `runs/compare/NNN`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also write every picture as PNG.
        #[arg(long)]
        png: bool,
    },
    /// Draw a finished run's pictures and report.html again from the files in its directory.
    Report {
        /// The run directory, e.g. runs/diag4/001.
        dir: PathBuf,
        /// Also write every picture as PNG.
        #[arg(long)]
        png: bool,
    },
    /// What the theory says of a config without running it: the Hessian's spectrum, the stable
    /// and optimal lr (and momentum), the predicted loss and iterations to the tolerance.
    Theory {
        /// The config file.
        config: PathBuf,
        /// Override a key, as for `run` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// List every optimizer, schedule, transform, loss and problem a config can name, with keys and defaults.
    List,
}

/// `sweep`: run a grid (or a shard of it), or merge shards.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    /// `merge`: combine shards.
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    /// The config file; its `[sweep]` table, if any, gives a grid, seeds and jobs too.
    #[arg(required = true)]
    pub config: Option<PathBuf>,
    /// An axis of the grid: --grid optimizer.lr=[0.01,0.1,0.5] (repeatable; replaces the
    /// config's axis of the same key).
    #[arg(long = "grid", value_name = "KEY=[V1,V2,..]")]
    pub grid: Vec<String>,
    /// Runs per grid point, with seeds seed, seed + 1, ...; reports mean and spread.
    #[arg(long)]
    pub seeds: Option<usize>,
    /// Runs at a time (default: the config's `sweep.jobs`, else the number of CPUs).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Override a key of every run (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The sweep directory (must not exist or be empty); default `runs/<name>-sweep/NNN`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write every picture as PNG.
    #[arg(long)]
    pub png: bool,
    /// Run only shard I of N (1-based): run k (from 0) of the grid when k is I - 1 modulo N;
    /// `sweep merge` combines the shards' directories.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// No line per run: only the last line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `sweep`'s own subcommands.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Combine the directories of a sweep's shards (each run with --shard) into the files of
    /// the whole sweep.
    Merge {
        /// The shards' directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged sweep's directory.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also write every picture as PNG.
        #[arg(long)]
        png: bool,
    },
}

/// `suite`: run a suite (or a shard of it), emit a cluster's scripts for it, or merge shards.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SuiteArgs {
    /// `merge`: combine shards.
    #[command(subcommand)]
    pub command: Option<SuiteCommand>,
    /// The suite file, e.g. suites/quick.toml.
    #[arg(required = true)]
    pub suite: Option<PathBuf>,
    /// The suite's directory (default `runs/suite-<name>`); runs an earlier start finished
    /// there are reused, not run again.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Runs at a time (default: the suite's `jobs`, else the number of CPUs).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Also write every picture as PNG.
    #[arg(long)]
    pub png: bool,
    /// Run only shard I of N (1-based): a deterministic slice of the suite's (problem,
    /// optimizer) cells; `suite merge` combines the shards' directories.
    #[arg(long, value_name = "I/N", conflicts_with = "emit")]
    pub shard: Option<String>,
    /// Write a cluster's scripts instead of running: `slurm` (an sbatch job array, one task
    /// per shard, and a merge job after it) into DIR/slurm.
    #[arg(long, value_enum, requires = "shards")]
    pub emit: Option<Emit>,
    /// With --emit: how many shards (the array's tasks).
    #[arg(long, value_name = "N", requires = "emit")]
    pub shards: Option<usize>,
    /// With --emit: at most this many tasks at once (`--array=1-N%K`).
    #[arg(long, value_name = "K", requires = "emit")]
    pub parallel: Option<usize>,
    /// No line per run: only the scores and the last line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The schedulers `--emit` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// Slurm: sbatch scripts.
    Slurm,
}

/// `suite`'s own subcommands.
#[derive(Debug, Subcommand)]
pub enum SuiteCommand {
    /// Combine the directories of a suite's shards (each run with --shard) into the files of the
    /// whole suite: the same results as running it unsharded.
    Merge {
        /// The shards' directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged suite's directory (it may be one of the shards' parent).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also write every picture as PNG.
        #[arg(long)]
        png: bool,
    },
}

impl Command {
    /// Whether the command runs many experiments at once (then each gets one thread by default).
    pub fn runs_many(&self) -> bool {
        matches!(self, Command::Sweep { .. } | Command::Suite { .. })
    }
}

/// Parse the process's arguments and run the command over `registry`: a user's whole binary.
///
/// Set a global allocator in the binary for speed (descent's `xtask` uses mimalloc: candle
/// allocates a tensor per operation).
pub fn main(registry: Registry) -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = prepare(&cli.globals, cli.command.runs_many()) {
        return error(&e);
    }
    execute(cli.command, &cli.globals, &registry)
}

/// Print `e` as the command line's error, and the failure status.
fn error(e: &anyhow::Error) -> ExitCode {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("error: {e:#}");
    }
    ExitCode::FAILURE
}

/// Fix the thread counts once, before any thread exists: call first thing in `main`.
///
/// - candle asks for its matrix products' thread count on every product and, unless
///   `RAYON_NUM_THREADS` is set, reads the CPU list from the system each time (about 30 us a
///   product, 10x the cost of a small iteration).
/// - candle's element-wise operations from 64K entries run on its own pool of spinning workers
///   (`CANDLE_NUM_THREADS`, by default as many as rayon's). On 2 cores they took the CPU from faer's
///   product threads: the n = 256 autodiff loop ran 1.3x faster with one (docs/performance.md). It
///   is set to 1 unless the variable is set.
///
/// `runs_many`: a sweep or a suite, whose runs get one thread each unless `--threads` says.
pub fn prepare(globals: &Globals, runs_many: bool) -> anyhow::Result<()> {
    let chosen = match globals.threads {
        Some(n) if n == 0 || n > MAX_THREADS => {
            anyhow::bail!("--threads must be between 1 and {MAX_THREADS}, got {n}");
        }
        Some(n) => Some(n),
        None if std::env::var_os("RAYON_NUM_THREADS").is_some() => None,
        None if runs_many => Some(1),
        None => Some(std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    // SAFETY: called first thing in `main`, before the Ctrl-C handler, rayon or candle start any
    // thread: no other thread can read the environment concurrently.
    #[allow(unsafe_code)]
    unsafe {
        if let Some(n) = chosen {
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        }
        if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
            std::env::set_var("CANDLE_NUM_THREADS", "1");
        }
    }
    Ok(())
}

/// Run one parsed command over `registry`; its exit status (errors printed on stderr).
pub fn execute(command: Command, globals: &Globals, registry: &Registry) -> ExitCode {
    let sets_of = |sets: Vec<String>| globals.with_memory(sets);
    let outcome = match command {
        Command::List => {
            descent_runner::say(&listing(registry));
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep(SweepArgs {
            command: Some(SweepCommand::Merge { dirs, out, png }),
            ..
        }) => crate::sweep::merge_sweep(&dirs, &out, png).map(|rows| {
            say!(
                "merged {} shards, {} runs: {}/sweep.csv, sweep.svg, sweep.html",
                dirs.len(),
                rows.len(),
                out.display()
            );
            ExitCode::SUCCESS
        }),
        Command::Sweep(args) => sweep(args, sets_of, registry),
        Command::Suite(args) => suite(args, registry),
        Command::Compare { dirs, out, png } => crate::compare::read_runs(&dirs).and_then(|runs| {
            let dir = descent_runner::create_run_dir(Path::new("runs"), "compare", out.as_deref())?;
            let files = crate::compare::compare(&runs, &dir, png)?;
            say!("{}: wrote {}", dir.display(), files.join(", "));
            Ok(ExitCode::SUCCESS)
        }),
        Command::Report { dir, png } => rerender(&dir, registry, png).map(|files| {
            say!("{}: wrote {}", dir.display(), files.join(", "));
            ExitCode::SUCCESS
        }),
        Command::Theory { config, sets } => theory(&config, sets_of(sets), registry),
        Command::Check { config, sets } => check(&config, sets_of(sets), registry),
        Command::Run {
            config,
            sets,
            out,
            quiet,
            png,
        } => run(&config, sets_of(sets), out, quiet, png, registry),
    };
    outcome.unwrap_or_else(|e| error(&e))
}

/// The `list` text: a section per part, a line per kind, its defaults beneath.
pub fn listing(registry: &Registry) -> String {
    let mut out = String::new();
    let mut section = "";
    let listing = registry.listing();
    // One column for the kinds, as wide as the longest (`schedule_free_adamw`).
    let w = listing.iter().map(|l| l.kind.len()).max().unwrap_or(0);
    for l in listing {
        if l.section != section {
            section = l.section;
            let header = if section == "transform" {
                "[[transform]]".to_string()
            } else {
                format!("[{section}]")
            };
            out.push_str(&format!(
                "{}{header}\n",
                if out.is_empty() { "" } else { "\n" }
            ));
        }
        out.push_str(&format!("  {:<w$} {}\n", l.kind, l.summary));
        match l.defaults {
            Some(t) if !t.is_empty() => {
                let keys: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                out.push_str(&format!("  {:<w$} defaults: {}\n", "", keys.join(", ")));
            }
            Some(_) => {}
            None => out.push_str(&format!("  {:<w$} (has required keys)\n", "")),
        }
    }
    out
}

/// `theory`: the theory's lines for a config, aligned.
fn theory(config: &Path, sets: Vec<String>, registry: &Registry) -> anyhow::Result<ExitCode> {
    let experiment = Experiment::new(Config::load(config, &sets, registry)?)?;
    let lines = descent_runner::theory_preview(&experiment)?;
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (label, value) in lines {
        say!("{label:<width$}  {value}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `check`: the estimate first (it allocates nothing: a config too large for the memory limit is
/// refused before any matrix is drawn or read), then the built experiment.
fn check(config: &Path, sets: Vec<String>, registry: &Registry) -> anyhow::Result<ExitCode> {
    let c = Config::load(config, &sets, registry)?;
    let estimate = Experiment::estimate(&c)?;
    let e = Experiment::new(c)?;
    let c = &e.config;
    say!(
        "{}: ok: {} with {} parameter(s), {} iterations, dtype {}, memory {}",
        config.display(),
        e.problem.kind(),
        e.problem.parameters().len(),
        c.iterations,
        c.dtype.name(),
        estimate.map_or_else(
            || "not estimated".to_string(),
            |m| format!("about {}", format_bytes(m.bytes))
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `run`: the first signal stops the run cleanly after the current iteration; a second one exits
/// at once. 2 when the run diverged, 128 + the signal's number when one stopped it.
fn run(
    config: &Path,
    sets: Vec<String>,
    out: Option<PathBuf>,
    quiet: bool,
    png: bool,
    registry: &Registry,
) -> anyhow::Result<ExitCode> {
    let flags = signals::install();
    let options = RunOptions {
        sets,
        out,
        quiet,
        png,
        interrupt: flags.as_ref().map(|f| f.interrupt.clone()),
        terminate: flags.as_ref().map(|f| f.terminate.clone()),
        ..RunOptions::default()
    };
    let outcome = run_file(config, &options, registry)?;
    if let (false, Some(bytes)) = (quiet, peak::resident_bytes()) {
        say!("{}", peak::line(bytes));
    }
    let summary = &outcome.summary;
    #[allow(clippy::print_stderr)]
    match summary.stop_reason {
        StopReason::Diverged => {
            eprintln!(
                "error: {}: {} (files of the partial run are in {})",
                config.display(),
                summary.message.as_deref().unwrap_or("the run diverged"),
                outcome.dir.display()
            );
            Ok(ExitCode::from(2))
        }
        StopReason::Interrupted | StopReason::Terminated => {
            eprintln!(
                "{}: {} iterations done; the files are complete up to there, in {}",
                summary.stop_reason.name(),
                summary.iterations,
                outcome.dir.display()
            );
            Ok(ExitCode::from(
                flags.as_ref().map_or(130, signals::Flags::exit_status),
            ))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `sweep`: build the spec from the config's `[sweep]` and the flags, run it, report; 2 when
/// some run failed, diverged or is diverging (every file is still written).
fn sweep(
    args: SweepArgs,
    sets_of: impl Fn(Vec<String>) -> Vec<String>,
    registry: &Registry,
) -> anyhow::Result<ExitCode> {
    let Some(config) = args.config else {
        anyhow::bail!("give a config file, or `sweep merge DIR...`");
    };
    let config = config.as_path();
    let (grid, seeds, jobs, sets, out, png) = (
        args.grid,
        args.seeds,
        args.jobs,
        sets_of(args.sets),
        args.out,
        args.png,
    );
    let text = std::fs::read_to_string(config)
        .with_context(|| format!("{}: cannot read the config", config.display()))?;
    let mut spec = SweepSpec::with_overrides(config, &text, &grid, seeds, jobs)?;
    spec.shard = args
        .shard
        .as_deref()
        .map(crate::suite::Shard::parse)
        .transpose()?;
    anyhow::ensure!(
        !spec.axes.is_empty() || spec.seeds > 1,
        "{}: nothing to sweep: give --grid key=[..] or --seeds N, or a [sweep] table",
        config.display()
    );
    let options = RunOptions {
        out,
        png,
        ..RunOptions::default()
    };
    let quiet = args.quiet;
    let progress = |row: &SweepRow, total: usize| {
        if quiet {
            return;
        }
        say!(
            "[{}/{total}] {} seed {}: {} after {} iterations, final loss {:.4e}, relative error {:.3e}",
            row.run,
            row.point,
            row.seed,
            row.stop_reason,
            row.iterations,
            row.final_loss,
            row.rel_error
        );
    };
    let outcome = run_sweep(config, &spec, &sets, &options, registry, &progress)?;
    let failed = outcome.rows.iter().filter(|r| !r.finished()).count();
    say!(
        "{} runs ({} failed, diverged or diverging; they ran in {}: the points of one problem run vectorized, as lanes of one loop): {}/sweep.csv, sweep.svg, sweep.html",
        outcome.rows.len(),
        failed,
        loops(outcome.loops),
        outcome.dir.display()
    );
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `suite`: run (or resume) a suite, or a shard of it, and write its files; emit a cluster's
/// scripts; or merge shards. 130 when Ctrl-C stopped it (what finished is kept, and starting
/// again resumes).
fn suite(args: SuiteArgs, registry: &Registry) -> anyhow::Result<ExitCode> {
    if let Some(SuiteCommand::Merge { dirs, out, png }) = args.command {
        let (spec, rows) = crate::merge::merge(&dirs, &out)?;
        let files = write_suite_files(&spec, &rows, &out, png)?;
        say!(
            "merged {} shards, {} runs: {}/{}",
            dirs.len(),
            rows.len(),
            out.display(),
            files.join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(file) = args.suite else {
        anyhow::bail!("give a suite file, or `suite merge DIR...`");
    };
    let file = file.as_path();
    let (out, jobs, png) = (args.out, args.jobs, args.png);
    let spec = SuiteSpec::load(file)?;
    crate::suite::check_suite(&spec, registry)?;
    if let Some(j) = jobs {
        anyhow::ensure!(
            (1..=MAX_THREADS).contains(&j),
            "--jobs must be between 1 and {MAX_THREADS}, got {j}"
        );
    }
    let out = out.unwrap_or_else(|| PathBuf::from("runs").join(format!("suite-{}", spec.name)));
    if let Some(Emit::Slurm) = args.emit {
        return emit_slurm(&spec, file, &out, args.shards.unwrap_or(1), args.parallel);
    }
    let shard = args
        .shard
        .as_deref()
        .map(crate::suite::Shard::parse)
        .transpose()?;
    let suite_text = std::fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read the suite", file.display()))?;
    let flags = signals::install();
    let options = SuiteOptions {
        out: out.clone(),
        jobs,
        interrupt: flags.as_ref().map(|f| f.interrupt.clone()),
        shard,
    };
    say!(
        "{}: {} problems x {} optimizers x {} seed(s), target {}, budget {} {} -> {}",
        file.display(),
        spec.problems.len(),
        spec.optimizers.len(),
        spec.seeds.len(),
        spec.target,
        spec.budget.amount(),
        spec.budget.unit(),
        out.display()
    );
    let count = std::sync::atomic::AtomicUsize::new(0);
    let unit = spec.budget.unit();
    let quiet = args.quiet;
    let progress = |r: &SuiteRow, reused: bool| {
        let k = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if quiet {
            return;
        }
        let outcome = match r.cost(spec.budget) {
            Some(c) => format!("solved in {c} {unit}"),
            None => format!(
                "not solved ({}), final error {:.3e}",
                r.stop_reason, r.final_error
            ),
        };
        say!(
            "[{k}] {} / {} lr {} seed {}: {outcome}{}",
            r.problem,
            r.optimizer,
            r.lr,
            r.seed,
            if reused { " (reused)" } else { "" }
        );
    };
    let outcome = run_suite(&spec, registry, &options, &progress)?;
    crate::merge::write_meta(
        &out,
        &crate::merge::SuiteMeta {
            suite_file: file.to_path_buf(),
            suite_text,
            shard,
        },
    )?;
    let files = write_suite_files(&spec, &outcome.rows, &out, png)?;
    let failed = outcome
        .rows
        .iter()
        .filter(|r| r.stop_reason == "failed")
        .count();
    for s in crate::suite_page::scores(&spec, &outcome.rows) {
        say!(
            "  {:<16} score {:.3}  fastest on {:>3.0}%  solved {:>3.0}%",
            s.optimizer,
            s.score,
            100.0 * s.fastest,
            100.0 * s.solved
        );
    }
    say!(
        "{} runs ({} reused, {} failed to run; those that ran took {}: runs of one problem run vectorized, as lanes of one loop): {}/{}",
        outcome.rows.len(),
        outcome.reused,
        failed,
        loops(outcome.loops),
        out.display(),
        files.join(", ")
    );
    if outcome.interrupted {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "interrupted: the files hold the runs that finished; run the same command again to resume"
            );
        }
        return Ok(ExitCode::from(
            flags.as_ref().map_or(130, signals::Flags::exit_status),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `suite --emit slurm`: the scripts, in `out/slurm`, and how to submit them.
fn emit_slurm(
    spec: &SuiteSpec,
    file: &Path,
    out: &Path,
    shards: usize,
    parallel: Option<usize>,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        (1..=100_000).contains(&shards),
        "--shards must be between 1 and 100000, got {shards}"
    );
    anyhow::ensure!(
        parallel.is_none_or(|k| k >= 1),
        "--parallel must be at least 1"
    );
    let absolute = |p: &Path| -> anyhow::Result<PathBuf> {
        Ok(if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir()?.join(p)
        })
    };
    let exe = std::env::current_exe().context("the path of this program")?;
    let (suite, out, workdir) = (absolute(file)?, absolute(out)?, std::env::current_dir()?);
    let scripts = crate::slurm::scripts(&crate::slurm::SlurmPlan {
        name: &spec.name,
        exe: &exe,
        suite: &suite,
        out: &out,
        workdir: &workdir,
        shards,
        parallel,
    });
    let dir = out.join("slurm");
    std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
    for (name, text) in &scripts {
        let path = dir.join(name);
        descent_runner::write_atomic(&path, |tmp| Ok(std::fs::write(tmp, text)?))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    say!(
        "wrote {}/array.sbatch ({shards} shards{}), merge.sbatch and submit.sh; submit with\n  {}/submit.sh",
        dir.display(),
        parallel.map_or_else(String::new, |k| format!(", at most {k} at once")),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `1 loop`, `3 loops`.
fn loops(n: usize) -> String {
    format!("{n} loop{}", if n == 1 { "" } else { "s" })
}
