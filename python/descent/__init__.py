"""descent: linear algebra by gradient descent, from Python and Jupyter.

The same experiments and files as ``cargo xtask``: a run from here writes the run directory the
command line writes (config.toml, metrics.csv, summary.json, result*.npy, the pictures and
report.html), bit for bit, and :class:`Run` reads it back as dicts and numpy arrays::

    import descent
    run = descent.run("configs/diag4.toml", set={"iterations": 200})
    run.summary["rel_error"], run.metrics["loss"][-1], run.result["X"]

A config is a TOML file or a dict with the same keys (``docs/config.md``); ``set`` overrides keys
as ``--set`` does; ``matrices`` hands numpy arrays to the problem without writing a file. A run
computes with the GIL released; Ctrl-C stops it cleanly after the current iteration (the files
are complete) and raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import csv
import html
import json
import math
import numbers
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

# The thread counts `cargo xtask` fixes before any thread starts (descent_lab::cli::prepare): one
# thread for candle's element-wise operations, every allowed CPU for the matrix products, and the
# variable set so that candle does not read the CPU list at every product. Set before the Rust
# module loads; a value already in the environment wins.
os.environ.setdefault("CANDLE_NUM_THREADS", "1")
if "RAYON_NUM_THREADS" not in os.environ:
    _cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    os.environ["RAYON_NUM_THREADS"] = str(_cpus or 1)

import numpy as np

from . import _descent
from ._descent import ConfigError, DescentError, __version__

__all__ = [
    "ConfigError",
    "DescentError",
    "Metrics",
    "Part",
    "Run",
    "Sweep",
    "list",
    "run",
    "sweep",
    "theory",
    "__version__",
]

_builtin_list = list

Config = Union[str, "os.PathLike[str]", Mapping[str, Any]]
"""A config: the path of a TOML file, or a dict with the same keys."""

#: The name a file names a dict config by in messages.
DICT_FILE = "<dict>"


def _toml_key(key: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise."""
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return json.dumps(key, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any, where: str) -> str:
    """A Python value as a TOML value (inline tables and arrays for dicts and lists)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if isinstance(value, (str, os.PathLike)):
        # JSON's escapes are TOML's, but for DEL, which TOML wants escaped too.
        return json.dumps(os.fspath(value), ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Mapping):
        items = (f"{_toml_key(str(k))} = {_toml_value(v, f'{where}.{k}')}" for k, v in value.items())
        return "{ " + ", ".join(items) + " }"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (_builtin_list, tuple)):
        return "[" + ", ".join(_toml_value(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    raise TypeError(f"`{where}`: {type(value).__name__} has no TOML form (give a number, string, bool, list or dict)")


def _config_args(config: Config) -> tuple[str, Optional[str]]:
    """The file (for messages and relative paths) and the text of a config: a dict becomes
    TOML text, named ``<dict>``, with ``name = "run"`` unless it has a name."""
    if isinstance(config, Mapping):
        table = dict(config)
        table.setdefault("name", "run")
        lines = [f"{_toml_key(str(k))} = {_toml_value(v, str(k))}" for k, v in table.items()]
        return DICT_FILE, "\n".join(lines) + "\n"
    if isinstance(config, (str, os.PathLike)):
        return os.fspath(config), None
    raise TypeError(f"config: give the path of a TOML file or a dict, not {type(config).__name__}")


def _sets(set: Union[None, Mapping[str, Any], Iterable[str]]) -> _builtin_list[str]:
    """``--set`` overrides from a dict of dotted keys (or ``key=value`` strings, as on the
    command line)."""
    if set is None:
        return []
    if isinstance(set, Mapping):
        return [f"{k}={_toml_value(v, str(k))}" for k, v in set.items()]
    if isinstance(set, str):
        return [set]
    return [str(s) for s in set]


def _matrix(key: str, value: Any) -> np.ndarray:
    """An array a run can read: float32 or float64 (integers and bools widened to float64,
    exactly, as from an .npy file), 1-D as one column, in any memory order."""
    a = np.asarray(value)
    if a.dtype.kind in "biu" or a.dtype == np.float16:
        a = a.astype(np.float64)
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"matrices[{key!r}]: an array of numbers is needed, got dtype {a.dtype}")
    if a.ndim == 1:
        a = a[:, np.newaxis]
    if a.ndim != 2:
        raise ValueError(f"matrices[{key!r}]: a matrix (1-D or 2-D) is needed, got shape {a.shape}")
    return a


class Metrics(dict):
    """metrics.csv as a dict: one numpy array per column (``iteration`` as int64, the others
    float64, an empty cell as NaN)."""

    def to_pandas(self) -> "Any":
        """The columns as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Metrics.to_pandas needs pandas: pip install pandas") from e
        return pd.DataFrame(dict(self))


