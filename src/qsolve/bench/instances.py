"""The start states of the benchmarks: random walks from the goal and the DeepCubeA test sets."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from qsolve.domains import get_domain
from qsolve.errors import QsolveError


def walks(domain_name: str, depths: list[int], per_depth: int, seed: int = 0) -> np.ndarray:
    domain = get_domain(domain_name)
    rng = np.random.default_rng(seed)
    return domain.random_walk(np.repeat(depths, per_depth), rng)


def deepcubea_dir() -> Path:
    """Where the DeepCubeA test sets are: $QSOLVE_BENCHMARKS, else ../shared/benchmarks."""
    root = os.environ.get("QSOLVE_BENCHMARKS") or str(Path.cwd().parent / "shared" / "benchmarks")
    return Path(root) / "deepcubea"


def read_deepcubea(domain_name: str, count: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` states of a DeepCubeA test set from line ``offset`` on, and their optimal costs."""
    path = deepcubea_dir() / f"{domain_name}.txt"
    if not path.is_file():
        raise QsolveError(f"no DeepCubeA test set at {path} (set QSOLVE_BENCHMARKS)")
    domain = get_domain(domain_name)
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    rows = [line.split() for line in lines][offset : offset + count]
    if not rows:
        raise QsolveError(f"{path}: no states from line {offset + 1} on")
    try:
        states = np.stack([domain.parse_state(" ".join(row[:-1])) for row in rows])
        costs = np.array([float(row[-1]) for row in rows])
    except (QsolveError, ValueError) as error:
        raise QsolveError(
            f"{path}: each line must hold a state and its optimal cost ({error})"
        ) from None
    return states, costs
