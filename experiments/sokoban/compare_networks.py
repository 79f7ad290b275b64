"""Sokoban networks side by side on the first Boxoban test levels, under a node budget.

    python experiments/sokoban/compare_networks.py DIR [DIR ...] [--count 50] [--max-nodes 50000]
        [--weight 0.6] [--batch-size 100] [--floor pushes] [--scale 1.0]

Each model folder (a training run's ``model`` or one of its ``evals/step-N``) solves the same
levels with Q* (λ, B as given) until a goal or ``--max-nodes`` generated nodes: a budget, not a
time limit, so that machine load cannot change who solves what.  Printed per network: levels
solved, optimal among them (optimal-costs.txt), mean cost against the optimum and DeepCubeA's on
the levels every network solved, and mean nodes on those levels (torch, fp32, one thread).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

import qsolve
from qsolve.networks.heuristic import load_heuristic

DATA = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "boxoban"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--max-nodes", type=int, default=50_000)
    parser.add_argument("--weight", type=float, default=0.6)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--floor", help="a classical heuristic that raises the estimates")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain("sokoban")
    lines = (args.data / "unfiltered-test.txt").read_text().splitlines()
    levels = [domain.parse_state(t) for _, _, t in domain.split_file(enumerate(lines, 1))]
    starts = np.stack(levels[: args.count])
    optimum = np.loadtxt(args.data / "optimal-costs.txt")[: args.count]
    deepcubea = np.loadtxt(args.data / "deepcubea-costs.txt")[: args.count]
    rows = []
    for folder in args.models:
        h = load_heuristic(
            folder,
            domain,
            "cpu",
            scale=args.scale,
            precision="fp32",
            engine="torch",
            floor=args.floor,
        )
        results = qsolve.solve(
            domain,
            starts,
            heuristic=h,
            weight=args.weight,
            batch_size=args.batch_size,
            max_nodes=args.max_nodes,
            time_limit=None,  # the budget alone: no time limit that load could reach first
        )
        solved = np.array([r.solved for r in results])
        cost = np.array([r.cost if r.solved else np.inf for r in results])
        nodes = np.array([r.nodes_generated for r in results])
        rows.append((folder, solved, cost, nodes))
    every = np.logical_and.reduce([solved for _, solved, _, _ in rows])
    print(
        f"first {args.count} test levels, Q* λ = {args.weight:g}, B = {args.batch_size}, "
        f"{args.max_nodes:,} nodes at most, floor {args.floor}, scale {args.scale:g}; "
        f"means over the {every.sum()} levels every network solved"
    )
    print(f"optimum there {optimum[every].mean():.2f}, DeepCubeA {deepcubea[every].mean():.2f}")
    print("| network | solved | optimal | mean cost | mean nodes |")
    print("|---|---|---|---|---|")
    for folder, solved, cost, nodes in rows:
        optimal = int((cost[solved] == optimum[solved]).sum())
        print(
            f"| {folder} | {solved.sum()} of {args.count} | {optimal} | "
            f"{cost[every].mean():.2f} | {nodes[every].mean():,.0f} |"
        )


if __name__ == "__main__":
    main()
