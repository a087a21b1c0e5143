//! `cargo run -p descent-example-lion -- <config.toml> [--set key=value ...]`: run a config that may name `lion`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use descent_runner::{RunOptions, StopReason, run_file};

fn main() -> ExitCode {
    match run() {
        Ok(StopReason::Diverged) => ExitCode::from(2),
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

fn run() -> anyhow::Result<StopReason> {
    let mut args = std::env::args().skip(1);
    let config = PathBuf::from(
        args.next()
            .context("usage: lion <config.toml> [--set key=value ...]")?,
    );
    let mut sets = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--set" => sets.push(args.next().context("--set needs key=value")?),
            other => anyhow::bail!(
                "unknown argument `{other}`; usage: lion <config.toml> [--set key=value ...]"
            ),
        }
    }
    let options = RunOptions {
        sets,
        ..RunOptions::default()
    };
    let outcome = run_file(&config, &options, &descent_example_lion::registry())?;
    Ok(outcome.summary.stop_reason)
}
