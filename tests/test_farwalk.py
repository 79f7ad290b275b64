"""The ``farwalk`` training source: of several walks of one length, the farthest by the classical
heuristic, with its own walk's bound."""

from __future__ import annotations

import numpy as np
import pytest

from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import get_heuristic
from qsolve.training.config import TrainConfig
from qsolve.training.data import HostData


def test_far_walks_keep_the_farthest_of_their_group() -> None:
    domain = get_domain("puzzle8")
    maker = HostData(domain)
    maker.seed(3, 0)
    states, bounds, undo = maker.far_walk_states(12, 200, 4)
    maker.seed(3, 0)
    lengths = np.repeat(maker.randint(13, 200), 4)
    every, costs, _ = maker.walks(lengths)
    h = get_heuristic("manhattan", domain).values(every).reshape(200, 4)
    assert np.array_equal(get_heuristic("manhattan", domain).values(states), h.max(axis=1))
    kept = np.arange(200) * 4 + h.argmax(axis=1)
    assert np.array_equal(states, every[kept])
    assert np.array_equal(bounds, costs[kept])
    assert undo.shape == (200, 1)


def test_far_walk_bounds_are_valid() -> None:
    domain = get_domain("puzzle8")
    maker = HostData(domain)
    maker.seed(5, 1)
    states, bounds, _ = maker.far_walk_states(20, 300, 8)
    assert (get_heuristic("oracle", domain).values(states) <= bounds).all()


def test_farwalk_draws_on_the_host_only() -> None:
    with pytest.raises(QsolveError, match="--source farwalk draws on the host"):
        TrainConfig(domain="puzzle8", out="unused", source="farwalk", data="device")
