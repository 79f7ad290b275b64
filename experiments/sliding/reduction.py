"""How puzzle48's reduction was set (``search/reduction.py``), one core:

python experiments/sliding/reduction.py borders --count 5 --widths 10000 30000 100000
    # the border beam alone on DeepCubeA's first puzzle48 states: moves to place the first
    # row and column, and seconds, per width (the default width, 30,000, came from this)
python experiments/sliding/reduction.py targets --count 3 --offset 5 puzzle35 puzzle24
    # the whole reduction to each smaller puzzle, with its shipped model and recommended
    # search, 120 s a state: solved, mean cost against DeepCubeA's, seconds
python experiments/sliding/reduction.py weights --count 5 --weights 0 0.3 0.45 0.6 [--solve]
        [--inner-width W]
    # the border beam's weight on the other tiles' Manhattan distance: moves to place the
    # border, the Manhattan distance of the puzzle35 board left, and with --solve the whole
    # cost (that board solved as the reduction solves it: puzzle35's model and recommended
    # search, one core); the default weight (REST_WEIGHT) came from this
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.bench import read_reference_set
from qsolve.search.common import Limits
from qsolve.search.reduction import BORDER_WIDTH, place_border


def borders(args: argparse.Namespace) -> None:
    puzzle = qsolve.domain("puzzle48")
    states, _, _ = read_reference_set("puzzle48", args.count, args.offset)
    for width in args.widths:
        moves, seconds = [], []
        for state in states:
            started = time.perf_counter()
            placed, *_ = place_border(puzzle, state, width, Limits(), started)
            seconds.append(time.perf_counter() - started)
            moves.append(len(placed))
        print(
            f"width {width:,}: mean {np.mean(moves):.1f} moves {moves}, "
            f"{np.mean(seconds):.1f} s a state",
            flush=True,
        )


def targets(args: argparse.Namespace) -> None:
    puzzle = qsolve.domain("puzzle48")
    states, reference, _ = read_reference_set("puzzle48", args.count, args.offset)
    for name in args.smaller:
        heuristic = qsolve.load_heuristic(None, name)
        costs, seconds, solved = [], [], []
        for state in states:
            started = time.perf_counter()
            [result] = qsolve.solve(puzzle, state[None], heuristic=heuristic, time_limit=120)
            seconds.append(time.perf_counter() - started)
            solved.append(result.solved)
            if result.solved:
                assert puzzle.is_goal(puzzle.apply_moves(state, result.actions)[None])[0]
                costs.append(result.cost)
        ok = np.array(solved)
        print(
            f"to {name}: solved {ok.sum()}/{len(ok)}, mean cost {np.mean(costs):.2f} against "
            f"DeepCubeA's {reference[ok].mean():.2f} ({np.mean(costs) / reference[ok].mean():.3f}x),"
            f" {np.mean(seconds):.1f} s a state; costs {costs}",
            flush=True,
        )


def weights(args: argparse.Namespace) -> None:
    puzzle, smaller = qsolve.domain("puzzle48"), qsolve.domain("puzzle35")
    states, reference, _ = read_reference_set("puzzle48", args.count, args.offset)
    manhattan = qsolve.load_heuristic("manhattan", smaller)
    model = qsolve.load_heuristic(None, smaller) if args.solve else None
    walks, _, _ = read_reference_set("puzzle35", 100)
    print(
        f"(DeepCubeA's first 100 puzzle35 states: Manhattan distance "
        f"{manhattan.values(walks).mean():.1f})",
        flush=True,
    )
    for weight in args.weights:
        moves, left, costs, seconds = [], [], [], []
        for state in states:
            started = time.perf_counter()
            placed, *_ = place_border(
                puzzle, state, BORDER_WIDTH, Limits(), started, rest_weight=weight
            )
            inner = puzzle.inner_board(puzzle.apply_moves(state, placed)[None, :])
            moves.append(len(placed))
            left.append(int(manhattan.values(inner)[0]))
            if model is not None:
                width = args.inner_width
                options = {"algorithm": "beam", "beam_width": width} if width else {}
                [result] = qsolve.solve(smaller, inner, heuristic=model, time_limit=None, **options)
                assert smaller.is_goal(smaller.apply_moves(inner[0], result.actions)[None])[0]
                costs.append(len(placed) + result.cost)
            seconds.append(time.perf_counter() - started)
        line = (
            f"weight {weight}: border {np.mean(moves):.1f} moves, the board left at Manhattan "
            f"distance {np.mean(left):.1f}"
        )
        if costs:
            line += (
                f", cost {np.mean(costs):.2f} against DeepCubeA's {reference.mean():.2f} "
                f"({np.mean(costs) / reference.mean():.3f}x)"
            )
        print(f"{line}, {np.mean(seconds):.1f} s a state; costs {costs or moves}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("borders")
    one.add_argument("--widths", nargs="+", type=int, default=[10_000, 30_000, 100_000])
    two = commands.add_parser("targets")
    two.add_argument("smaller", nargs="+")
    three = commands.add_parser("weights")
    three.add_argument("--weights", nargs="+", type=float, default=[0.0, 0.3, 0.45, 0.6])
    three.add_argument("--solve", action="store_true", help="solve the board left too")
    three.add_argument(
        "--inner-width", type=int, help="solve it by a beam this wide (default: as recommended)"
    )
    for sub in (one, two, three):
        sub.add_argument("--count", type=int, default=5)
        sub.add_argument("--offset", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    {"borders": borders, "targets": targets, "weights": weights}[args.command](args)


if __name__ == "__main__":
    main()
