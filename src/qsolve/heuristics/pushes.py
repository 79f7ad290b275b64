"""An admissible Sokoban heuristic: the fewest pushes that bring the boxes onto distinct targets.

For each target, a breadth-first search backwards over box pushes (a box moves from ``c`` to
``c + d`` when that cell is open and the player can stand on ``c - d``, other boxes ignored)
gives the pushes a lone box needs from every cell.  A state's value is the minimum, over the
ways of giving each box its own target, of the summed pushes: each move pushes at most one box
one cell, so this never exceeds the moves left.  A box on a cell from which no target can be
reached (a corner, say) makes the value ``inf``: the state is a dead end.  Up to 6 boxes the
assignment is exact (every permutation, batched); beyond, each box takes its nearest target,
which is smaller and so still admissible.
"""

from __future__ import annotations

import itertools

import numpy as np

from qsolve.domains.base import Domain
from qsolve.domains.sokoban import BOX, BOX_ON_TARGET, CELLS, DELTAS, Sokoban
from qsolve.errors import QsolveError
from qsolve.heuristics.base import Heuristic

EXACT_BOXES = 6  # 6! = 720 assignments per state at most


class Pushes(Heuristic):
    """Box-to-target push distances with a minimum-cost assignment (admissible)."""

    name = "pushes"
    has_dead_ends = True
    # Batch A* (B = 100): a push bound is cheap next to Q*'s one child a pop, and A* with it at
    # λ = 1 is optimal; Q* with B = 1 took 3.4 s on the first Boxoban test level, A* 0.07 s.
    search_defaults = {"algorithm": "astar", "batch_size": 100}  # noqa: RUF012

    def __init__(self, domain: Domain) -> None:
        if not isinstance(domain, Sokoban):
            raise QsolveError("the pushes heuristic is only defined for sokoban")
        super().__init__(domain)
        self._tables: dict[bytes, np.ndarray] = {}  # level -> [T, D] pushes to each target

    def values(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` float64: the assignment bound of each state (``inf`` for a dead end)."""
        out = np.zeros(len(states), dtype=np.float64)
        if len(states) == 0:
            return out
        levels = self.domain.instance(states)
        if np.all(levels == levels[0]):  # the usual case: one level per search
            out[:] = self._level_values(levels[0], states)
            return out
        _, first, group = np.unique(levels, axis=0, return_index=True, return_inverse=True)
        group = group.reshape(-1)
        for g, row in enumerate(first):
            rows = np.flatnonzero(group == g)
            out[rows] = self._level_values(levels[row], states[rows])
        return out

    def _level_values(self, level: np.ndarray, states: np.ndarray) -> np.ndarray:
        table = self._table(level)  # [T, D]
        t = table.shape[0]
        if t == 0:
            return np.zeros(len(states))
        is_box = (states == BOX) | (states == BOX_ON_TARGET)
        # [N, T] the cell of each box, in cell order (every state of a level has T boxes)
        boxes = np.nonzero(is_box)[1].reshape(len(states), t)
        cost = table[:, boxes].transpose(1, 2, 0)  # [N, box, target]
        if t > EXACT_BOXES:
            return cost.min(axis=2).sum(axis=1)
        perms = np.array(list(itertools.permutations(range(t))))  # [P, T] target of each box
        picked = cost[:, np.arange(t)[None, :], perms]  # [N, P, T]
        return picked.sum(axis=2).min(axis=1)

    def _table(self, level: np.ndarray) -> np.ndarray:
        """``[T, D]`` float64: the pushes a lone box needs from each cell to each target."""
        key = level.tobytes()
        table = self._tables.get(key)
        if table is None:
            table = push_distances(level)
            self._tables[key] = table
        return table


def push_distances(level: np.ndarray) -> np.ndarray:
    """``[T, D]``: for a level (``Sokoban.instance``: 2 wall, 1 target, 0 floor), the pushes a
    lone box needs from each cell onto each target (``inf`` where it cannot get there)."""
    open_cells = level != 2
    targets = np.flatnonzero(level == 1)
    out = np.full((len(targets), CELLS), np.inf)
    for i, target in enumerate(targets.tolist()):
        out[i, target] = 0.0
        frontier = [target]
        distance = 0
        while frontier:
            distance += 1
            following = []
            for cell in frontier:
                for d in DELTAS.tolist():
                    # The box came from ``cell - d``, pushed by the player at ``cell - 2d``.
                    box, player = cell - d, cell - 2 * d
                    if (
                        0 <= player < CELLS
                        and open_cells[box]
                        and open_cells[player]
                        and out[i, box] == np.inf
                    ):
                        out[i, box] = distance
                        following.append(box)
            frontier = following
    return out
