"""The Manhattan-distance heuristic for sliding-tile puzzles."""

from __future__ import annotations

import numpy as np

from qsolve.domains.base import Domain
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.errors import QsolveError
from qsolve.heuristics.base import Heuristic


class Manhattan(Heuristic):
    """Sum over tiles of the row plus column distance to the tile's goal cell (admissible)."""

    name = "manhattan"

    def __init__(self, domain: Domain) -> None:
        if not isinstance(domain, SlidingPuzzle):
            raise QsolveError(
                "the manhattan heuristic is only defined for sliding puzzles (puzzle8 to puzzle48)"
            )
        super().__init__(domain)
        n, d = domain.size, domain.state_dim
        rows, cols = np.divmod(np.arange(d), n)
        goal_pos = np.empty(d, dtype=np.int64)
        goal_pos[domain.goal_state.astype(np.int64)] = np.arange(d)
        # [tile, position] distances; the blank's row stays 0 because it is not a tile.
        self._table = (
            np.abs(rows[goal_pos][:, None] - rows[None, :])
            + np.abs(cols[goal_pos][:, None] - cols[None, :])
        ).astype(np.float64)
        self._table[0] = 0.0

    def values(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` float64: the Manhattan distance of each state to the goal."""
        positions = np.arange(states.shape[1])
        return self._table[states.astype(np.int64), positions[None, :]].sum(axis=1)
