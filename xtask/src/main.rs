//! `cargo xtask`: the command line of descent (`run` an experiment from a TOML config, `list` what configs can name).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};
use descent_runner::{Config, Experiment, Registry, RunOptions, StopReason, rerender, run_file};

/// descent: linear algebra by gradient descent, driven by TOML configs.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Draw a finished run's pictures and report.html again from the files in its directory.
    Report {
        /// The run directory, e.g. runs/diag4/001.
        dir: PathBuf,
        /// Also write every picture as PNG.
        #[arg(long)]
        png: bool,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let registry = Registry::default();
    match cli.command {
        Command::List => {
            #[allow(clippy::print_stdout)]
            {
                print!("{}", listing(&registry));
            }
            ExitCode::SUCCESS
        }
        Command::Report { dir, png } => match rerender(&dir, &registry, png) {
            Ok(files) => {
                #[allow(clippy::print_stdout)]
                {
                    println!("{}: wrote {}", dir.display(), files.join(", "));
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
        Command::Check { config, sets } => {
            let checked = Config::load(&config, &sets, &registry)
                .map_err(anyhow::Error::from)
                .and_then(|c| Ok(Experiment::new(c)?));
            match checked {
                Ok(e) => {
                    let c = &e.config;
                    #[allow(clippy::print_stdout)]
                    {
                        println!(
                            "{}: ok: {} with {} parameter(s), {} iterations, dtype {}",
                            config.display(),
                            e.problem.kind(),
                            e.problem.parameters().len(),
                            c.iterations,
                            c.dtype.name()
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
            let interrupt = Arc::new(AtomicBool::new(false));
            let flag = interrupt.clone();
            // The first Ctrl-C stops the run cleanly after the current iteration; a second one
            // exits at once.
            let handler = ctrlc::set_handler(move || {
                if flag.swap(true, Ordering::SeqCst) {
                    std::process::exit(130);
                }
            });
            let options = RunOptions {
                sets,
                out,
                quiet,
                png,
                interrupt: handler.is_ok().then_some(interrupt),
                ..RunOptions::default()
            };
            match run_file(&config, &options, &registry) {
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
                Ok(outcome) if outcome.summary.stop_reason == StopReason::Interrupted => {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!(
                            "interrupted: {} iterations done; the files are complete up to there, in {}",
                            outcome.summary.iterations,
                            outcome.dir.display()
                        );
                    }
                    ExitCode::from(130)
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
