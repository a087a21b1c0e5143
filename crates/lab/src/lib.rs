//! The lab: everything that runs many experiments (sweeps, and the command line that drives them).
//!
//! The runner (`descent-runner`) runs one experiment; this crate runs many of them and compares
//! them. [`cli::main`] is the whole command line over any [`descent_runner::Registry`], so a
//! crate with an optimizer of its own gets `run`, `check`, `sweep`, `report`, `theory` and
//! `list` for it in one call.
#![deny(missing_docs)]

pub mod cli;
pub mod peak;
pub mod signals;
mod sweep;

pub use sweep::{
    Axis, MAX_RUNS, MAX_THREADS, RISE_FACTOR, SweepOutcome, SweepRow, SweepSpec, diverging,
    mean_and_spread, run_sweep,
};
