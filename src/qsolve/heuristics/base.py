"""The heuristic interface shared by Q* and A*: anything that maps a batch of states to Q-values.

``q_values(states)`` returns ``[N, A]`` estimates of c(s, a) + h(child) for every action, ``inf`` for
inapplicable actions.  ``values(states)`` returns ``[N]`` cost-to-go estimates h(s).  A Q heuristic
(a Q network) computes ``values`` as ``min_a Q(s, a)``; a state-value heuristic (Manhattan distance,
an exact table, a V network) computes ``q_values`` by expanding the children.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qsolve.domains.base import Domain


class Heuristic:
    """Base class: subclasses implement ``q_values`` (a Q heuristic) or ``values`` (a state heuristic)."""

    name: str = "heuristic"
    # The search settings this heuristic is meant to be used with (a shipped model's config.json
    # "search": weight, batch_size; or algorithm "beam", weight, beam_width), the defaults of
    # ``qsolve.solve`` and ``qsolve solve``.
    search_defaults: dict[str, Any] = {}  # noqa: RUF012 (never mutated; replaced per instance)
    # Whether some states get an infinite value (dead ends): such a heuristic cannot be a
    # network's baseline (networks/encoding.py).
    has_dead_ends: bool = False

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    def q_values(self, states: np.ndarray) -> np.ndarray:
        """``[N, A]`` float: transition cost plus cost-to-go of the child, ``inf`` where inapplicable."""
        _check_overrides(type(self))
        children, mask = self.domain.expand(states)
        n, a, d = children.shape
        h = self.values(children.reshape(n * a, d)).reshape(n, a)
        q = self.domain.action_costs[None, :] + h
        return np.where(mask, q, np.inf)

    def values(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` float: estimated cost-to-go of each state (0 at the goal)."""
        _check_overrides(type(self))
        q = self.q_values(states)
        h = np.min(q, axis=1)
        return np.where(self.domain.is_goal(states), 0.0, h)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} for {self.domain.name}>"


def _check_overrides(cls: type) -> None:
    """Each default is defined through the other, so a subclass that overrides neither would
    recurse without end: refuse it at its first call instead.  (Checked at the call, not where
    the class is defined, because pickling libraries rebuild a class before its methods.)"""
    if cls.q_values is Heuristic.q_values and cls.values is Heuristic.values:  # type: ignore[attr-defined]
        raise TypeError(
            f"heuristic class {cls.__qualname__} must override q_values(states) (a Q heuristic) "
            "or values(states) (a state heuristic): Heuristic's defaults of the two call each "
            "other"
        )