def _read_metrics(path: Path) -> Metrics:
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        columns: _builtin_list[_builtin_list[str]] = [[] for _ in header]
        for row in reader:
            for column, cell in zip(columns, row):
                column.append(cell)
    metrics = Metrics()
    for name, cells in zip(header, columns):
        if name == "iteration":
            metrics[name] = np.array([int(c) for c in cells], dtype=np.int64)
        else:
            metrics[name] = np.array([float(c) if c else math.nan for c in cells], dtype=np.float64)
    return metrics


def _inline_page(page: Path, height: int) -> str:
    """A self-contained page of descent's (report.html, sweep.html) in an iframe, so that its
    style stays out of the notebook's."""
    text = page.read_text(encoding="utf-8")
    return (
        f'<iframe srcdoc="{html.escape(text, quote=True)}" '
        f'style="width:100%;height:{height}px;border:1px solid #ddd" '
        f'title="{html.escape(str(page))}"></iframe>'
    )


class Run:
    """A finished run: its directory and what it wrote there, read on first use."""

    def __init__(self, dir: Union[str, "os.PathLike[str]"], results: Mapping[str, str]):
        #: The run directory.
        self.dir = Path(dir)
        self._results = dict(results)
        self._summary: Optional[dict] = None
        self._metrics: Optional[Metrics] = None

    @property
    def summary(self) -> dict:
        """summary.json as a dict."""
        if self._summary is None:
            self._summary = json.loads((self.dir / "summary.json").read_text(encoding="utf-8"))
        return self._summary

    @property
    def metrics(self) -> Metrics:
        """metrics.csv as a dict of numpy arrays, one per column (``.to_pandas()`` for a
        DataFrame)."""
        if self._metrics is None:
            self._metrics = _read_metrics(self.dir / "metrics.csv")
        return self._metrics

    @property
    def result(self) -> dict:
        """Each parameter's final value by name (``X``; ``U``, ``S``, ``V`` for an SVD), as
        written in result*.npy, in the run's dtype."""
        return {name: np.load(self.dir / file) for name, file in self._results.items()}

    @property
    def config(self) -> str:
        """The resolved config the run used (config.toml), every default filled in."""
        return (self.dir / "config.toml").read_text(encoding="utf-8")

    def _repr_html_(self) -> str:
        return _inline_page(self.dir / "report.html", 760)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<descent.Run {s['name']}: {s['problem']} by {s['optimizer']}, stopped ({s['stop_reason']}) after "
            f"{s['iterations']} iterations, final loss {s['final_loss']:.4g}, relative error "
            f"{s['rel_error']:.3g}, in {self.dir}>"
        )


def run(
    config: Config,
    *,
    set: Union[None, Mapping[str, Any], Iterable[str]] = None,
    out: Union[None, str, "os.PathLike[str]"] = None,
    matrices: Optional[Mapping[str, Any]] = None,
    quiet: bool = True,
    png: bool = False,
    runs_root: Union[str, "os.PathLike[str]"] = "runs",
) -> Run:
    """Run the experiment a config describes, as ``cargo xtask run`` does, and return it.

    config: the path of a TOML file, or a dict with the same keys (``{"iterations": 100,
        "problem": {"kind": "inverse", "matrix": {"diag": [1, 2, 3, 4]}}}``).
    set: overrides by dotted key, as ``--set``: ``{"optimizer.lr": 0.1}``.
    out: the run directory (must not exist or be empty); default ``runs_root/<name>/NNN``.
    matrices: numpy arrays by the config key they fill (``"problem.matrix"``, ``"problem.b"``),
        float32 or float64 in any memory order, read as an .npy file of the same array would be.
    quiet: print nothing (the console lines go to the process's stdout, not a notebook's cell).
    png: also write every picture as PNG.

    Raises :class:`ConfigError` for a bad config (the message of the command line, with
    ``file``, ``line``, ``key`` and ``reason``), :class:`DescentError` when the run cannot start
    or finish, and ``KeyboardInterrupt`` on Ctrl-C once the run's files are complete. A run that
    diverges returns normally, with a ``RuntimeWarning``, its files written up to the divergence.
    """
    file, text = _config_args(config)
    given = {str(k): _matrix(str(k), v) for k, v in (matrices or {}).items()}
    dir, stop_reason, _iterations, message, results = _descent.run(
        file,
        text,
        _sets(set),
        None if out is None else os.fspath(out),
        os.fspath(runs_root),
        given,
        quiet,
        png,
    )
    if stop_reason == "diverged":
        warnings.warn(
            f"{file}: {message or 'the run diverged'} (files of the partial run are in {dir})",
            RuntimeWarning,
            stacklevel=2,
        )
    return Run(dir, dict(results))


