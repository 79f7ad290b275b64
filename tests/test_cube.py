"""The cube models against standard notation, and their group algebra."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsolve.domains import get_domain
from qsolve.domains.cube import CUBE3_MOVES, EDGE_FACELETS, Cube2, inverse_move
from qsolve.errors import QsolveError

CUBE3 = get_domain("cube3")
META = get_domain("cube3-meta")
CUBE2 = get_domain("cube2")
SOLVED = "UUUUUUUUURRRRRRRRRFFFFFFFFFDDDDDDDDDLLLLLLLLLBBBBBBBBB"


def scrambled(domain, moves: str) -> str:
    return domain.format_state(domain.apply_moves(domain.goal, domain.parse_moves(moves)))


def test_goal_text():
    assert CUBE3.format_state(CUBE3.goal) == SOLVED
    assert CUBE2.format_state(CUBE2.goal) == "UUUURRRRFFFFDDDDLLLLBBBB"


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        # Single quarter turns in Kociemba's facelet order, clockwise looking at the face.
        ("R", "UUFUUFUUFRRRRRRRRRFFDFFDFFDDDBDDBDDBLLLLLLLLLUBBUBBUBB"),
        ("U", "UUUUUUUUUBBBRRRRRRRRRFFFFFFDDDDDDDDDFFFLLLLLLLLLBBBBBB"),
        ("F", "UUUUUULLLURRURRURRFFFFFFFFFRRRDDDDDDLLDLLDLLDBBBBBBBBB"),
        # Checkerboard: every edge facelet shows the opposite face's colour.
        ("U2 D2 F2 B2 L2 R2", "UDUDUDUDURLRLRLRLRFBFBFBFBFDUDUDUDUDLRLRLRLRLBFBFBFBFB"),
    ],
)
def test_known_patterns(moves, expected):
    assert scrambled(CUBE3, moves) == expected


def test_superflip():
    # The 20-move superflip (half-turn metric): every edge flipped in place, all else solved.
    state = CUBE3.apply_moves(
        CUBE3.goal, CUBE3.parse_moves("U R2 F B R B2 R U2 L B2 R U' D' R2 F R' L B2 U2 F2")
    )
    expected = CUBE3.goal.copy()
    for a, b in EDGE_FACELETS:
        expected[a], expected[b] = CUBE3.goal[b], CUBE3.goal[a]
    assert np.array_equal(state, expected)


def test_sexy_move_has_order_six():
    state = CUBE3.goal
    seen = []
    for _ in range(6):
        state = CUBE3.apply_moves(state, CUBE3.parse_moves("R U R' U'"))
        seen.append(CUBE3.is_goal(state[None])[0])
    assert seen == [False] * 5 + [True]


@given(st.lists(st.integers(0, 11), max_size=30), st.integers(0, 11))
@settings(max_examples=60, deadline=None)
def test_move_then_inverse_is_identity(walk, move):
    state = CUBE3.apply_moves(CUBE3.goal, walk)
    inverse = CUBE3.action_names.index(inverse_move(CUBE3.action_names[move]))
    assert np.array_equal(CUBE3.apply_moves(state, [move, inverse]), state)


@pytest.mark.parametrize("domain", [CUBE3, CUBE2], ids=["cube3", "cube2"])
def test_quarter_turns_have_order_four(domain):
    for a in range(domain.num_actions):
        once = domain.apply_moves(domain.goal, [a])
        assert not domain.is_goal(once[None])[0]
        assert np.array_equal(domain.apply_moves(domain.goal, [a] * 4), domain.goal)


def test_meta_actions_equal_their_quarter_turns():
    assert META.num_actions == 12 + 144 + 1728 == 1884
    rng = np.random.default_rng(1)
    starts = CUBE3.random_walk(rng.integers(0, 20, 64), rng)
    for action in rng.choice(META.num_actions, 200, replace=False).tolist() + list(range(12)):
        quarter_turns = META.parse_moves(" ".join(META.base_moves([action])))
        assert META.action_costs[action] == len(quarter_turns)
        expected = starts
        for a in quarter_turns:
            expected = CUBE3.step(expected, np.full(len(starts), a))
        assert np.array_equal(META.step(starts, np.full(len(starts), action)), expected)


@given(st.lists(st.integers(0, 11), max_size=40))
@settings(max_examples=50, deadline=None)
def test_parse_format_round_trip(walk):
    state = CUBE3.apply_moves(CUBE3.goal, walk)
    assert np.array_equal(CUBE3.parse_state(CUBE3.format_state(state)), state)
    small = CUBE2.apply_moves(CUBE2.goal, [a % 6 for a in walk])
    assert np.array_equal(CUBE2.parse_state(CUBE2.format_state(small)), small)


def test_cube2_is_the_corners_of_cube3():
    rng = np.random.default_rng(2)
    walks = rng.integers(0, 6, (20, 15))
    for walk in walks:
        names = " ".join(CUBE2.action_names[a] for a in walk)
        big = CUBE3.apply_moves(CUBE3.goal, CUBE3.parse_moves(names))
        small = CUBE2.apply_moves(CUBE2.goal, CUBE2.parse_moves(names))
        assert np.array_equal(big[[f * 9 + i for f in range(6) for i in (0, 2, 6, 8)]], small)


def test_random_walks_of_length_zero_are_the_goal():
    rng = np.random.default_rng(0)
    for domain in (CUBE3, META, CUBE2):
        assert domain.is_goal(domain.random_walk(np.zeros(5, dtype=int), rng)).all()


def test_cube2_index_is_a_bijection_on_a_sample():
    rng = np.random.default_rng(3)
    states = CUBE2.random_walk(rng.integers(0, 30, 20000), rng)
    index = CUBE2.index(states)
    assert index.min() >= 0 and index.max() < Cube2.num_states
    unique_states = np.unique(states, axis=0)
    assert len(np.unique(CUBE2.index(unique_states))) == len(unique_states)


def _swap(text: str, i: int, j: int) -> str:
    chars = list(text)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SOLVED[:-1], "54 facelet letters"),
        (SOLVED[:-1] + "X", "unknown colour"),
        ("U" + SOLVED[1:-1] + "U", "each colour must appear 9 times"),
        # Twist one corner: URF's three stickers rotated in place.
        (_swap(_swap(SOLVED, 8, 9), 9, 20), "twisted"),
        # Flip one edge: UF's two stickers swapped.
        (_swap(SOLVED, 7, 19), "flipped"),
        # Swap two edges (UF and UR): the corners stay, so the permutation parity is odd.
        (_swap(_swap(SOLVED, 7, 5), 19, 10), "parity"),
        # Swap two centres.
        (_swap(SOLVED, 4, 13), "centres"),
    ],
)
def test_impossible_cubes_are_rejected(text, message):
    with pytest.raises(QsolveError, match=message):
        CUBE3.parse_state(text)


def test_valid_cubes_are_accepted():
    rng = np.random.default_rng(4)
    for state in CUBE3.random_walk(rng.integers(0, 40, 50), rng):
        CUBE3.parse_state(CUBE3.format_state(state))


def test_cube2_rejects_a_moved_fixed_corner_and_a_twist():
    # D moves the fixed DLB corner, which the 2x2x2 model never does.
    turned_d = CUBE3.apply_moves(CUBE3.goal, CUBE3.parse_moves("D"))
    text = CUBE3.format_state(turned_d)
    corners_only = "".join(text[f * 9 + i] for f in range(6) for i in (0, 2, 6, 8))
    with pytest.raises(QsolveError, match="DLB"):
        CUBE2.parse_state(corners_only)
    twisted = _swap(_swap("UUUURRRRFFFFDDDDLLLLBBBB", 3, 4), 4, 9)
    with pytest.raises(QsolveError, match="twisted"):
        CUBE2.parse_state(twisted)


def test_move_names():
    assert CUBE3.action_names == CUBE3_MOVES == "U U' R R' F F' D D' L L' B B'".split()
    assert CUBE3.parse_moves("R2 U'") == [2, 2, 1]
    with pytest.raises(QsolveError, match="unknown move"):
        CUBE3.parse_moves("R Q")
    assert META.format_moves([0, 12 + 3]) == ["U", "[U R']"]


def test_meta_random_walks_are_the_cube3_scrambles():
    lengths = np.arange(10)
    meta = META.random_walk(lengths, np.random.default_rng(6))
    assert np.array_equal(meta, CUBE3.random_walk(lengths, np.random.default_rng(6)))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40))
def test_step_is_the_row_gather(seed: int, n: int) -> None:
    # The flat gather behind `_step` against the 2-D definition, on contiguous and strided rows.
    rng = np.random.default_rng(seed)
    for domain in (CUBE3, META, CUBE2):
        states = domain.random_walk(rng.integers(0, 20, 2 * n), rng)
        actions = rng.integers(0, domain.num_actions, n)
        for rows in (states[:n], states[::2]):
            expected = np.take_along_axis(rows, domain.perms[actions], axis=1)
            assert np.array_equal(domain._step(rows, actions), expected)
            assert domain._step(rows, actions).dtype == rows.dtype


def test_goal_test_on_contiguous_and_strided_rows() -> None:
    rng = np.random.default_rng(3)
    for domain in (CUBE3, CUBE2):
        states = domain.random_walk(rng.integers(0, 3, 64), rng)
        expected = np.all(states == domain.goal, axis=1)
        assert expected.any() and not expected.all()
        assert np.array_equal(domain._is_goal(states), expected)
        assert np.array_equal(domain._is_goal(states[::2]), expected[::2])
        assert np.array_equal(domain._is_goal(states.astype(np.int64)), expected)
        assert domain._is_goal(states[:0]).shape == (0,)
