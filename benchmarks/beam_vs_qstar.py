"""Q* with each model's recommended search against beam search at several widths, on the
DeepCubeA test sets: cost, nodes, seconds, states stored and peak memory.

    python benchmarks/beam_vs_qstar.py [--sets cube3 puzzle24 puzzle35 puzzle48] [--count N]
                                       [--offset K] [--widths 100 1000 10000] [--time-limit S]
                                       [--qstar λ,B] [--model DOMAIN=DIR]
                                       [--precision auto|fp32|int8]

Each search (Q* as ``qsolve solve DOMAIN --state S`` runs it, or with ``--qstar λ,B`` that weight
and batch size, which a model that recommends a beam needs; or ``--algorithm beam --beam-width W``) runs in a child process of its own that loads the model, then solves the instances one at a
time on one core.  Peak memory is the child's peak resident set (``ru_maxrss``) above what it held
once the model was loaded and had evaluated a batch: the most any one of its searches added.
``stored`` is the count of states each search kept (Q*'s node store, beam's seen set, at most W
times the depth).  The sets are DeepCubeA's (``$QSOLVE_BENCHMARKS/deepcubea``, else
``../shared/benchmarks/deepcubea``): cube3 and puzzle24 with their optimal costs, puzzle35 and
puzzle48 with DeepCubeA's own solution costs (``*-deepcubea-costs.txt``) as the reference.
puzzle48, which has no model of its own, is reduced to puzzle35 as the command line does: each
search is puzzle35's, run on the board left once the first row and column are placed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from rich.console import Console
from rich.table import Table

import qsolve
from qsolve import api
from qsolve.bench import read_reference_set
from qsolve.bench.report import machine
from qsolve.errors import QsolveError
from qsolve.heuristics import Heuristic

SETS = ("cube3", "puzzle24", "puzzle35", "puzzle48")


def peak_rss() -> int:
    """This process's peak resident set so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(
    name: str,
    model: str | None,
    width: int | None,
    states: np.ndarray,
    time_limit: float,
    precision: str,
    qstar: tuple[float, int] | None = None,
) -> dict[str, object]:
    """Run in a child process: solve each state alone with Q* (``width`` None) or a beam of
    ``width``; per instance (solved, cost, nodes, seconds, stored), and the peak memory added."""
    from qsolve.threads import set_torch_threads

    set_torch_threads(1)
    domain = qsolve.domain(name)
    # A puzzle with no model of its own is reduced, as the command line does (puzzle48): the
    # searches below are then the smaller puzzle's, after the border is placed.
    inner = api.reduction_target(domain, None, model)
    searched = inner or domain
    heuristic = qsolve.load_heuristic(model, searched, precision=precision)
    # the engine's buffers and lazy set-up, before the baseline
    heuristic.q_values(np.repeat(searched.goal[None, :], len(states), axis=0))
    baseline = peak_rss()
    options: dict[str, Any] = {"time_limit": time_limit}
    if width is not None:
        options |= {"algorithm": "beam", "beam_width": width}
    elif qstar is not None:
        options |= {"algorithm": "qstar", "weight": qstar[0], "batch_size": qstar[1]}
    elif heuristic.search_defaults.get("algorithm") == "beam":
        raise QsolveError(f"the {name} model recommends a beam: name Q*'s settings, --qstar λ,B")
    rows = []
    for state in states:
        started = time.perf_counter()
        [result] = qsolve.solve(domain, state, heuristic=heuristic, **options)
        seconds = time.perf_counter() - started
        if result.solved:
            end = domain.apply_moves(state, list(result.actions))
            assert domain.is_goal(end[None, :])[0], "a reported solution does not reach the goal"
        rows.append(
            (result.solved, result.cost, result.nodes_generated, seconds, result.states_stored)
        )
    engine = getattr(heuristic, "engine", None)
    return {
        "rows": rows,
        "peak": peak_rss() - baseline,
        "network": f"{engine.name} {engine.precision}" if engine is not None else heuristic.name,
        "search": search_label(heuristic, width, qstar)
        + ("" if inner is None else f", after the border (reduced to {inner.name})"),
    }


