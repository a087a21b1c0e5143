//! `cargo xtask`: the command line of descent (`run` an experiment from a TOML config).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use descent_runner::{Registry, RunOptions, StopReason, run_file};

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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let registry = Registry::default();
    match cli.command {
        Command::Run {
            config,
            sets,
            out,
            quiet,
        } => {
            let options = RunOptions {
                sets,
                out,
                quiet,
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
