//! The user's path: the peers' workloads as configs for `cargo xtask run`, timed from each run's summary.json, beside the bare loop and the peers' own JSON.

use std::path::{Path, PathBuf};

use candle_core::Device;
use descent_runner::{Config, Experiment, Registry};

use crate::matrix;

/// One workload of `shared/peers` (bench_jax.py, bench_torch.py), as descent runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathCase {
    /// The row's name in the table.
    pub label: &'static str,
    /// The matrix size (4: the notebook's diag(1, 2, 3, 4); otherwise I + 0.1 randn / sqrt(n)).
    pub n: usize,
    /// Independent instances (1: a single problem).
    pub batch: usize,
    /// `sgd` or `adam`.
    pub optimizer: &'static str,
    /// Iterations per run (as the peers' scripts, so each run lasts a fraction of a second).
    pub iterations: usize,
}

const fn sgd(label: &'static str, n: usize, iterations: usize) -> PathCase {
    PathCase {
        label,
        n,
        batch: 1,
        optimizer: "sgd",
        iterations,
    }
}

/// The cases, in the order of the table: the peers' sizes, Adam at n = 4, and 10,000 batched
/// 4x4 problems.
pub const PATH_CASES: [PathCase; 7] = [
    sgd("n = 4", 4, 200_000),
    sgd("n = 16", 16, 100_000),
    sgd("n = 64", 64, 20_000),
    sgd("n = 256", 256, 1_000),
    sgd("n = 1024", 1024, 30),
    PathCase {
        label: "adam, n = 4",
        n: 4,
        batch: 1,
        optimizer: "adam",
        iterations: 100_000,
    },
    PathCase {
        label: "batched 10,000 x 4x4",
        n: 4,
        batch: 10_000,
        optimizer: "sgd",
        iterations: 200,
    },
];

/// The size of the start-up case: the time from building the experiment to iteration 0.
pub const STARTUP_N: usize = 2048;

impl PathCase {
    /// The config's name (and run directory name).
    pub fn name(&self) -> String {
        match (self.batch, self.optimizer) {
            (1, "sgd") => format!("path-n{}", self.n),
            (1, opt) => format!("path-{opt}-n{}", self.n),
            (b, _) => format!("path-batched-{b}x{}", self.n),
        }
    }

    /// The peers' lr: the notebook's `0.2 ln 10` at n = 4, `0.4 n^2` above (stable for their
    /// matrices under the mean), Adam's `1e-3` (optax's and torch's default step).
    fn lr(&self) -> f64 {
        match (self.optimizer, self.n) {
            ("adam", _) => 1e-3,
            (_, 4) => 0.2 * std::f64::consts::LN_10,
            (_, n) => 0.4 * (n * n) as f64,
        }
    }
}

/// Write `case`'s config into `dir` (with its matrix as an `.npy` file where it needs one), f32,
/// the default gradient, no console checkpoints (`log_every = 0`); returns its path. Every loss
/// is still recorded in metrics.csv, as a user's run records it.
pub fn write_config(dir: &Path, case: &PathCase) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let matrix_source = if case.n == 4 {
        "{ diag = [1.0, 2.0, 3.0, 4.0] }".to_string()
    } else {
        let npy = dir.join(format!("a{}.npy", case.n));
        if !npy.exists() {
            matrix(case.n)
                .to_tensor(descent_tensor::Dtype::F64, &Device::Cpu)?
                .write_npy(&npy)?;
        }
        format!("{{ npy = \"{}\" }}", npy.display())
    };
    let batch = if case.batch > 1 {
        format!("batch = {}\n", case.batch)
    } else {
        String::new()
    };
    let text = format!(
        "name = \"{}\"\nseed = 314\niterations = {}\nlog_every = 0\ndtype = \"f32\"\n[problem]\nkind = \"inverse\"\n{batch}matrix = {matrix_source}\n[optimizer]\nkind = \"{}\"\nlr = {:?}\n",
        case.name(),
        case.iterations,
        case.optimizer,
        case.lr(),
    );
    let path = dir.join(format!("{}.toml", case.name()));
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Write the start-up case's config into `dir`: an inverse at [`STARTUP_N`], two iterations.
pub fn write_startup_config(dir: &Path) -> anyhow::Result<PathBuf> {
    let case = PathCase {
        label: "start-up",
        n: STARTUP_N,
        batch: 1,
        optimizer: "sgd",
        iterations: 2,
    };
    write_config(dir, &case)
}

