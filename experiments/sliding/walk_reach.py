"""How far training's walks reach on the large sliding puzzles, next to DeepCubeA's test states:
the mean Manhattan distance of the states at the end of non-backtracking walks (``--source
nbwalk``) of several lengths, and of the first states of DeepCubeA's set.

    python experiments/sliding/walk_reach.py [--domains puzzle35 puzzle48] [--walks 500]
        [--lengths 100 200 300 500 1000 2000 4000] [--count 200]

The walks that train a network should reach as far as the states it will be asked to solve:
a walk's end state is a start state of the training batch, and the network extrapolates beyond
the farthest ones.  The sets are read from ``$QSOLVE_BENCHMARKS/deepcubea`` (else
``../shared/benchmarks/deepcubea``).
"""

from __future__ import annotations

import argparse

import numpy as np

import qsolve
from qsolve.bench import read_reference_set
from qsolve.heuristics import get_heuristic
from qsolve.training.data import walks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", nargs="+", default=["puzzle35", "puzzle48"])
    parser.add_argument("--walks", type=int, default=500, help="walks per length (default 500)")
    parser.add_argument(
        "--lengths", nargs="+", type=int, default=[100, 200, 300, 500, 1000, 2000, 4000]
    )
    parser.add_argument("--count", type=int, default=200, help="states of the set (default 200)")
    args = parser.parse_args()
    for name in args.domains:
        domain = qsolve.domain(name)
        manhattan = get_heuristic("manhattan", domain)
        states, reference, _ = read_reference_set(name, args.count)
        target = manhattan.values(states).mean()
        print(
            f"{name}: DeepCubeA's first {len(states)} states: Manhattan {target:.1f}, "
            f"DeepCubeA's cost {reference.mean():.1f}"
        )
        rng = np.random.default_rng(0)
        for length in args.lengths:
            ends, _, _ = walks(domain, np.full(args.walks, length), rng, backtrack=False)
            distance = manhattan.values(ends)
            print(
                f"  nbwalk of {length:>5}: Manhattan {distance.mean():6.1f}, "
                f"{(distance >= target).mean():4.0%} at or beyond the set's mean"
            )


if __name__ == "__main__":
    main()
