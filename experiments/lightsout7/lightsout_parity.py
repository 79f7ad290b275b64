"""How many lights each press of a lights-out solution depends on (docs/models.md, lightsout7).

    python experiments/lightsout7/lightsout_parity.py [--size 7]

On a board whose press matrix A is invertible over GF(2), the unique shortest solution of a state
b is x = A^-1 b (mod 2): press i is the parity of the lights in row i of A^-1.  This prints the
smallest, mean and largest number of lights per row, from the domain's own GF(2) solver.
"""

from __future__ import annotations

import argparse

import numpy as np

from qsolve.domains.lightsout import LightsOut


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=7, help="board side (default 7)")
    size = parser.parse_args().size
    domain = LightsOut(size)
    if domain.rank < size * size:
        raise SystemExit(f"the {size}x{size} press matrix is singular (rank {domain.rank})")
    # The presses that switch off one light are a column of A^-1; A is symmetric, so is A^-1.
    inverse = domain.presses(np.eye(size * size, dtype=domain.dtype)).astype(int)
    weights = inverse.sum(axis=1)
    print(
        f"lightsout{size}: each press is the parity of {weights.min()} to {weights.max()} lights "
        f"(mean {weights.mean():.1f}) of {size * size}"
    )


if __name__ == "__main__":
    main()
