"""Beam search against exact ground truth: a beam as wide as the state space is breadth-first
search (puzzle8's breadth-first distances, cube2's exact table), solutions replay to the goal,
lockstep and Ray give the results of one search at a time, and what it stores is bounded by the
width times the depth, not by the nodes it generates."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from test_sliding import puzzle8_bfs  # noqa: F401 (a fixture: the breadth-first distances)

import qsolve
from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.heuristics import Heuristic, get_heuristic
from qsolve.search import Limits, beam_search
from qsolve.search.beam import SeenStates, best, ranks_pairs, state_keys

PUZZLE8 = get_domain("puzzle8")
CUBE2 = get_domain("cube2")
PUZZLE8_STATES = 181_440
CUBE2_STATES = 3_674_160


def replays_to_goal(domain, start, actions):
    return bool(domain.is_goal(domain.apply_moves(start, actions)[None])[0])


def comparable(result):
    """What a search did, without the wall time it took."""
    return (
        result.actions,
        result.cost if result.solved else None,
        result.nodes_generated,
        result.iterations,
        result.heuristic_inputs,
        result.states_stored,
        result.stop_reason,
    )


class ManhattanQ(Heuristic):
    """Manhattan distance as a Q heuristic of its own, so that beam search ranks pairs by it
    (exact arithmetic: a network's floats may round differently in a larger batch)."""

    name = "manhattan-q"
    q_in_one_pass = True

    def __init__(self, domain):
        super().__init__(domain)
        self.manhattan = get_heuristic("manhattan", domain)

    def q_values(self, states):
        return self.manhattan.q_values(states)


def test_the_ranking_follows_the_heuristic():
    assert not ranks_pairs(get_heuristic("manhattan", PUZZLE8))  # values: children by h
    assert not ranks_pairs(get_heuristic("oracle", PUZZLE8))
    assert ranks_pairs(get_heuristic("zero", PUZZLE8))  # q_values of its own: pairs by Q
    assert ranks_pairs(ManhattanQ(PUZZLE8))
    assert ranks_pairs(qsolve.load_heuristic(None, PUZZLE8, engine="torch"))  # a Q network


@pytest.mark.parametrize("heuristic", ["manhattan", "zero"])
def test_a_full_width_beam_is_breadth_first_search_on_puzzle8(heuristic, puzzle8_bfs):  # noqa: F811
    states, distances = puzzle8_bfs
    assert len(states) == PUZZLE8_STATES
    # States at every distance from the goal, the farthest (31 moves) included.
    rng = np.random.default_rng(4)
    picks = np.concatenate(
        [rng.choice(np.flatnonzero(distances == d), 1) for d in (1, 5, 12, 18, 22, 26, 31)]
    )
    results = qsolve.solve(
        PUZZLE8,
        states[picks],
        heuristic=heuristic,
        algorithm="beam",
        beam_width=PUZZLE8_STATES,
    )
    for start, distance, result in zip(states[picks], distances[picks], results, strict=True):
        assert result.solved and result.cost == distance
        assert len(result.actions) == result.iterations == distance  # a layer per move
        assert replays_to_goal(PUZZLE8, start, result.actions)
        assert result.states_stored <= PUZZLE8_STATES


def test_a_full_width_beam_finds_the_exact_distances_of_cube2():
    oracle = get_heuristic("oracle", CUBE2)
    rng = np.random.default_rng(6)
    starts = CUBE2.random_walk(rng.integers(3, 12, 6), rng)
    optimum = oracle.values(starts)
    keep = optimum <= 8  # deeper layers hold a million states: seconds each
    assert keep.sum() >= 3
    for pairs in (False, True):
        for start, best_cost in zip(starts[keep], optimum[keep], strict=True):
            result = beam_search(CUBE2, oracle, start, CUBE2_STATES, pairs=pairs)
            assert result.solved and result.cost == best_cost
            assert replays_to_goal(CUBE2, start, result.actions)


def test_with_the_exact_distances_a_beam_of_one_walks_an_optimal_path():
    oracle = get_heuristic("oracle", CUBE2)
    rng = np.random.default_rng(7)
    starts = CUBE2.random_walk(rng.integers(5, 30, 12), rng)
    for start, best_cost in zip(starts, oracle.values(starts), strict=True):
        by_pairs = beam_search(CUBE2, oracle, start, 1, pairs=True)
        by_children = beam_search(CUBE2, oracle, start, 1, pairs=False)
        for result in (by_pairs, by_children):
            assert result.solved and result.cost == best_cost
            assert replays_to_goal(CUBE2, start, result.actions)
        # Ranked by Q, only the best pair of each layer is stepped.
        assert by_pairs.nodes_generated == best_cost + 1
        assert by_children.nodes_generated == 6 * best_cost + 1


@pytest.mark.parametrize("width", [1, 3, 40])
@pytest.mark.parametrize("heuristic", ["manhattan", "shipped"])
def test_narrow_beams_find_solutions_that_replay(heuristic, width):
    domain = get_domain("puzzle15")
    starts = domain.random_walk(np.full(4, 25), np.random.default_rng(width))
    spec = None if heuristic == "shipped" else heuristic
    results = qsolve.solve(domain, starts, heuristic=spec, algorithm="beam", beam_width=width)
    for start, result in zip(starts, results, strict=True):
        assert result.solved and replays_to_goal(domain, start, result.actions)
        assert result.cost == len(result.actions) == result.iterations


@pytest.mark.parametrize("pairs", [False, True])
def test_lockstep_gives_the_same_result_per_instance(pairs):
    domain = get_domain("puzzle15")
    rng = np.random.default_rng(12)
    starts = domain.random_walk(rng.integers(10, 40, 9), rng)
    heuristic = ManhattanQ(domain) if pairs else "manhattan"
    options = dict(heuristic=heuristic, algorithm="beam", beam_width=6, weight=0.8)
    alone = qsolve.solve(domain, starts, parallel=1, **options)
    together = qsolve.solve(domain, starts, parallel=4, **options)
    assert [comparable(r) for r in alone] == [comparable(r) for r in together]
    assert len({r.nodes_generated for r in alone}) > 1  # the instances differ


@pytest.mark.parametrize("pairs", [False, True])
def test_what_a_beam_stores_grows_with_its_width_not_with_the_nodes_generated(pairs):
    cube3 = get_domain("cube3")
    zero = get_heuristic("zero", cube3)
    start = cube3.random_walk(np.array([40]), np.random.default_rng(1))[0]
    layers = 25
    stored = {}
    for width in (4, 32, 256):
        result = beam_search(
            cube3, zero, start, width, limits=Limits(max_iterations=layers), pairs=pairs
        )
        assert not result.solved and result.stop_reason == "max_iterations"
        assert result.iterations == layers
        # The start, then at most W states a layer: W times the depth.
        assert result.states_stored <= 1 + width * layers
        if not pairs:
            # Every kept state's 12 children were generated, and at most W of each layer kept.
            assert result.nodes_generated >= 12 * (result.states_stored - width)
        stored[width] = result.states_stored
    assert stored[4] < stored[32] < stored[256]


def test_limits_stop_a_beam_unsolved():
    cube3 = get_domain("cube3")
    start = cube3.random_walk(np.array([30]), np.random.default_rng(2))[0]
    options = dict(heuristic="zero", algorithm="beam", beam_width=50)
    [by_nodes] = qsolve.solve(cube3, start, max_nodes=1000, **options)
    assert not by_nodes.solved and by_nodes.stop_reason == "max_nodes"
    assert 1000 <= by_nodes.nodes_generated < 1000 + 50 + 1 and np.isnan(by_nodes.cost)
    [by_layers] = qsolve.solve(cube3, start, max_iterations=3, **options)
    assert by_layers.stop_reason == "max_iterations" and by_layers.iterations == 3
    [by_time] = qsolve.solve(cube3, start, time_limit=0.05, **(options | {"beam_width": 10**6}))
    assert by_time.stop_reason == "time_limit"


def test_the_goal_costs_nothing():
    [result] = qsolve.solve(PUZZLE8, PUZZLE8.goal, heuristic="zero", algorithm="beam", beam_width=3)
    assert result.solved and result.cost == 0 and result.actions == []
    assert result.nodes_generated == 1 and result.iterations == 0


def test_seen_states_are_exact_and_keep_the_first_occurrence():
    states = np.array([[0, 1, 0], [0, 2, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0]], np.uint8)
    seen = SeenStates(states[5])
    keys = state_keys(states)
    new = seen.first_new(keys)
    assert new.tolist() == [0, 1, 3, 4]  # the repeat of row 0 and the start are dropped
    seen.add(keys[new])
    assert len(seen) == 5 and seen.first_new(keys).tolist() == []


def test_best_breaks_ties_by_index():
    f = np.array([3.0, 1.0, 2.0, 1.0, 2.0, 2.0, 0.5])
    assert best(f, 4).tolist() == [6, 1, 3, 2]
    assert best(f, 7).tolist() == [6, 1, 3, 2, 4, 5, 0]
    assert best(f, 1).tolist() == [6]


# -- the options: the API, a model's recommendation, the command line ----------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"algorithm": "beam"}, "needs a beam width"),
        ({"algorithm": "beam", "beam_width": 0}, "the beam width must be"),
        ({"algorithm": "beam", "beam_width": 2.5}, "the beam width must be an integer"),
        ({"beam_width": 5}, "a beam width is for beam search"),
        ({"algorithm": "astar", "beam_width": 5}, "a beam width is for beam search"),
        ({"algorithm": "beam", "beam_width": 5, "batch_size": 2}, "batch_size"),
        ({"algorithm": "beam", "beam_width": 5, "optimal": True}, "optimal"),
        ({"algorithm": "beam", "beam_width": 5, "fallback_weight": 0.5}, "fallback_weight"),
        ({"algorithm": "beams", "beam_width": 5}, "unknown algorithm"),
    ],
)
def test_bad_beam_options_are_refused_at_the_api(options, message):
    with pytest.raises(qsolve.QsolveError, match=message):
        qsolve.solve(PUZZLE8, PUZZLE8.goal, heuristic="manhattan", **options)


