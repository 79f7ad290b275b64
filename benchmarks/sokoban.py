"""Sokoban on DeepMind's Boxoban levels against the targets, beside DeepCubeA's figures.

    python benchmarks/sokoban.py [--sets test hard optimal] [--count N] [--offset K]
                                 [--model sokoban=DIR | --heuristic pushes] [--algorithm A]
                                 [--weight W] [--batch-size B] [--optimal] [--time-limit S]
                                 [--workers P] [--jsonl FILE] [--data DIR]
    python benchmarks/sokoban.py --summarize FILE.jsonl [FILE.jsonl ...]

Each level is solved alone, by a process with one thread (``--workers`` such processes side by
side, one core each), as ``qsolve solve sokoban --heuristic shipped --state LEVEL`` would: with no
search option the shipped model's recommended search applies; a classical heuristic
(``--heuristic pushes``) gets A* with λ = 1 and B = 100.  Every solution is replayed to the goal.  The sets, from ``--data``
(``$QSOLVE_BENCHMARKS/boxoban``, else ``../shared/benchmarks/boxoban``):

- ``test``: unfiltered-test.txt (1,000 levels), with each level's optimal cost (optimal-costs.txt)
  and DeepCubeA's (deepcubea-costs.txt);
- ``hard``: hard.txt (the first 500 of 3,332 levels; no costs known);
- ``optimal``: the first 100 test levels with the admissible ``pushes`` heuristic and optimal A*
  (λ = 1, B = 100, ``--optimal``) whatever the other options say; every cost must equal
  optimal-costs.txt, else the exit status is 1.

``--jsonl`` writes a line per level as it finishes; ``--summarize`` prints the tables of such files
again (the halves of a set measured side by side, say).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import qsolve
from qsolve.bench import BoxobanLevel as Level
from qsolve.bench import Report, boxoban_dir, machine, read_boxoban
from qsolve.bench.suites import network_label, summarize
from qsolve.errors import QsolveError
from qsolve.threads import set_torch_threads

# set -> (Boxoban set read, levels measured, target)
SETS = {
    "test": ("test", 1000, "100% within 60 s; cost ≤ 32.60, ≥ 71% optimal; median ≤ 1 s"),
    "hard": ("hard", 500, "≥ 80% within 60 s"),
    "optimal": ("test", 100, "every cost = optimal-costs.txt"),
}
# The optimal set's search, fixed: A* with an admissible heuristic, run past the first goal.
OPTIMAL_SEARCH = {"algorithm": "astar", "weight": 1.0, "batch_size": 100, "optimal": True}
# A classical heuristic's search where no option is given (it has no recommended one).
CLASSICAL_SEARCH = {"algorithm": "astar", "weight": 1.0, "batch_size": 100}
# DeepCubeA on all 1,000 test levels (its repository's re-run; ../shared/benchmarks/boxoban).
DEEPCUBEA = {"solved": 100.0, "cost": 32.60, "optimal": 71.2, "nodes": 5014, "seconds": 2.71}
DEEPCUBEA_LINE = (
    "DeepCubeA (its repository's re-run, its GPUs, A* λ = 0.8, B = 1), all 1,000 test levels: "
    "100% solved, mean cost 32.60 against the optimum's 31.99 (1.9% over), 71.2% optimal, "
    "5,014 nodes and 2.71 s per level, the slowest 292.7 s"
)
ALGORITHM_NAMES = {"qstar": "Q*", "astar": "A*", "beam": "beam"}


# -- levels and results -----------------------------------------------------------------------


@dataclass
class Result:
    """One level solved: a JSONL row.  Its field names are SearchResult's where they are one."""

    set: str
    index: int
    label: str
    heuristic: str
    search: str
    solved: bool
    cost: float  # nan when unsolved
    optimum: float  # nan when not known
    deepcubea: float  # DeepCubeA's cost, nan when not known
    nodes_generated: int
    heuristic_inputs: int
    seconds: float
    stop_reason: str
    lurd: str  # the solution, lower case a move, upper case a push

    def to_json(self) -> str:
        row = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }
        return json.dumps(row, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Result:
        row = json.loads(line)
        for name in ("cost", "optimum", "deepcubea"):
            row[name] = math.nan if row[name] is None else float(row[name])
        return cls(**row)


def read_levels(folder: Path, name: str, count: int, offset: int = 0) -> list[Level]:
    """Levels ``offset`` to ``offset + count`` of a set of ``SETS`` in ``folder``, with their
    optimal and DeepCubeA costs where the folder has them (``qsolve.bench.read_boxoban``)."""
    return read_boxoban(SETS[name][0], count, offset, folder)


def read_results(paths: Iterable[Path]) -> list[Result]:
    """The rows of ``--jsonl`` files, in order."""
    return [
        Result.from_json(line)
        for path in paths
        for line in Path(path).read_text().splitlines()
        if line.strip()
    ]


def summary(results: list[Result]) -> dict[str, Any]:
    """The figures of one table row: ``qsolve.bench``'s summary (solved %, optimal % where every
    optimum is known, mean cost over the solved, nodes, seconds) and the optimum's and DeepCubeA's
    mean cost on the solved levels, the median and slowest seconds, and how many costs equal the
    optimum."""
    optima = np.array([r.optimum for r in results])
    known = not np.isnan(optima).any()
    row = summarize({}, results, optima if known else None)
    solved = [r for r in results if r.solved]
    slowest = max(results, key=lambda r: r.seconds)
    row |= {
        "optimum": float(np.mean([r.optimum for r in solved])) if solved else math.nan,
        "deepcubea": float(np.mean([r.deepcubea for r in solved])) if solved else math.nan,
        "median seconds": statistics.median(r.seconds for r in results),
        "slowest seconds": slowest.seconds,
        "slowest": slowest.label,
        "equal": sum(r.solved and r.cost == r.optimum for r in results) if known else None,
    }
    return row


def groups(results: list[Result]) -> Iterator[tuple[tuple[str, str, str], list[Result]]]:
    """The results of each (set, heuristic, search), in the order they first appear."""
    keyed: dict[tuple[str, str, str], list[Result]] = {}
    for r in results:
        keyed.setdefault((r.set, r.heuristic, r.search), []).append(r)
    for key, group in keyed.items():
        yield key, sorted(group, key=lambda r: r.index)


def _number(value: float, digits: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def table_row(name: str, heuristic: str, search: str, results: list[Result]) -> dict[str, str]:
    """The printed row of one set's results."""
    s = summary(results)
    over = s["mean cost"] / s["optimum"] - 1 if s["optimum"] > 0 else math.nan
    cost = f"{_number(s['mean cost'])} / {_number(s['optimum'])}"
    if not math.isnan(over):
        cost += f" ({over:+.1%})"
    return {
        "set": name,
        "heuristic": heuristic,
        "search": search,
        "levels": f"{results[0].index + 1}-{results[-1].index + 1} ({len(results)})",
        "solved": f"{s['solved %']:.1f}%",
        "optimal": f"{s['optimal %']:.1f}%" if "optimal %" in s else "-",
        "mean cost / optimum": cost,
        "DeepCubeA's cost": _number(s["deepcubea"]),
        "mean s": _number(s["mean seconds"]),
        "median s": _number(s["median seconds"]),
        "mean nodes": f"{s['mean nodes']:,.0f}",
        "slowest": f"{s['slowest seconds']:.2f} s ({s['slowest']})",
        "target": SETS[name][2] if name in SETS else "",
    }


def comparison(results: list[Result]) -> str:
    """One line: these results against DeepCubeA's on the same levels and its published figures."""
    s = summary(results)
    line = f"{len(results)} levels: {s['solved %']:.1f}% solved"
    if not math.isnan(s["deepcubea"]):
        line += (
            f", mean cost {_number(s['mean cost'])} against DeepCubeA's {_number(s['deepcubea'])}"
            f" on the same levels ({s['mean cost'] / s['deepcubea'] - 1:+.1%})"
        )
    if "optimal %" in s:
        line += f", {s['optimal %']:.1f}% optimal (DeepCubeA {DEEPCUBEA['optimal']}%)"
    line += (
        f", {s['mean nodes']:,.0f} nodes ({s['mean nodes'] / DEEPCUBEA['nodes']:.2g}x DeepCubeA's "
        f"{DEEPCUBEA['nodes']:,}) and {s['mean seconds']:.2f} s per level (DeepCubeA "
        f"{DEEPCUBEA['seconds']} s on GPUs)"
    )
    return line


def markdown(rows: list[dict[str, str]]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row.values()) + " |" for row in rows])


