"""How far a model's heuristic is from the optimal cost on a DeepCubeA test set, by optimal cost.

    python benchmarks/value_gap.py --set cube3 [--model DIR ...] [--count N] [--walks 10 14 18]

For each model: h(s) = min_a Q(s, a) (or V(s)) on the set's states against their optimal costs
(puzzle35 and puzzle48: against DeepCubeA's solution costs, no optimum being known):
the mean error, its spread, the correlation, and the share of states where h overestimates, in
rows by optimal cost; with ``--walks``, the mean h on random walks of those lengths (each walk of
k moves is at most k from the goal).  A Q* search with a heuristic that is low by the same amount
everywhere still ranks well; one whose values flatten with depth (a low correlation) searches
widely on the deep states these sets are made of.  Several models in one run compare checkpoints
of one training (fp32 throughout, one thread).
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.bench import read_reference_set
from qsolve.errors import QsolveError

SETS = {"cube3": "cube3", "cube3-meta": "cube3", "puzzle15": "puzzle15", "puzzle24": "puzzle24"}
SETS["lightsout7"] = "lightsout7"
# No optimum is known for these: h* is DeepCubeA's own solution cost, an upper bound on it.
SETS.update(puzzle35="puzzle35", puzzle48="puzzle48")


def cost_groups(optimal: np.ndarray, most: int = 8) -> list[tuple[str, np.ndarray]]:
    """Rows of the table: each optimal cost, or ``most`` ranges of about equal size where the set
    has more distinct costs than that (puzzle24's 60 or so)."""
    costs = np.unique(optimal)
    if len(costs) <= most:
        return [(f"{c:g}", optimal == c) for c in costs]
    edges = np.unique(np.quantile(optimal, np.linspace(0, 1, most + 1)))
    bins = np.clip(np.searchsorted(edges, optimal, side="right") - 1, 0, len(edges) - 2)
    return [
        (f"{optimal[bins == b].min():g}-{optimal[bins == b].max():g}", bins == b)
        for b in range(len(edges) - 1)
        if (bins == b).any()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="cube3", choices=list(SETS))
    parser.add_argument(
        "--model", nargs="+", default=[None], help="model folders (default: the shipped model)"
    )
    parser.add_argument("--count", type=int, default=1000, help="states of the set (default 1000)")
    parser.add_argument("--walks", type=int, nargs="*", default=[], help="walk lengths to add")
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain(args.set)
    states, optimal, reference = read_reference_set(SETS[args.set], args.count)
    walks = [domain.random_walk(np.full(500, k), np.random.default_rng(k)) for k in args.walks]
    what = "optimum" if reference == "optimum" else "h* = DeepCubeA's cost,"
    print(f"{args.set}: first {len(states)} DeepCubeA states, {what} mean {optimal.mean():.2f}")
    header = "| model | h mean | error mean | error sd | corr | h > h* |"
    groups = cost_groups(optimal)
    header += "".join(f" h* {label} |" for label, _ in groups)
    header += "".join(f" walk {k} |" for k in args.walks)
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for model in args.model:
        heuristic = qsolve.load_heuristic(model, domain, precision="fp32", engine="torch")
        h = heuristic.values(states)
        error = h - optimal
        row = f"| {model or 'shipped'} | {h.mean():.2f} | {error.mean():+.2f} | {error.std():.2f} |"
        row += f" {np.corrcoef(h, optimal)[0, 1]:.3f} | {(error > 1e-6).mean():.1%} |"
        for _, members in groups:
            row += f" {h[members].mean():.2f} |"
        for walk in walks:
            row += f" {heuristic.values(walk).mean():.2f} |"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except QsolveError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
