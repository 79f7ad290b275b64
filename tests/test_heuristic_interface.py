"""The heuristic interface: a subclass gives q_values or values and gets the other from it."""

from __future__ import annotations

import numpy as np
import pytest

from qsolve.domains import get_domain
from qsolve.heuristics import Heuristic


class MisplacedTiles(Heuristic):
    """A state heuristic: only ``values``."""

    def values(self, states: np.ndarray) -> np.ndarray:
        return ((states != self.domain.goal) & (states != 0)).sum(axis=1).astype(np.float64)


class UnitQ(Heuristic):
    """A Q heuristic: only ``q_values`` (every applicable action costs 1 plus 2 to go)."""

    def q_values(self, states: np.ndarray) -> np.ndarray:
        q = np.full((len(states), self.domain.num_actions), 3.0)
        return np.where(self.domain.applicable(states), q, np.inf)


def test_a_subclass_that_overrides_neither_method_is_refused_at_its_first_call():
    class Forgetful(Heuristic):
        name = "forgetful"

    domain = get_domain("puzzle8")
    for method in (Forgetful(domain).q_values, Forgetful(domain).values):
        with pytest.raises(TypeError) as caught:
            method(domain.goal[None, :])
    message = str(caught.value)
    assert "Forgetful" in message
    assert "q_values(states)" in message
    assert "values(states)" in message


def test_a_state_heuristic_gets_q_values_from_its_children():
    domain = get_domain("puzzle8")
    # The blank in the corner: D and R apply (a tile moves down or right into it), U and L do not.
    state = domain.parse_state("1 2 3 4 5 6 7 8 0")[None, :]
    assert domain.action_names == ["U", "D", "L", "R"]
    q = MisplacedTiles(domain).q_values(state)
    assert q.tolist() == [[np.inf, 2.0, np.inf, 2.0]]  # cost 1 + one tile misplaced


def test_a_q_heuristic_gets_values_as_its_minimum_and_zero_at_the_goal():
    domain = get_domain("puzzle8")
    states = np.stack([domain.goal, domain.parse_state("1 2 3 4 5 6 7 0 8")])
    assert UnitQ(domain).values(states).tolist() == [0.0, 3.0]


def test_a_subclass_of_a_complete_heuristic_need_not_override_again():
    class Named(UnitQ):
        name = "named"

    domain = get_domain("puzzle8")
    assert Named(domain).values(domain.goal[None, :]).tolist() == [0.0]
