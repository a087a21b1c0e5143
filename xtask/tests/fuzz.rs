//! A seeded generator of malformed configs and matrix files, run through `cargo xtask check` and
//! `run`: no panic, no hang, no abort, and every failure exits 1 with one line naming the file,
//! the line (or the `--set`) and, past the TOML syntax, the key. The cases it once broke are kept
//! in `tests/regressions/` and run every time.

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use common::{Random, root, xtask_within};

/// Values a hostile user writes where a number, a string or a table belongs.
const VALUES: &[&str] = &[
    "-1",
    "0",
    "1",
    "1e39",
    "-1e39",
    "nan",
    "inf",
    "-inf",
    "1e-320",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "\"x\"",
    "\"\"",
    "true",
    "[]",
    "[1.0]",
    "[[1.0, 2.0], [3.0]]",
    "{}",
    "{ identity = 0 }",
    "{ identity = 3 }",
    "{ identity = 100000 }",
    "{ uniform = [4294967296, 4294967296] }",
    "{ uniform = [9223372036854775807, 2] }",
    "{ normal = [3, 3], std = -1.0 }",
    "{ spd = 3, cond = 0.5 }",
    "{ rows = [[1.0, 2.0], [2.0, 4.0]] }",
    "{ diag = [1.0, 0.0] }",
    "{ npy = \"/dev/zero\" }",
    "{ csv = \"/dev/zero\" }",
    "{ csv = \"/\" }",
    "{ npy = \"no-such.npy\" }",
    "\"adam\"",
    "\"lbfgs\"",
    "\"logspace\"",
    "\"huber\"",
    "\"nosuch\"",
];

/// Keys a config may hold, and some it may not.
const KEYS: &[&str] = &[
    "iterations",
    "seed",
    "dtype",
    "log_every",
    "gradient",
    "max_memory",
    "name",
    "problem.kind",
    "problem.matrix",
    "problem.batch",
    "problem.documents",
    "problem.words",
    "problem.p",
    "problem.rank",
    "problem.a",
    "problem.b",
    "problem.side",
    "optimizer.kind",
    "optimizer.lr",
    "optimizer.momentum",
    "optimizer.betas",
    "optimizer.eps",
    "optimizer.weight_decay",
    "optimizer.history_size",
    "optimizer.max_iter",
    "schedule.kind",
    "schedule.step_size",
    "schedule.gamma",
    "schedule.start",
    "schedule.stop",
    "loss.kind",
    "loss.delta",
    "init.kind",
    "init.mean",
    "init.std",
    "init.low",
    "init.from",
    "stop.loss_below",
    "stop.window",
    "stop.iterations",
    "bogus",
    "optimizer.bogus",
];

/// A mutated copy of `text`: one to three edits of lines, values and keys.
fn mutate(text: &str, r: &mut Random) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for _ in 0..1 + r.below(3) {
        let at = r.below(lines.len());
        match r.below(7) {
            0 => {
                lines.remove(at);
            }
            1 => {
                let copy = lines[at].clone();
                lines.insert(at, copy);
            }
            2 => {
                if let Some((key, _)) = lines[at].split_once('=') {
                    lines[at] = format!("{key}= {}", r.pick(VALUES));
                }
            }
            3 => {
                let key = r.pick(KEYS);
                let last = key.rsplit('.').next().unwrap_or(key);
                lines.insert(at, format!("{last} = {}", r.pick(VALUES)));
            }
            4 => {
                if let Some((_, value)) = lines[at].split_once('=') {
                    let key = r.pick(KEYS);
                    lines[at] = format!("{} ={value}", key.rsplit('.').next().unwrap_or(key));
                }
            }
            5 => {
                let line = &lines[at];
                let cut = r.below(line.len() + 1);
                lines[at] = line.chars().take(cut).collect();
            }
            _ => {
                let headers = [
                    "[problem]",
                    "[optimizer]",
                    "[stop]",
                    "[[transform]]",
                    "[init",
                    "]",
                ];
                lines.insert(at, r.pick(&headers).to_string());
            }
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
    }
    lines.join("\n") + "\n"
}

/// A malformed matrix file: its name and bytes.
fn matrix_file(r: &mut Random) -> (&'static str, Vec<u8>) {
    let header = |dict: &str| {
        let mut h = dict.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b
    };
    let descr = r.pick(&["<f8", "<f4", "<i4", "|b1", "<c16", ">f8", "|u1", "O", "<f2"]);
    let order = r.pick(&["False", "True", "Maybe"]);
    let shape = r.pick(&[
        "(2, 2)",
        "(4,)",
        "()",
        "(2, 2, 2)",
        "(0, 3)",
        "(31623, 31623)",
        "(1099511627776, 1099511627776)",
        "(-1, 2)",
        "(2,2",
    ]);
    match r.below(6) {
        0 => {
            let mut b = header(&format!(
                "{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}"
            ));
            let extra = r.below(64);
            b.extend((0..extra).map(|i| (i * 37 % 251) as u8));
            ("m.npy", b)
        }
        1 => {
            let mut b = header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }");
            b.truncate(r.below(b.len()));
            ("m.npy", b)
        }
        2 => (
            "m.npy",
            (0..r.below(200)).map(|i| (i * 91 % 256) as u8).collect(),
        ),
        3 => {
            let rows = r.pick(&[
                "1,2\n3,4\n",
                "1,2\n3\n",
                "1,x\n3,4\n",
                "",
                "\u{feff}1,2\n3,4\n",
                "nan,1\n1,1\n",
                "1e400,1\n1,1\n",
                "1;2\n3;4\n",
                "\"1\",\"2\"\n\"3\",\"4\"\n",
            ]);
            ("m.csv", rows.as_bytes().to_vec())
        }
        4 => (
            "m.csv",
            (0..r.below(300)).map(|i| (i * 53 % 256) as u8).collect(),
        ),
        _ => ("m.csv", b"1,0\n0,1\n".repeat(1 + r.below(3))),
    }
}

