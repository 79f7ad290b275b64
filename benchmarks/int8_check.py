"""fp32 against int8 on a hard test set, with one fixed node budget: the check ``int8_checked`` asks for.

    python benchmarks/int8_check.py --set puzzle15 [--count 50] [--max-nodes 1000000]
                                    [--int8-engines torch onnx] [--model DIR]

Each state of the set (DeepCubeA's, ``$QSOLVE_BENCHMARKS/deepcubea``, else
``../shared/benchmarks/deepcubea``, with their optimal costs, or for puzzle35 and puzzle48
DeepCubeA's own costs as the reference; for ``sokoban`` the Boxoban test levels beside it, with
their optimal costs) is solved alone on one core with the model's recommended search
(its config.json ``"search"``), once with the network in fp32 and once per int8 engine, each under the
same node budget and no time limit, so that solve rate and cost do not depend on how busy the
machine is (seconds do).  The script prints solve rate, mean cost, optimal %, nodes and seconds per
precision, whether int8 equals fp32 within noise (below), and the ``"int8_checked"`` entry to paste
into the model's config.json when it does.

Noise, on the same states: the solve counts are equal within noise when the states solved by one
precision only (b by fp32, c by int8) pass a two-sided sign test at about 95%,
|b - c| ≤ 2 sqrt(b + c); the mean costs when the cost differences on the states both solved have a
mean within two standard errors of zero (or are all zero).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.bench import read_boxoban, read_reference_set, solve_each
from qsolve.errors import QsolveError
from qsolve.machine import cpu_name
from qsolve.networks.engines import onnxruntime_available

# set -> (file, default count, default node budget)
SETS = {
    "puzzle15": ("puzzle15", 50, 1_000_000),
    "cube3": ("cube3", 20, 300_000),
    "cube3-meta": ("cube3", 20, 300_000),
    "lightsout7": ("lightsout7", 50, 300_000),
    "puzzle24": ("puzzle24", 20, 1_000_000),
    "puzzle35": ("puzzle35", 20, 2_000_000),
    "puzzle48": ("puzzle48", 10, 3_000_000),
    "sokoban": ("unfiltered-test", 100, 100_000),
}


def read_set(name: str, count: int, offset: int) -> tuple[np.ndarray, np.ndarray, str, str]:
    """``[N, D]`` states of a set, their reference costs ``[N]``, the set's file (for the entry)
    and what the reference is: ``optimum``, or ``deepcubea`` where no optimum is known (puzzle35
    and puzzle48: DeepCubeA's own costs)."""
    file = SETS[name][0]
    if name != "sokoban":
        states, reference, kind = read_reference_set(file, count, offset)
        return states, reference, f"deepcubea/{file}.txt", kind.lower()
    levels = read_boxoban("test", count, offset)
    optimal = np.array([level.optimum for level in levels])
    return np.stack([level.state for level in levels]), optimal, f"boxoban/{file}.txt", "optimum"


def summary(rows: list[tuple[bool, float, int, float]], optimal: np.ndarray) -> dict[str, float]:
    """Solve rate, mean cost (solved states), optimal share, mean nodes and seconds."""
    solved = np.array([r[0] for r in rows])
    cost = np.array([r[1] for r in rows])
    return {
        "solved": round(float(solved.mean()), 4),
        "mean_cost": round(float(cost[solved].mean()), 3) if solved.any() else float("nan"),
        "optimal": round(float((solved & (cost <= optimal + 1e-9)).mean()), 4),
        "mean_nodes": round(float(np.mean([r[2] for r in rows])), 1),
        "mean_seconds": round(float(np.mean([r[3] for r in rows])), 3),
    }


def within_noise(
    reference: list[tuple[bool, float, int, float]], other: list[tuple[bool, float, int, float]]
) -> dict[str, object]:
    """The sign test on solves and the paired cost test (see the module's docstring)."""
    only_ref = sum(a[0] and not b[0] for a, b in zip(reference, other, strict=True))
    only_other = sum(b[0] and not a[0] for a, b in zip(reference, other, strict=True))
    solves_equal = abs(only_ref - only_other) <= 2 * np.sqrt(only_ref + only_other)
    diffs = np.array([b[1] - a[1] for a, b in zip(reference, other, strict=True) if a[0] and b[0]])
    if len(diffs) == 0:
        costs_equal, mean_diff, bound = False, float("nan"), float("nan")
    else:
        mean_diff = float(diffs.mean())
        bound = 2 * float(diffs.std(ddof=1)) / np.sqrt(len(diffs)) if len(diffs) > 1 else 0.0
        costs_equal = abs(mean_diff) <= bound
    return {
        "solved by fp32 only": only_ref,
        "solved by int8 only": only_other,
        "both solved": len(diffs),
        "mean cost difference (int8 - fp32)": mean_diff,
        "two standard errors": bound,
        "solve rate equal within noise": bool(solves_equal),
        "mean cost equal within noise": bool(costs_equal),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", required=True, choices=list(SETS), help="the model and its set")
    parser.add_argument("--count", type=int, help="first states of the set (default per set)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many lines of the set")
    parser.add_argument("--max-nodes", type=int, help="node budget per state (default per set)")
    parser.add_argument(
        "--int8-engines",
        nargs="+",
        choices=("auto", "torch", "onnx"),
        help="int8 engines to check (default: torch, and onnx where onnxruntime is installed)",
    )
    parser.add_argument(
        "--model", default="shipped", help="model folder (default: the shipped one)"
    )
    args = parser.parse_args()
    _, default_count, default_nodes = SETS[args.set]
    count, max_nodes = args.count or default_count, args.max_nodes or default_nodes
    engines = args.int8_engines or (["torch", "onnx"] if onnxruntime_available() else ["torch"])
    torch.set_num_threads(1)
    try:
        states, optimal, path, reference = read_set(args.set, count, args.offset)
        domain = qsolve.domain(args.set)
        heuristics = {"fp32": qsolve.load_heuristic(args.model, domain, precision="fp32")}
        for engine in engines:
            heuristics[f"int8 {engine}"] = qsolve.load_heuristic(
                args.model, domain, precision="int8", engine=engine
            )
    except QsolveError as error:
        print(f"int8_check.py: error: {error}", file=sys.stderr)
        return 2
    search = getattr(heuristics["fp32"], "search_defaults", {})
    print(
        f"{args.set}: {path} states {args.offset + 1}-{args.offset + len(states)}, "
        f"search {search or 'B = 1, λ = 1'}, {max_nodes:,} nodes per state, one core of "
        f"{cpu_name()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    # Loads what the first long search would (numba's kernels, ONNX sessions) outside the timing.
    for heuristic in heuristics.values():
        qsolve.solve(domain, states[:1], heuristic=heuristic, max_nodes=30_000, time_limit=None)
    results, summaries = {}, {}
    for label, heuristic in heuristics.items():
        engine = getattr(heuristic, "engine", None)
        label_full = f"{label} ({engine.name} {engine.precision})" if engine else label
        results[label] = solve_each(domain, states, heuristic, max_nodes=max_nodes, time_limit=None)
        summaries[label] = summary(results[label], optimal)
        s = summaries[label]
        print(
            f"{label_full:24s} solved {s['solved']:.1%}  mean cost {s['mean_cost']:.2f} "
            f"({reference} {optimal.mean():.2f})  at most the {reference}'s {s['optimal']:.1%}  "
            f"nodes {s['mean_nodes']:,.0f}  seconds {s['mean_seconds']:.2f}",
            flush=True,
        )
    verdicts = {}
    for label in heuristics:
        if label != "fp32":
            verdicts[label] = within_noise(results["fp32"], results[label])
            print(f"{label} against fp32: {json.dumps(verdicts[label])}")
    passed = all(
        v["solve rate equal within noise"] and v["mean cost equal within noise"]
        for v in verdicts.values()
    )

    def share(s: dict[str, float]) -> dict[str, float]:
        """Solved, mean cost and the share at the reference's cost: "optimal", or "at_most_deepcubea"
        where the reference is DeepCubeA's cost."""
        at = "optimal" if reference == "optimum" else f"at_most_{reference}"
        return {"solved": s["solved"], "mean_cost": s["mean_cost"], at: s["optimal"]}

    entry = {
        "set": f"{path} states {args.offset + 1}-{args.offset + len(states)}",
        "states": len(states),
        "max_nodes": max_nodes,
        "search": search,
        f"{reference}_mean_cost": round(float(optimal.mean()), 3),
        "fp32": share(summaries["fp32"]),
        **{
            label.replace(" ", "_"): share(summaries[label])
            for label in heuristics
            if label != "fp32"
        },
        "measured": f"{datetime.date.today().isoformat()}, {cpu_name()}",
    }
    if passed:
        print('int8 equals fp32 within noise; paste into config.json:\n"int8_checked": ', end="")
        print(json.dumps(entry, indent=2))
        return 0
    print("int8 differs from fp32 beyond noise: leave int8_checked out of config.json")
    print(json.dumps(entry, indent=2))
    return 1


if __name__ == "__main__":
    sys.exit(main())
