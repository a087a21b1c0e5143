//! `cargo xtask`: the command line of descent over its built-in registry (`descent_lab::cli`), plus `bench`, which times the user's path beside the peers.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use descent_lab::cli::{self, Globals};
use descent_lab::peak;
use descent_runner::Registry;

/// `println!` through `descent_runner::say`: a closed stdout (`| head`) is ignored, not a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        descent_runner::say(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// descent: linear algebra by gradient descent, driven by TOML configs.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    globals: Globals,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Lab(cli::Command),
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
    let runs_many = matches!(&cli.command, Command::Lab(c) if c.runs_many());
    if let Err(e) = cli::prepare(&cli.globals, runs_many) {
        return failure(&e);
    }
    match cli.command {
        Command::Lab(command) => cli::execute(command, &cli.globals, &Registry::default()),
        Command::Bench {
            filter: None,
            criterion: false,
            table_only: false,
            peers,
            peers_dir,
            repeat,
        } => match user_path_bench(peers.as_deref(), peers_dir, repeat) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => failure(&e),
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
    }
}

/// Print `e` as the command line's error, and the failure status.
fn failure(e: &anyhow::Error) -> ExitCode {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("error: {e:#}");
    }
    ExitCode::FAILURE
}
