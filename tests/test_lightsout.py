"""Lights Out: press algebra, parsing, GF(2) solvability, optimal costs against exhaustive BFS."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsolve.domains import get_domain
from qsolve.domains.lightsout import LightsOut
from qsolve.errors import QsolveError
from qsolve.heuristics import get_heuristic
from qsolve.search import qstar_search

seeds = st.integers(min_value=0, max_value=2**32 - 1)
sizes = st.sampled_from([3, 4, 5, 7])


def walk(domain: LightsOut, seed: int, n: int = 64, max_len: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return domain.random_walk(rng.integers(0, max_len, size=n), rng)


def gf2_rank(matrix: np.ndarray) -> int:
    """Rank over GF(2), rows as Python int bitsets: independent of the domain's elimination."""
    rows = [int("".join(map(str, row)), 2) for row in matrix.tolist()]
    rank = 0
    while rows:
        pivot = rows.pop()
        if pivot:
            rank += 1
            top = pivot.bit_length() - 1
            rows = [r ^ pivot if r >> top & 1 else r for r in rows]
    return rank


def bfs_distances(domain: LightsOut) -> np.ndarray:
    """Distance from the goal of every state code (``-1`` if unreachable), codes bit i = cell i."""
    d = domain.state_dim
    weights = np.int64(1) << np.arange(d, dtype=np.int64)
    depth = np.full(2**d, -1, dtype=np.int64)
    frontier = domain.goal_states(1)
    depth[0] = 0
    level = 0
    while len(frontier):
        level += 1
        children, _ = domain.expand(frontier)
        children = children.reshape(-1, d)
        codes, first = np.unique(children.astype(np.int64) @ weights, return_index=True)
        new = depth[codes] < 0
        depth[codes[new]] = level
        frontier = children[first[new]]
    return depth


def all_states(d: int) -> np.ndarray:
    """``[2^d, d]`` uint8: every board, row i being the bits of i."""
    return ((np.arange(2**d)[:, None] >> np.arange(d)[None, :]) & 1).astype(np.uint8)


# -- dynamics ---------------------------------------------------------------------------------


def test_names_and_shapes() -> None:
    assert LightsOut(7).name == "lightsout7"
    assert LightsOut(5).name == "lightsout5"
    assert LightsOut(3).name == "lightsout3"
    domain = LightsOut(5)
    assert domain.action_names == [str(i) for i in range(25)]
    assert domain.action_costs.dtype == np.float64
    assert domain.action_costs.tolist() == [1.0] * 25
    assert domain.num_values == 2
    assert domain.goal.dtype == np.uint8
    assert domain.goal.tolist() == [0] * 25
    assert domain.encode(domain.goal_states(3)).shape == (3, 50)
    with pytest.raises(QsolveError, match="at least 2"):
        LightsOut(1)


def test_press_masks() -> None:
    domain = LightsOut(3)
    assert domain.format_state(domain.press_masks[0]) == "110100000"
    assert domain.format_state(domain.press_masks[4]) == "010111010"
    assert domain.format_state(domain.press_masks[8]) == "000001011"
    big = LightsOut(7)
    # Corner cells touch 3 cells, edge cells 4, inner cells 5.
    counts = big.press_masks.sum(axis=1).reshape(7, 7)
    assert counts[0, 0] == counts[6, 6] == 3
    assert counts[0, 3] == counts[3, 0] == 4
    assert np.all(counts[1:-1, 1:-1] == 5)
    assert np.array_equal(big.press_masks, big.press_masks.T)


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_pressing_twice_is_the_identity(size: int, seed: int) -> None:
    domain = LightsOut(size)
    states = walk(domain, seed)
    actions = np.random.default_rng(seed).integers(0, domain.num_actions, size=len(states))
    once = domain.step(states, actions)
    assert not np.any(np.all(once == states, axis=1))
    assert np.array_equal(domain.step(once, actions), states)
    assert np.all(domain.applicable(states))


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_presses_commute(size: int, seed: int) -> None:
    domain = LightsOut(size)
    states = walk(domain, seed)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, domain.num_actions, size=(2, len(states)))
    ab = domain.step(domain.step(states, a), b)
    ba = domain.step(domain.step(states, b), a)
    assert np.array_equal(ab, ba)


# -- random walks and text ---------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_parse_format_round_trip(size: int, seed: int) -> None:
    domain = LightsOut(size)
    for state in walk(domain, seed, n=8):
        text = domain.format_state(state)
        assert len(text) == size * size
        assert np.array_equal(domain.parse_state(f"  {text}\n"), state)


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_random_walks_stay_solvable_within_their_length(size: int, seed: int) -> None:
    domain = LightsOut(size)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 30, size=64)
    states = domain.random_walk(lengths, rng)
    assert np.all(domain.solvable(states))
    assert np.all(domain.optimal_cost(states) <= lengths)
    assert np.all(domain.is_goal(states[lengths == 0]))


