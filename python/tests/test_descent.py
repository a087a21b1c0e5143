"""The Python package against the command line it wraps: the same runs bit for bit, the same
errors, matrices from memory as from files, Ctrl-C, the GIL, the stubs and the notebook."""

from __future__ import annotations

import _thread
import ast
import inspect
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import descent

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))
# summary.json's clock readings differ between any two runs.
TIMINGS = {"wall_seconds", "setup_seconds", "iterations_per_second"}


def xtask(*args: str) -> subprocess.CompletedProcess:
    """`cargo xtask ARGS` in the repository (the binary `DESCENT_XTASK` names, if set)."""
    exe = os.environ.get("DESCENT_XTASK")
    command = [exe, *args] if exe else ["cargo", "--quiet", "xtask", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def cli_run(config: Path, out: Path, *sets: str) -> Path:
    flags = [f for s in sets for f in ("--set", s)]
    done = xtask("run", str(config), "--quiet", "--out", str(out), *flags)
    assert done.returncode == 0, done.stderr
    return out


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bits (NaN included)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_run(a: Path, b: Path) -> None:
    """Two run directories hold the same run: metrics.csv, config.toml and every result file
    byte for byte, summary.json but for its clock readings."""
    for name in ["metrics.csv", "config.toml"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs"
    results = sorted(p.name for p in a.glob("result*.npy"))
    assert results and results == sorted(p.name for p in b.glob("result*.npy"))
    for name in results:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs"
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    for k in TIMINGS:
        sa.pop(k), sb.pop(k)
    assert sa == sb


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_each_config_runs_as_cargo_xtask_run_does_bit_for_bit(config: Path, tmp_path: Path) -> None:
    cli = cli_run(config, tmp_path / "cli")
    run = descent.run(config, out=tmp_path / "py")
    assert_same_run(cli, run.dir)
    # What the Run reads is what the command line wrote.
    cli_metrics = descent._read_metrics(cli / "metrics.csv")
    assert list(run.metrics) == list(cli_metrics)
    for column, values in cli_metrics.items():
        assert same_bits(run.metrics[column], values), column
    assert len(run.metrics["loss"]) == run.summary["iterations"]  # every config writes every row
    for name, value in run.result.items():
        file = "result.npy" if len(run.result) == 1 else f"result_{name}.npy"
        assert same_bits(value, np.load(cli / file)), name
    assert run.summary["final_loss"] == json.loads((cli / "summary.json").read_text())["final_loss"]


def test_set_overrides_keys_as_the_set_flag_does(tmp_path: Path) -> None:
    config = ROOT / "configs/diag4.toml"
    cli = cli_run(config, tmp_path / "cli", 'optimizer.kind="adam"', "optimizer.lr=0.05", "iterations=40")
    run = descent.run(config, set={"optimizer.kind": "adam", "optimizer.lr": 0.05, "iterations": 40}, out=tmp_path / "py")
    assert_same_run(cli, run.dir)
    assert run.summary["optimizer"] == "adam" and run.summary["iterations"] == 40


def test_a_dict_config_runs_as_the_same_toml_file(tmp_path: Path) -> None:
    text = """name = "dïct 😀 \\"quoted\\""
seed = 7
iterations = 30
dtype = "f64"
[problem]
kind = "inverse"
matrix = { rows = [[2.0, 1.0], [1.0, 3.0]] }
[optimizer]
kind = "sgd"
lr = 0.2
momentum = 0.5
[[transform]]
kind = "clip_norm"
max_norm = 1.0
"""
    file = tmp_path / "dict.toml"
    file.write_text(text)
    cli = cli_run(file, tmp_path / "cli")
    config = {
        "name": 'dïct 😀 "quoted"',
        "seed": 7,
        "iterations": 30,
        "dtype": "f64",
        "problem": {"kind": "inverse", "matrix": {"rows": [[2.0, 1.0], [1.0, 3.0]]}},
        "optimizer": {"kind": "sgd", "lr": 0.2, "momentum": 0.5},
        "transform": [{"kind": "clip_norm", "max_norm": 1.0}],
    }
    run = descent.run(config, out=tmp_path / "py")
    assert_same_run(cli, run.dir)


def random_spd(n: int, seed: int) -> np.ndarray:
    g = np.random.default_rng(seed)
    q = g.standard_normal((n, n))
    return q @ q.T / n + np.eye(n)


INVERSE = {
    "name": "given",
    "iterations": 60,
    "dtype": "f64",
    "problem": {"kind": "inverse"},
    "optimizer": {"kind": "adam", "lr": 0.05},
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_numpy_matrix_runs_as_the_same_matrix_through_an_npy_file(dtype, tmp_path: Path) -> None:
    a = random_spd(5, 1).astype(dtype)
    np.save(tmp_path / "a.npy", a)
    from_file = descent.run(INVERSE, set={"problem.matrix": {"npy": str(tmp_path / "a.npy")}}, out=tmp_path / "file")
    from_memory = descent.run(INVERSE, matrices={"problem.matrix": a}, out=tmp_path / "memory")
    for name in ["metrics.csv", "result.npy"]:
        assert (from_file.dir / name).read_bytes() == (from_memory.dir / name).read_bytes(), name
    # The matrix is kept with the run, which re-runs from its directory alone.
    assert f'npy = "{from_memory.dir / "given_problem.matrix.npy"}"' in from_memory.config
    again = descent.run(from_memory.dir / "config.toml", out=tmp_path / "again")
    assert (again.dir / "metrics.csv").read_bytes() == (from_file.dir / "metrics.csv").read_bytes()
    # And the linear system's right-hand side.
    b = np.arange(1.0, 6.0).astype(dtype)
    np.save(tmp_path / "b.npy", b)
    system = {**INVERSE, "problem": {"kind": "linear_system", "a": {"npy": str(tmp_path / "a.npy")}}}
    from_file = descent.run(system, set={"problem.b": {"npy": str(tmp_path / "b.npy")}}, out=tmp_path / "bfile")
    from_memory = descent.run(system, matrices={"problem.b": b}, out=tmp_path / "bmemory")
    assert (from_file.dir / "metrics.csv").read_bytes() == (from_memory.dir / "metrics.csv").read_bytes()


def test_c_and_fortran_ordered_arrays_agree(tmp_path: Path) -> None:
    a = random_spd(6, 2) + np.triu(np.ones((6, 6)))  # not symmetric: the order shows
    wide = np.zeros((6, 12))
    wide[:, ::2] = a
    runs = [
        descent.run(INVERSE, matrices={"problem.matrix": m}, out=tmp_path / name)
        for name, m in [
            ("c", np.ascontiguousarray(a)),
            ("f", np.asfortranarray(a)),
            ("strided", wide[:, ::2]),
        ]
    ]
    assert np.asfortranarray(a).flags.f_contiguous and not wide[:, ::2].flags.contiguous
    first = (runs[0].dir / "metrics.csv").read_bytes()
    for r in runs[1:]:
        assert (r.dir / "metrics.csv").read_bytes() == first
        assert same_bits(r.result["X"], runs[0].result["X"])
    # The run inverted a, not its transpose.
    assert np.abs(runs[0].result["X"] @ a - np.eye(6)).max() < np.abs(runs[0].result["X"] @ a.T - np.eye(6)).max()


def test_a_bad_config_raises_config_error_with_the_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "configs/diag4.toml").read_text().replace("lr = ", "lr = -", 1))
    cli = xtask("run", str(bad), "--quiet", "--out", str(tmp_path / "cli"))
    assert cli.returncode != 0
    with pytest.raises(descent.ConfigError) as caught:
        descent.run(bad, out=tmp_path / "py")
    e = caught.value
    assert cli.stderr.strip() == f"error: {e}"
    assert e.file == str(bad) and e.key == "optimizer.lr" and e.line is not None
    assert bad.read_text().splitlines()[e.line - 1].lstrip().startswith("lr = -")
    assert not (tmp_path / "py").exists(), "a refused config writes nothing"
    with pytest.raises(descent.ConfigError) as caught:
        descent.run(INVERSE, matrices={"problem.nope": np.eye(2)})
    assert caught.value.key == "problem.nope"
    with pytest.raises(descent.ConfigError, match="`problem.matrix`: missing key"):
        descent.run(INVERSE)
    with pytest.raises(descent.ConfigError, match="`problem.matrix`.*NaN|`problem.matrix`.*finite"):
        descent.run(INVERSE, matrices={"problem.matrix": np.array([[1.0, np.nan], [0.0, 1.0]])})
    with pytest.raises(TypeError, match="problem.matrix"):
        descent.run(INVERSE, matrices={"problem.matrix": np.eye(2, dtype=complex)})


def test_a_diverging_run_warns_and_keeps_its_files(tmp_path: Path) -> None:
    with pytest.warns(RuntimeWarning, match="diverged|overflow|not finite"):
        run = descent.run(ROOT / "configs/diag4.toml", set={"optimizer.lr": 50.0}, out=tmp_path / "run")
    assert run.summary["stop_reason"] == "diverged"
    assert (run.dir / "metrics.csv").is_file() and (run.dir / "report.html").is_file()


LONG = {"iterations": 200_000_000, "metrics_every": 100_000, "log_every": 0}


def test_keyboard_interrupt_stops_a_long_run_leaving_complete_files(tmp_path: Path) -> None:
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt, match="files are complete"):
        descent.run(ROOT / "configs/diag4.toml", set=LONG, out=tmp_path / "run")
    assert time.monotonic() - started < 30, "the run did not stop soon after Ctrl-C"
    timer.join()
    summary = json.loads((tmp_path / "run/summary.json").read_text())
    assert summary["stop_reason"] == "interrupted"
    assert 0 < summary["iterations"] < LONG["iterations"]
    metrics = descent._read_metrics(tmp_path / "run/metrics.csv")
    assert metrics["iteration"][-1] == summary["iterations"] - 1, "the last iteration's row is written"
    assert np.load(tmp_path / "run/result.npy").shape == (4, 4)
    assert (tmp_path / "run/report.html").is_file()
    # Nothing half-written is left: every file is written to a temporary name and renamed.
    assert not [p for p in (tmp_path / "run").iterdir() if "tmp" in p.name]


