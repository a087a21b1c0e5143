//! `cargo run -p descent-example-lion -- run examples/lion/lion.toml`: descent's whole command line (`run`, `sweep`, `suite`, `compare`, ...) with `lion` registered.

use std::process::ExitCode;

fn main() -> ExitCode {
    descent_lab::cli::main(descent_example_lion::registry())
}
