"""Whether local repair shortens a puzzle35 beam's solutions: each solution of a beam of ``--width``
on DeepCubeA states, then ``experiments/cube3/shorten_solutions.py``'s ``shorten`` at each radius
(every stretch replaced by a shorter one found within balls of that radius), replayed to the goal.

    python experiments/sliding/shorten_beam.py MODEL --offset 100 --count 2 --width 1000 4 6 8
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch

import qsolve
from qsolve.bench import read_reference_set

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cube3"))
from shorten_solutions import shorten


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("radii", nargs="+", type=int)
    parser.add_argument("--offset", type=int, default=100)
    parser.add_argument("--count", type=int, default=2)
    parser.add_argument("--width", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain("puzzle35")
    states, reference, _ = read_reference_set("puzzle35", args.count, args.offset)
    heuristic = qsolve.load_heuristic(args.model, domain)
    for state, ref in zip(states, reference, strict=True):
        [result] = qsolve.solve(
            domain, state[None], heuristic=heuristic, time_limit=60, algorithm="beam",
            beam_width=args.width,
        )  # fmt: skip
        line = f"DeepCubeA {ref:g}, beam {result.cost:g} ({result.seconds:.1f} s)"
        actions = list(result.actions)
        for radius in args.radii:
            started = time.perf_counter()
            actions = shorten(domain, state, actions, radius)
            assert domain.is_goal(domain.apply_moves(state, actions)[None])[0]
            line += f" | radius {radius}: {len(actions)} ({time.perf_counter() - started:.1f} s)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