def test_the_gil_is_released_while_a_run_computes(tmp_path: Path) -> None:
    done = threading.Event()
    errors = []

    def work() -> None:
        try:
            descent.run(ROOT / "configs/diag4.toml", set={**LONG, "iterations": 1_500_000}, out=tmp_path / "run")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            done.set()

    worker = threading.Thread(target=work)
    worker.start()
    ticks, gaps, last = 0, [], time.monotonic()
    while not done.is_set():
        sum(range(1000))  # Python bytecode: needs the GIL
        now = time.monotonic()
        gaps.append(now - last)
        last, ticks = now, ticks + 1
    worker.join()
    assert not errors, errors
    run_seconds = json.loads((tmp_path / "run/summary.json").read_text())["wall_seconds"]
    assert run_seconds > 0.2, "the run was too short to tell"
    assert max(gaps) < run_seconds / 2, f"this thread stalled {max(gaps):.3f} s of a {run_seconds:.3f} s run"


def test_the_theory_and_the_list_are_the_command_lines(tmp_path: Path) -> None:
    config = ROOT / "configs/diag4.toml"
    lines = xtask("theory", str(config)).stdout.splitlines()
    theory = descent.theory(config)
    assert len(lines) == len(theory)
    for line, (label, value) in zip(lines, theory.items()):
        assert line.startswith(label) and line.endswith(value) and line[len(label):-len(value)].strip() == ""
    listed = xtask("list").stdout
    parts = descent.list()
    assert {p.section for p in parts} >= {"optimizer", "schedule", "loss", "problem"}
    for p in parts:
        assert f"  {p.kind} " in listed, p.kind
    adam = next(p for p in parts if p.section == "optimizer" and p.kind == "adam")
    assert adam.defaults["betas"] == [0.9, 0.999]  # torch's defaults


