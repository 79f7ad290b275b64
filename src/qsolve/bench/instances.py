"""The start states of the benchmarks: random walks from the goal, the DeepCubeA test sets and the
Boxoban levels; and ``solve_each``, which solves such states one at a time and replays the
solutions."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
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


# The Boxoban files (DeepMind's Sokoban levels) in $QSOLVE_BENCHMARKS/boxoban, by set name; only
# the test file has known costs, a line per level: the optimum's and DeepCubeA's.
BOXOBAN_FILES = {"test": "unfiltered-test.txt", "hard": "hard.txt"}
BOXOBAN_COSTS = {"optimum": "optimal-costs.txt", "deepcubea": "deepcubea-costs.txt"}


def boxoban_dir() -> Path:
    """Where the Boxoban levels are: $QSOLVE_BENCHMARKS/boxoban, else ../shared/benchmarks."""
    return deepcubea_dir().parent / "boxoban"


@dataclass
class BoxobanLevel:
    """One level of a set: its place in the file (from 0), name, state ``[D]`` and known costs."""

    index: int
    label: str
    state: np.ndarray
    optimum: float = math.nan
    deepcubea: float = math.nan


def read_costs(path: Path, expected: int) -> np.ndarray:
    """``[expected]`` float64: one cost a line, as many lines as the set has levels."""
    try:
        costs = np.array([float(x) for x in path.read_text().split()])
    except ValueError as error:
        raise QsolveError(f"{path}: one cost a line ({error})") from None
    if len(costs) != expected:
        raise QsolveError(f"{path}: {len(costs)} costs for {expected} levels")
    return costs


def read_boxoban(
    name: str, count: int, offset: int = 0, folder: Path | None = None
) -> list[BoxobanLevel]:
    """Levels ``offset`` to ``offset + count`` of the Boxoban set ``name`` (``BOXOBAN_FILES``) in
    ``folder`` (default ``boxoban_dir()``), read with the sokoban domain's own file reader, with
    their optimal and DeepCubeA costs where the folder has them."""
    folder = boxoban_dir() if folder is None else folder
    file = folder / BOXOBAN_FILES[name]
    if not file.is_file():
        raise QsolveError(f"no Boxoban levels at {file} (set QSOLVE_BENCHMARKS)")
    domain = get_domain("sokoban")
    levels = list(domain.split_file(enumerate(file.read_text().splitlines(), 1)))
    known = {}
    if name == "test":
        for key, costs_file in BOXOBAN_COSTS.items():
            if (folder / costs_file).is_file():
                known[key] = read_costs(folder / costs_file, len(levels))
    out = []
    for index, (line, label, text) in enumerate(levels[offset : offset + count], offset):
        try:
            if isinstance(text, QsolveError):
                raise text
            state = domain.parse_state(text)
        except QsolveError as error:
            raise QsolveError(f"{file}, line {line} ({label}): {error}") from None
        costs = {key: float(values[index]) for key, values in known.items()}
        out.append(BoxobanLevel(index, label, state, **costs))
    if not out:
        raise QsolveError(f"{file}: no levels from level {offset + 1} on ({len(levels)} in all)")
    return out


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
