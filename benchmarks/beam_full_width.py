"""A beam as wide as puzzle8's state space is breadth-first search: its costs against the exact ones.

    python benchmarks/beam_full_width.py [--count 50] [--seed 0]

``--count`` puzzle8 states, uniformly random among the 181,440 solvable ones, each solved with
``--algorithm beam --beam-width 181440 --heuristic manhattan`` (as ``qsolve solve`` would run it);
the exact distances are the ``oracle`` heuristic's (breadth-first search over every state).  Exit
status 1 if any solution is not optimal.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import qsolve
from qsolve.bench.report import machine
from qsolve.heuristics import get_heuristic

WIDTH = 181_440  # puzzle8's solvable states


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    domain = qsolve.domain("puzzle8")
    rng = np.random.default_rng(args.seed)
    states = rng.permuted(np.tile(np.arange(9, dtype=domain.dtype), (4 * args.count, 1)), axis=1)
    states = states[domain.solvable(states)][: args.count]
    exact = get_heuristic("oracle", domain).values(states)
    started = time.perf_counter()
    results = qsolve.solve(
        domain, states, heuristic="manhattan", algorithm="beam", beam_width=WIDTH, parallel=1
    )
    seconds = (time.perf_counter() - started) / len(states)
    costs = np.array([r.cost for r in results])
    optimal = int(np.sum(costs == exact))
    stored = max(r.states_stored for r in results)
    print(f"puzzle8, beam W = {WIDTH:,} over manhattan, {len(states)} random states ({machine()})")
    print("| states | solved | optimal | mean cost / exact | most states stored | s/state |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(states)} | {sum(r.solved for r in results)} | {optimal} | "
        f"{costs.mean():.2f} / {exact.mean():.2f} | {stored:,} | {seconds:.2f} |"
    )
    return 0 if optimal == len(states) else 1


if __name__ == "__main__":
    sys.exit(main())
