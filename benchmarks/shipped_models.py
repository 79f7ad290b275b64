"""How the shipped models do on their instance sets: solve rate, optimality, effort (README table).

    python benchmarks/shipped_models.py [--domains puzzle8 cube2 ...] [--model puzzle8=runs/puzzle8]

puzzle8 and cube2: random states, optimum from the breadth-first oracle.  lightsout7 and puzzle15:
the DeepCubeA test sets in $QSOLVE_BENCHMARKS/deepcubea, else ../shared/benchmarks/deepcubea
(optimum on each line; first 100 states of puzzle15).  cube3 and cube3-meta: random walks of
several depths (solve rate against depth).  ``puzzle8-v`` and ``cube2-v``: the V networks of the DeepCubeA
baseline, with A*.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

import qsolve
from qsolve.bench import read_deepcubea
from qsolve.errors import QsolveError


@dataclass
class Setting:
    weight: float = 1.0
    batch_size: int = 1
    time_limit: float = 60.0
    count: int = 100


SETTINGS = {
    "puzzle8": Setting(count=200),
    "cube2": Setting(count=200),
    "lightsout7": Setting(count=500),
    "puzzle15": Setting(weight=0.4, batch_size=1000, count=100),
    "cube3": Setting(weight=0.6, batch_size=100, time_limit=10.0, count=10),
    "cube3-meta": Setting(weight=0.6, batch_size=100, time_limit=10.0, count=10),
    # The V networks of the DeepCubeA baseline, measured with A*.
    "puzzle8-v": Setting(count=200),
    "cube2-v": Setting(count=200),
}
CUBE3_DEPTHS = (4, 8, 12, 16, 20, 30)


def instances(
    name: str, count: int, seed: int, offset: int = 0
) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(label, [N, D] states, [N] optimal costs or None) for the domain's instance set."""
    domain = qsolve.domain(name)
    rng = np.random.default_rng(seed)
    if name in ("puzzle8", "cube2"):
        # A walk of 1000 random moves is as good as a uniformly random state for these small spaces.
        states = domain.random_walk(np.full(count, 1000), rng)
        optimal = qsolve.load_heuristic("oracle", domain).values(states)
        return [("random states", states, optimal)]
    if name in ("lightsout7", "puzzle15"):
        states, optimal = read_deepcubea(name, count, offset)
        first = f"lines {offset + 1}-{offset + len(states)}" if offset else "first"
        return [(f"deepcubea/{name}.txt {first}", states, optimal)]
    return [(f"walk {d}", domain.random_walk(np.full(count, d), rng), None) for d in CUBE3_DEPTHS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", nargs="+", default=list(SETTINGS), help="domains to measure")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        help="DOMAIN=DIR: measure DIR instead of the shipped model",
    )
    parser.add_argument("--count", type=int, help="instances per set (default: per domain)")
    parser.add_argument(
        "--weight", type=float, help="weight λ on the path cost (default: per domain)"
    )
    parser.add_argument("--batch-size", type=int, help="Q* batch size (default: per domain)")
    parser.add_argument(
        "--time-limit", type=float, help="seconds per state (default: per domain, 60)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for the random instances (default 0)"
    )
    parser.add_argument(
        "--offset", type=int, default=0, help="skip this many lines of a DeepCubeA set (default 0)"
    )
    parser.add_argument(
        "--precision",
        nargs="+",
        choices=("auto", "fp32", "int8"),
        default=["fp32"],
        help="network arithmetic; several (fp32 int8) compare them in one run",
    )
    parser.add_argument(
        "--engine", default="auto", help="what runs the network: auto, torch or onnx"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models = dict(item.split("=", 1) for item in args.model)
    table = Table(title=f"Shipped models on this CPU (engine {args.engine})")
    for column in (
        "domain",
        "precision",
        "search",
        "instances",
        "n",
        "λ",
        "B",
        "scale",
        "solved",
        "optimal",
        "mean cost",
        "mean optimum",
        "nodes",
        "s/state",
    ):
        table.add_column(column, justify="left" if column in ("domain", "instances") else "right")
    for name in args.domains:
        s = SETTINGS[name]
        s = Setting(args.weight or s.weight, args.batch_size or s.batch_size, s.time_limit, s.count)
        domain_name = name.removesuffix("-v")
        algorithm = "astar" if name.endswith("-v") else "qstar"
        shipped = qsolve.shipped_model(qsolve.domain(domain_name))
        if shipped is not None and name.endswith("-v"):
            shipped = shipped.parent / name
        heuristic = models.get(name) or shipped
        if heuristic is None or not (Path(heuristic) / "config.json").is_file():
            table.add_row(name, "", algorithm, "no shipped model", *[""] * 10)
            continue
        sets = instances(domain_name, args.count or s.count, args.seed, args.offset)
        # Loaded once per domain and precision: every set is measured with the same weights.
        loaded = {
            precision: qsolve.load_heuristic(
                str(heuristic), domain_name, precision=precision, engine=args.engine
            )
            for precision in args.precision
        }
        for (label, states, optimal), precision in (
            (one, precision) for one in sets for precision in args.precision
        ):
            started = time.perf_counter()
            results = qsolve.solve(
                domain_name,
                states,
                heuristic=loaded[precision],
                algorithm=algorithm,
                weight=s.weight,
                batch_size=s.batch_size,
                time_limit=args.time_limit or s.time_limit,
                parallel=1,  # one at a time: each result's seconds are its own
            )
            seconds = (time.perf_counter() - started) / len(states)
            solved = np.array([r.solved for r in results])
            costs = np.array([r.cost for r in results])
            optimal_share = (
                "" if optimal is None else f"{np.mean(solved & (costs <= optimal + 1e-9)):.1%}"
            )
            table.add_row(
                name,
                f"{loaded[precision].engine.name} {loaded[precision].precision}",
                "A*" if algorithm == "astar" else "Q*",
                label,
                str(len(states)),
                f"{s.weight:g}",
                str(s.batch_size),
                f"{json.loads((Path(heuristic) / 'config.json').read_text()).get('scale', 1):g}",
                f"{solved.mean():.1%}",
                optimal_share,
                f"{costs[solved].mean():.2f}" if solved.any() else "-",
                "" if optimal is None else f"{optimal.mean():.2f}",
                f"{np.mean([r.nodes_generated for r in results]):,.0f}",
                f"{seconds:.2f}",
            )
    Console(width=160).print(table)


if __name__ == "__main__":
    try:
        main()
    except QsolveError as error:  # a missing test set or model: one line, status 2
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
