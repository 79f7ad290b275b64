"""Random-walk instances (``qsolve.api.random_walk_instances``, behind ``--random-walk``): walks
that never undo their last move, instance i drawn from (seed, i) alone."""

from __future__ import annotations

import time

import numpy as np
import pytest

from qsolve import api
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics.oracle import Oracle


def test_walks_never_undo_their_last_move():
    # The 8-puzzle's shortest cycles are 12 moves long, so a walk of k <= 6 moves that never
    # undoes its last one ends exactly k moves from the goal (a walk that may undo, often nearer).
    domain = get_domain("puzzle8")
    oracle = Oracle(domain)
    for k in range(7):
        distances = oracle.values(api.random_walk_instances(domain, k, 300, seed=k))
        assert distances.tolist() == [k] * 300
    backtracking = domain.random_walk(np.full(300, 6), np.random.default_rng(0))
    assert (oracle.values(backtracking) < 6).sum() > 100


def test_instance_i_depends_on_the_seed_and_i_alone():
    domain = get_domain("cube3")
    walks = api.random_walk_instances(domain, 20, 700, seed=5)  # two chunks of draws
    assert walks.shape == (700, 54) and walks.dtype == domain.dtype
    assert np.array_equal(api.random_walk_instances(domain, 20, 1, seed=5)[0], walks[0])
    assert np.array_equal(api.random_walk_instances(domain, 20, 3, seed=5), walks[:3])
    assert not np.array_equal(api.random_walk_instances(domain, 20, 3, seed=6), walks[:3])
    assert len(np.unique(walks, axis=0)) == 700
    # cube3-meta walks quarter turns: the scrambles of cube3.
    assert np.array_equal(api.random_walk_instances("cube3-meta", 20, 3, seed=5), walks[:3])
    # Length 0: the goal; count 0: no instances.
    assert (api.random_walk_instances(domain, 0, 2) == domain.goal).all()
    assert api.random_walk_instances(domain, 5, 0).shape == (0, 54)


def test_each_instance_draws_its_own_goal_state_where_the_goal_is_a_condition():
    domain = get_domain("sokoban")
    rooms = api.random_walk_instances(domain, 0, 6, seed=2)
    assert domain.is_goal(rooms).all()
    assert np.array_equal(api.random_walk_instances(domain, 0, 2, seed=2), rooms[:2])
    assert len(np.unique(rooms, axis=0)) == 6
    walked = api.random_walk_instances(domain, 40, 6, seed=2)
    assert np.array_equal(domain.instance(walked), domain.instance(rooms))  # same rooms


def test_bad_arguments_and_the_deadline_are_one_sentence():
    with pytest.raises(QsolveError, match="the random walk length must be at least 0"):
        api.random_walk_instances("puzzle8", -1, 3)
    with pytest.raises(QsolveError, match="the seed must be"):
        api.random_walk_instances("puzzle8", 3, 3, seed=-2)
    with pytest.raises(QsolveError, match="the time limit ran out while making the instances"):
        api.random_walk_instances("puzzle8", 10**9, 1, deadline=time.monotonic() + 0.2)