@pytest.mark.parametrize(
    "argv",
    [
        ["--algorithm", "beam", "--beam-width", "0"],
        ["--algorithm", "beam", "--beam-width", "many"],
        ["--algorithm", "beam"],
        ["--beam-width", "10"],
        ["--algorithm", "qstar", "--beam-width", "10"],
        ["--algorithm", "beam", "--beam-width", "10", "--optimal"],
        ["--algorithm", "beam", "--beam-width", "10", "--batch-size", "4"],
    ],
)
def test_bad_beam_options_are_a_one_line_error(argv, capsys):
    try:
        status = main(
            ["solve", "puzzle8", "--random-walk", "20", "--heuristic", "manhattan", *argv]
        )
    except SystemExit as exit:  # argparse's own checks
        status = exit.code
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert captured.err.startswith("qsolve: error: ") and captured.err.count("\n") == 1


def test_the_command_line_solves_with_a_beam(capsys):
    argv = ["solve", "puzzle8", "--random-walk", "30", "--count", "3", "--heuristic", "manhattan"]
    assert main([*argv, "--algorithm", "beam", "--beam-width", "200000", "--json"]) == 0
    beam = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main([*argv, "--optimal", "--json"]) == 0
    optimal = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["cost"] for r in beam] == [r["cost"] for r in optimal]
    assert all(r["iterations"] == len(r["moves"]) for r in beam)


