"""The start states of the benchmarks: random walks from the goal and the DeepCubeA test sets,
and ``solve_each``, which solves such states one at a time and replays the solutions."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from qsolve.api import solve
from qsolve.domains import Domain, get_domain
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


# Sets whose file holds states alone (no optimal cost is known): the reference is DeepCubeA's own
# solution cost for each state, line by line in ``<set>-deepcubea-costs.txt`` beside it.
REFERENCE_IS_DEEPCUBEA = ("puzzle35", "puzzle48")


def read_reference_set(
    name: str, count: int, offset: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """``count`` states of a DeepCubeA test set from line ``offset`` on, a reference cost for
    each, and what the reference is: ``"optimum"`` (``read_deepcubea``), or ``"DeepCubeA"`` for
    the sets of ``REFERENCE_IS_DEEPCUBEA``."""
    if name not in REFERENCE_IS_DEEPCUBEA:
        states, costs = read_deepcubea(name, count, offset)
        return states, costs, "optimum"
    folder = deepcubea_dir()
    path, costs_path = folder / f"{name}.txt", folder / f"{name}-deepcubea-costs.txt"
    try:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        words = costs_path.read_text().split()
    except OSError as error:
        raise QsolveError(f"cannot read the {name} set in {folder}: {error.strerror}") from None
    chosen = lines[offset : offset + count]
    if not chosen:
        raise QsolveError(f"{path}: no states from line {offset + 1} on")
    if len(words) < offset + len(chosen):
        raise QsolveError(f"{costs_path}: {len(words)} costs for {offset + len(chosen)} states")
    domain = get_domain(name)
    try:
        states = np.stack([domain.parse_state(line) for line in chosen])
        costs = np.array([float(word) for word in words[offset : offset + len(chosen)]])
    except (QsolveError, ValueError) as error:
        raise QsolveError(f"{path}: {error}") from None
    return states, costs, "DeepCubeA"


def solve_each(
    domain: Domain, states: np.ndarray, heuristic: Any, **limits: Any
) -> list[tuple[bool, float, int, float]]:
    """(solved, cost, nodes generated, seconds) per ``[N, D]`` state, each solved alone with the
    model's recommended search and ``limits`` (``time_limit``, ``max_nodes``); every reported
    solution is replayed to the goal."""
    rows = []
    for state in states:
        started = time.perf_counter()
        [result] = solve(domain, state[None, :], heuristic=heuristic, **limits)
        seconds = time.perf_counter() - started
        if result.solved:
            end = domain.apply_moves(state, list(result.actions))
            assert domain.is_goal(end[None, :])[0], "a reported solution does not reach the goal"
        rows.append((bool(result.solved), float(result.cost), result.nodes_generated, seconds))
    return rows
