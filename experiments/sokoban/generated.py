"""Sokoban whose training walks start from generated rooms instead of the shipped Boxoban ones.

    qsolve train experiments/sokoban/generated.py:GeneratedSokoban --out R ...

The same game as ``sokoban`` (its models solve ``sokoban`` levels): only ``rooms``, the goal
rooms that training walks start from, differ: as many rooms as the shipped file holds (19,998),
from ``generate_rooms`` (Racanière et al.'s room generator) with seed 0, instead of the rooms
of 10,000 Boxoban training levels.  For the comparison of the two in ../training-runs/.
"""

from __future__ import annotations

import numpy as np

from qsolve.domains.sokoban import Sokoban, generate_rooms

ROOMS = 19_998  # as many as boxoban-rooms.npz holds


class GeneratedSokoban(Sokoban):
    """``sokoban`` trained from generated goal rooms."""

    def rooms(self) -> np.ndarray:
        if self._rooms is None:
            self._rooms = generate_rooms(ROOMS, np.random.default_rng(0)).astype(self.dtype)
        return self._rooms
