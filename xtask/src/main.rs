//! `cargo xtask`: the command line of descent (`run` an experiment from a TOML config, `list` what configs can name).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `println!` through `descent_runner::say`: a closed stdout (`| head`) is ignored, not a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        descent_runner::say(&format!("{}\n", format_args!($($arg)*)))
    };
}

mod peak;
mod signals;
use descent_runner::{
    Config, Experiment, Registry, RunOptions, StopReason, SweepRow, SweepSpec, format_bytes,
    rerender, run_file, run_sweep,
};

/// descent: linear algebra by gradient descent, driven by TOML configs.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Threads for candle's matrix products (default: RAYON_NUM_THREADS if set, else every CPU
    /// for a run and 1 per run for a sweep).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// The most memory a run may plan to use: bytes, a size ("4 GiB") or a share of the memory
    /// available ("75%", the default); the same as `--set max_memory=...`.
    #[arg(long, global = true, value_name = "SIZE")]
    max_memory: Option<String>,
}

impl Cli {
    /// The `--set` overrides of a command with `--max-memory` added as one more (last, so it wins).
    fn with_memory(&self, mut sets: Vec<String>) -> Vec<String> {
        if let Some(m) = &self.max_memory {
            // A TOML basic string: Rust's escapes of `"` and `\` are TOML's.
            sets.push(format!("max_memory={m:?}"));
        }
        sets
    }
}

