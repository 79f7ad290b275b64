"""Q* and A* against exact ground truth: breadth-first distances, replayed solutions."""

import numpy as np
import pytest
import search_helpers

import qsolve
from qsolve.domains import get_domain
from qsolve.heuristics import get_heuristic
from qsolve.search import Limits, astar_search, qstar_search

PUZZLE8 = get_domain("puzzle8")
CUBE2 = get_domain("cube2")


@pytest.fixture(scope="module")
def puzzle8_oracle():
    return get_heuristic("oracle", PUZZLE8)


@pytest.fixture(scope="module")
def cube2_oracle():
    return get_heuristic("oracle", CUBE2)


def random_states(domain, n, seed, low=5, high=40):
    rng = np.random.default_rng(seed)
    return domain.random_walk(rng.integers(low, high, n), rng)


def replays_to_goal(domain, start, actions):
    return bool(domain.is_goal(domain.apply_moves(start, actions)[None])[0])


def test_oracle_tables_have_the_known_sizes(puzzle8_oracle, cube2_oracle):
    assert (puzzle8_oracle.table >= 0).sum() == 181440
    assert puzzle8_oracle.table.max() == 31
    assert (cube2_oracle.table >= 0).sum() == 3674160
    # God's number of the 2x2x2 cube in the quarter-turn metric.
    assert cube2_oracle.table.max() == 14


@pytest.mark.parametrize("domain_name", ["puzzle8", "cube2"])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_oracle_gives_optimal_costs(domain_name, batch_size, puzzle8_oracle, cube2_oracle):
    domain = get_domain(domain_name)
    oracle = puzzle8_oracle if domain_name == "puzzle8" else cube2_oracle
    starts = random_states(domain, 15, seed=batch_size)
    optimum = oracle.values(starts)
    for start, best in zip(starts, optimum, strict=True):
        for search in (qstar_search, astar_search):
            result = search(domain, oracle, start, batch_size=batch_size, weight=1.0)
            assert result.solved and result.cost == best
            assert replays_to_goal(domain, start, result.actions)
        if batch_size == 1:
            # With the exact cost-to-go Q* walks straight down an optimal path.
            result = qstar_search(domain, oracle, start)
            assert result.nodes_generated == best + 1


@pytest.mark.parametrize("optimal", [False, True])
def test_manhattan_gives_optimal_costs_on_puzzle8(optimal, puzzle8_oracle):
    manhattan = get_heuristic("manhattan", PUZZLE8)
    starts = random_states(PUZZLE8, 25, seed=7, low=10, high=60)
    optimum = puzzle8_oracle.values(starts)
    for start, best in zip(starts, optimum, strict=True):
        for search in (qstar_search, astar_search):
            result = search(PUZZLE8, manhattan, start, weight=1.0, optimal=optimal)
            assert result.solved and result.cost == best
            assert replays_to_goal(PUZZLE8, start, result.actions)


def test_optimal_mode_with_large_batches_still_finds_the_optimum(puzzle8_oracle):
    manhattan = get_heuristic("manhattan", PUZZLE8)
    starts = random_states(PUZZLE8, 10, seed=8, low=20, high=60)
    for start, best in zip(starts, puzzle8_oracle.values(starts), strict=True):
        for search in (qstar_search, astar_search):
            result = search(PUZZLE8, manhattan, start, batch_size=64, optimal=True)
            assert result.cost == best