def test_a_sweep_runs_each_point_as_a_single_run_does(tmp_path: Path) -> None:
    config = ROOT / "configs/diag4.toml"
    sweep = descent.sweep(config, grid={"optimizer.lr": [0.1, 0.4]}, jobs=1, out=tmp_path / "sweep")
    rows = sweep.rows
    assert [r["optimizer.lr"] for r in rows] == [0.1, 0.4]
    for r in rows:
        single = descent.run(config, set={"optimizer.lr": r["optimizer.lr"]}, out=tmp_path / f"single-{r['run']}")
        assert r["final_loss"] == single.summary["final_loss"]
    assert "<iframe" in sweep._repr_html_()
    with pytest.raises(descent.DescentError, match="seeds must be at least 1"):
        descent.sweep(config, seeds=0, out=tmp_path / "none")
    with pytest.raises(descent.DescentError, match="nothing to sweep"):
        descent.sweep(config, out=tmp_path / "none")


def test_the_report_shows_inline(tmp_path: Path) -> None:
    run = descent.run(ROOT / "configs/diag4.toml", out=tmp_path / "run")
    page = run._repr_html_()
    assert page.startswith("<iframe srcdoc=") and "&lt;svg" in page


def test_the_metrics_convert_to_pandas(tmp_path: Path) -> None:
    pytest.importorskip("pandas", reason="pandas is optional")
    run = descent.run(ROOT / "configs/diag4.toml", out=tmp_path / "run")
    frame = run.metrics.to_pandas()
    assert list(frame.columns) == list(run.metrics) and len(frame) == 100
    assert (frame["loss"].to_numpy() == run.metrics["loss"]).all()


def test_the_stubs_match_the_module() -> None:
    stub = ast.parse((Path(descent.__file__).parent / "_descent.pyi").read_text())
    functions = {f.name: [a.arg for a in f.args.args] for f in stub.body if isinstance(f, ast.FunctionDef)}
    native = {n for n in dir(descent._descent) if callable(getattr(descent._descent, n)) and not n[0].isupper() and not n.startswith("_")}
    assert set(functions) == native
    for name, params in functions.items():
        assert list(inspect.signature(getattr(descent._descent, name)).parameters) == params, name
    classes = {c.name for c in stub.body if isinstance(c, ast.ClassDef)}
    assert classes == {"DescentError", "ConfigError"}
    assert issubclass(descent.ConfigError, descent.DescentError)


def test_the_notebook_runs_top_to_bottom(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "examples/notebook.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert (tmp_path / "runs").is_dir(), "the notebook's runs go where it runs"
