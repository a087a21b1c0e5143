//! Benchmark support: the configs and cases the benches run, and the reference figures the table prints.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use descent_runner::{Config, Experiment, Registry};
use descent_tensor::{Matrix, NativeRng};

mod user_path;

pub use user_path::{
    PATH_CASES, PathCase, PathRow, Peers, STARTUP_N, bare_loop_us, gemm_ms, median, path_table,
    summary_timing, write_config, write_startup_config,
};

/// The path of a config in the workspace's `configs/` directory.
pub fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("configs")
        .join(name)
}

/// One benchmark case of the inverse problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// `sgd` or `adam`.
    pub optimizer: &'static str,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// The matrix size.
    pub n: usize,
    /// Iterations per measured run.
    pub iterations: usize,
    /// `autodiff` or `analytic`.
    pub gradient: &'static str,
}

const fn case(optimizer: &'static str, dtype: &'static str, n: usize, iterations: usize) -> Case {
    Case {
        optimizer,
        dtype,
        n,
        iterations,
        gradient: "autodiff",
    }
}

const fn analytic(n: usize, iterations: usize) -> Case {
    Case {
        optimizer: "sgd",
        dtype: "f32",
        n,
        iterations,
        gradient: "analytic",
    }
}

impl Case {
    /// The benchmark's id under `inverse/`.
    pub fn id(&self) -> String {
        format!(
            "{}-{}-{}-k{}",
            self.optimizer, self.dtype, self.gradient, self.iterations
        )
    }
}

/// The cases: sgd and adam in f32 for n = 4 .. 1024, and f64 for n = 4 and 256.
pub const CASES: &[Case] = &[
    case("sgd", "f32", 4, 2000),
    case("adam", "f32", 4, 2000),
    case("sgd", "f32", 16, 2000),
    case("adam", "f32", 16, 2000),
    case("sgd", "f32", 64, 500),
    case("adam", "f32", 64, 500),
    case("sgd", "f32", 256, 50),
    case("adam", "f32", 256, 50),
    case("sgd", "f32", 1024, 5),
    case("adam", "f32", 1024, 5),
    case("sgd", "f64", 4, 2000),
    case("sgd", "f64", 256, 50),
    analytic(4, 2000),
    analytic(64, 500),
    analytic(256, 50),
    analytic(1024, 5),
];

/// PyTorch 2.15's time per iteration on this kind of machine (shared/reference/performance.md):
/// the notebook loop with autograd (sgd) and the torch.optim.Adam loop, 2 threads, f32.
pub fn pytorch_us(optimizer: &str, n: usize) -> Option<f64> {
    match (optimizer, n) {
        ("sgd", 4) => Some(102.0),
        ("sgd", 16) => Some(107.0),
        ("sgd", 64) => Some(151.0),
        ("sgd", 256) => Some(593.0),
        ("sgd", 1024) => Some(30_600.0),
        ("adam", 4) => Some(240.0),
        ("adam", 16) => Some(325.0),
        ("adam", 64) => Some(280.0),
        ("adam", 256) => Some(990.0),
        ("adam", 1024) => Some(33_100.0),
        _ => None,
    }
}

/// A = diag(1, 2, 3, 4) for n = 4 (the notebook), otherwise I + 0.1 randn / sqrt(n) (seeded).
pub fn matrix(n: usize) -> Matrix {
    if n == 4 {
        return Matrix::diag(&[1.0, 2.0, 3.0, 4.0]);
    }
    let mut rng = NativeRng::new(7);
    let scale = 0.1 / (n as f64).sqrt();
    Matrix::from_fn(n, n, |i, j| {
        (if i == j { 1.0 } else { 0.0 }) + scale * rng.normal_f64()
    })
}