@pytest.mark.parametrize(
    ("domain_name", "heuristic_name", "batch_size", "weight", "top_k", "depth"),
    [
        ("puzzle8", "manhattan", 1, 1.0, 4, 20),
        ("puzzle8", "zero", 8, 1.0, 1, 8),
        ("puzzle8", "manhattan", 5, 0.5, 2, 20),
        ("cube2", "zero", 16, 1.0, 3, 4),
        ("cube2", "oracle", 3, 0.0, 2, 6),
        # Past the top k, ranks are fetched again from the heuristic: the plain variant does that
        # for every node, so the instances stay small.
        ("lightsout5", "zero", 32, 1.0, 7, 3),
        ("lightsout5", "zero", 4, 1.0, 3, 3),
        ("cube3-meta", "zero", 200, 1.0, 32, 2),
    ],
)
def test_lazy_action_ordering_pops_the_same_pairs(
    domain_name, heuristic_name, batch_size, weight, top_k, depth
):
    domain = get_domain(domain_name)
    heuristic = get_heuristic(heuristic_name, domain)
    for start in random_states(domain, 4, seed=11, low=depth - 1, high=depth + 1):
        traces = []
        results = []
        for lazy in (True, False):
            trace: list[tuple[int, int]] = []
            results.append(
                search_helpers.qstar_search(
                    domain,
                    heuristic,
                    start,
                    batch_size,
                    weight,
                    optimal=True,
                    lazy=lazy,
                    top_k=top_k,
                    trace=trace,
                )
            )
            traces.append(trace)
        assert traces[0] == traces[1]
        assert results[0].actions == results[1].actions
        assert results[0].nodes_generated == results[1].nodes_generated


def test_meta_solution_expands_into_quarter_turns_that_solve_the_cube():
    cube3, meta = get_domain("cube3"), get_domain("cube3-meta")
    rng = np.random.default_rng(5)
    for start in cube3.random_walk(np.array([3, 4, 5]), rng):
        [result] = qsolve.solve(meta, start, heuristic="zero", batch_size=500, optimal=True)
        assert result.solved
        assert replays_to_goal(meta, start, result.actions)
        quarter_turns = cube3.parse_moves(" ".join(result.moves))
        assert len(quarter_turns) == result.cost
        assert replays_to_goal(cube3, start, quarter_turns)


def test_uniform_cost_search_matches_lights_out_optimum():
    domain = get_domain("lightsout5")
    starts = random_states(domain, 6, seed=9, low=1, high=6)
    for start, best in zip(starts, domain.optimal_cost(starts), strict=True):
        [result] = qsolve.solve(domain, start, heuristic="zero", optimal=True, batch_size=16)
        assert result.cost == best


def test_limits_stop_the_search_unsolved():
    start = random_states(get_domain("cube3"), 1, seed=1, low=20, high=21)[0]
    result = qstar_search(
        get_domain("cube3"),
        get_heuristic("zero", get_domain("cube3")),
        start,
        batch_size=10,
        limits=Limits(max_nodes=500),
    )
    assert not result.solved and result.stop_reason == "max_nodes" and np.isnan(result.cost)
    assert 500 <= result.nodes_generated < 520


def test_goal_start_costs_nothing():
    [result] = qsolve.solve("cube3", get_domain("cube3").goal, heuristic="zero")
    assert result.solved and result.cost == 0 and result.moves == [] and result.nodes_generated == 1


def test_many_start_states_give_one_result_each(puzzle8_oracle):
    starts = random_states(PUZZLE8, 5, seed=3)
    results = qsolve.solve(
        "puzzle8", [PUZZLE8.format_state(s) for s in starts], heuristic=puzzle8_oracle
    )
    assert [r.cost for r in results] == puzzle8_oracle.values(starts).tolist()


@pytest.mark.parametrize("algorithm", ["qstar", "astar"])
def test_lockstep_gives_the_same_result_per_instance(algorithm):
    starts = random_states(PUZZLE8, 12, seed=12, low=10, high=40)
    options = dict(heuristic="manhattan", algorithm=algorithm, batch_size=4, weight=0.8)
    alone = qsolve.solve("puzzle8", starts, parallel=1, **options)
    together = qsolve.solve("puzzle8", starts, parallel=5, **options)
    for a, b in zip(alone, together, strict=True):
        assert (a.actions, a.cost, a.nodes_generated, a.iterations, a.heuristic_inputs) == (
            b.actions,
            b.cost,
            b.nodes_generated,
            b.iterations,
            b.heuristic_inputs,
        )
