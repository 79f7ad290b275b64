"""The shared permutation arithmetic: Lehmer ranks and parities, and the indexes built on them."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsolve.domains import get_domain
from qsolve.domains.permutations import lehmer_rank, permutation_parity
from qsolve.heuristics.oracle import state_index


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7])
def test_lehmer_rank_is_the_lexicographic_position(k):
    perms = np.array(list(itertools.permutations(range(k))), dtype=np.uint8)
    assert np.array_equal(lehmer_rank(perms), np.arange(len(perms)))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7])
def test_parity_counts_the_inversions(k):
    perms = np.array(list(itertools.permutations(range(k))))
    inversions = [sum(p[i] > p[j] for i, j in itertools.combinations(range(k), 2)) for p in perms]
    assert np.array_equal(permutation_parity(perms), np.array(inversions) % 2)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 16), st.integers(0, 2**32 - 1))
def test_parity_of_a_composition_is_the_sum_of_parities(k, seed):
    rng = np.random.default_rng(seed)
    p, q = (np.argsort(rng.random((8, k)), axis=1) for _ in range(2))
    composed = np.take_along_axis(p, q, axis=1)
    expected = (permutation_parity(p) + permutation_parity(q)) % 2
    assert np.array_equal(permutation_parity(composed), expected)


@pytest.mark.parametrize(
    ("moves", "index"),
    # The cached distance tables are stored by these indexes: they must never change.
    [("", 0), ("R", 2208639), ("U F", 350332), ("R U R' U'", 2226876), ("F' R U2 F R'", 59324)],
)
def test_cube2_index_stays_the_one_the_cached_tables_use(moves, index):
    cube2 = get_domain("cube2")
    state = cube2.apply_moves(cube2.goal, cube2.parse_moves(moves))
    assert int(cube2.index(state[None])[0]) == index
    assert int(state_index(cube2, state[None])[0]) == index


def test_puzzle8_table_index_is_the_lehmer_rank_of_the_tiles():
    puzzle8 = get_domain("puzzle8")
    states = np.array([[0, 1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1, 0]], dtype=np.uint8)
    assert state_index(puzzle8, states).tolist() == [0, 362879]
    assert state_index(puzzle8, puzzle8.goal[None]).tolist() == [46233]
