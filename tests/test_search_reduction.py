"""Reduction of a sliding puzzle to a smaller one (``search/reduction.py``): the border moves
place the first row and column, the board left is the smaller puzzle with its own goal, and the
whole solution replays; with a breadth-first inner search the inner part is exactly as long as
puzzle8's breadth-first distance; lockstep and Ray give one search's results; the limits are
shared; bad options are refused where they enter."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_search_beam import comparable, replays_to_goal
from test_sliding import lehmer_rank, puzzle8_bfs  # noqa: F401 (a fixture)

import qsolve
from qsolve import api
from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.search.common import Limits
from qsolve.search.reduction import Border, place_border

PUZZLE8 = get_domain("puzzle8")
PUZZLE15 = get_domain("puzzle15")
PUZZLE24 = get_domain("puzzle24")
FULL_WIDTH = 181_440  # every puzzle8 state: a beam that wide is breadth-first search


def border_placed(puzzle, state):
    tiles = puzzle.border_tiles()
    return bool(np.all(state[tiles - 1] == tiles))


@pytest.mark.parametrize("size", [3, 4, 5, 6, 7])
def test_the_border_is_the_first_row_and_column(size):
    puzzle = get_domain(f"puzzle{size * size - 1}")
    tiles = puzzle.border_tiles()
    cells = tiles - 1
    assert len(tiles) == 2 * size - 1 and len(set(cells.tolist())) == len(tiles)
    assert np.all((cells < size) | (cells % size == 0))


@pytest.mark.parametrize("outer", ["puzzle15", "puzzle24", "puzzle35", "puzzle48"])
def test_the_board_left_of_a_goal_is_the_smaller_goal(outer):
    puzzle = get_domain(outer)
    inner = get_domain(f"puzzle{(puzzle.size - 1) ** 2 - 1}")
    assert np.array_equal(puzzle.inner_board(puzzle.goal[None, :])[0], inner.goal)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_any_smaller_board_sits_under_a_placed_border(seed):
    """Every puzzle8 state, put under puzzle15's placed border, is read back as itself, and the
    puzzle15 state is solvable exactly when the puzzle8 state is."""
    rng = np.random.default_rng(seed)
    small = rng.permutation(9).astype(PUZZLE8.dtype)
    board = PUZZLE15.goal.copy()
    cells = np.array([r * 4 + c for r in range(1, 4) for c in range(1, 4)])
    names = PUZZLE15.goal[cells]  # the puzzle15 tile of each puzzle8 tile's goal cell
    board[cells] = np.where(small == 0, 0, names[(small.astype(np.int64) - 1) % 9])
    assert np.array_equal(PUZZLE15.inner_board(board[None, :])[0], small)
    assert PUZZLE15.solvable(board[None, :])[0] == PUZZLE8.solvable(small[None, :])[0]


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([10, 100, 1000]))
def test_the_border_moves_place_the_border(seed, width):
    rng = np.random.default_rng(seed)
    start = PUZZLE24.random_walk(np.array([200]), rng)[0]
    moves, nodes, layers, _, reason = place_border(
        PUZZLE24, start, width, Limits(), time.perf_counter()
    )
    assert reason is None and layers == len(moves) and nodes >= len(moves)
    placed = PUZZLE24.apply_moves(start, moves)
    assert border_placed(PUZZLE24, placed)
    assert PUZZLE15.solvable(PUZZLE24.inner_board(placed[None, :]))[0]


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.45, 2.0]))
def test_the_rest_distance_is_the_smaller_puzzles_manhattan_distance(seed, weight):
    """Once the border is placed, the other tiles' Manhattan distance that the border beam weighs
    is the Manhattan distance of the board left, as the smaller puzzle counts it."""
    start = PUZZLE24.random_walk(np.array([300]), np.random.default_rng(seed))[0]
    moves, *_ = place_border(PUZZLE24, start, 200, Limits(), time.perf_counter(), weight)
    placed = PUZZLE24.apply_moves(start, moves)
    assert border_placed(PUZZLE24, placed)
    left = PUZZLE24.inner_board(placed[None, :])
    manhattan = qsolve.load_heuristic("manhattan", PUZZLE15)
    assert Border(PUZZLE24).rest(placed[None, :])[0] == manhattan.values(left)[0]


def test_weighing_the_rest_leaves_a_less_scrambled_board():
    """On puzzle24 walks, a weight on the other tiles' distance leaves boards of smaller total
    Manhattan distance than no weight, for a few more border moves."""
    starts = PUZZLE24.random_walk(np.full(8, 400), np.random.default_rng(11))
    manhattan = qsolve.load_heuristic("manhattan", PUZZLE15)
    left = {}
    for weight in (0.0, 1.0):
        total = 0.0
        for start in starts:
            moves, *_ = place_border(PUZZLE24, start, 300, Limits(), time.perf_counter(), weight)
            inner = PUZZLE24.inner_board(PUZZLE24.apply_moves(start, moves)[None, :])
            total += manhattan.values(inner)[0]
        left[weight] = total
    assert left[1.0] < left[0.0]


def borders(start):
    """(puzzle24, start), then (puzzle15, its board left once puzzle24's border is placed)."""
    moves = place_border(PUZZLE24, start, 100, Limits(), time.perf_counter())[0]
    left = PUZZLE24.inner_board(PUZZLE24.apply_moves(start, moves)[None, :])[0]
    return [(PUZZLE24, start), (PUZZLE15, left)]


def test_a_placed_border_takes_no_moves():
    start = PUZZLE15.goal.copy()
    moves, *_ = place_border(PUZZLE15, start, 10, Limits(), time.perf_counter())
    assert moves == []


def test_with_breadth_first_inside_the_inner_part_is_shortest(puzzle8_bfs):  # noqa: F811
    states, distances = puzzle8_bfs
    depth = dict(zip(lehmer_rank(states).tolist(), distances.tolist(), strict=True))
    starts = PUZZLE15.random_walk(np.full(6, 60), np.random.default_rng(4))
    results = qsolve.solve(
        PUZZLE15,
        starts,
        heuristic="manhattan",
        reduce_to="puzzle8",
        algorithm="beam",
        beam_width=FULL_WIDTH,
        border_width=100,
        time_limit=None,
    )
    for start, result in zip(starts, results, strict=True):
        assert result.solved and replays_to_goal(PUZZLE15, start, result.actions)
        moves, *_ = place_border(PUZZLE15, start, 100, Limits(), time.perf_counter())
        assert result.actions[: len(moves)] == moves
        inner = PUZZLE15.inner_board(PUZZLE15.apply_moves(start, moves)[None, :])
        assert result.cost == len(moves) + depth[int(lehmer_rank(inner)[0])]
        assert result.moves == PUZZLE15.format_moves(result.actions)


@pytest.mark.parametrize("algorithm", ["qstar", "astar", "beam"])
def test_every_algorithm_runs_inside_and_lockstep_changes_nothing(algorithm):
    starts = PUZZLE24.random_walk(np.full(5, 80), np.random.default_rng(5))
    options = dict(heuristic="manhattan", reduce_to="puzzle8", border_width=50, time_limit=None)
    if algorithm == "beam":
        options["beam_width"] = 100
    alone = qsolve.solve(PUZZLE24, starts, algorithm=algorithm, parallel=1, **options)
    together = qsolve.solve(PUZZLE24, starts, algorithm=algorithm, parallel=5, **options)
    assert [comparable(r) for r in alone] == [comparable(r) for r in together]
    for start, result in zip(starts, alone, strict=True):
        assert result.solved and replays_to_goal(PUZZLE24, start, result.actions)


def test_the_limits_are_shared_by_the_border_and_the_inner_search():
    start = PUZZLE24.random_walk(np.array([150]), np.random.default_rng(6))[0]
    options = dict(heuristic="manhattan", reduce_to="puzzle8", border_width=100)
    [whole] = qsolve.solve(PUZZLE24, start[None], **options)
    border_nodes = sum(
        place_border(puzzle, state, 100, Limits(), time.perf_counter())[1]
        for puzzle, state in borders(start)
    )
    assert whole.solved and whole.nodes_generated > border_nodes
    [short] = qsolve.solve(PUZZLE24, start[None], max_nodes=border_nodes, **options)
    assert not short.solved and short.stop_reason == "max_nodes"
    assert short.nodes_generated <= border_nodes + 4
    [early] = qsolve.solve(PUZZLE24, start[None], max_nodes=10, **options)
    assert not early.solved and early.stop_reason == "max_nodes" and early.actions == []


def test_a_loaded_heuristic_of_a_smaller_puzzle_means_a_reduction():
    starts = PUZZLE15.random_walk(np.full(2, 40), np.random.default_rng(7))
    small = qsolve.load_heuristic("manhattan", PUZZLE8)
    by_object = qsolve.solve(PUZZLE15, starts, heuristic=small, beam_width=500, algorithm="beam")
    by_name = qsolve.solve(
        PUZZLE15, starts, heuristic="manhattan", reduce_to="puzzle8", beam_width=500,
        algorithm="beam",
    )  # fmt: skip
    assert [comparable(r) for r in by_object] == [comparable(r) for r in by_name]


def test_a_puzzle_without_a_model_reduces_to_the_largest_one_with_a_model():
    puzzle48 = get_domain("puzzle48")
    assert api.shipped_model(puzzle48) is None  # else puzzle48 would search with its own model
    assert api.reduction_target(puzzle48, None).name == "puzzle35"
    assert api.reduction_target(puzzle48, None, "manhattan") is None
    assert api.reduction_target(puzzle48, "off") is None
    assert api.reduction_target(puzzle48, "puzzle24").name == "puzzle24"
    assert api.reduction_target(get_domain("puzzle35"), None) is None
    assert api.reduction_target(get_domain("cube3"), None) is None


@pytest.mark.parametrize(
    "domain, options, message",
    [
        ("puzzle15", {"reduce_to": "puzzle15"}, "smaller sliding puzzle"),
        ("puzzle15", {"reduce_to": "puzzle24"}, "smaller sliding puzzle"),
        ("puzzle15", {"reduce_to": "cube2"}, "smaller sliding puzzle"),
        ("puzzle15", {"reduce_to": "nonsense"}, "unknown domain"),
        ("cube2", {"reduce_to": "puzzle8"}, "sliding puzzles"),
        ("puzzle15", {"border_width": 10}, "not reduced"),
        ("puzzle15", {"reduce_to": "puzzle8", "border_width": 0}, "border width"),
        ("puzzle15", {"reduce_to": ""}, "reduce_to"),
    ],
)
def test_bad_reduction_options_are_refused_at_the_api(domain, options, message):
    start = get_domain(domain).goal[None]
    with pytest.raises(QsolveError, match=message):
        qsolve.solve(
            domain, start, heuristic="manhattan" if "puzzle" in domain else None, **options
        )


@pytest.mark.parametrize(
    "argv",
    [["--reduce-to", "cube2"], ["--reduce-to", "puzzle24"], ["--border-width", "5"]],
)
def test_bad_reduction_options_are_a_one_line_error(argv, capsys):
    status = main(["solve", "puzzle15", "--random-walk", "20", "--heuristic", "manhattan", *argv])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert captured.err.startswith("qsolve: error: ") and captured.err.count("\n") == 1


def test_the_command_line_reduces(capsys):
    argv = ["solve", "puzzle24", "--random-walk", "60", "--count", "2", "--heuristic", "manhattan"]
    status = main([*argv, "--reduce-to", "puzzle8", "--algorithm", "beam", "--beam-width", "50"])
    out = capsys.readouterr().out
    assert status == 0 and "solution (" in out and "2 │      2 │   100.0%" in out


def test_a_reduction_on_ray_gives_the_results_of_one_process():
    ray = pytest.importorskip("ray")
    from qsolve import cluster

    starts = PUZZLE24.random_walk(np.full(4, 60), np.random.default_rng(8))
    options = dict(reduce_to="puzzle8", algorithm="beam", beam_width=200, border_width=100)
    here = qsolve.solve(PUZZLE24, starts, heuristic="manhattan", **options)
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    try:
        there = dict(
            cluster.solve_stream(PUZZLE24, starts, "manhattan", chunk_size=2, parallel=2, **options)
        )
    finally:
        ray.shutdown()
    assert [comparable(there[i]) for i in range(len(starts))] == [comparable(r) for r in here]