# -- solving ----------------------------------------------------------------------------------


def search_options(heuristic: Any, given: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The options ``qsolve.solve`` gets for a set and the search they make, in words: ``given``
    (left at None: the model's recommended search, or A* with λ = 1, B = 100 for a classical
    heuristic), with the recommended settings filled in as ``qsolve.solve`` fills them."""
    defaults = dict(heuristic.search_defaults)
    options = {k: v for k, v in given.items() if v is not None and v is not False}
    if not defaults and getattr(heuristic, "arch", None) is None:
        options = CLASSICAL_SEARCH | options
    suggested = defaults.get("algorithm", "qstar")
    algorithm = options.get("algorithm", suggested)
    recommended = defaults if algorithm == suggested else {}
    words = [ALGORITHM_NAMES.get(algorithm, algorithm)]
    weight = options.get("weight", recommended.get("weight", 1.0))
    words.append(f"λ = {weight:g}")
    if algorithm == "beam":
        words.append(f"W = {options.get('beam_width', recommended.get('beam_width'))}")
    else:
        words.append(f"B = {options.get('batch_size', recommended.get('batch_size', 1))}")
    if options.get("optimal"):
        words.append("optimal")
    elif "weight" not in options and "fallback_weight" in recommended and algorithm != "beam":
        words.append(
            f"then λ = {recommended['fallback_weight']:g} after "
            f"{recommended['fallback_after']:,} nodes or half the time"
        )
    return options, ", ".join(words)


_worker: dict[str, Any] = {}


def start_worker(spec: str | None, options: dict[str, Any], time_limit: float) -> None:
    """Load the heuristic once per process; a network runs on one thread."""
    domain = qsolve.domain("sokoban")
    heuristic = qsolve.load_heuristic(spec, domain)
    if "torch" in sys.modules:
        set_torch_threads(1)
    _worker.update(domain=domain, heuristic=heuristic, options=options, time_limit=time_limit)


def solve_level(level: Level) -> tuple[bool, float, int, int, float, str, str]:
    """(solved, cost, nodes, heuristic inputs, seconds, stop reason, LURD) of one level, in the
    process ``start_worker`` set up; a reported solution is replayed to the goal."""
    domain = _worker["domain"]
    started = time.perf_counter()
    [result] = qsolve.solve(
        domain,
        level.state[None, :],
        heuristic=_worker["heuristic"],
        time_limit=_worker["time_limit"],
        **_worker["options"],
    )
    seconds = time.perf_counter() - started
    lurd = ""
    if result.solved:
        end = domain.apply_moves(level.state, list(result.actions))
        assert domain.is_goal(end[None, :])[0], "a reported solution does not reach the goal"
        lurd = domain.notations(level.state, list(result.actions))["lurd"]
    return (
        bool(result.solved),
        float(result.cost) if result.solved else math.nan,
        int(result.nodes_generated),
        int(result.heuristic_inputs),
        seconds,
        result.stop_reason,
        lurd,
    )


def measure(
    name: str,
    levels: list[Level],
    spec: str | None,
    given: dict[str, Any],
    time_limit: float,
    workers: int,
    jsonl: Any,
) -> list[Result]:
    """Solve every level of a set, ``workers`` processes side by side; rows to ``jsonl``."""
    start_worker(spec, {}, time_limit)  # here too: the labels, and bad options fail early
    heuristic = _worker["heuristic"]
    options, search = search_options(heuristic, given)
    label = network_label(heuristic)
    _worker["options"] = options
    results: list[Result] = []

    def record(level: Level, row: tuple[bool, float, int, int, float, str, str]) -> None:
        solved, cost, *rest = row
        result = Result(
            name,
            level.index,
            level.label,
            label,
            search,
            solved,
            cost,
            level.optimum,
            level.deepcubea,
            *rest,
        )
        results.append(result)
        if jsonl is not None:
            print(result.to_json(), file=jsonl, flush=True)
        if sys.stderr.isatty():
            done = sum(r.solved for r in results)
            print(f"\r{name}: {len(results)}/{len(levels)}, {done} solved", end="", file=sys.stderr)

    if workers == 1:
        for level in levels:
            record(level, solve_level(level))
    else:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=start_worker,
            initargs=(spec, options, time_limit),
        ) as pool:
            futures = {pool.submit(solve_level, level): level for level in levels}
            for future in as_completed(futures):
                record(futures[future], future.result())
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return sorted(results, key=lambda r: r.index)


# -- the command line -------------------------------------------------------------------------


def report(results: list[Result], title: str) -> int:
    """Print the table and the comparison lines; 1 if an optimal-set cost differs from the
    optimum, else 0."""
    rows, notes, status = [], [], 0
    for (name, heuristic, search), group in groups(results):
        rows.append(table_row(name, heuristic, search, group))
        if name == "test":
            notes.append(f"test, {heuristic}, {search}: {comparison(group)}")
        if name == "optimal":
            wrong = [r for r in group if not (r.solved and r.cost == r.optimum)]
            notes.append(
                f"optimal: {len(group) - len(wrong)} of {len(group)} costs equal optimal-costs.txt"
                + "".join(f"; {r.label}: {r.cost:g}, not {r.optimum:g}" for r in wrong[:10])
            )
            status = 1 if wrong else status
    notes.append(DEEPCUBEA_LINE)
    Report("sokoban", "").add(title, rows)
    print(markdown(rows))
    print("\n".join(notes))
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--count", type=int, help="levels per set (default: the target's)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many levels of each set")
    parser.add_argument(
        "--model", metavar="sokoban=DIR", help="a trained model (default: the shipped one)"
    )
    parser.add_argument(
        "--heuristic", help="a classical heuristic (pushes) or a model folder, in place of --model"
    )
    parser.add_argument("--algorithm", choices=qsolve.ALGORITHMS)
    parser.add_argument("--weight", type=float, help="λ (default: the model's recommended)")
    parser.add_argument("--batch-size", type=int, help="B (default: the model's recommended)")
    parser.add_argument("--beam-width", type=int, help="W, for --algorithm beam")
    parser.add_argument("--optimal", action="store_true", help="search past the first goal")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per level")
    parser.add_argument("--workers", type=int, default=1, help="processes, one core each")
    parser.add_argument("--jsonl", type=Path, help="write one line per level to this file")
    parser.add_argument(
        "--data",
        type=Path,
        help="the Boxoban folder (default: $QSOLVE_BENCHMARKS/boxoban, else "
        "../shared/benchmarks/boxoban)",
    )
    parser.add_argument(
        "--summarize",
        nargs="+",
        type=Path,
        metavar="JSONL",
        help="print the tables of --jsonl files instead of measuring",
    )
    args = parser.parse_args(argv)
    title = f"Boxoban levels, one core per level ({machine()})"
    try:
        if args.summarize:
            return report(read_results(args.summarize), title)
        if args.workers < 1:
            raise QsolveError("--workers must be at least 1")
        spec = args.heuristic
        if args.model is not None:
            domain_name, _, folder = args.model.rpartition("=")
            if domain_name not in ("", "sokoban") or args.heuristic is not None:
                raise QsolveError("--model takes sokoban=DIR, and not with --heuristic")
            spec = folder
        if spec is None and qsolve.shipped_model(qsolve.domain("sokoban")) is not None:
            spec = "shipped"  # the shipped model, which is not `qsolve solve sokoban`'s default
        if spec is None:
            skipped = [s for s in args.sets if s != "optimal"]
            if skipped:
                print(
                    f"sokoban.py: no sokoban model is shipped (src/qsolve/models/sokoban): "
                    f"{', '.join(skipped)} skipped; --model sokoban=DIR measures a trained one, "
                    "--heuristic pushes the classical heuristic with A*",
                    file=sys.stderr,
                )
            args.sets = [s for s in args.sets if s == "optimal"]
            if not args.sets:
                return 2
        given = {
            "algorithm": args.algorithm,
            "weight": args.weight,
            "batch_size": args.batch_size,
            "beam_width": args.beam_width,
            "optimal": args.optimal,
        }
        folder = args.data or boxoban_dir()
        results: list[Result] = []
        with open(args.jsonl, "w") if args.jsonl else open(os.devnull, "w") as jsonl:
            for name in args.sets:
                levels = read_levels(folder, name, args.count or SETS[name][1], args.offset)
                if name == "optimal":
                    set_spec, set_given = "pushes", OPTIMAL_SEARCH
                else:
                    set_spec, set_given = spec, given
                results += measure(
                    name, levels, set_spec, set_given, args.time_limit, args.workers, jsonl
                )
    except QsolveError as error:
        print(f"sokoban.py: error: {error}", file=sys.stderr)
        return 2
    return report(results, title)


if __name__ == "__main__":
    sys.exit(main())
