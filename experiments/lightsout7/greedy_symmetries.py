"""Greedy descent on the DeepCubeA lightsout7 boards with a network averaged over the first k of
the board's 8 symmetries, k = 1, 2, 4, 8 (the shipped model averages over all 8).

    .venv/bin/python experiments/lightsout7/greedy_symmetries.py [MODEL_DIR] [--count 500]

From each board, press argmin_a Q(s, a) until the board is dark (at most 60 presses); a board is
solved optimally when that took its optimal number of presses.  "press k: optimal" is the share of
the boards still lit at their k-th press whose press is in an optimal solution.  Also prints, on uniformly random
boards, how often argmin Q is a press of the optimal solution and how far min Q is from the
optimum (mean and sd), for the plain and the 8-fold averaged network.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from rich.console import Console
from rich.table import Table

import qsolve
from qsolve.bench import read_deepcubea
from qsolve.domains.lightsout import LightsOut

MAX_PRESSES = 60


def averaged_q(heuristic, maps, states: np.ndarray) -> np.ndarray:
    """Q averaged over ``maps``: action ``actions[i]`` of s takes output i on s[:, cells]."""
    q = np.zeros((len(states), heuristic.domain.num_actions))
    for cells, actions in maps:
        q[:, actions] += heuristic.q_values(states[:, cells])
    return q / len(maps)


def greedy(
    domain: LightsOut, heuristic, maps, states: np.ndarray
) -> tuple[np.ndarray, list[float]]:
    """Presses taken to dark by greedy descent (-1 where not dark after ``MAX_PRESSES``), and at
    each press, the share of the boards still lit whose press is in an optimal solution."""
    states = states.copy()
    presses = np.zeros(len(states), dtype=np.int64)
    right = []
    for _ in range(MAX_PRESSES):
        active = np.flatnonzero(~domain.is_goal(states))
        if len(active) == 0:
            break
        best = averaged_q(heuristic, maps, states[active]).argmin(axis=1)
        right.append(float(domain.presses(states[active])[np.arange(len(active)), best].mean()))
        states[active] = domain.step(states[active], best)
        presses[active] += 1
    return np.where(domain.is_goal(states), presses, -1), right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="model folder (default: the shipped model)")
    parser.add_argument("--count", type=int, default=500, help="DeepCubeA boards (default 500)")
    parser.add_argument("--uniform", type=int, default=2000, help="uniform boards (default 2000)")
    args = parser.parse_args()
    domain = qsolve.domain("lightsout7")
    assert isinstance(domain, LightsOut)
    heuristic = qsolve.load_heuristic(args.model, domain, precision="fp32", symmetries=False)
    maps = domain.symmetries()
    states, optimal = read_deepcubea("lightsout7", args.count)
    table = Table(title=f"greedy on the first {len(states)} DeepCubeA lightsout7 boards")
    shown = (1, 5, 10, 15, 20, 25)
    columns = ["symmetries", "solved", "optimal"]
    columns += [f"press {p}: optimal" for p in shown]
    for column in columns:
        table.add_column(column, justify="right")
    for k in (1, 2, 4, 8):
        presses, right = greedy(domain, heuristic, maps[:k], states)
        table.add_row(
            str(k),
            f"{np.mean(presses >= 0):.1%}",
            f"{np.mean(presses == optimal):.1%}",
            *(f"{right[p - 1]:.0%}" if p <= len(right) else "-" for p in shown),
        )
    Console(width=140).print(table)

    rng = np.random.default_rng(0)
    uniform = rng.integers(0, 2, size=(args.uniform, domain.state_dim)).astype(domain.dtype)
    on_path = domain.presses(uniform).astype(bool)
    best = on_path.sum(axis=1)
    table = Table(title=f"{args.uniform} uniformly random boards (optimum mean {best.mean():.2f})")
    for column in ("symmetries", "argmin Q optimal", "min Q - optimum: mean", "sd"):
        table.add_column(column, justify="right")
    for k in (1, 8):
        q = averaged_q(heuristic, maps[:k], uniform)
        error = q.min(axis=1) - best
        hit = on_path[np.arange(len(uniform)), q.argmin(axis=1)]
        table.add_row(str(k), f"{hit.mean():.1%}", f"{error.mean():+.2f}", f"{error.std():.2f}")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