/// Run `cargo xtask` with `args` under a time limit (a hang fails the test).
fn xtask(args: &[&str], limit: Duration) -> common::Ran {
    xtask_within(args, limit)
}

/// Check one config file (with `sets`): it passes, or it fails with exit 1 and a located message.
/// When it passes, run it briefly too. Returns a description of what is wrong, if anything.
fn try_case(file: &Path, sets: &[String], out: &Path) -> Option<String> {
    let name = file.to_str().expect("utf-8");
    let mut args = vec!["check", name, "--max-memory", "512 MiB"];
    for s in sets {
        args.extend(["--set", s.as_str()]);
    }
    let checked = xtask(&args, Duration::from_secs(60));
    let problem = judge(&checked, name);
    if problem.is_some() || checked.code != Some(0) {
        return problem;
    }
    let _ = std::fs::remove_dir_all(out);
    args[0] = "run";
    let out = out.to_str().expect("utf-8");
    args.extend([
        "--quiet",
        "--out",
        out,
        "--set",
        "stop.seconds=3",
        "--set",
        "log_every=0",
    ]);
    let ran = xtask(&args, Duration::from_secs(120));
    match ran.code {
        // A run that finishes, diverges (2), or whose config the run refuses (a stop table the
        // mutation made invalid together with stop.seconds).
        Some(0 | 2) => None,
        _ => judge(&ran, name),
    }
}

/// What is wrong with how a command ended, if anything.
fn judge(o: &common::Ran, name: &str) -> Option<String> {
    let line = o.stderr.trim();
    match o.code {
        Some(0) => None,
        Some(1) => {
            let located = line.starts_with(&format!("error: {name}:"))
                || line.starts_with(&format!("error: {name} (--set"));
            // Past the TOML syntax (and reading the file), the message names a key in backquotes.
            let keyed = line.contains(": `")
                || line.contains("invalid TOML")
                || line.contains("cannot read the config");
            if line.contains("panicked") || line.lines().count() != 1 || !located || !keyed {
                Some(format!(
                    "exit 1 but the message is not one located line: {line}"
                ))
            } else {
                None
            }
        }
        other => Some(format!("exit {other:?}: {line}")),
    }
}

#[test]
fn a_thousand_malformed_configs_and_matrix_files_give_clear_errors_or_complete_runs() {
    let dir = std::env::temp_dir().join(format!("descent-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let bases: Vec<String> = ["diag4", "linear2", "indicator", "svd"]
        .iter()
        .map(|n| std::fs::read_to_string(root().join(format!("configs/{n}.toml"))).expect("config"))
        .collect();
    // DESCENT_FUZZ_CASES and DESCENT_FUZZ_SEED explore further; the suite runs the same 1,000.
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let cases = env("DESCENT_FUZZ_CASES", 1000) as usize;
    let seed = env("DESCENT_FUZZ_SEED", 0xdec0de);
    let failures = std::sync::Mutex::new(Vec::new());
    let workers = 2;
    std::thread::scope(|s| {
        for w in 0..workers {
            let (bases, dir, failures, seed) = (&bases, &dir, &failures, seed);
            s.spawn(move || {
                for case in (w..cases).step_by(workers) {
                    let mut r = Random(seed.wrapping_add(case as u64));
                    let file = dir.join(format!("case-{case}.toml"));
                    let out = dir.join(format!("run-{case}"));
                    let base = &bases[r.below(bases.len())];
                    let mut sets = Vec::new();
                    let text = if case % 5 == 4 {
                        // A matrix file, named from the command line.
                        let (name, bytes) = matrix_file(&mut r);
                        let path = dir.join(format!("{case}-{name}"));
                        std::fs::write(&path, bytes).expect("matrix file");
                        let format = if name.ends_with("npy") { "npy" } else { "csv" };
                        let key = if base.contains("linear_system") {
                            "problem.a"
                        } else {
                            "problem.matrix"
                        };
                        sets.push(format!(
                            "{key}={{ {format} = {:?} }}",
                            path.display().to_string()
                        ));
                        base.clone()
                    } else if case % 5 == 3 {
                        // A bad --set on a good config.
                        let key = r.pick(KEYS);
                        sets.push(format!("{key}={}", r.pick(VALUES)));
                        base.clone()
                    } else {
                        mutate(base, &mut r)
                    };
                    std::fs::write(&file, &text).expect("config");
                    if let Some(why) = try_case(&file, &sets, &out) {
                        let kept = dir.join(format!("failed-{case}.toml"));
                        let _ = std::fs::copy(&file, &kept);
                        failures.lock().expect("lock").push(format!(
                            "case {case} ({}, sets {sets:?}): {why}",
                            kept.display()
                        ));
                    }
                    let _ = std::fs::remove_dir_all(&out);
                }
            });
        }
    });
    let failures = failures.into_inner().expect("lock");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_regressions_the_generator_found_stay_fixed() {
    let dir = root().join("xtask/tests/regressions");
    let out = std::env::temp_dir().join(format!("descent-regressions-{}", std::process::id()));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/regressions")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        if let Some(why) = try_case(&file, &[], &out) {
            panic!("{}: {why}", file.display());
        }
    }
    let _ = std::fs::remove_dir_all(out);
}
