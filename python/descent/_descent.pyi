"""Type stubs of the Rust half of descent (python/src/lib.rs); use the functions of `descent`."""

from typing import Optional

import numpy as np

__version__: str

class DescentError(Exception):
    """Something descent could not do: a run that could not start or finish."""

class ConfigError(DescentError):
    """A bad config, with the message of the command line."""

    file: str
    line: Optional[int]
    key: str
    reason: str

def run(
    file: str,
    text: Optional[str],
    sets: list[str],
    out: Optional[str],
    runs_root: str,
    matrices: dict[str, np.ndarray],
    quiet: bool,
    png: bool,
) -> tuple[str, str, int, Optional[str], list[tuple[str, str]]]:
    """Run a config; (dir, stop_reason, iterations, message, [(parameter, result file)])."""

def sweep(
    file: str,
    grid: list[str],
    seeds: Optional[int],
    jobs: Optional[int],
    sets: list[str],
    out: Optional[str],
    png: bool,
) -> tuple[str, int, int]:
    """Run a sweep; (dir, runs, runs that did not finish)."""

def theory(
    file: str, text: Optional[str], sets: list[str], matrices: dict[str, np.ndarray]
) -> list[tuple[str, str]]:
    """The theory's (label, value) lines for a config."""

def parts() -> list[tuple[str, str, str, Optional[str]]]:
    """Every part a config can name: (section, kind, summary, defaults as JSON or None)."""