class Sweep:
    """A finished sweep: its directory and sweep.csv's rows."""

    def __init__(self, dir: Union[str, "os.PathLike[str]"]):
        #: The sweep directory.
        self.dir = Path(dir)

    @property
    def rows(self) -> _builtin_list[dict]:
        """sweep.csv's rows, numbers as numbers."""
        with open(self.dir / "sweep.csv", newline="") as f:
            rows = _builtin_list(csv.DictReader(f))
        for row in rows:
            for k, v in row.items():
                try:
                    row[k] = int(v)
                except ValueError:
                    try:
                        row[k] = float(v)
                    except ValueError:
                        pass
        return rows

    def _repr_html_(self) -> str:
        return _inline_page(self.dir / "sweep.html", 760)

    def __repr__(self) -> str:
        return f"<descent.Sweep of {len(self.rows)} runs in {self.dir}>"


def sweep(
    config: Union[str, "os.PathLike[str]"],
    *,
    grid: Optional[Mapping[str, Iterable[Any]]] = None,
    seeds: Optional[int] = None,
    jobs: Optional[int] = None,
    set: Union[None, Mapping[str, Any], Iterable[str]] = None,
    out: Union[None, str, "os.PathLike[str]"] = None,
    png: bool = False,
) -> Sweep:
    """Run the cartesian product of a grid of config values, as ``cargo xtask sweep`` does.

    config: the path of a TOML file (its ``[sweep]`` table, if any, gives a grid, seeds and jobs).
    grid: axes by dotted key: ``{"optimizer.lr": [0.01, 0.1, 0.5]}`` (each replaces the config's
        axis of the same key).
    seeds: runs per grid point, with seeds seed, seed + 1, ...
    jobs: runs at a time (default: the config's ``sweep.jobs``, else the number of CPUs).

    Raises :class:`ConfigError` or :class:`DescentError` as :func:`run` does; a run that fails
    or diverges is recorded in sweep.csv and the others go on.
    """
    if isinstance(config, Mapping):
        raise TypeError("sweep: give the path of a TOML file (a dict config is for descent.run)")
    axes = [f"{k}={_toml_value(_builtin_list(v), str(k))}" for k, v in (grid or {}).items()]
    dir, _runs, _unfinished = _descent.sweep(
        os.fspath(config),
        axes,
        seeds,
        jobs,
        _sets(set),
        None if out is None else os.fspath(out),
        png,
    )
    return Sweep(dir)


def theory(
    config: Config,
    *,
    set: Union[None, Mapping[str, Any], Iterable[str]] = None,
    matrices: Optional[Mapping[str, Any]] = None,
) -> dict:
    """What the theory says of a config without running it, as ``cargo xtask theory`` prints
    it: the Hessian's spectrum, the stable and optimal lr (and momentum), the predicted loss and
    the iterations to the tolerance, as a dict of label to text. ``config``, ``set`` and
    ``matrices`` as for :func:`run`."""
    file, text = _config_args(config)
    given = {str(k): _matrix(str(k), v) for k, v in (matrices or {}).items()}
    return dict(_descent.theory(file, text, _sets(set), given))


@dataclass(frozen=True)
class Part:
    """A part a config can name: its section (``optimizer``), kind (``adam``), summary, and
    defaults (None when it has required keys)."""

    section: str
    kind: str
    summary: str
    defaults: Optional[dict]


def list() -> _builtin_list[Part]:
    """Every optimizer, schedule, transform, loss and problem a config can name, as
    ``cargo xtask list`` shows them."""
    return [
        Part(section, kind, summary, None if defaults is None else json.loads(defaults))
        for section, kind, summary, defaults in _descent.parts()
    ]
