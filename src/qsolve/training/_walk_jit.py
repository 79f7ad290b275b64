"""numba kernels for training's walks (imported only where numba is installed; ``data.py`` falls
back to its numpy loop without them)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def sliding_walks(  # type: ignore[no-untyped-def]
    states, lengths, noise, on_board, targets, penalty, move_costs, cost, last
):
    """Walks of ``lengths[i]`` blank moves from ``states[i]`` (changed in place), drawing as
    ``BatchMaker.walks`` does: at time step t the walks with ``lengths > t``, in row order, each
    take the next row of ``noise``, and move by the applicable move with the largest noise plus
    ``penalty[last + 1]`` (-2 at the move undoing the last one for non-backtracking walks, all 0
    otherwise), the first such on ties.  ``on_board`` and ``targets`` are the sliding puzzle's
    ``[D, 4]`` tables by blank position; ``cost`` and ``last`` receive each walk's cost (adding
    ``move_costs``) and last move."""
    n, d = states.shape
    blanks = np.empty(n, dtype=np.int64)
    for i in range(n):
        for j in range(d):
            if states[i, j] == 0:
                blanks[i] = j
                break
    steps = 0
    for i in range(n):
        steps = max(steps, lengths[i])
    row = 0
    for t in range(steps):
        for i in range(n):
            if lengths[i] <= t:
                continue
            blank = blanks[i]
            chosen = 0
            best = -np.inf
            for move in range(4):
                score = noise[row, move] * on_board[blank, move] + penalty[last[i] + 1, move]
                if score > best:
                    best = score
                    chosen = move
            row += 1
            tile = targets[blank, chosen]
            states[i, blank] = states[i, tile]
            states[i, tile] = 0
            blanks[i] = tile
            cost[i] += move_costs[chosen]
            last[i] = chosen