/// Fix candle's thread counts once, before any thread exists.
///
/// - candle asks for its matrix products' thread count on every product and, unless
///   `RAYON_NUM_THREADS` is set, reads the CPU list from the system each time (about 30 us a
///   product, 10x the cost of a small iteration).
/// - candle's element-wise operations from 64K entries run on its own pool of spinning workers
///   (`CANDLE_NUM_THREADS`, by default as many as rayon's). On 2 cores they took the CPU from faer's
///   product threads: the n = 256 autodiff loop ran 1.3x faster with one (docs/performance.md). It
///   is set to 1 unless the variable is set.
fn set_threads(cli: &Cli) -> Result<(), String> {
    let chosen = match cli.threads {
        Some(n) if n == 0 || n > descent_runner::MAX_THREADS => {
            return Err(format!(
                "--threads must be between 1 and {}, got {n}",
                descent_runner::MAX_THREADS
            ));
        }
        Some(n) => Some(n),
        None if std::env::var_os("RAYON_NUM_THREADS").is_some() => None,
        None if matches!(cli.command, Command::Sweep { .. }) => Some(1),
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

#[derive(Debug, Subcommand)]
enum Command {
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
    Sweep {
        /// The config file; its `[sweep]` table, if any, gives a grid, seeds and jobs too.
        config: PathBuf,
        /// An axis of the grid: --grid optimizer.lr=[0.01,0.1,0.5] (repeatable; replaces the
        /// config's axis of the same key).
        #[arg(long = "grid", value_name = "KEY=[V1,V2,..]")]
        grid: Vec<String>,
        /// Runs per grid point, with seeds seed, seed + 1, ...; reports mean and spread.
        #[arg(long)]
        seeds: Option<usize>,
        /// Runs at a time (default: the config's `sweep.jobs`, else the number of CPUs).
        #[arg(long)]
        jobs: Option<usize>,
        /// Override a key of every run (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// The sweep directory (must not exist or be empty); default `runs/<name>-sweep/NNN`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also write every picture as PNG.
        #[arg(long)]
        png: bool,
    },
    /// Time the user's path: `cargo xtask run` (this binary, metrics.csv written) on the peers'
    /// workloads, beside the bare loop and, with --peers, JAX and PyTorch in the same sitting.
    Bench {
        /// Only the criterion benchmarks whose id contains this (criterion's filter; implies
        /// --criterion).
        filter: Option<String>,
        /// Run the criterion benchmarks of the bare loop (cargo bench, release build) instead.
        #[arg(long)]
        criterion: bool,
        /// Print the criterion table of the last measurements without running anything (implies
        /// --criterion).
        #[arg(long)]
        table_only: bool,
        /// A Python with jax, optax and torch installed: run the peers' scripts after descent's
        /// runs and put their figures beside descent's (never in CI).
        #[arg(long, value_name = "PYTHON", conflicts_with_all = ["criterion", "table_only", "filter"])]
        peers: Option<PathBuf>,
        /// Where bench_jax.py and bench_torch.py are (default: ../shared/peers beside the
        /// repository).
        #[arg(long, value_name = "DIR", requires = "peers")]
        peers_dir: Option<PathBuf>,
        /// Runs per case; the table shows the medians.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100),
              conflicts_with_all = ["criterion", "table_only", "filter"])]
        repeat: u32,
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

/// The `list` text: a section per part, a line per kind, its defaults beneath.
fn listing(registry: &Registry) -> String {
    let mut out = String::new();
    let mut section = "";
    for l in registry.listing() {
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
        out.push_str(&format!("  {:<14} {}\n", l.kind, l.summary));
        match l.defaults {
            Some(t) if !t.is_empty() => {
                let keys: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                out.push_str(&format!("  {:<14} defaults: {}\n", "", keys.join(", ")));
            }
            Some(_) => {}
            None => out.push_str(&format!("  {:<14} (has required keys)\n", "")),
        }
    }
    out
}

/// `cargo xtask sweep`: build the spec from the config's `[sweep]` and the flags, run it, report.
#[allow(clippy::too_many_arguments)]
fn sweep(
    config: &Path,
    grid: &[String],
    seeds: Option<usize>,
    jobs: Option<usize>,
    sets: Vec<String>,
    out: Option<PathBuf>,
    png: bool,
    registry: &Registry,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(config)
        .with_context(|| format!("{}: cannot read the config", config.display()))?;
    let mut spec = SweepSpec::from_config_text(config, &text)?;
    for g in grid {
        let axis = SweepSpec::parse_axis(g)?;
        spec.axes.retain(|a| a.key != axis.key);
        spec.axes.push(axis);
    }
    if let Some(s) = seeds {
        anyhow::ensure!(s >= 1, "--seeds must be at least 1");
        spec.seeds = s;
    }
    if let Some(j) = jobs {
        anyhow::ensure!(j >= 1, "--jobs must be at least 1");
        spec.jobs = Some(j);
    }
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
    let progress = |row: &SweepRow, total: usize| {
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
    let failed = outcome
        .rows
        .iter()
        .filter(|r| r.stop_reason == "failed" || r.stop_reason == "diverged")
        .count();
    {
        say!(
            "{} runs ({} failed or diverged): {}/sweep.csv, sweep.svg, sweep.html",
            outcome.rows.len(),
            failed,
            outcome.dir.display()
        );
    }
    // As for `run`: 2 when some run failed or diverged (every file is still written).
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Run this program as a child, `run CONFIG --out OUT` with `args` after it; its standard output,
/// or an error with its standard error.
fn run_child(exe: &Path, config: &Path, out: &Path, args: &[&str]) -> anyhow::Result<String> {
    let child = std::process::Command::new(exe)
        .arg("run")
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .with_context(|| format!("running {}", config.display()))?;
    anyhow::ensure!(
        child.status.success(),
        "{}: {}",
        config.display(),
        String::from_utf8_lossy(&child.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&child.stdout).into_owned())
}

/// `cargo xtask bench`: every case of [`descent_benches::PATH_CASES`] run `repeat` times by this
/// binary as a child process (`run CONFIG --quiet`, metrics.csv written), timed from its
/// summary.json; the same loop in process without observers; the start-up at n = 2048; the peak
/// memory at n = 1024; then, with `peers`, the peers' scripts; and the table.
fn user_path_bench(
    peers: Option<&Path>,
    peers_dir: Option<PathBuf>,
    repeat: u32,
) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let peers_dir = peers_dir.unwrap_or_else(|| root.join("../shared/peers"));
    if peers.is_some() {
        for script in ["bench_jax.py", "bench_torch.py"] {
            let path = peers_dir.join(script);
            anyhow::ensure!(
                path.is_file(),
                "--peers: {} is not a file (give --peers-dir DIR, the folder with bench_jax.py and bench_torch.py)",
                path.display()
            );
        }
    }
    let dir = std::env::temp_dir().join(format!("descent-bench-path-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
    let exe = std::env::current_exe().context("the path of this program")?;
    let quiet_run = |config: &Path, out: &Path, sets: &[&str]| -> anyhow::Result<()> {
        let mut args: Vec<&str> = sets.iter().flat_map(|s| ["--set", s]).collect();
        args.push("--quiet");
        run_child(&exe, config, out, &args).map(drop)
    };
    let mut rows = Vec::new();
    for case in descent_benches::PATH_CASES {
        let config = descent_benches::write_config(&dir, &case)?;
        let (mut runs, mut flushed, mut bare) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..repeat {
            for (sets, times) in [
                (&[][..], &mut runs),
                (&["flush_denormal=true"][..], &mut flushed),
            ] {
                let out = dir.join(format!("{}-{k}-{}", case.name(), times.len()));
                quiet_run(&config, &out, sets)?;
                times.push(descent_benches::summary_timing(&out)?.0);
                std::fs::remove_dir_all(&out).with_context(|| format!("{}", out.display()))?;
            }
            bare.push(descent_benches::bare_loop_us(&config)?);
        }
        let row = descent_benches::PathRow {
            case,
            run_us: descent_benches::median(&mut runs),
            flushed_us: descent_benches::median(&mut flushed),
            bare_us: descent_benches::median(&mut bare),
        };
        say!(
            "descent {}: `xtask run` {:.3} us ({:.3} us flushed), bare loop {:.3} us per iteration",
            case.label,
            row.run_us,
            row.flushed_us,
            row.bare_us
        );
        rows.push(row);
    }
    let config = descent_benches::write_startup_config(&dir)?;
    let mut startup = Vec::new();
    // One warm-up run first (its matrix file was just written), as the peers time after a
    // warm-up call.
    for k in 0..=repeat {
        let out = dir.join(format!("startup-{k}"));
        quiet_run(&config, &out, &[])?;
        if k > 0 {
            startup.push(descent_benches::summary_timing(&out)?.1);
        }
        std::fs::remove_dir_all(&out).with_context(|| format!("{}", out.display()))?;
    }
    let startup = descent_benches::median(&mut startup);
    say!(
        "descent n = {}: {startup:.2} s before iteration 0",
        descent_benches::STARTUP_N
    );
    let mut found = descent_benches::Peers::default();
    if let Some(python) = peers {
        for (script, args, slot) in [
            ("bench_jax.py", &["--threads", "2"][..], &mut found.jax),
            (
                "bench_torch.py",
                &["--quick", "--threads", "2"][..],
                &mut found.torch,
            ),
        ] {
            let out = dir.join(script.replace(".py", ".json"));
            say!("running {} {script} (its lines follow)", python.display());
            let status = std::process::Command::new(python)
                .arg(peers_dir.join(script))
                .args(args)
                .arg("--out")
                .arg(&out)
                .status()
                .with_context(|| format!("starting {} {script}", python.display()))?;
            anyhow::ensure!(status.success(), "{script} failed: {status}");
            let text =
                std::fs::read_to_string(&out).with_context(|| format!("{}", out.display()))?;
            *slot =
                Some(serde_json::from_str(&text).with_context(|| format!("{}", out.display()))?);
        }
    }
    // faer's own product at n = 1024 in this sitting: the loop makes two per iteration.
    let gemm = descent_benches::gemm_ms(1024, 5);
    let at_1024 = rows.iter().find(|r| r.case.n == 1024 && r.case.batch == 1);
    let gemm_line = format!(
        "faer's 1024^3 f32 gemm through descent_tensor::gemm: {gemm:.2} ms ({:.0} GFLOP/s){}",
        2.0 * 1024f64.powi(3) / (gemm * 1e-3) / 1e9,
        at_1024.map_or_else(String::new, |r| format!(
            "; two such products are {:.0}% of the n = 1024 iteration of `xtask run` ({:.0}% of the bare loop's)",
            200.0 * gemm * 1e3 / r.run_us,
            200.0 * gemm * 1e3 / r.bare_us
        ))
    );
    let table = descent_benches::path_table(&rows, &found, Some(startup));
    let memory = measure_peak(&dir, &exe)?;
    say!("\n{table}");
    say!("{gemm_line}");
    for (gradient, bytes) in &memory {
        say!(
            "peak memory of `xtask run` at n = {}, sgd f32, gradient = {gradient}: {:.1} MiB ({:.1}x A, X and the gradient)",
            descent_benches::MEMORY_N,
            *bytes as f64 / (1024.0 * 1024.0),
            *bytes as f64 / descent_benches::memory_tensor_bytes()
        );
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
    Ok(())
}

/// The peak resident memory of `run` at n = 1024 per gradient, each from a child process's last
/// line; empty where the system reports no peak (only Linux does).
fn measure_peak(dir: &Path, exe: &Path) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let mut rows = Vec::new();
    for gradient in descent_benches::MEMORY_GRADIENTS {
        let config = descent_benches::memory_config(dir, gradient)?;
        let out = dir.join(format!("memory-run-{gradient}"));
        let stdout = run_child(exe, &config, &out, &[])?;
        match peak::read_line(&stdout) {
            Some(bytes) => rows.push((gradient, bytes)),
            None => return Ok(Vec::new()),
        }
    }
    Ok(rows)
}

/// The peak resident memory of `run` at n = 1024 (`descent_benches::memory_config`), one child
/// process per gradient, written to criterion's directory for the table; nothing where the
/// system reports no peak (only Linux does).
fn measure_memory(criterion: &Path) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("descent-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
    let exe = std::env::current_exe().context("the path of this program")?;
    let rows = measure_peak(&dir, &exe)?;
    if rows.is_empty() {
        // Only Linux reports the peak (`/proc/self/status`): elsewhere the rows stay empty.
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "note: this system reports no peak resident memory; the memory rows are not measured"
            );
        }
    } else {
        descent_benches::write_memory(criterion, &rows)?;
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
    Ok(())
}

/// mimalloc: candle allocates a tensor per operation, and glibc's malloc and free took about 30%
/// of a small autodiff iteration (perf; docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = set_threads(&cli) {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("error: {e}");
        }
        return ExitCode::FAILURE;
    }
    let registry = Registry::default();
    let sets_of = {
        let cli_memory = Cli {
            command: Command::List,
            threads: None,
            max_memory: cli.max_memory.clone(),
        };
        move |sets: Vec<String>| cli_memory.with_memory(sets)
    };
    match cli.command {
        Command::List => {
            {
                descent_runner::say(&listing(&registry));
            }
            ExitCode::SUCCESS
        }
        Command::Sweep {
            config,
            grid,
            seeds,
            jobs,
            sets,
            out,
            png,
        } => match sweep(
            &config,
            &grid,
            seeds,
            jobs,
            sets_of(sets),
            out,
            png,
            &registry,
        ) {
            Ok(code) => code,
            Err(e) => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("error: {e:#}");
                }
                ExitCode::FAILURE
            }
        },
        Command::Bench {
            filter: None,
            criterion: false,
            table_only: false,
            peers,
            peers_dir,
            repeat,
        } => match user_path_bench(peers.as_deref(), peers_dir, repeat) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("error: {e:#}");
                }
                ExitCode::FAILURE
            }
        },
        Command::Bench {
            filter, table_only, ..
        } => {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            if !table_only {
                let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
                let mut command = std::process::Command::new(cargo);
                command.current_dir(&root).args([
                    "bench",
                    "-p",
                    "descent-benches",
                    "--bench",
                    "iteration",
                    "--",
                ]);
                command.args(filter.iter());
                match command.status() {
                    Ok(s) if s.success() => {}
                    other => {
                        #[allow(clippy::print_stderr)]
                        {
                            eprintln!("error: cargo bench failed: {other:?}");
                        }
                        return ExitCode::FAILURE;
                    }
                }
            }
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| root.join("target"), PathBuf::from);
            let criterion = target.join("criterion");
            let wants_memory = filter
                .as_deref()
                .is_none_or(|f| descent_benches::MEMORY_ID.contains(f));
            if !table_only
                && wants_memory
                && let Err(e) = measure_memory(&criterion)
            {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("error: measuring peak memory: {e:#}");
                }
                return ExitCode::FAILURE;
            }
            {
                descent_runner::say(&descent_benches::table(&criterion));
            }
            ExitCode::SUCCESS
        }
        Command::Report { dir, png } => match rerender(&dir, &registry, png) {
            Ok(files) => {
                {
                    say!("{}: wrote {}", dir.display(), files.join(", "));
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("error: {e:#}");
                }
                ExitCode::FAILURE
            }
        },
        Command::Theory { config, sets } => {
            let lines = Config::load(&config, &sets_of(sets), &registry)
                .map_err(anyhow::Error::from)
                .and_then(|c| Ok(Experiment::new(c)?))
                .and_then(|e| descent_runner::theory_preview(&e));
            match lines {
                Ok(lines) => {
                    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
                    for (label, value) in lines {
                        say!("{label:<width$}  {value}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!("error: {e:#}");
                    }
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check { config, sets } => {
            // The estimate comes first and allocates nothing: a config too large for the memory
            // limit is refused before any matrix is drawn or read.
            let checked = Config::load(&config, &sets_of(sets), &registry)
                .map_err(anyhow::Error::from)
                .and_then(|c| {
                    let estimate = Experiment::estimate(&c)?;
                    Ok((Experiment::new(c)?, estimate))
                });
            match checked {
                Ok((e, estimate)) => {
                    let c = &e.config;
                    {
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
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!("error: {e:#}");
                    }
                    ExitCode::FAILURE
                }
            }
        }
        Command::Run {
            config,
            sets,
            out,
            quiet,
            png,
        } => {
            // The first signal stops the run cleanly after the current iteration; a second one
            // exits at once.
            let flags = signals::install();
            let options = RunOptions {
                sets: sets_of(sets),
                out,
                quiet,
                png,
                interrupt: flags.as_ref().map(|f| f.interrupt.clone()),
                terminate: flags.as_ref().map(|f| f.terminate.clone()),
                ..RunOptions::default()
            };
            let ran = run_file(&config, &options, &registry);
            if let (Ok(_), false, Some(bytes)) = (&ran, quiet, peak::resident_bytes()) {
                {
                    say!("{}", peak::line(bytes));
                }
            }
            match ran {
                Ok(outcome) if outcome.summary.stop_reason == StopReason::Diverged => {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!(
                            "error: {}: {} (files of the partial run are in {})",
                            config.display(),
                            outcome
                                .summary
                                .message
                                .as_deref()
                                .unwrap_or("the run diverged"),
                            outcome.dir.display()
                        );
                    }
                    ExitCode::from(2)
                }
                Ok(outcome)
                    if matches!(
                        outcome.summary.stop_reason,
                        StopReason::Interrupted | StopReason::Terminated
                    ) =>
                {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!(
                            "{}: {} iterations done; the files are complete up to there, in {}",
                            outcome.summary.stop_reason.name(),
                            outcome.summary.iterations,
                            outcome.dir.display()
                        );
                    }
                    ExitCode::from(flags.as_ref().map_or(130, signals::Flags::exit_status))
                }
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!("error: {e:#}");
                    }
                    ExitCode::FAILURE
                }
            }
        }
    }
}