@pytest.fixture
def model(tmp_path):
    folder = tmp_path / "puzzle8"
    shutil.copytree(qsolve.shipped_model(PUZZLE8), folder)
    return folder


def with_search(folder, search):
    config = json.loads((folder / "config.json").read_text())
    config["search"] = search
    (folder / "config.json").write_text(json.dumps(config))


def test_a_model_that_recommends_beam_search_makes_it_the_default(model):
    starts = PUZZLE8.random_walk(np.full(4, 40), np.random.default_rng(9))
    with_search(model, {"algorithm": "beam", "weight": 0.5, "beam_width": 7})
    default = qsolve.solve(PUZZLE8, starts, heuristic=str(model))
    spelled = qsolve.solve(
        PUZZLE8, starts, heuristic=str(model), algorithm="beam", weight=0.5, beam_width=7
    )
    assert [comparable(r) for r in default] == [comparable(r) for r in spelled]
    assert all(r.states_stored <= 1 + 7 * r.iterations for r in default)
    # Its width and weight are beam search's: Q* asked for by name gets its own defaults.
    qstar = qsolve.solve(PUZZLE8, starts, heuristic=str(model), algorithm="qstar")
    plain = qsolve.solve(
        PUZZLE8, starts, heuristic=str(model), algorithm="qstar", weight=1.0, batch_size=1
    )
    assert [comparable(r) for r in qstar] == [comparable(r) for r in plain]


@pytest.mark.parametrize(
    "search",
    [
        {"beam_width": 7},
        {"algorithm": "beam"},
        {"algorithm": "beam", "beam_width": 0},
        {"algorithm": "beam", "beam_width": 7, "batch_size": 10},
        {"algorithm": "beam", "beam_width": 7, "fallback_weight": 0.5, "fallback_after": 9},
        {"algorithm": "bfs"},
    ],
)
def test_a_bad_beam_recommendation_is_a_one_line_error(model, search, capsys):
    with_search(model, search)
    status = main(["solve", "puzzle8", "--random-walk", "5", "--heuristic", str(model)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and '"search"' in err


def test_a_beam_on_ray_gives_the_results_of_one_process():
    ray = pytest.importorskip("ray")
    import logging

    from qsolve import cluster

    domain = get_domain("puzzle15")
    starts = domain.random_walk(np.full(6, 30), np.random.default_rng(3))
    options = dict(algorithm="beam", beam_width=20, max_nodes=50_000)
    here = qsolve.solve(domain, starts, heuristic="manhattan", **options)
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    try:
        there = dict(
            cluster.solve_stream(domain, starts, "manhattan", chunk_size=2, parallel=2, **options)
        )
    finally:
        ray.shutdown()
    assert [comparable(there[i]) for i in range(len(starts))] == [comparable(r) for r in here]
