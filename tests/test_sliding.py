"""Sliding-tile puzzle: move semantics, parsing, parity, and exhaustive puzzle8 facts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsolve.domains.lightsout import LightsOut
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.errors import QsolveError
from qsolve.heuristics.manhattan import Manhattan

SIZES = [3, 4, 5, 6, 7]
INVERSE = {"U": "D", "D": "U", "L": "R", "R": "L"}

seeds = st.integers(min_value=0, max_value=2**32 - 1)
sizes = st.sampled_from(SIZES)


def walk(domain: SlidingPuzzle, seed: int, n: int = 64, max_len: int = 60) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return domain.random_walk(rng.integers(0, max_len, size=n), rng)


def lehmer_rank(states: np.ndarray) -> np.ndarray:
    """``[N]`` int64: the lexicographic rank of each permutation, a perfect hash into 0..D!-1."""
    d = states.shape[1]
    smaller_after = np.triu(states[:, :, None] > states[:, None, :], k=1).sum(axis=2)
    weights = np.array([math.factorial(d - 1 - i) for i in range(d)], dtype=np.int64)
    return smaller_after @ weights


@pytest.fixture(scope="module")
def puzzle8_bfs() -> tuple[np.ndarray, np.ndarray]:
    """All reachable puzzle8 states and their distances from the goal, by breadth-first search."""
    domain = SlidingPuzzle(3)
    depth = np.full(math.factorial(9), -1, dtype=np.int64)
    frontier = domain.goal_states(1)
    depth[lehmer_rank(frontier)] = 0
    layers, distances = [frontier], [np.zeros(1, dtype=np.int64)]
    d = 0
    while len(frontier):
        d += 1
        children, mask = domain.expand(frontier)
        children = children[mask]
        ranks = lehmer_rank(children)
        ranks, first = np.unique(ranks, return_index=True)
        new = depth[ranks] < 0
        depth[ranks[new]] = d
        frontier = children[first[new]]
        layers.append(frontier)
        distances.append(np.full(len(frontier), d, dtype=np.int64))
    return np.concatenate(layers), np.concatenate(distances)


# -- dynamics ---------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_move_then_inverse_is_identity(size: int, seed: int) -> None:
    domain = SlidingPuzzle(size)
    states = walk(domain, seed)
    mask = domain.applicable(states)
    for a, name in enumerate(domain.action_names):
        inverse = domain.action_names.index(INVERSE[name])
        rows = mask[:, a]
        moved = domain.step(states[rows], np.full(rows.sum(), a))
        assert not np.any(np.all(moved == states[rows], axis=1))
        assert np.array_equal(domain.step(moved, np.full(len(moved), inverse)), states[rows])
        # The inverse move is always applicable after a move.
        assert np.all(domain.applicable(moved)[:, inverse])


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_inapplicable_moves_leave_the_state_unchanged(size: int, seed: int) -> None:
    domain = SlidingPuzzle(size)
    states = walk(domain, seed)
    children, mask = domain.expand(states)
    unchanged = np.all(children == states[:, None, :], axis=2)
    assert np.array_equal(unchanged, ~mask)
    # An applicable move changes exactly two cells: the blank and the moved tile.
    changed = np.sum(children != states[:, None, :], axis=2)
    assert np.all(changed[mask] == 2)


def test_moves_from_the_puzzle8_goal() -> None:
    domain = SlidingPuzzle(3)
    goal = domain.goal_states(1)
    applicable = domain.applicable(goal)[0]
    assert [n for n, ok in zip(domain.action_names, applicable, strict=True) if ok] == ["D", "R"]
    down = domain.step(goal, np.array([domain.action_names.index("D")]))[0]
    assert domain.format_state(down) == "1 2 3 4 5 0 7 8 6"
    right = domain.step(goal, np.array([domain.action_names.index("R")]))[0]
    assert domain.format_state(right) == "1 2 3 4 5 6 7 0 8"
    assert np.array_equal(domain.step(goal, np.array([0])), goal)
    assert np.array_equal(domain.step(goal, np.array([2])), goal)


def test_moves_from_the_top_left_blank() -> None:
    domain = SlidingPuzzle(3)
    state = domain.parse_state("0 1 2 3 4 5 6 7 8")
    assert domain.applicable(state[None])[0].tolist() == [True, False, True, False]
    up = domain.apply_moves(state, domain.parse_moves("U"))
    assert domain.format_state(up) == "3 1 2 0 4 5 6 7 8"
    left = domain.apply_moves(state, domain.parse_moves("L"))
    assert domain.format_state(left) == "1 0 2 3 4 5 6 7 8"


def test_parse_moves_doubling() -> None:
    domain = SlidingPuzzle(4)
    assert domain.parse_moves("U2 D, L R2") == [0, 0, 1, 2, 3, 3]
    with pytest.raises(QsolveError, match="unknown move 'X'"):
        domain.parse_moves("U X")


def test_names_and_shapes() -> None:
    assert [SlidingPuzzle(n).name for n in SIZES] == [
        "puzzle8",
        "puzzle15",
        "puzzle24",
        "puzzle35",
        "puzzle48",
    ]
    domain = SlidingPuzzle(4)
    assert domain.action_names == ["U", "D", "L", "R"]
    assert domain.action_costs.dtype == np.float64
    assert domain.action_costs.tolist() == [1.0] * 4
    assert domain.num_values == 16
    assert domain.text_fields == 16  # derived from format_state(goal), not declared
    assert domain.goal.dtype == np.uint8
    assert domain.format_state(domain.goal) == " ".join(map(str, range(1, 16))) + " 0"
    assert domain.encode(domain.goal_states(2)).shape == (2, 256)
    with pytest.raises(QsolveError, match="size"):
        SlidingPuzzle(1)


# -- random walks, text and parity -------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_parse_format_round_trip(size: int, seed: int) -> None:
    domain = SlidingPuzzle(size)
    for state in walk(domain, seed, n=8):
        parsed = domain.parse_state(domain.format_state(state))
        assert parsed.dtype == np.uint8
        assert np.array_equal(parsed, state)


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_random_walks_stay_solvable_permutations(size: int, seed: int) -> None:
    domain = SlidingPuzzle(size)
    states = walk(domain, seed)
    assert np.all(domain.solvable(states))
    assert np.all(np.sort(states, axis=1) == np.arange(size * size))


@pytest.mark.parametrize("size", SIZES)
def test_walks_of_length_zero_are_the_goal(size: int) -> None:
    domain = SlidingPuzzle(size)
    states = domain.random_walk(np.zeros(5, dtype=np.int64), np.random.default_rng(0))
    assert np.all(domain.is_goal(states))


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_swapping_two_tiles_makes_a_state_unsolvable(size: int, seed: int) -> None:
    domain = SlidingPuzzle(size)
    states = walk(domain, seed, n=16)
    # Swap the first two non-blank cells of each row: an odd permutation, blank fixed.
    order = np.argsort(states == 0, axis=1, kind="stable")[:, :2]
    rows = np.arange(len(states))[:, None]
    swapped = states.copy()
    swapped[rows, order] = states[rows, order[:, ::-1]]
    assert not np.any(domain.solvable(swapped))


@pytest.mark.parametrize(
    ("size", "text", "match"),
    [
        (3, "1 2 3 4 5 6 7 8", "needs 9 tiles"),
        (3, "1 2 3 4 5 6 7 8 0 0", "needs 9 tiles"),
        (3, "", "got 0"),
        (3, "1 2 3 4 x 6 7 8 0", "'x' is not an integer"),
        (3, "1 2 3 4 5.0 6 7 8 0", "'5.0' is not an integer"),
        (3, "1 2 3 4 5 6 7 9 0", "tile 9 is out of range 0..8"),
        (3, "1 2 3 4 5 6 7 -1 0", "tile -1 is out of range"),
        (3, "1 1 3 4 5 6 7 8 0", "repeated 1, missing 2"),
        (3, "2 1 3 4 5 6 7 8 0", "unsolvable"),
        (4, "2 1 3 4 5 6 7 8 9 10 11 12 13 14 15 0", "unsolvable"),
        # Even board: the blank a row up with the tile order unchanged breaks the parity.
        (4, "1 2 3 4 5 6 7 8 9 10 11 0 12 13 14 15", "unsolvable"),
        (5, " ".join(map(str, [2, 1, *range(3, 25), 0])), "unsolvable"),
    ],
)
def test_parse_errors(size: int, text: str, match: str) -> None:
    domain = SlidingPuzzle(size)
    with pytest.raises(QsolveError, match=match) as info:
        domain.parse_state(text)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(domain.name)


def test_parse_accepts_solvable_states() -> None:
    domain = SlidingPuzzle(3)
    assert domain.parse_state("1 2 3 4 5 6 7 8 0").tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 0]
    assert domain.parse_state("  1 2 3\n4 5 0\n7 8 6 ").tolist() == [1, 2, 3, 4, 5, 0, 7, 8, 6]
    assert domain.parse_state("2 1 3 4 5 6 8 7 0").tolist() == [2, 1, 3, 4, 5, 6, 8, 7, 0]
    puzzle15 = SlidingPuzzle(4)
    # The blank one row up together with one transposition restores the parity.
    text = "2 1 3 4 5 6 7 8 9 10 11 0 12 13 14 15"
    assert puzzle15.format_state(puzzle15.parse_state(text)) == text


# -- exhaustive puzzle8 ------------------------------------------------------------------------


def test_puzzle8_bfs_reaches_half_the_permutations(
    puzzle8_bfs: tuple[np.ndarray, np.ndarray],
) -> None:
    states, distances = puzzle8_bfs
    assert len(states) == 181440
    assert len(np.unique(lehmer_rank(states))) == 181440
    assert distances.max() == 31
    assert np.count_nonzero(distances == 31) == 2
    hardest = {SlidingPuzzle(3).format_state(s) for s in states[distances == 31]}
    assert hardest == {"8 6 7 2 5 4 3 0 1", "6 4 7 8 5 0 3 2 1"}
    assert np.all(SlidingPuzzle(3).solvable(states))


def test_puzzle8_solvable_matches_reachability(puzzle8_bfs: tuple[np.ndarray, np.ndarray]) -> None:
    domain = SlidingPuzzle(3)
    everything = np.array(list(itertools.permutations(range(9))), dtype=np.uint8)
    reached = np.zeros(len(everything), dtype=bool)
    reached[lehmer_rank(puzzle8_bfs[0])] = True
    # itertools yields permutations in lexicographic order, so row i has rank i.
    assert np.array_equal(lehmer_rank(everything[:1000]), np.arange(1000))
    assert np.array_equal(domain.solvable(everything), reached)


def test_manhattan_is_admissible_and_consistent(puzzle8_bfs: tuple[np.ndarray, np.ndarray]) -> None:
    domain = SlidingPuzzle(3)
    heuristic = Manhattan(domain)
    states, distances = puzzle8_bfs
    h = heuristic.values(states)
    assert h.dtype == np.float64
    assert np.all(h <= distances)
    assert h[0] == 0.0
    assert np.array_equal(h == 0, distances == 0)
    # Every move shifts one tile by one cell, so h changes by exactly 1.
    sample = states[::97]
    children, mask = domain.expand(sample)
    child_h = heuristic.values(children.reshape(-1, 9)).reshape(len(sample), 4)
    assert np.all(np.abs(child_h - heuristic.values(sample)[:, None])[mask] == 1)


def test_manhattan_values_and_q_values() -> None:
    domain = SlidingPuzzle(3)
    heuristic = Manhattan(domain)
    states = np.stack(
        [
            domain.parse_state("1 2 3 4 5 6 7 8 0"),
            domain.parse_state("1 2 3 4 5 0 7 8 6"),
            domain.parse_state("8 6 7 2 5 4 3 0 1"),
        ]
    )
    assert heuristic.values(states).tolist() == [0.0, 1.0, 21.0]
    q = heuristic.q_values(states[1:2])[0]
    # From "1 2 3 4 5 0 7 8 6": U restores the goal, D and R move away, L is off the board.
    assert q.tolist() == [1.0, 3.0, np.inf, 3.0]
    assert heuristic.name == "manhattan"


def test_manhattan_rejects_other_domains() -> None:
    with pytest.raises(QsolveError, match="only defined for sliding puzzles"):
        Manhattan(LightsOut(5))


@settings(max_examples=30, deadline=None)
@given(size=sizes, seed=seeds)
def test_step_is_the_swap_with_the_blank(size: int, seed: int) -> None:
    # The flat-index `_step` against the swap written out per row, inapplicable moves included,
    # on contiguous and strided rows.
    domain = SlidingPuzzle(size)
    rng = np.random.default_rng(seed)
    states = np.concatenate([walk(domain, seed), walk(domain, seed + 1)])
    actions = rng.integers(0, 4, len(states))
    for rows, acts in ((states, actions), (states[::2], actions[::2])):
        expected = rows.copy()
        for i, (state, a) in enumerate(zip(rows, acts, strict=True)):
            blank = int(np.flatnonzero(state == 0)[0])
            target = domain._targets[blank, a]
            expected[i, blank], expected[i, target] = state[target], 0
        assert np.array_equal(domain._step(rows, acts), expected)
        assert np.array_equal(domain._is_goal(rows), np.all(rows == domain.goal, axis=1))
