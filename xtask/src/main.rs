//! `cargo xtask`: the command line of descent (`run` an experiment from a TOML config, `list` what configs can name).

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
