"""Input checks at the API boundary: arrays, actions and options are accepted exactly when they are
valid, by the same rules as the text parsers, and anything else is a QsolveError."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qsolve
from qsolve import QsolveError
from qsolve.domains import DOMAINS, get_domain
from qsolve.heuristics import Heuristic
from qsolve.search.common import iter_lockstep, run_lockstep

NAMES = list(DOMAINS)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_accepts(domain: qsolve.Domain, state: np.ndarray) -> bool:
    try:
        domain.parse_state(domain.format_state(state))
    except QsolveError:
        return False
    return True


def _array_accepts(domain: qsolve.Domain, states: np.ndarray) -> bool:
    try:
        domain.check_states(states)
    except QsolveError:
        return False
    return True


def a_goal_state(domain: qsolve.Domain) -> np.ndarray:
    """The goal, or one goal state of a domain whose goal is a condition."""
    if domain.has_goal_state:
        return domain.goal
    return domain.goal_states(1, np.random.default_rng(0))[0]


@st.composite
def in_range_states(draw: st.DrawFn, name: str) -> np.ndarray:
    """A state of ``name``'s shape and value range: a random walk with a few entries changed or
    swapped (so that every rule, not just the colour count, gets exercised), or random values."""
    domain = get_domain(name)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    state = domain.random_walk(np.array([draw(st.integers(0, 30))]), rng)[0]
    for _ in range(draw(st.integers(0, 3))):
        i, j = rng.integers(0, domain.state_dim, 2)
        if draw(st.booleans()):
            state[[i, j]] = state[[j, i]]
        else:
            state[i] = rng.integers(0, domain.num_values)
    if draw(st.integers(0, 4)) == 0:
        state = rng.integers(0, domain.num_values, domain.state_dim).astype(domain.dtype)
    return state


@pytest.mark.parametrize("name", NAMES)
def test_arrays_are_accepted_exactly_when_their_text_is(name):
    domain = get_domain(name)

    @FAST
    @given(in_range_states(name))
    def check(state):
        assert _array_accepts(domain, state) == _parse_accepts(domain, state)
        # Any integer dtype holding the same values is the same state.
        assert _array_accepts(domain, state.astype(np.int64)[None]) == _array_accepts(domain, state)

    check()


@pytest.mark.parametrize("name", NAMES)
def test_random_walks_are_valid_and_the_goal_is(name):
    domain = get_domain(name)
    states = domain.random_walk(np.arange(20), np.random.default_rng(1))
    checked = domain.check_states(states.astype(np.int32))
    assert checked.dtype == domain.dtype and np.array_equal(checked, states)
    goal = a_goal_state(domain)
    assert np.array_equal(domain.check_states(goal), goal[None])


@pytest.mark.parametrize("name", NAMES)
def test_wrong_arrays_are_refused_by_the_api_and_every_checked_domain_method(name):
    domain = get_domain(name)
    checked = qsolve.CheckedDomain(domain)
    goal = a_goal_state(domain)[None, :]
    wide = np.zeros((1, domain.state_dim + 1), dtype=domain.dtype)
    too_big = goal.astype(np.int64)
    too_big[0, 0] = domain.num_values  # one past the range; 256 + that wraps in uint8
    wrapping = goal.astype(np.int64)
    wrapping[0, 0] += 256
    bad_arrays = [
        goal.astype(np.float64),  # integers only, even when the values are whole
        goal.astype(np.float64) + 0.5,
        np.full_like(goal, np.nan, dtype=np.float64),
        wide,
        goal[:, :-1],
        too_big,
        wrapping,
        goal.astype(np.int64) - 1,
        np.array([["x"] * domain.state_dim]),
        goal[None],  # [1, 1, D]
    ]
    for states in bad_arrays:
        with pytest.raises(QsolveError):
            domain.check_states(states)
        with pytest.raises(QsolveError):
            qsolve.solve(domain, states, heuristic="zero", max_nodes=10)
        for method in (
            checked.applicable,
            checked.is_goal,
            checked.expand,
            checked.encode,
            checked.reverse_applicable,
        ):
            with pytest.raises(QsolveError):
                method(states)
        with pytest.raises(QsolveError):
            checked.step(states, np.zeros(len(states), dtype=np.int64))
        with pytest.raises(QsolveError):
            checked.reverse_step(states, np.zeros(len(states), dtype=np.int64))


@pytest.mark.parametrize("name", NAMES)
def test_actions_out_of_range_or_not_integers_are_refused(name):
    domain = get_domain(name)
    checked = qsolve.CheckedDomain(domain)
    goal = a_goal_state(domain)[None, :]
    for actions in ([-1], [domain.num_actions], [0.0], [0, 0], [[0]], ["U"]):
        with pytest.raises(QsolveError):
            checked.step(goal, np.array(actions))
    for moves in ([-1], [domain.num_reverse], [0.5]):
        with pytest.raises(QsolveError):
            checked.reverse_step(goal, np.array(moves))
    with pytest.raises(QsolveError):
        domain.apply_moves(goal[0], [-1])
    with pytest.raises(QsolveError):
        domain.format_moves([domain.num_actions])
    # A valid call gives what the domain's own operation gives (its older name too).
    states = domain.random_walk(np.full(5, 7), np.random.default_rng(2))
    actions = np.arange(5) % domain.num_actions
    assert np.array_equal(checked.step(states, actions), domain.step(states, actions))
    assert np.array_equal(
        checked.step(states.astype(np.int64), actions), domain._step(states, actions)
    )
    assert np.array_equal(checked.encode(states), domain.encode(states))
    assert np.array_equal(checked.is_goal(states), domain.is_goal(states))
    assert checked.name == domain.name and checked.num_actions == domain.num_actions


def test_the_issue_examples_are_refused():
    for states in (
        np.array([[257, 2, 3, 4, 5, 6, 7, 8, 0]]),
        np.array([[1.7, 2, 3, 4, 5, 6, 7, 8, 0]]),
        np.array([[1, 1, 3, 4, 5, 6, 7, 8, 0]]),  # a repeated tile
        np.array([[2, 1, 3, 4, 5, 6, 7, 8, 0]]),  # the wrong parity
        np.array([[np.nan, 2, 3, 4, 5, 6, 7, 8, 0]]),
    ):
        with pytest.raises(QsolveError, match="puzzle8"):
            qsolve.solve("puzzle8", states)
    twisted = get_domain("cube3").goal.copy()
    twisted[[8, 9, 20]] = twisted[[9, 20, 8]]  # URF's three stickers turned in place
    with pytest.raises(QsolveError, match="twisted"):
        qsolve.solve("cube3", twisted)
    with pytest.raises(QsolveError, match="unsolvable"):
        qsolve.solve("lightsout5", np.array([1] + [0] * 24))


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("time_limit", math.nan),
        ("time_limit", math.inf),
        ("time_limit", 0),
        ("time_limit", -1.0),
        ("weight", -0.5),
        ("weight", math.nan),
        ("weight", 2),
        ("batch_size", 0),
        ("batch_size", 2.0),
        ("batch_size", 10**12),
        ("max_nodes", 0),
        ("max_nodes", 1.5),
        ("max_iterations", -1),
        ("heuristic_batch", 0),
        ("parallel", 0),
        ("parallel", True),
    ],
)
def test_bad_options_are_refused_before_any_search(option, value):
    with pytest.raises(QsolveError):
        qsolve.solve("puzzle8", "1 2 3 4 5 6 7 0 8", heuristic="zero", **{option: value})


class Counting(Heuristic):
    """A heuristic that counts its calls (zero estimates)."""

    name = "counting"

    def __init__(self, domain):
        super().__init__(domain)
        self.calls = 0

    def q_values(self, states):
        self.calls += 1
        q = np.broadcast_to(self.domain.action_costs, (len(states), self.domain.num_actions))
        return np.where(self.domain.applicable(states), q, np.inf)


def test_lockstep_results_stream_in_input_order():
    domain = get_domain("puzzle8")
    walks = domain.random_walk(np.array([0, 12, 3, 14, 0, 9]), np.random.default_rng(5))
    heuristic = Counting(domain)
    results = qsolve.api.solve_iter(domain, walks, heuristic=heuristic, parallel=4)
    first = next(results)
    # The start that is the goal is final before any heuristic call of the others is answered.
    assert first.solved and first.cost == 0 and heuristic.calls <= 1
    rest = list(results)
    assert heuristic.calls > 1
    alone = qsolve.solve(domain, walks, heuristic="zero", parallel=1)
    for a, b in zip([first, *rest], alone, strict=True):
        assert (a.solved, a.actions, a.cost, a.nodes_generated) == (
            b.solved,
            b.actions,
            b.cost,
            b.nodes_generated,
        )


def test_iter_lockstep_yields_each_result_once_its_prefix_is_done():
    def search(steps, name):
        for _ in range(steps):
            yield np.zeros((1, 1))
        return name

    seen = []

    def evaluate(states):
        seen.append(len(states))
        return np.zeros(len(states))

    order = iter_lockstep([search(3, "a"), search(1, "b"), search(0, "c")], evaluate, 3)
    assert next(order) == "a" and len(seen) == 3  # "a" needs three rounds
    assert list(order) == ["b", "c"]
    assert run_lockstep([search(2, "x"), search(0, "y")], evaluate, 1) == ["x", "y"]


# -- fuzz: random text and random arrays give a QsolveError or a correct solution --------------


def _replays_to_goal(domain, start, result):
    if not result.solved:
        return True
    end = domain.apply_moves(start, result.actions)
    return bool(domain.is_goal(end[None])[0]) and result.cost == pytest.approx(
        float(domain.action_costs[result.actions].sum())
    )


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_text_to_the_parser_and_solve(name):
    domain = get_domain(name)
    alphabet = "0123456789URFDLB -,\t.x\ufeff\u00e9"

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(st.text(alphabet=alphabet, max_size=80), st.text(max_size=30)))
    def check(text):
        try:
            state = domain.parse_state(text)
        except QsolveError:
            return
        assert np.array_equal(domain.check_states(state)[0], state)
        (result,) = qsolve.solve(domain, text, heuristic="zero", max_nodes=300, time_limit=2)
        assert _replays_to_goal(domain, state, result)

    check()


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_arrays_to_solve(name):
    domain = get_domain(name)
    dtypes = st.sampled_from([np.int8, np.uint8, np.int64, np.uint16, np.float32, np.bool_])

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.one_of(
            in_range_states(name).map(lambda s: s[None]),
            st.tuples(st.integers(0, 3), st.integers(0, domain.state_dim + 1), dtypes).flatmap(
                lambda shape: st.lists(
                    st.integers(-300, 300),
                    min_size=shape[0] * shape[1],
                    max_size=shape[0] * shape[1],
                ).map(lambda v: np.array(v).reshape(shape[0], shape[1]).astype(shape[2]))
            ),
        )
    )
    def check(states):
        try:
            results = qsolve.solve(domain, states, heuristic="zero", max_nodes=300, time_limit=2)
        except QsolveError:
            return
        starts = domain.check_states(states)
        assert len(results) == len(starts)
        for start, result in zip(starts, results, strict=True):
            assert _replays_to_goal(domain, start, result)

    check()


@pytest.mark.parametrize("name", NAMES)
def test_parsers_and_walks_refuse_what_is_not_text_or_a_generator(name):
    domain = get_domain(name)
    for value in (None, 5, b"0", ["1"]):
        with pytest.raises(QsolveError, match="text"):
            domain.parse_state(value)
        with pytest.raises(QsolveError, match="text"):
            domain.parse_moves(value)
    with pytest.raises(QsolveError, match="Generator"):
        domain.random_walk(np.array([3]), 0)
    with pytest.raises(QsolveError, match="non-negative"):
        domain.random_walk(np.array([-1]), np.random.default_rng(0))


def test_apply_moves_names_the_move_that_cannot_apply():
    domain = get_domain("puzzle15")
    # The goal's blank is in the bottom-right corner: after D U, "U" has no tile below it.
    with pytest.raises(QsolveError, match="move 3 of 3, 'U'"):
        domain.apply_moves(domain.goal, domain.parse_moves("D U U"))
    assert np.array_equal(domain.apply_moves(domain.goal, domain.parse_moves("D U")), domain.goal)


class LineShape(qsolve.Domain):
    """Positions 0..4 on a line, goal 0; moves left and right (left is blocked at 0).  Its
    subclasses give the operations, under the plain names or the earlier contract's."""

    name = "line"
    action_names = ["left", "right"]  # noqa: RUF012
    action_costs = np.ones(2)
    goal = np.zeros(1, dtype=np.uint8)
    num_values = 5


