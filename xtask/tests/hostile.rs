//! Input from a hostile user: enormous sizes, overflowing shapes, special files, malformed .npy files
//! and diverged runs get a clear error or a complete run; never a panic, a hang or an abort.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

use common::{Ran, root, xtask_within};

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("descent-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Assert a clean config error: exit 1, one `error:` line naming the file and each of `words`,
/// no panic.
fn assert_config_error(ran: &Ran, file: &str, words: &[&str]) {
    assert_eq!(
        ran.code,
        Some(1),
        "stdout {}\nstderr {}",
        ran.stdout,
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("panicked") && !ran.stderr.contains("memory allocation"),
        "{}",
        ran.stderr
    );
    let line = ran.stderr.trim();
    assert!(line.starts_with("error: ") && line.contains(file), "{line}");
    for w in words {
        assert!(line.contains(w), "`{w}` missing in {line}");
    }
}

const SHORT: Duration = Duration::from_secs(60);

#[test]
fn sizes_that_cannot_fit_are_refused_by_run_and_check_before_allocating() {
    for set in [
        "problem.matrix={ identity = 100000 }",
        "problem.matrix={ uniform = [100000, 100000] }",
        "problem.matrix={ normal = [100000, 100000] }",
        "problem.matrix={ spd = 100000 }",
        "problem.batch=9223372036854775807",
    ] {
        let key = if set.contains("batch") {
            "`problem.batch`"
        } else {
            "`problem.matrix`"
        };
        for command in ["check", "run"] {
            let ran = xtask_within(&[command, "configs/diag4.toml", "--set", set], SHORT);
            assert_config_error(&ran, "configs/diag4.toml", &[key, "GiB", "max_memory"]);
        }
    }
    // An .npy file whose 128-byte header claims 31623 x 31623 doubles (8 GB).
    let dir = temp("npy-claims");
    std::fs::create_dir_all(&dir).unwrap();
    let claims = dir.join("claims.npy");
    std::fs::write(
        &claims,
        npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (31623, 31623), }",
            &[],
        ),
    )
    .unwrap();
    let set = format!(
        "problem.matrix={{ npy = {:?} }}",
        claims.display().to_string()
    );
    let ran = xtask_within(
        &[
            "check",
            "configs/diag4.toml",
            "--set",
            &set,
            "--max-memory",
            "1 GiB",
        ],
        SHORT,
    );
    assert_config_error(
        &ran,
        "configs/diag4.toml",
        &["`problem.matrix`", "31623x31623"],
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn max_memory_is_a_key_and_a_flag_and_bad_values_are_config_errors() {
    let ran = xtask_within(
        &["check", "configs/diag4.toml", "--max-memory", "1KiB"],
        SHORT,
    );
    assert_config_error(
        &ran,
        "configs/diag4.toml",
        &["`problem.matrix`", "max_memory = 1.0 KiB"],
    );
    let ran = xtask_within(
        &["check", "configs/diag4.toml", "--set", "max_memory=64"],
        SHORT,
    );
    assert_config_error(
        &ran,
        "configs/diag4.toml",
        &["`problem.matrix`", "max_memory = 64 B"],
    );
    let ran = xtask_within(
        &["check", "configs/diag4.toml", "--set", "max_memory=lots"],
        SHORT,
    );
    assert_config_error(
        &ran,
        "--set max_memory=lots",
        &["`max_memory`", "not a size"],
    );
    let ran = xtask_within(
        &["check", "configs/diag4.toml", "--max-memory", "50%"],
        SHORT,
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("memory about"), "{}", ran.stdout);
}

#[test]
fn overflowing_sizes_are_config_errors_not_panics() {
    for (config, set, key) in [
        (
            "configs/indicator.toml",
            "problem.documents=9223372036854775807",
            "`problem.documents`",
        ),
        (
            "configs/indicator.toml",
            "problem.words=9223372036854775807",
            "`problem.words`",
        ),
        (
            "configs/diag4.toml",
            "problem.matrix={ uniform = [4294967296, 4294967296] }",
            "`problem.matrix`",
        ),
        (
            "configs/diag4.toml",
            "problem.matrix={ uniform = [9223372036854775807, 2] }",
            "`problem.matrix`",
        ),
        ("configs/diag4.toml", "optimizer.kind=lbfgs", ""),
    ] {
        let mut args = vec!["check", config, "--set", set];
        if key.is_empty() {
            // L-BFGS's default evaluation budget, max_iter * 5 / 4, at the largest max_iter.
            args.extend(["--set", "optimizer.max_iter=18446744073709551615"]);
            let ran = xtask_within(&args, SHORT);
            assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
            continue;
        }
        let ran = xtask_within(&args, SHORT);
        assert_config_error(&ran, config, &[key]);
    }
    let dir = temp("npy-overflow");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, shape) in [
        "(1099511627776, 1099511627776)",
        "(9223372036854775807, 9223372036854775807)",
    ]
    .iter()
    .enumerate()
    {
        let file = dir.join(format!("{i}.npy"));
        let header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
        std::fs::write(&file, npy(&header, &[])).unwrap();
        let set = format!(
            "problem.matrix={{ npy = {:?} }}",
            file.display().to_string()
        );
        let ran = xtask_within(&["check", "configs/diag4.toml", "--set", &set], SHORT);
        assert_config_error(
            &ran,
            "configs/diag4.toml",
            &["`problem.matrix`", "max_memory"],
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_for_what_they_are_without_blocking() {
    let dir = temp("special");
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let looped = dir.join("loop.npy");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let mut cases = vec![
        ("csv", PathBuf::from("/dev/zero"), "a character device"),
        ("npy", PathBuf::from("/dev/zero"), "a character device"),
        ("npy", dir.clone(), "a directory"),
        ("csv", dir.clone(), "a directory"),
        ("npy", looped.clone(), "a loop of symbolic links"),
        ("npy", dir.join("absent.npy"), "no such file"),
    ];
    if made.is_ok_and(|s| s.success()) {
        cases.push(("csv", fifo.clone(), "a named pipe (FIFO)"));
        cases.push(("npy", fifo.clone(), "a named pipe (FIFO)"));
    }
    for (format, path, what) in cases {
        let set = format!(
            "problem.matrix={{ {format} = {:?} }}",
            path.display().to_string()
        );
        for command in ["check", "run"] {
            let ran = xtask_within(&[command, "configs/diag4.toml", "--set", &set], SHORT);
            assert_config_error(&ran, "configs/diag4.toml", &["`problem.matrix`", what]);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// An .npy file: the magic, version 1.0, the header padded to 64 bytes with a newline, the data.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(h.len() as u16).to_le_bytes());
    bytes.extend_from_slice(h.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

fn f64s(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn npy_files_in_fortran_order_are_read_transposed_and_bad_ones_say_why() {
    let dir = temp("npy-details");
    std::fs::create_dir_all(&dir).unwrap();
    // The matrix [[2, 1], [0, 4]] stored column by column: 2, 0, 1, 4. Its inverse is
    // [[0.5, -0.125], [0, 0.25]], which the linear system's exact answer shows.
    let fortran = dir.join("fortran.npy");
    std::fs::write(
        &fortran,
        npy(
            "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
            &f64s(&[2.0, 0.0, 1.0, 4.0]),
        ),
    )
    .unwrap();
    let out = temp("npy-fortran-run");
    let set = format!(
        "problem.matrix={{ npy = {:?} }}",
        fortran.display().to_string()
    );
    let ran = xtask_within(
        &[
            "run",
            "configs/diag4.toml",
            "--quiet",
            "--set",
            &set,
            "--set",
            "init.kind=zeros",
            "--set",
            "iterations=2000",
            "--set",
            "optimizer.lr=0.1",
            "--out",
            out.to_str().unwrap(),
        ],
        SHORT,
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let config = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(config.contains("fortran.npy"), "{config}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let rel_error = summary["rel_error"].as_f64().unwrap();
    assert!(rel_error < 1e-4, "{rel_error}");
    // Read as C order the matrix would be [[2, 0], [1, 4]], whose inverse differs: the run's
    // exact answer must be inv([[2, 1], [0, 4]]). result.npy holds X, close to it.
    let x = read_f32_npy(&out.join("result.npy"));
    let want = [0.5, -0.125, 0.0, 0.25];
    for (got, want) in x.iter().zip(want) {
        assert!((f64::from(*got) - want).abs() < 1e-3, "{x:?}");
    }
    for (name, bytes, reason) in [
        (
            "bool",
            npy(
                "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }",
                &[1, 0, 0, 1],
            ),
            "bool dtype",
        ),
        (
            "trailing",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                &f64s(&[1.0, 0.0, 0.0, 1.0, 9.0]),
            ),
            "trailing data",
        ),
        (
            "short",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                &f64s(&[1.0, 0.0, 0.0]),
            ),
            "calls for 32 bytes",
        ),
        (
            "unknown-key",
            npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'note': 1, }",
                &f64s(&[1.0, 0.0, 0.0, 1.0]),
            ),
            "unknown key 'note'",
        ),
        ("garbage", b"not numpy at all".to_vec(), "not an .npy file"),
    ] {
        let file = dir.join(format!("{name}.npy"));
        std::fs::write(&file, bytes).unwrap();
        let set = format!(
            "problem.matrix={{ npy = {:?} }}",
            file.display().to_string()
        );
        let ran = xtask_within(&["check", "configs/diag4.toml", "--set", &set], SHORT);
        assert_config_error(&ran, "configs/diag4.toml", &["`problem.matrix`", reason]);
    }
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(out);
}

/// The entries of a float32 .npy file written by descent.
fn read_f32_npy(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("result.npy");
    let len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    bytes[10 + len..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn report_redraws_diverged_runs_and_runs_killed_before_their_pictures() {
    let out = temp("report-diverged");
    // Adam at lr 1e38 in f32: X overflows to infinities at the first step.
    let ran = xtask_within(
        &[
            "run",
            "configs/diag4.toml",
            "--quiet",
            "--set",
            "optimizer.kind=adam",
            "--set",
            "optimizer.lr=1e38",
            "--out",
            out.to_str().unwrap(),
        ],
        SHORT,
    );
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(
        read_f32_npy(&out.join("result.npy"))
            .iter()
            .any(|v| !v.is_finite())
    );
    // As if killed after the data files: no report, no pictures.
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg" || e == "html") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let ran = xtask_within(&["report", out.to_str().unwrap()], SHORT);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    for file in ["report.html", "loss.svg", "error.svg"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    // A damaged data file is named, not a bare shape error.
    std::fs::write(
        out.join("checkpoints.json"),
        r#"[{"iteration":0,"loss":1,"label":"x","rows":100000,"cols":100000,"data":[]}]"#,
    )
    .unwrap();
    let ran = xtask_within(&["report", out.to_str().unwrap()], SHORT);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("checkpoints.json: the checkpoint at iteration 0 has 0 entries"),
        "{}",
        ran.stderr
    );
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn two_runs_given_the_same_out_never_mix_and_the_second_is_told() {
    for pair in 0..40 {
        let out = temp(&format!("same-out-{pair}"));
        let start = |seed: &str| {
            Command::new(env!("CARGO_BIN_EXE_xtask"))
                .args([
                    "run",
                    "configs/diag4.toml",
                    "--quiet",
                    "--set",
                    &format!("seed={seed}"),
                    "--out",
                    out.to_str().expect("utf-8"),
                ])
                .current_dir(root())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let (a, b) = (start("1"), start("2"));
        let (a, b) = (
            a.wait_with_output().expect("a"),
            b.wait_with_output().expect("b"),
        );
        let codes = [a.status.code(), b.status.code()];
        assert!(
            codes == [Some(0), Some(1)] || codes == [Some(1), Some(0)],
            "{codes:?}"
        );
        let loser = if a.status.success() { &b } else { &a };
        let message = String::from_utf8_lossy(&loser.stderr);
        assert!(
            message.contains("another run has claimed this directory")
                || message.contains("the directory is not empty"),
            "{message}"
        );
        // Every file is the winner's: the config's seed is the summary's.
        let config = std::fs::read_to_string(out.join("config.toml")).expect("config.toml");
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("s"))
                .expect("summary parses");
        let seed = summary["seed"].as_i64().expect("seed");
        assert!(config.contains(&format!("seed = {seed}\n")), "{config}");
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
fn every_message_names_the_file_the_line_or_the_set_and_the_key() {
    // The wrong key of the two: the mean, from its --set (it was `init.std` at line 13).
    let ran = xtask_within(
        &[
            "check",
            "configs/diag4.toml",
            "--set",
            "init.kind=normal",
            "--set",
            "init.mean=nan",
        ],
        SHORT,
    );
    assert_config_error(&ran, "(--set init.mean=nan)", &["`init.mean`", "finite"]);
    // A newline in a --set value: refused, not cut short (the unknown key used to vanish).
    let ran = xtask_within(
        &[
            "check",
            "configs/diag4.toml",
            "--set",
            "optimizer.lr=0.1\nbogus = 3",
        ],
        SHORT,
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("`bogus` after a newline"),
        "{}",
        ran.stderr
    );
    let dir = temp("messages");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text, line, key) in [
        (
            "dup-top",
            "iterations = 3\niterations = 4\n[problem]\nkind = \"inverse\"\nmatrix = { diag = [1.0] }\n[optimizer]\nkind = \"sgd\"\n",
            2,
            "`iterations`",
        ),
        (
            "dup-table",
            "iterations = 3\n[problem]\nkind = \"inverse\"\nmatrix = { diag = [1.0] }\n[problem]\nkind = \"svd\"\n",
            5,
            "`problem`",
        ),
        (
            "missing-top",
            "[problem]\nkind = \"inverse\"\nmatrix = { diag = [1.0] }\n[optimizer]\nkind = \"sgd\"\n",
            1,
            "`iterations`",
        ),
        (
            "missing-table",
            "iterations = 3\nseed = 1\n[problem]\nkind = \"inverse\"\nmatrix = { diag = [1.0] }\n",
            3,
            "`optimizer`",
        ),
    ] {
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(&file, text).unwrap();
        let ran = xtask_within(&["check", file.to_str().unwrap()], SHORT);
        let at = format!("{name}.toml:{line}: ");
        assert_config_error(&ran, &at, &[key]);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn values_beyond_the_dtype_and_matrices_singular_in_it_are_config_errors() {
    // A Huber delta of 1e39 is infinite in float32 (the NaN that followed was blamed on the lr).
    let sets = ["--set", "loss.kind=huber", "--set", "loss.delta=1e39"];
    let mut args = vec!["check", "configs/diag4.toml"];
    args.extend(sets);
    let ran = xtask_within(&args, SHORT);
    assert_config_error(
        &ran,
        "(--set loss.delta=1e39)",
        &["`loss.delta`", "float32's range"],
    );
    args.extend(["--set", "dtype=f64"]);
    assert_eq!(xtask_within(&args, SHORT).code, Some(0));
    let ran = xtask_within(
        &[
            "check",
            "configs/diag4.toml",
            "--set",
            "problem.matrix={ diag = [1.0, 1e39] }",
        ],
        SHORT,
    );
    assert_config_error(
        &ran,
        "configs/diag4.toml",
        &["`problem.matrix`", "entry (2, 2)"],
    );
    // Condition number 1e7: invertible in f64, singular to float32's working precision.
    let spd = "problem.matrix={ spd = 4, cond = 1e7 }";
    let ran = xtask_within(&["check", "configs/diag4.toml", "--set", spd], SHORT);
    assert_config_error(
        &ran,
        "configs/diag4.toml",
        &["`problem.matrix`", "singular in f32"],
    );
    let ran = xtask_within(
        &[
            "check",
            "configs/diag4.toml",
            "--set",
            spd,
            "--set",
            "dtype=f64",
        ],
        SHORT,
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
}

#[test]
fn a_closed_stdout_does_not_stop_the_run_or_lose_its_files() {
    // `cargo xtask run ... | head -2`: the reader goes away; printing used to panic (exit 101).
    let out = temp("closed-stdout");
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "run",
            "configs/diag4.toml",
            "--out",
            out.to_str().expect("utf-8"),
        ])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for file in ["metrics.csv", "summary.json", "result.npy", "report.html"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_large_batch_says_it_is_preparing_before_iteration_0() {
    let out = temp("preparing");
    let ran = xtask_within(
        &[
            "run",
            "configs/diag4.toml",
            "--set",
            "problem.batch=20000",
            "--set",
            "iterations=2",
            "--set",
            "log_every=0",
            "--out",
            out.to_str().expect("utf-8"),
        ],
        SHORT,
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let first = ran.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("diag4: preparing 20000 instance(s)"),
        "{}",
        ran.stdout
    );
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn absurd_thread_job_and_seed_counts_are_refused_at_once() {
    // 100,000 threads hung the run; 100,000 jobs aborted the sweep; a billion seeds planned a
    // billion configs before saying anything.
    let ran = xtask_within(&["run", "configs/diag4.toml", "--threads", "100000"], SHORT);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("--threads must be between 1 and 1024"),
        "{}",
        ran.stderr
    );
    let out = temp("absurd-sweep");
    let dir = out.to_str().expect("utf-8");
    for (flag, value, words) in [
        ("--seeds", "1000000000", "more than 100000 runs"),
        ("--jobs", "100000", "jobs must be between 1 and 1024"),
    ] {
        let ran = xtask_within(
            &[
                "sweep",
                "configs/diag4.toml",
                "--grid",
                "optimizer.lr=[0.1, 0.2]",
                flag,
                value,
                "--out",
                dir,
            ],
            SHORT,
        );
        assert_eq!(ran.code, Some(1), "{}", ran.stderr);
        assert!(ran.stderr.contains(words), "{}", ran.stderr);
        assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
        assert!(!out.exists(), "nothing is created");
    }
}
