"""The shipped models on the standard hard test sets, with the command line's default search.

    python benchmarks/hard_sets.py [--sets cube3 cube3-meta lightsout7 puzzle15 puzzle24
                                           puzzle35 puzzle48]
                                   [--count N] [--time-limit S] [--model DOMAIN=DIR]
                                   [--precision auto|fp32|int8]

Each instance is solved alone on one core, as ``qsolve solve DOMAIN --state S`` would: no search
option is passed, so each model's recommended settings (its config.json ``search``) apply.  The
sets are DeepCubeA's (``$QSOLVE_BENCHMARKS/deepcubea``, else ``../shared/benchmarks/deepcubea``);
each line holds a state and its optimal cost, except puzzle35 and puzzle48, whose reference is
DeepCubeA's own solution cost of each state (``*-deepcubea-costs.txt``; no optimum is known).  The
table puts the targets and DeepCubeA's published figures beside what was measured.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

import qsolve
from qsolve import api
from qsolve.bench import read_reference_set, solve_each
from qsolve.bench.report import machine
from qsolve.errors import QsolveError

# set -> (file, instances measured, seconds per instance, target)
SETS = {
    "cube3": ("cube3", 100, 60.0, "≥ 99% solved, mean cost ≤ 22.0"),
    "cube3-meta": ("cube3", 100, 60.0, "≥ 99% solved, mean cost ≤ 22.0"),
    "lightsout7": ("lightsout7", 500, 10.0, "≥ 99% solved, ≥ 95% optimal"),
    "puzzle24": ("puzzle24", 100, 60.0, "≥ 95% solved, cost within 3%"),
    "puzzle15": ("puzzle15", 500, 60.0, "100% solved, ≥ 97% optimal"),
    "puzzle35": ("puzzle35", 100, 60.0, "≥ 99% solved, mean cost ≤ 1.03 × DeepCubeA's"),
    "puzzle48": ("puzzle48", 100, 120.0, "≥ 95% solved, mean cost ≤ 1.10 × DeepCubeA's"),
}
# DeepCubeA (its repository's re-run; ../shared/benchmarks/README.md): solved, mean cost, optimal,
# nodes, seconds per instance, on its GPUs.
DEEPCUBEA = {
    "cube3": "100%, 21.35, 65.0%, 8.19e6 nodes, 75.6 s",
    "cube3-meta": "100%, 21.35, 65.0%, 8.19e6 nodes, 75.6 s (cube3)",
    "lightsout7": "100%, 24.26, 100%, 1.14e6 nodes, 5.9 s",
    "puzzle24": "100%, 89.42, -, 6.38e6 nodes, 22.9 s",
    "puzzle15": "100%, 52.02, 100%, 3.28e6 nodes, 8.8 s",
    "puzzle35": "100%, 124.65, -, 9.26e6 nodes, 45.4 s (weight 0.8)",
    "puzzle48": "100%, 255.67, -, 1.98e7 nodes, 144.1 s (weight 0.6)",
}


def measure(
    name: str,
    count: int,
    time_limit: float,
    model: str | None,
    offset: int = 0,
    precision: str = "auto",
) -> dict[str, object]:
    file, _, _, _ = SETS[name]
    states, reference, kind = read_reference_set(file, count, offset)
    domain = qsolve.domain(name)
    # A puzzle with no model of its own is reduced, as the command line does (puzzle48).
    inner = api.reduction_target(domain, None, model)
    heuristic = qsolve.load_heuristic(model, inner or domain, precision=precision)
    engine = getattr(heuristic, "engine", None)
    network = f"{engine.name} {engine.precision}" if engine is not None else heuristic.name
    if inner is not None:
        network += f" (reduced to {inner.name})"
    rows = solve_each(domain, states, heuristic, time_limit=time_limit)
    solved = np.array([r[0] for r in rows])
    cost = np.array([r[1] for r in rows], dtype=float)
    return {
        "set": name,
        "network": network,
        "n": len(rows),
        "solved": solved.mean(),
        "optimal": (solved & (cost <= reference + 1e-9)).mean() if kind == "optimum" else None,
        "cost": cost[solved].mean() if solved.any() else float("nan"),
        "reference": reference[solved].mean() if solved.any() else float("nan"),
        "kind": kind,
        "nodes": float(np.mean([r[2] for r in rows])),
        "seconds": float(np.mean([r[3] for r in rows])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--count", type=int, help="instances per set (default: the target's)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many lines of each set")
    parser.add_argument("--time-limit", type=float, help="seconds per instance (default: target's)")
    parser.add_argument("--model", action="append", default=[], metavar="DOMAIN=DIR")
    parser.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "fp32", "int8"),
        help="the network's precision (default auto, as the command line: int8 only where the "
        "model's config.json has int8_checked and int8 is faster here)",
    )
    args = parser.parse_args()
    models = dict(item.split("=", 1) for item in args.model)
    torch.set_num_threads(1)
    table = Table(title=f"hard test sets, one core each, {machine()}, command-line defaults")
    for column in (
        "set",
        "network",
        "n",
        "solved",
        "optimal",
        "mean cost / reference",
        "nodes",
        "s/instance",
    ):
        table.add_column(column, justify="right")
    table.add_column("target")
    table.add_column("DeepCubeA (its GPUs)")
    markdown = [
        "| set | network | n | solved | optimal | mean cost / reference | nodes | s/instance | target "
        "| DeepCubeA |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    try:
        for name in args.sets:
            _, count, limit, target = SETS[name]
            r = measure(
                name,
                args.count or count,
                args.time_limit or limit,
                models.get(name),
                args.offset,
                args.precision,
            )
            optimal = "-" if r["optimal"] is None else f"{r['optimal']:.0%}"
            versus = "-" if not r["solved"] else f"{r['cost']:.2f} / {r['reference']:.2f}"
            if r["solved"] and r["kind"] != "optimum":
                versus += f" (DeepCubeA's, {r['cost'] / r['reference']:.3f}x)"
            table.add_row(
                name,
                str(r["network"]),
                str(r["n"]),
                f"{r['solved']:.0%}",
                optimal,
                versus,
                f"{r['nodes']:,.0f}",
                f"{r['seconds']:.2f}",
                target,
                DEEPCUBEA[name],
            )
            Console(width=240).print(table)
            markdown.append(
                f"| {name} | {r['network']} | {r['n']} | {r['solved']:.0%} | {optimal} | "
                f"{versus} | {r['nodes']:,.0f} | {r['seconds']:.2f} | "
                f"{target} | {DEEPCUBEA[name]} |"
            )
    except QsolveError as error:
        print(f"hard_sets.py: error: {error}", file=sys.stderr)
        return 2
    print("\n".join(markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