def line_step(states, actions):
    moves = np.where(np.asarray(actions) == 0, -1, 1)
    return np.clip(states.astype(np.int64) + moves[:, None], 0, 4).astype(np.uint8)


def line_applicable(states):
    return np.stack([states[:, 0] > 0, states[:, 0] < 4], axis=1)


def test_a_domain_that_implements_step_and_applicable_itself_still_searches():
    class Line(LineShape):
        def step(self, states, actions):
            return line_step(states, actions)

        def applicable(self, states):
            return line_applicable(states)

    line = Line()
    assert not line.every_action_applies
    (result,) = qsolve.solve(line, np.array([[3]]), heuristic="zero")
    assert result.solved and result.actions == [0, 0, 0]


@pytest.mark.parametrize("name", NAMES)
def test_format_state_takes_one_state_in_range(name):
    domain = get_domain(name)
    goal = a_goal_state(domain)
    assert domain.parse_state(domain.format_state(goal)).tolist() == goal.tolist()
    for state in (goal + domain.num_values, goal[:-1], domain.goal_states(2)):
        with pytest.raises(QsolveError):
            domain.format_state(state)
    with pytest.raises(QsolveError, match="domain"):
        qsolve.load_heuristic("zero", 5)


def test_either_name_of_an_operation_is_the_domains_one_implementation():
    class Line(LineShape):
        """Written to the earlier contract (``_step``)."""

        def _step(self, states, actions):
            return line_step(states, actions)

        def _applicable(self, states):
            return line_applicable(states)

    class Wrapped(Line):
        """Its step written under the plain name: internal code and the older name both see it."""

        def step(self, states, actions):
            return super().step(states, actions)

    for cls in (Line, Wrapped):
        assert cls.step is cls._step and cls.applicable is cls._applicable
        assert cls.reverse_step is qsolve.Domain.reverse_step  # by default the action itself
        line = cls()
        assert not line.every_action_applies
        (result,) = qsolve.solve(line, np.array([[3]]), heuristic="zero")
        assert result.solved and result.actions == [0, 0, 0]
        assert line.reverse_step(np.array([[3]], dtype=np.uint8), np.array([1])).tolist() == [[4]]
    assert qsolve.Domain().every_action_applies
