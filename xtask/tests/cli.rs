//! The command line as users run it: exit codes, messages on stderr, no panics, and house rules.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run xtask")
}

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn run_prints_the_notebooks_numbers_and_writes_the_files() {
    let out = temp("diag4");
    let o = xtask(&[
        "run",
        "configs/diag4.toml",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for line in [
        "[[0.7196, 1.2590, 2.0002, 1.3540],",
        " [0.3556, 0.7420, 2.0490, 1.2297]]",
        "loss = 1.66504e+00",
        "loss = 5.43894e-03",
        "loss = 5.07155e-04",
        "loss = 4.73374e-05",
        "loss = 4.41844e-06",
        "[[-0.28,  1.26,  2.00,  1.35],",
        " [ 0.26, -0.00,  0.00,  0.00],",
        "(stop: iterations)",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in\n{stdout}");
    }
    // Linux reports the peak resident set; `cargo xtask bench` reads this line back.
    if cfg!(target_os = "linux") {
        let peak = stdout
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("peak memory"))
            .unwrap_or_else(|| panic!("no peak memory line in\n{stdout}"));
        let mib: f64 = peak
            .split_whitespace()
            .next()
            .expect("a number")
            .parse()
            .expect("MiB");
        assert!(
            mib > 0.0 && peak.contains("MiB (resident, this process)"),
            "{peak}"
        );
    }
    for file in ["config.toml", "metrics.csv", "summary.json", "result.npy"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    // The resolved config re-runs the same.
    let again = temp("diag4-again");
    let config = out.join("config.toml");
    let o = xtask(&[
        "run",
        config.to_str().expect("utf-8"),
        "--quiet",
        "--out",
        again.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success() && o.stdout.is_empty());
    let read = |d: &Path| std::fs::read(d.join("metrics.csv")).expect("metrics");
    assert_eq!(read(&out), read(&again));
    // A second run into the same directory is refused and the first run's files stay.
    let before = read(&out);
    let o = xtask(&[
        "run",
        "configs/diag4.toml",
        "--quiet",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    assert_eq!(read(&out), before);
    std::fs::remove_dir_all(out).ok();
    std::fs::remove_dir_all(again).ok();
}

#[test]
fn the_seed_problems_print_their_exact_answer_comparisons() {
    for (config, lines) in [
        (
            "configs/linear2.toml",
            &[
                "linear2: linear_system (2x1)",
                "exact answer        x = A \\ b by faer (LU with partial pivoting), f64",
                "exact x             [2.20000, 0.600000]",
                "found x             [2.20000, 0.600000]",
                "residual            ||A x - b|| = ",
            ][..],
        ),
        (
            "configs/indicator.toml",
            &[
                "B (documents x words) =\n[[0, 0, 0],\n [0, 1, 0],\n [1, 1, 1],\n [0, 0, 0],\n [1, 1, 0],",
                "rank of B           3 of 3 words",
                "singular values     [2.59106, 1.58655, 0.877083]",
                "distance to pinv(B) max abs ",
                "approaches          pinv(B), which is also the limit here",
            ][..],
        ),
        (
            "configs/svd.toml",
            &[
                "exact s             [3.97951, 2.17028, 1.56632]",
                "found s             [3.97951, 2.17028, 1.56632]",
                "reconstruction      ||U diag(s) V^T - A|| / ||A|| = ",
                "orthogonality       max(||U^T U - I||, ||V^T V - I||) = ",
            ][..],
        ),
    ] {
        let out = temp(
            config
                .trim_start_matches("configs/")
                .trim_end_matches(".toml"),
        );
        let o = xtask(&["run", config, "--out", out.to_str().expect("utf-8")]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{config}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // Compare with runs of whitespace squashed: the summary's label column fits its longest label.
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        for line in lines {
            assert!(
                squash(&stdout).contains(&squash(line)),
                "{config}: missing `{line}` in\n{stdout}"
            );
        }
        std::fs::remove_dir_all(out).ok();
    }
}

#[test]
fn bad_configs_exit_non_zero_with_one_clear_line_and_no_panic() {
    let dir = temp("bad");
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("bad.toml");
    let text = std::fs::read_to_string(root().join("configs/diag4.toml")).expect("diag4");
    std::fs::write(&bad, text.replace("kind = \"sgd\"", "kind = \"adamux\"")).expect("write");
    let o = xtask(&[
        "run",
        bad.to_str().expect("utf-8"),
        "--out",
        dir.join("run").to_str().expect("utf-8"),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr.contains("bad.toml:21: `optimizer.kind`: unknown kind `adamux`"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert!(
        !dir.join("run").exists(),
        "nothing is written for a bad config"
    );

    let o = xtask(&["run", "configs/diag4.toml", "--set", "iterations=0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("(--set iterations=0): `iterations`: must be at least 1")
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_diverging_run_exits_with_code_2_and_keeps_its_files() {
    let out = temp("diverge");
    let o = xtask(&[
        "run",
        "configs/diag4.toml",
        "--quiet",
        "--set",
        "optimizer.lr=1e3",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("diverged"));
    assert!(out.join("metrics.csv").is_file() && out.join("summary.json").is_file());
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn adam_from_the_command_line_uses_torchs_rule() {
    let out = temp("adam");
    let o = xtask(&[
        "run",
        "configs/diag4.toml",
        "--quiet",
        "--set",
        "optimizer.kind=\"adam\"",
        "--set",
        "optimizer.lr=0.1",
        "--set",
        "iterations=300",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config = std::fs::read_to_string(out.join("config.toml")).expect("config");
    assert!(
        config.contains("kind = \"adam\"") && config.contains("betas = [0.9, 0.999]"),
        "{config}"
    );
    std::fs::remove_dir_all(out).ok();
}

/// House rule: every Rust source file opens with a `//!` line saying what it is for.
#[test]
fn every_module_opens_with_a_doc_line() {
    let mut stack = vec![
        root().join("crates"),
        root().join("xtask"),
        root().join("benches"),
        root().join("examples"),
        root().join("python/src"),
    ];
    let mut missing = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                if !text.starts_with("//!") {
                    missing.push(path);
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files without a leading //! line: {missing:?}"
    );
}

#[test]
fn list_shows_every_registered_kind_with_its_defaults() {
    let o = xtask(&["list"]);
    assert!(o.status.success());
    let stdout = String::from_utf8_lossy(&o.stdout);
    for section in [
        "[optimizer]",
        "[schedule]",
        "[[transform]]",
        "[loss]",
        "[problem]",
    ] {
        assert!(stdout.contains(section), "{section} in\n{stdout}");
    }
    for kind in [
        "adam",
        "adamw",
        "rmsprop",
        "adagrad",
        "nadam",
        "radam",
        "lbfgs",
        "sgd",
        "constant",
        "step",
        "multistep",
        "exponential",
        "cosine",
        "linear",
        "polynomial",
        "onecycle",
        "plateau",
        "sequential",
        "logspace",
        "clip_norm",
        "clip_value",
        "noise",
        "mse",
        "sse",
        "mae",
        "huber",
        "log_cosh",
        "inverse",
        "linear_system",
        "indicator",
        "svd",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{kind} "))),
            "{kind} in\n{stdout}"
        );
    }
    // torch.optim's defaults, as the configs resolve them.
    assert!(
        stdout.contains("defaults: lr = 0.001, betas = [0.9, 0.999]"),
        "{stdout}"
    );
    assert!(stdout.contains("defaults: delta = 1.0"), "{stdout}");
    assert!(
        stdout.contains("weight_decay = 0.01"),
        "adamw's default decay: {stdout}"
    );
    assert!(
        stdout.contains("eps = 0.0000000001"),
        "adagrad's eps: {stdout}"
    );
}

#[test]
fn check_validates_without_running() {
    let o = xtask(&["check", "configs/indicator.toml"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok: indicator"));
    let o = xtask(&["check", "configs/diag4.toml", "--set", "stop.seconds=-1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`stop.seconds`"));
}

#[test]
fn report_redraws_the_same_pictures_from_the_files() {
    let out = temp("rerender");
    let dir = out.to_str().expect("utf-8");
    let o = xtask(&["run", "configs/linear2.toml", "--quiet", "--out", dir]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let drawn = [
        "loss.svg",
        "error.svg",
        "diff_40.svg",
        "linear_system.svg",
        "report.html",
    ];
    let before: Vec<Vec<u8>> = drawn
        .iter()
        .map(|f| std::fs::read(out.join(f)).expect("file"))
        .collect();
    for f in drawn {
        std::fs::remove_file(out.join(f)).expect("remove");
    }
    let o = xtask(&["report", dir]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (f, b) in drawn.iter().zip(before) {
        assert!(
            std::fs::read(out.join(f)).expect("redrawn") == b,
            "{f} differs"
        );
    }
    let o = xtask(&["report", "configs"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no summary.json"));
    std::fs::remove_dir_all(out).ok();
}

/// The report in a real browser: Debian's chromium, headless, where it is installed (the CI image
/// does not have it; there the test says so and checks nothing else).
#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
    else {
        eprintln!("chromium is not installed: the browser check of report.html is skipped");
        return;
    };
    let out = temp("browser");
    let dir = out.to_str().expect("utf-8");
    let o = xtask(&["run", "configs/diag4.toml", "--quiet", "--out", dir]);
    assert!(o.status.success());
    let page = format!("file://{}", out.join("report.html").display());
    let browser = |extra: &[&str]| {
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
            ])
            .args(extra)
            .arg(&page)
            .output()
            .expect("chromium")
    };
    // The DOM as the browser parsed it: the heading, the verdict and every picture of the run
    // inline (loss, found, error, six differences, modes, spectrum).
    let dom = browser(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("descent: diag4"), "{dom}");
    let pictures = std::fs::read_dir(&out)
        .expect("run dir")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "svg"))
        .count();
    assert_eq!(pictures, 11);
    assert_eq!(dom.matches("<svg").count(), pictures);
    assert!(dom.contains("What happened"), "{dom}");
    // A screenshot: the page paints (a blank page compresses to a few kilobytes).
    let shot = out.join("report.png");
    let o = browser(&[
        "--window-size=1200,3000",
        &format!("--screenshot={}", shot.display()),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let size = std::fs::metadata(&shot).expect("screenshot").len();
    assert!(size > 50_000, "screenshot of {size} bytes");
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn sweep_over_optimizers_and_learning_rates_writes_its_files() {
    let out = temp("sweep");
    let dir = out.to_str().expect("utf-8");
    let o = xtask(&[
        "sweep",
        "configs/diag4.toml",
        "--grid",
        r#"optimizer.kind=["sgd","adam"]"#,
        "--grid",
        "optimizer.lr=[0.01,0.1,1.5]",
        "--jobs",
        "2",
        "--out",
        dir,
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    // One run diverges: every file is written, and the exit status says so (2, as for `run`).
    assert_eq!(
        o.status.code(),
        Some(2),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("6 runs (1 failed, diverged or diverging;"),
        "{stdout}"
    );
    for f in ["sweep.csv", "sweep.svg", "sweep.html"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let o = xtask(&["sweep", "configs/diag4.toml", "--grid", "optimizer.lr=0.1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected key=[value"));
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn threads_must_be_positive_and_not_absurd() {
    for n in ["0", "100000"] {
        let o = xtask(&["run", "configs/diag4.toml", "--threads", n]);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--threads must be between 1 and 1024")
        );
    }
}

#[test]
fn theory_works_for_every_config_and_states_the_notebooks_spectrum() {
    for config in ["diag4", "linear2", "indicator", "svd"] {
        let o = xtask(&["theory", &format!("configs/{config}.toml")]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{config}: {stdout}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(stdout.starts_with("run "), "{stdout}");
    }
    // diag(1, 2, 3, 4) under mse: λ = 2 d^2 / 16, from 0.125 to 2; plain SGD is stable below 1
    // and best at 2 / (L + μ) = 0.941.
    let o = xtask(&["theory", "configs/diag4.toml"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    for want in [
        "L = 2.000e+00, mu = 1.250e-01, kappa = 1.600e+01",
        "lr < 1.000e+00",
        "optimal       lr 9.412e-01",
    ] {
        assert!(stdout.contains(want), "missing `{want}` in\n{stdout}");
    }
    let o = xtask(&["theory", "configs/svd.toml"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("not predicted"));
    let o = xtask(&[
        "run",
        "configs/diag4.toml",
        "--out",
        temp("theory-run").to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("verdict           still converging: about 52 more iterations"),
        "{stdout}"
    );
    std::fs::remove_dir_all(temp("theory-run")).ok();
}

#[test]
fn suite_runs_the_quick_suite_resumes_and_names_mistakes() {
    let out = temp("suite");
    let dir = out.to_str().expect("utf-8");
    let o = xtask(&["suite", "suites/quick.toml", "--out", dir, "--jobs", "2"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for f in [
        "results.csv",
        "best.csv",
        "scores.csv",
        "profiles.svg",
        "data_profiles.svg",
        "sensitivity.svg",
        "suite.html",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert!(stdout.contains("score"), "{stdout}");
    let again = xtask(&["suite", "suites/quick.toml", "--out", dir, "--quiet"]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        !stdout.contains("[1]"),
        "--quiet prints no line per run: {stdout}"
    );
    let total = stdout
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().next())
        .expect("the last line counts the runs");
    assert!(
        stdout.contains(&format!("{total} runs ({total} reused")),
        "{stdout}"
    );
    let bad = out.join("bad.toml");
    std::fs::write(
        &bad,
        "target = 1e-4\nbudget = { iterations = 10 }\n[[problem]]\nfamily = \"inverse\"\ncond = 10.0\n[[optimizer]]\nkind = \"sgd\"\nlr = 0.1\nmomentun = 0.9\n",
    )
    .expect("write");
    let o = xtask(&["suite", bad.to_str().expect("utf-8"), "--out", dir]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("momentun"),
        "{stderr}"
    );
    std::fs::remove_dir_all(out).ok();
}