/// Microseconds per iteration of the bare loop of the config at `path`: the experiment run in
/// this process with no observers (no console, no files, no pictures).
pub fn bare_loop_us(path: &Path) -> anyhow::Result<f64> {
    let config = Config::load(path, &[], &Registry::default())?;
    let summary = Experiment::new(config)?.run(&mut [])?;
    anyhow::ensure!(
        summary.iterations > 0,
        "{}: no iteration ran",
        path.display()
    );
    Ok(summary.wall_seconds / summary.iterations as f64 * 1e6)
}

/// What a run's summary.json says of its speed: microseconds per iteration of the loop and
/// the seconds before iteration 0.
pub fn summary_timing(run_dir: &Path) -> anyhow::Result<(f64, f64)> {
    let text = std::fs::read_to_string(run_dir.join("summary.json"))?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    let get = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| anyhow::anyhow!("{}: no `{k}` in summary.json", run_dir.display()))
    };
    let iterations = get("iterations")?;
    anyhow::ensure!(iterations > 0.0, "{}: no iteration ran", run_dir.display());
    Ok((
        get("wall_seconds")? / iterations * 1e6,
        get("setup_seconds")?,
    ))
}

/// Milliseconds of one f32 `n x n` by `n x n` product through `descent_tensor::gemm` (faer's
/// threaded gemm at this size, the products of the loop at n = 1024), the median of `runs`
/// after one warm-up.
pub fn gemm_ms(n: usize, runs: usize) -> f64 {
    use descent_tensor::gemm::{Operand, matmul};
    let a: Vec<f32> = matrix(n).data().iter().map(|&v| v as f32).collect();
    let mut out = vec![0.0f32; n * n];
    let mut times: Vec<f64> = (0..=runs)
        .map(|_| {
            let start = std::time::Instant::now();
            matmul(&mut out, Operand::new(&a, n, n), Operand::t(&a, n, n), 1.0);
            start.elapsed().as_secs_f64() * 1e3
        })
        .skip(1)
        .collect();
    median(&mut times)
}

/// The median of `values` (NaN when empty).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => 0.5 * (values[n / 2 - 1] + values[n / 2]),
    }
}

/// The peers' figures for the cases, read from the JSON files their scripts write.
#[derive(Debug, Clone, Default)]
pub struct Peers {
    /// bench_jax.py's output.
    pub jax: Option<serde_json::Value>,
    /// bench_torch.py's output.
    pub torch: Option<serde_json::Value>,
}

impl Peers {
    /// Microseconds per iteration of a peer's `section` (`gd`, `gd_losses`, `adam`, `batched`)
    /// for `case`, from bench_jax.py's JSON.
    fn jax_us(&self, section: &str, case: &PathCase) -> Option<f64> {
        let key = if case.batch > 1 {
            format!("{}x{}x{}", case.batch, case.n, case.n)
        } else {
            case.n.to_string()
        };
        self.jax
            .as_ref()?
            .get(section)?
            .get(key)?
            .get("median_us")?
            .as_f64()
    }

    /// Microseconds per iteration of bench_torch.py's `name` at 2 threads for `case`.
    fn torch_us(&self, name: &str, case: &PathCase) -> Option<f64> {
        let r = self.torch.as_ref()?.get("results")?.get("threads_2")?;
        let entry = if case.batch > 1 {
            r.get("batched_10000x4x4_bmm")?
        } else {
            r.get(name)?.get(case.n.to_string())?
        };
        entry.get("median_us")?.as_f64()
    }
}

/// One measured row: the case, descent's `xtask run` and bare-loop figures (microseconds per
/// iteration, medians of the runs).
#[derive(Debug, Clone, Copy)]
pub struct PathRow {
    /// The case.
    pub case: PathCase,
    /// `cargo xtask run`'s loop, from summary.json.
    pub run_us: f64,
    /// The same with `flush_denormal = true` (subnormals flushed to zero, as XLA does).
    pub flushed_us: f64,
    /// The same loop with no observers, in process.
    pub bare_us: f64,
}

fn us(x: Option<f64>) -> String {
    match x {
        None => String::new(),
        Some(x) if !x.is_finite() => "-".into(),
        Some(x) if x >= 1000.0 => format!("{:.2} ms", x / 1000.0),
        Some(x) if x >= 10.0 => format!("{x:.1} us"),
        Some(x) if x >= 1.0 => format!("{x:.2} us"),
        Some(x) => format!("{x:.3} us"),
    }
}