def search_label(heuristic: Heuristic, width: int | None, qstar: tuple[float, int] | None) -> str:
    """What ran: Q*'s settings (``qstar``, else the model's), or the beam's width and ranking."""
    if width is not None:
        ranking = "pairs by Q" if getattr(heuristic, "q_in_one_pass", False) else "children by h"
        return f"beam W = {width:,} ({ranking})"
    if qstar is not None:
        return f"Q* λ = {qstar[0]:g}, B = {qstar[1]:,}"
    defaults = heuristic.search_defaults
    label = f"Q* λ = {defaults.get('weight', 1.0):g}, B = {defaults.get('batch_size', 1):,}"
    if "fallback_weight" in defaults:
        label += f", fallback λ = {defaults['fallback_weight']:g}"
    return label


def in_child(
    name: str,
    model: str | None,
    width: int | None,
    states: np.ndarray,
    time_limit: float,
    precision: str,
    qstar: tuple[float, int] | None = None,
) -> dict[str, object]:
    """``measure`` in a fresh process, so that its peak memory is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        job = pool.submit(measure, name, model, width, states, time_limit, precision, qstar)
        return job.result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--count", type=int, default=10, help="instances per set (default 10)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many lines of each set")
    parser.add_argument(
        "--widths",
        type=int,
        nargs="+",
        default=[100, 1000, 10000],
        metavar="W",
        help="beam widths (default 100 1000 10000)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per instance (default 60)"
    )
    parser.add_argument(
        "--qstar",
        metavar="λ,B",
        help="Q*'s weight and batch size (default: each model's recommended Q* search)",
    )
    parser.add_argument("--model", action="append", default=[], metavar="DOMAIN=DIR")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "int8"))
    args = parser.parse_args()
    qstar = None
    if args.qstar is not None:
        try:
            weight, batch = args.qstar.split(",")
            qstar = (float(weight), int(batch))
        except ValueError:
            parser.error(f"--qstar takes λ,B (0.8,3000), got {args.qstar!r}")
    models = dict(item.split("=", 1) for item in args.model)
    console = Console(width=200)
    columns = (
        *("set", "network", "search", "n", "solved", "optimal", "cost / ref", "nodes"),
        *("s/instance", "stored", "peak MiB"),
    )
    table = Table(title=f"Q* against beam search, one core each, {machine()}")
    for column in columns:
        table.add_column(column, justify="right")
    markdown = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    try:
        for name in args.sets:
            model = models.get(name)
            domain = qsolve.domain(name)
            if model is None and api.reduction_target(domain, None) is None:
                if qsolve.shipped_model(domain) is None:
                    console.print(
                        f"{name}: no shipped model: skipped; --model {name}=DIR measures one"
                    )
                    continue
            if model is not None and not Path(model).is_dir():
                raise QsolveError(f"--model {name}={model}: no such folder")
            states, reference, kind = read_reference_set(name, args.count, args.offset)
            for width in [None, *args.widths]:
                r = in_child(name, model, width, states, args.time_limit, args.precision, qstar)
                row = summary(name, r, reference, kind)
                print(f"{name}, {row[2]}: done", file=sys.stderr, flush=True)
                table.add_row(*row)
                markdown.append("| " + " | ".join(row) + " |")
    except QsolveError as error:
        print(f"beam_vs_qstar.py: error: {error}", file=sys.stderr)
        return 2
    console.print(table)
    print("\n".join(markdown))
    return 0


def summary(name: str, r: dict[str, object], reference: np.ndarray, kind: str) -> tuple[str, ...]:
    """A table row: solved share, optimal share (where the reference is the optimum), mean cost
    against the reference on the solved instances, and means of nodes, seconds, states stored."""
    rows = r["rows"]
    assert isinstance(rows, list)
    solved = np.array([row[0] for row in rows])
    cost = np.array([row[1] for row in rows], dtype=float)
    optimal = f"{(solved & (cost <= reference + 1e-9)).mean():.0%}" if kind == "optimum" else "-"
    versus = (
        f"{cost[solved].mean():.2f} / {reference[solved].mean():.2f}"
        + ("" if kind == "optimum" else " (DeepCubeA)")
        if solved.any()
        else "-"
    )
    peak = r["peak"]
    assert isinstance(peak, int)
    return (
        name,
        str(r["network"]),
        str(r["search"]),
        str(len(rows)),
        f"{solved.mean():.0%}",
        optimal,
        versus,
        f"{np.mean([row[2] for row in rows]):,.0f}",
        f"{np.mean([row[3] for row in rows]):.2f}",
        f"{np.mean([row[4] for row in rows]):,.0f}",
        f"{peak / 2**20:,.0f}",
    )


if __name__ == "__main__":
    sys.exit(main())