@pytest.mark.parametrize("size", [3, 4, 5, 7])
def test_presses_solve_the_state(size: int) -> None:
    domain = LightsOut(size)
    states = walk(domain, size)
    presses = domain.presses(states)
    assert np.array_equal(presses.sum(axis=1), domain.optimal_cost(states))
    # Applying the chosen presses, in any order, turns every light off.
    solved = states.copy()
    for cell in range(domain.num_actions):
        rows = presses[:, cell] == 1
        solved[rows] = domain.step(solved[rows], np.full(rows.sum(), cell))
    assert np.all(domain.is_goal(solved))
    # A single press is never solved by fewer than one press.
    assert np.all(domain.optimal_cost(domain.press_masks) == 1)
    assert domain.optimal_cost(domain.goal_states(1)).tolist() == [0]


@pytest.mark.parametrize(
    ("size", "text", "match"),
    [
        (5, "0" * 24, "needs 25 cells"),
        (5, "0" * 26, "got 26"),
        (5, "", "got 0"),
        (3, "0000 0000", "cells must be 0 or 1, got ' '"),
        (3, "000020000", "cells must be 0 or 1, got '2'"),
        (3, "0000x0000", "got 'x'"),
        # A single corner light is orthogonal to neither null vector of the 5x5 board.
        (5, "1" + "0" * 24, "unsolvable"),
        (4, "1" + "0" * 15, "unsolvable"),
    ],
)
def test_parse_errors(size: int, text: str, match: str) -> None:
    domain = LightsOut(size)
    with pytest.raises(QsolveError, match=match) as info:
        domain.parse_state(text)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(domain.name)


def test_parse_accepts_solvable_states() -> None:
    domain = LightsOut(5)
    # The centre press pattern is solvable by construction.
    text = "0000000100011100010000000"
    assert domain.format_state(domain.parse_state(text)) == text
    assert domain.optimal_cost(domain.parse_state(text)[None]).tolist() == [1]
    # 7x7 has full rank: every board is solvable.
    assert LightsOut(7).parse_state("1" + "0" * 48).tolist() == [1] + [0] * 48


def test_parse_moves_reads_cell_indices() -> None:
    domain = LightsOut(5)
    assert domain.parse_moves("0 12, 24") == [0, 12, 24]
    # No "X2" doubling: "12" on a 3x3 board is an unknown cell, not "1" twice.
    with pytest.raises(QsolveError, match="unknown move '12'"):
        LightsOut(3).parse_moves("12")
    with pytest.raises(QsolveError, match="unknown move '25'"):
        domain.parse_moves("25")
    with pytest.raises(QsolveError, match="unknown move 'a'"):
        domain.parse_moves("a")


# -- GF(2) structure and exhaustive search -----------------------------------------------------


@pytest.mark.parametrize(("size", "rank"), [(2, 4), (3, 9), (4, 12), (5, 23), (6, 36), (7, 49)])
def test_press_matrix_rank(size: int, rank: int) -> None:
    domain = LightsOut(size)
    assert gf2_rank(domain.press_masks) == rank
    assert domain.rank == rank
    null = domain.null_space.astype(np.int64)
    assert null.shape == (size * size - rank, size * size)
    assert np.all((null @ domain.press_masks.astype(np.int64)) % 2 == 0)
    if len(null):
        assert gf2_rank(domain.null_space) == len(null)


@pytest.mark.parametrize(("size", "reachable"), [(2, 16), (3, 512), (4, 4096)])
def test_optimal_cost_matches_bfs(size: int, reachable: int) -> None:
    domain = LightsOut(size)
    depth = bfs_distances(domain)
    assert np.count_nonzero(depth >= 0) == reachable
    states = all_states(size * size)
    solvable = domain.solvable(states)
    assert np.array_equal(solvable, depth >= 0)
    assert np.array_equal(domain.optimal_cost(states[solvable]), depth[solvable])


def test_optimal_cost_rejects_unsolvable_states() -> None:
    domain = LightsOut(4)
    states = domain.goal_states(2)
    states[1, 0] = 1  # a lone corner light
    assert not domain.solvable(states)[1]
    with pytest.raises(ValueError, match="needs solvable lightsout4 states"):
        domain.optimal_cost(states)


@pytest.mark.parametrize("size", [5, 7])
def test_oracle_heuristic_walks_straight_down_an_optimal_path(size: int) -> None:
    domain = get_domain(f"lightsout{size}")
    oracle = get_heuristic("oracle", domain)
    starts = walk(domain, seed=size, n=10, max_len=30)
    np.testing.assert_array_equal(oracle.values(starts), domain.optimal_cost(starts))
    for start, best in zip(starts, domain.optimal_cost(starts), strict=True):
        result = qstar_search(domain, oracle, start)
        assert result.solved and result.cost == best and result.nodes_generated == best + 1
        assert domain.is_goal(domain.apply_moves(start, result.actions)[None])[0]