/// The table `cargo xtask bench` prints: per iteration, descent's `xtask run` and bare loop
/// beside JAX and PyTorch measured in the same sitting (empty without `--peers`), and the ratio
/// of descent's run to the strongest peer figure that records every loss (JAX with losses where
/// measured, else plain JAX; for the batch, in problem-iterations per second).
pub fn path_table(rows: &[PathRow], peers: &Peers, startup_seconds: Option<f64>) -> String {
    let mut out = String::from(
        "| case | descent `xtask run` (metrics.csv written) | the same, flush_denormal = true | descent bare loop | JAX jit | JAX, every loss returned | PyTorch eager (autograd) | PyTorch, no autograd | JAX / descent `run` | JAX / descent flushed |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let c = &r.case;
        let (jax, jax_losses, torch, torch_manual) = if c.optimizer == "adam" {
            (
                peers.jax_us("adam", c),
                None,
                peers.torch_us("adam_default", c),
                None,
            )
        } else if c.batch > 1 {
            (
                peers.jax_us("batched", c),
                None,
                peers.torch_us("batched", c),
                None,
            )
        } else {
            (
                peers.jax_us("gd", c),
                peers.jax_us("gd_losses", c),
                peers.torch_us("gd_autograd", c),
                peers.torch_us("gd_manual_no_autograd", c),
            )
        };
        let best = jax_losses.or(jax);
        let ratio = best
            .map(|j| format!("{:.2}x", j / r.run_us))
            .unwrap_or_default();
        let flushed_ratio = best
            .map(|j| format!("{:.2}x", j / r.flushed_us))
            .unwrap_or_default();
        let rate = |x: Option<f64>| match x {
            Some(x) if c.batch > 1 => {
                format!("{} ({:.1} M problem-it/s)", us(Some(x)), c.batch as f64 / x)
            }
            x => us(x),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            c.label,
            rate(Some(r.run_us)),
            rate(Some(r.flushed_us)),
            rate(Some(r.bare_us)),
            rate(jax),
            us(jax_losses),
            rate(torch),
            us(torch_manual),
            ratio,
            flushed_ratio
        ));
    }
    if let Some(s) = startup_seconds {
        out.push_str(&format!(
            "| n = {STARTUP_N}, start-up before iteration 0 (setup_seconds) | {s:.2} s | | | | | | | | |\n"
        ));
    }
    out.push_str(
        "\nA ratio above 1 means descent's `cargo xtask run` is faster per iteration. XLA flushes subnormal numbers to zero by default; descent, like PyTorch, does not unless `flush_denormal = true`.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_writes_a_config_that_runs() {
        let dir = std::env::temp_dir().join(format!("descent-path-{}", std::process::id()));
        for case in PATH_CASES.iter().filter(|c| c.n <= 64) {
            let path = write_config(&dir, case).expect("config");
            let config = Config::load(&path, &["iterations=3".into()], &Registry::default())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(config.name, case.name());
            let summary = Experiment::new(config)
                .expect("experiment")
                .run(&mut [])
                .expect("run");
            assert_eq!(summary.iterations, 3);
            assert_eq!(summary.gradient, "analytic", "{}", case.label);
            assert!(summary.final_loss.is_finite());
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn the_table_puts_the_peers_json_beside_descent() {
        let jax = serde_json::json!({
            "gd": {"4": {"median_us": 0.05}},
            "gd_losses": {"4": {"median_us": 0.064}},
            "batched": {"10000x4x4": {"median_us": 250.0}},
        });
        let torch = serde_json::json!({"results": {"threads_2": {
            "gd_autograd": {"4": {"median_us": 203.0}},
            "batched_10000x4x4_bmm": {"median_us": 1120.0},
        }}});
        let peers = Peers {
            jax: Some(jax),
            torch: Some(torch),
        };
        let rows = [
            PathRow {
                case: PATH_CASES[0],
                run_us: 0.128,
                flushed_us: 0.064,
                bare_us: 0.1,
            },
            PathRow {
                case: PATH_CASES[6],
                run_us: 500.0,
                flushed_us: 250.0,
                bare_us: 400.0,
            },
        ];
        let table = path_table(&rows, &peers, Some(0.5));
        assert!(
            table.contains(
                "| n = 4 | 0.128 us | 0.064 us | 0.100 us | 0.050 us | 0.064 us | 203.0 us |  | 0.50x | 1.00x |"
            ),
            "{table}"
        );
        assert!(table.contains("500.0 us (20.0 M problem-it/s)"), "{table}");
        assert!(table.contains("250.0 us (40.0 M problem-it/s)"), "{table}");
        assert!(
            table.contains("start-up before iteration 0 (setup_seconds) | 0.50 s"),
            "{table}"
        );
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }
}