/// The experiment of a case: the inverse of [`matrix`] from a uniform start, plain `lr` chosen
/// stable, no logging. The matrix goes through an `.npy` file in the temporary directory.
pub fn experiment(case: &Case) -> anyhow::Result<Experiment> {
    let dir = std::env::temp_dir().join(format!("descent-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("a{}.npy", case.n));
    matrix(case.n)
        .to_tensor(descent_tensor::Dtype::F64, &Device::Cpu)?
        .write_npy(&file)?;
    let lr = if case.optimizer == "adam" { 0.01 } else { 0.1 };
    let text = format!(
        "seed = 314\niterations = {}\nlog_every = 0\ndtype = \"{}\"\ngradient = \"{}\"\n[problem]\nkind = \"inverse\"\nmatrix = {{ npy = \"{}\" }}\n[optimizer]\nkind = \"{}\"\nlr = {lr}\n",
        case.iterations,
        case.dtype,
        case.gradient,
        file.display(),
        case.optimizer
    );
    let config = Config::from_text(&dir.join("bench.toml"), &text, &[], &Registry::default())?;
    Ok(Experiment::new(config)?)
}

/// The batched case: 10,000 independent 4x4 inverse problems (each A_k = Q_k diag(1, 2, 3, 4) Q_k^T
/// with its own random rotation), sgd f32, [`BATCH_ITERATIONS`] per measured run.
pub const BATCH: usize = 10_000;

/// The gradients the batched case runs with.
pub const BATCH_GRADIENTS: [&str; 2] = ["autodiff", "analytic"];

/// The benchmark id of the batched case under `batched/`.
pub fn batched_id(gradient: &str) -> String {
    format!("sgd-f32-{gradient}-k{BATCH_ITERATIONS}")
}

/// Iterations per measured run of the batched case.
pub const BATCH_ITERATIONS: usize = 20;

/// The experiment of the batched case.
pub fn batched_experiment(gradient: &str) -> anyhow::Result<Experiment> {
    let dir = std::env::temp_dir().join(format!("descent-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let text = format!(
        "seed = 314\niterations = {BATCH_ITERATIONS}\nlog_every = 0\ngradient = \"{gradient}\"\n[problem]\nkind = \"inverse\"\nbatch = {BATCH}\nmatrix = {{ rotated_diag = [1.0, 2.0, 3.0, 4.0] }}\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n"
    );
    let config = Config::from_text(&dir.join("batched.toml"), &text, &[], &Registry::default())?;
    Ok(Experiment::new(config)?)
}

/// Two f32 n x n operands for the matmul floor.
pub fn matmul_operands(n: usize) -> anyhow::Result<(Tensor, Tensor)> {
    let a = matrix(n).to_tensor(descent_tensor::Dtype::F32, &Device::Cpu)?;
    let b = a.t()?.contiguous()?;
    Ok((a, b))
}

/// The median of a criterion benchmark in nanoseconds, from `<criterion>/<id>/new/estimates.json`.
pub fn median_ns(criterion: &Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(criterion.join(id).join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("median")?.get("point_estimate")?.as_f64()
}

/// The id `cargo xtask bench FILTER` matches to measure peak memory.
pub const MEMORY_ID: &str = "memory/run-n1024";
/// The size of the peak-memory runs.
pub const MEMORY_N: usize = 1024;
/// The gradients the peak memory is measured with.
pub const MEMORY_GRADIENTS: [&str; 2] = ["auto", "autodiff"];
/// The iterations of a peak-memory run (a few: the loop's buffers are reused from the second).
pub const MEMORY_ITERATIONS: usize = 5;

/// The bytes of the tensors the performance issue counts at [`MEMORY_N`] in f32 with sgd: A, X
/// and the gradient (plain sgd keeps no state).
pub fn memory_tensor_bytes() -> f64 {
    (3 * MEMORY_N * MEMORY_N * 4) as f64
}

/// Write the config of a peak-memory run (sgd, f32, [`matrix`] at [`MEMORY_N`] through an `.npy`
/// file, no logging) into `dir`; returns the config's path.
pub fn memory_config(dir: &Path, gradient: &str) -> anyhow::Result<PathBuf> {
    let npy = dir.join(format!("a{MEMORY_N}.npy"));
    if !npy.exists() {
        matrix(MEMORY_N)
            .to_tensor(descent_tensor::Dtype::F64, &Device::Cpu)?
            .write_npy(&npy)?;
    }
    let path = dir.join(format!("memory-{gradient}.toml"));
    let text = format!(
        "name = \"memory-{gradient}\"\nseed = 314\niterations = {MEMORY_ITERATIONS}\nlog_every = 0\ndtype = \"f32\"\ngradient = \"{gradient}\"\n[problem]\nkind = \"inverse\"\nmatrix = {{ npy = \"{}\" }}\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n",
        npy.display()
    );
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Where the measured peaks are kept for the table: `gradient,bytes` lines in criterion's
/// directory.
fn memory_file(criterion: &Path) -> PathBuf {
    criterion.join("descent-memory.csv")
}

/// Keep measured peaks (`(gradient, bytes)`) for [`table`].
pub fn write_memory(criterion: &Path, rows: &[(&str, u64)]) -> std::io::Result<()> {
    std::fs::create_dir_all(criterion)?;
    let text: String = rows.iter().map(|(g, b)| format!("{g},{b}\n")).collect();
    std::fs::write(memory_file(criterion), text)
}

/// The peak kept for `gradient`, if measured.
fn read_memory(criterion: &Path, gradient: &str) -> Option<u64> {
    let text = std::fs::read_to_string(memory_file(criterion)).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(gradient)?.strip_prefix(',')?.parse().ok())
}

/// The targets of the performance issue, in microseconds per iteration (f32), where one is a number.
fn target_us(optimizer: &str, n: usize) -> Option<f64> {
    match (optimizer, n) {
        ("sgd", 4) => Some(5.0),
        ("adam", 4) => Some(8.0),
        ("sgd", 64) => Some(20.0),
        ("sgd", 256) => Some(450.0),
        _ => None,
    }
}

fn us(x: f64) -> String {
    if x >= 1000.0 {
        format!("{:.2} ms", x / 1000.0)
    } else {
        format!("{x:.2} us")
    }
}

/// The table `cargo xtask bench` prints, from the criterion results under `criterion`
/// (`target/criterion`): time per iteration, ratios to the floors, PyTorch's figure, the target.
pub fn table(criterion: &Path) -> String {
    let floor_4 =
        median_ns(criterion, "floor/plain-rust-4x4-sgd-k1000").map(|ns| ns / 1000.0 / 1000.0);
    let matmul = median_ns(criterion, "floor/candle-matmul-f32-1024").map(|ns| ns / 1000.0);
    let mut out = String::from(
        "| case | per iteration | ratio to floor | PyTorch (2 threads) | PyTorch / descent | target |\n|---|---|---|---|---|---|\n",
    );
    for c in CASES {
        let id = format!("inverse/{}/{}", c.id(), c.n);
        let Some(ns) = median_ns(criterion, &id) else {
            out.push_str(&format!(
                "| {} {} {} n = {} | not measured | | | | |\n",
                c.optimizer, c.dtype, c.gradient, c.n
            ));
            continue;
        };
        let per = ns / 1000.0 / c.iterations as f64;
        let ratio = match (c.n, floor_4, matmul) {
            (4, Some(f), _) if c.dtype == "f32" => {
                format!("{:.0}x the plain-Rust loop ({})", per / f, us(f))
            }
            (1024, _, Some(m)) => format!(
                "{:.2}x two 1024^3 matmuls ({})",
                per / (2.0 * m),
                us(2.0 * m)
            ),
            _ => String::new(),
        };
        let torch = if c.dtype == "f32" {
            pytorch_us(c.optimizer, c.n)
        } else {
            None
        };
        let target = match (c.dtype, c.n, target_us(c.optimizer, c.n)) {
            ("f32", 4, _) if c.gradient == "analytic" => "<= 1.00 us".to_string(),
            ("f32", 1024, _) if c.optimizer == "sgd" => "<= 1.1x two matmuls".to_string(),
            ("f32", _, Some(t)) => format!("<= {}", us(t)),
            _ => String::new(),
        };
        out.push_str(&format!(
            "| {} {} {} n = {} | {} | {} | {} | {} | {} |\n",
            c.optimizer,
            c.dtype,
            c.gradient,
            c.n,
            us(per),
            ratio,
            torch.map(us).unwrap_or_default(),
            torch
                .map(|t| format!("{:.1}x", t / per))
                .unwrap_or_default(),
            target
        ));
    }
    for gradient in BATCH_GRADIENTS {
        let batched = median_ns(
            criterion,
            &format!("batched/{}/{BATCH}", batched_id(gradient)),
        );
        match batched {
            Some(ns) => {
                let per = ns / 1000.0 / BATCH_ITERATIONS as f64;
                out.push_str(&format!(
                    "| batched {BATCH} x 4x4, sgd f32 {gradient} | {} ({:.2} M problem-iterations/s) | | 1.22 ms (8.2 M/s) | {:.2}x | >= 10 M/s |\n",
                    us(per),
                    BATCH as f64 / per,
                    1220.0 / per
                ));
            }
            None => out.push_str(&format!(
                "| batched {BATCH} x 4x4, sgd f32 {gradient} | not measured | | | | |\n"
            )),
        }
    }
    let mib = |b: f64| format!("{:.1} MiB", b / (1024.0 * 1024.0));
    let tensors = memory_tensor_bytes();
    for gradient in MEMORY_GRADIENTS {
        let label = format!("peak memory of `xtask run`, n = {MEMORY_N}, sgd f32 {gradient}");
        let target = format!("<= 3x the tensors ({})", mib(3.0 * tensors));
        match read_memory(criterion, gradient) {
            Some(bytes) => out.push_str(&format!(
                "| {label} | {} | {:.1}x A, X and the gradient ({}) | | | {target} |\n",
                mib(bytes as f64),
                bytes as f64 / tensors,
                mib(tensors)
            )),
            None => out.push_str(&format!("| {label} | not measured | | | | {target} |\n")),
        }
    }
    out.push_str(&format!(
        "\nfloors: plain-Rust 4x4 SGD loop {} per iteration; one f32 1024^3 matmul through candle {}.\n",
        floor_4.map(us).unwrap_or_else(|| "not measured".into()),
        matmul.map(us).unwrap_or_else(|| "not measured".into())
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_a_kept_peak_as_a_multiple_of_the_tensors() {
        let dir = std::env::temp_dir().join(format!("descent-table-{}", std::process::id()));
        // 3 n^2 f32 entries at n = 1024 are 12 MiB; a 60 MiB peak is 5x them.
        write_memory(&dir, &[("autodiff", 60 * 1024 * 1024)]).unwrap();
        let table = table(&dir);
        assert!(
            table.contains("| 60.0 MiB | 5.0x A, X and the gradient (12.0 MiB) |"),
            "{table}"
        );
        assert!(
            table.contains("sgd f32 analytic | not measured |"),
            "{table}"
        );
        assert!(table.contains("<= 3x the tensors (36.0 MiB)"), "{table}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_memory_config_builds_the_n1024_problem() {
        let dir = std::env::temp_dir().join(format!("descent-memcfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = memory_config(&dir, "analytic").unwrap();
        let config = Config::load(&path, &[], &Registry::default()).unwrap();
        assert_eq!(
            (config.iterations, config.dtype.name()),
            (MEMORY_ITERATIONS, "f32")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
