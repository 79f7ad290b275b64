"""How far training walks take Sokoban's boxes, against the Boxoban test levels.

    python experiments/sokoban/walk_stats.py [--walks 300] [--lengths 100 200]

For walks of each length from the shipped goal rooms (``training.data.walks``, as training
draws them), with uniform reverse moves and with the domain's pull weights: the mean number of
boxes off a target and the mean ``pushes`` bound; then the same for the test levels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from qsolve.domains.sokoban import BOX, Sokoban
from qsolve.heuristics.pushes import Pushes
from qsolve.training.data import walks

DATA = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "boxoban"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=300)
    parser.add_argument("--lengths", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    for weighted in (False, True):
        domain = Sokoban()
        if not weighted:
            domain.reverse_weights = None  # uniform among the applicable reverse moves
        pushes = Pushes(domain)
        for length in args.lengths:
            rng = np.random.default_rng(0)
            states, _, _ = walks(domain, np.full(args.walks, length), rng)
            off = (states == BOX).sum(axis=1).mean()
            bound = pushes.values(states).mean()
            name = "pull weights" if weighted else "uniform"
            print(f"{name:>12}, walks of {length}: {off:.2f} boxes off, pushes bound {bound:.2f}")
    domain = Sokoban()
    lines = (args.data / "unfiltered-test.txt").read_text().splitlines()
    levels = np.stack([domain.parse_state(t) for _, _, t in domain.split_file(enumerate(lines, 1))])
    off = (levels == BOX).sum(axis=1).mean()
    print(
        f"{'test levels':>12}: {off:.2f} boxes off, pushes bound {Pushes(domain).values(levels).mean():.2f}"
    )


if __name__ == "__main__":
    main()
