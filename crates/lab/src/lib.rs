//! The lab: everything that runs many experiments (sweeps, suites with performance profiles, shards, comparisons, and the command line that drives them).
//!
//! The runner (`descent-runner`) runs one experiment; this crate runs many of them and compares
//! them. [`cli::main`] is the whole command line over any [`descent_runner::Registry`], so a
//! crate with an optimizer of its own gets `run`, `check`, `sweep`, `suite`, `compare`,
//! `report`, `theory` and `list` for it in one call.
#![deny(missing_docs)]

pub mod cli;
mod compare;
mod family;
pub mod merge;
pub mod peak;
pub mod profiles;
pub mod signals;
pub mod slurm;
mod suite;
mod suite_page;
mod suite_spec;
mod sweep;

pub use compare::{Compared, RunRead, compare, read_run, read_runs};
pub use family::{Family, MAX_FAMILY_SIZE, Spectrum};
pub use suite::{
    BestRow, MAX_LANES, Phase, Shard, SuiteOptions, SuiteOutcome, SuiteRow, Trial, best_of,
    best_rows, check_suite, cost_table, first_phase, lanes_per_loop, read_results, run_suite,
    sort_rows, trial_config, trial_dir, write_best, write_results,
};
pub use suite_page::{Score, scores, write_suite_files};
pub use suite_spec::{
    Budget, MAX_SUITE_RUNS, Rates, SuiteOptimizer, SuiteProblem, SuiteSpec, TuneGrid,
};

pub use sweep::{
    Axis, MAX_RUNS, MAX_THREADS, RISE_FACTOR, SweepMeta, SweepOutcome, SweepRow, SweepSpec,
    diverging, mean_and_spread, merge_sweep, read_rows, run_sweep, write_sweep_files,
};
