"""A Sokoban network with and without a floor, and the classical heuristic, on Boxoban levels.

    python experiments/sokoban/floor_search.py MODEL --set test|hard [--count 40] [--offset 0]
        SPEC [SPEC ...]

Each SPEC is ``λ,scale,floor`` (``1,0.8,pushes``; floor ``none`` for the network alone): Q* with
B = 100 over the network in MODEL scaled by ``scale`` and raised to ``floor`` (config.json's
``"floor"``, see docs/models.md); or ``pushes``: optimal batch A* (B = 100) over the classical
heuristic.  One process, one thread, the levels one at a time (``parallel=1``), 60 s each.
Printed per SPEC: solved, optimal (test set), mean cost against the optimum and DeepCubeA's on
the solved levels, mean nodes, mean, median and largest seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import torch

import qsolve
from qsolve.bench import read_boxoban
from qsolve.bench.instances import BOXOBAN_FILES
from qsolve.networks.heuristic import load_heuristic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("specs", nargs="+")
    parser.add_argument("--set", choices=list(BOXOBAN_FILES), default="test")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument(
        "--data", type=Path, default=None, help="default: qsolve.bench.boxoban_dir()"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain("sokoban")
    levels = read_boxoban(args.set, args.count, args.offset, args.data)
    starts = np.stack([level.state for level in levels])
    optimum = deepcubea = None
    if args.set == "test":
        optimum = np.array([level.optimum for level in levels])
        deepcubea = np.array([level.deepcubea for level in levels])
    for spec in args.specs:
        heuristic: Any
        options: dict[str, Any]
        if spec == "pushes":
            heuristic, options = "pushes", {"optimal": True}
        else:
            weight, scale, floor = spec.split(",")
            heuristic = load_heuristic(
                args.model, domain, floor=None if floor == "none" else floor, scale=float(scale)
            )
            options = {"weight": float(weight), "batch_size": 100}
        results = qsolve.solve(
            domain, starts, heuristic=heuristic, time_limit=60, parallel=1, **options
        )
        solved = np.array([r.solved for r in results])
        cost = np.array([r.cost for r in results])
        seconds = np.array([r.seconds for r in results])
        nodes = np.mean([r.nodes_generated for r in results])
        line = f"{spec}: solved {solved.sum()}/{len(starts)}"
        if optimum is not None and deepcubea is not None:
            line += (
                f", optimal {(cost[solved] == optimum[solved]).mean():.0%}, cost "
                f"{cost[solved].mean():.2f} (optimum {optimum[solved].mean():.2f}, DeepCubeA "
                f"{deepcubea[solved].mean():.2f})"
            )
        else:
            line += f", cost {cost[solved].mean():.2f}"
        line += (
            f", nodes {nodes:,.0f}, s mean {seconds.mean():.2f} median "
            f"{np.median(seconds):.2f} max {seconds.max():.1f}"
        )
        print(line, flush=True)


if __name__ == "__main__":
    main()
