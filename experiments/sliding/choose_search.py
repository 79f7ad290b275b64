"""Candidate searches for a sliding-puzzle model on DeepCubeA states, one core, 60 s a state
(``--set puzzle48 --time-limit 120`` for puzzle48): how the shipped puzzle35 model's recommended
search (beam, W = 10,000) was chosen, on held-out states 101-106.

    python experiments/sliding/choose_search.py MODEL --offset 100 --count 6 [--precision int8]
        '{"algorithm": "beam", "beam_width": 3000}' '{"weight": 0.8, "batch_size": 3000}' ...

Each candidate is a JSON object of ``qsolve.solve`` options; printed per candidate: solved, mean
cost against DeepCubeA's on the solved states, mean nodes and seconds, and each state's result.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.bench import read_reference_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("candidates", nargs="+", help="JSON objects of solve options")
    parser.add_argument("--set", default="puzzle35")
    parser.add_argument("--offset", type=int, default=100)
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "int8"))
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds a state (60)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain(args.set)
    states, reference, _ = read_reference_set(args.set, args.count, args.offset)
    heuristic = qsolve.load_heuristic(args.model, domain, precision=args.precision)
    qsolve.solve(domain, states[:1], heuristic=heuristic, max_nodes=20_000, time_limit=None)
    for text in args.candidates:
        options = json.loads(text)
        rows = []
        for state, ref in zip(states, reference, strict=True):
            started = time.perf_counter()
            [result] = qsolve.solve(
                domain, state[None], heuristic=heuristic, time_limit=args.time_limit, **options
            )
            if result.solved:
                assert domain.is_goal(domain.apply_moves(state, result.actions)[None])[0]
            rows.append(
                (
                    result.solved,
                    result.cost,
                    result.nodes_generated,
                    time.perf_counter() - started,
                    ref,
                )
            )
        solved = [r for r in rows if r[0]]
        cost = np.mean([r[1] for r in solved]) if solved else float("nan")
        ref_cost = np.mean([r[4] for r in solved]) if solved else float("nan")
        print(
            f"{text}: solved {len(solved)}/{len(rows)}, cost {cost:.2f} vs DeepCubeA {ref_cost:.2f}, "
            f"nodes {np.mean([r[2] for r in rows]):,.0f}, s {np.mean([r[3] for r in rows]):.1f}; "
            f"per state {[(int(r[0]), r[1], round(r[3], 1)) for r in rows]}",
            flush=True,
        )


if __name__ == "__main__":
    main()
