"""Heuristics that need no learning."""

from __future__ import annotations

import numpy as np

from qsolve.heuristics.base import Heuristic


class Zero(Heuristic):
    """h = 0 everywhere, so Q(s, a) = c(s, a): uniform-cost search, and the cheapest Q heuristic."""

    name = "zero"

    def q_values(self, states: np.ndarray) -> np.ndarray:
        q = np.broadcast_to(
            self.domain.action_costs.astype(np.float32), (states.shape[0], self.domain.num_actions)
        )
        mask = self.domain.applicable(states)
        return np.where(mask, q, np.float32(np.inf))

    def values(self, states: np.ndarray) -> np.ndarray:
        return np.zeros(states.shape[0])
