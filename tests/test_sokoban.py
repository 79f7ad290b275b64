"""Sokoban: XSB parsing, moves and pushes, reverse moves, level files, and exact optima."""

from __future__ import annotations

import json
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qsolve
from qsolve.cli import main
from qsolve.domains.sokoban import (
    BOX,
    BOX_ON_TARGET,
    FLOOR,
    PLAYER,
    PLAYER_ON_TARGET,
    TARGET,
    WALL,
    Sokoban,
    generate_rooms,
)
from qsolve.errors import QsolveError
from qsolve.heuristics.pushes import Pushes

DOMAIN = Sokoban()
U, D, L, R = range(4)
# A corridor: the player left of a box, the target two cells right of the box.
CORRIDOR = "######/#@$ .#/######"
# Two boxes in a small room (every state of it is enumerated below).
TWO_BOXES = "\n".join(
    [
        "######",
        "#    #",
        "# $$ #",
        "#.  .#",
        "# @  #",
        "######",
    ]
)
BOXOBAN = """; 0
##########
###    . #
## .   $.#
##    .$ #
#####    #
####   ###
##### $###
#####$ ###
#####@####
##########

; 1
##########
###.#   .#
# $ .. $ #
#@$    $##
######  ##
##########
##########
##########
##########
##########
"""
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def board(state: np.ndarray) -> np.ndarray:
    return state.reshape(10, 10)


def bfs_distances(start: np.ndarray) -> dict[bytes, int]:
    """Every state reachable from ``start`` and its distance from the nearest goal, by a
    breadth-first search forwards, then backwards over the reversed edges."""
    seen = {start.tobytes(): start}
    edges: list[tuple[bytes, bytes]] = []
    frontier = [start]
    while frontier:
        states = np.stack(frontier)
        children, applicable = DOMAIN.expand(states)
        frontier = []
        for parent, kids, ok in zip(states, children, applicable, strict=True):
            for child in kids[ok]:
                key = child.tobytes()
                edges.append((parent.tobytes(), key))
                if key not in seen:
                    seen[key] = child
                    frontier.append(child)
    into: dict[bytes, list[bytes]] = {key: [] for key in seen}
    for parent, child in edges:
        into[child].append(parent)
    goals = [k for k, s in seen.items() if DOMAIN.is_goal(s[None])[0]]
    distance = dict.fromkeys(goals, 0)
    queue = deque(goals)
    while queue:
        key = queue.popleft()
        for parent in into[key]:
            if parent not in distance:
                distance[parent] = distance[key] + 1
                queue.append(parent)
    return {key: distance.get(key, -1) for key in seen} | {"states": seen}  # type: ignore[dict-item]


# -- text -------------------------------------------------------------------------------------


def test_each_xsb_symbol_parses_to_its_cell() -> None:
    state = board(DOMAIN.parse_state("########/#@$.* ##/#-_  $.#/########"))
    # The first row inside the walls, placed at row 1 from column 1 on.
    assert state[1, 1:8].tolist() == [PLAYER, BOX, TARGET, BOX_ON_TARGET, FLOOR, WALL, WALL]
    assert state[2, 1:7].tolist() == [FLOOR, FLOOR, FLOOR, FLOOR, BOX, TARGET]
    on_target = board(DOMAIN.parse_state("#####/#+$ #/#####"))
    assert on_target[1, 1:4].tolist() == [PLAYER_ON_TARGET, BOX, FLOOR]
    assert np.all(state[0] == WALL) and np.all(state[:, 0] == WALL)


def test_levels_are_placed_canonically_and_round_trip() -> None:
    text = DOMAIN.format_state(DOMAIN.parse_state(CORRIDOR))
    assert text == "######/#@$-.#/######"
    # The same level with rows separated by newlines, shifted, with floor outside the walls.
    shifted = "\n".join(["", "   ######", "   #@$ .#", "   ######   ", ""])
    assert np.array_equal(DOMAIN.parse_state(shifted), DOMAIN.parse_state(CORRIDOR))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("#####/#$ .#/#####", "no player"),
        ("######/#@@$.#/######", "2 players"),
        ("######/#@$$.#/######", "2 boxes but 1 targets"),
        ("#####/#@$x.#/#####", "unknown symbol 'x' in row 2, column 4"),
        ("#####/#@$ .#/## ###", "not closed"),
        ("############/#@$       .#/############", "too large: 3 x 12"),
        ("", "empty"),
    ],
)
def test_bad_levels_are_one_line_errors(text: str, match: str) -> None:
    with pytest.raises(QsolveError, match=match) as info:
        DOMAIN.parse_state(text)
    assert "\n" not in str(info.value)


def test_boxoban_files_and_xsb_collections_split_into_named_levels() -> None:
    lines = list(enumerate(BOXOBAN.splitlines(), 1))
    levels = list(DOMAIN.split_file(lines))
    assert [(number, label) for number, label, _ in levels] == [(2, "level 0"), (14, "level 1")]
    first = DOMAIN.parse_state(levels[0][2])
    assert int(np.count_nonzero(first == BOX)) == 4  # four boxes, none on a target
    xsb = ["Title: Corridor", "#######", "#@$ .#", "#######", "", "#####", "#@$.#", "#####"]
    named = list(DOMAIN.split_file(enumerate(xsb, 1)))
    assert [(n, label) for n, label, _ in named] == [(2, "Corridor"), (6, "level 2")]
    # XSB files as published: the title and author after each level.
    after = ["#######", "#@$ .#", "#######", "Title: One", "Author: A. Person", ""]
    after += ["#####", "#@$.#", "#####", "Title: Two", "Comment: short"]
    named = list(DOMAIN.split_file(enumerate(after, 1)))
    assert [(n, label) for n, label, _ in named] == [(1, "One"), (7, "Two")]


# -- dynamics ---------------------------------------------------------------------------------


def test_moves_pushes_and_what_does_not_apply() -> None:
    state = DOMAIN.parse_state(CORRIDOR)
    assert DOMAIN.applicable(state[None])[0].tolist() == [False, False, False, True]
    pushed = DOMAIN.apply_moves(state, [R])
    assert DOMAIN.format_state(pushed) == "######/#-@$.#/######"
    solved = DOMAIN.apply_moves(pushed, [R])
    assert DOMAIN.format_state(solved) == "######/#--@*#/######"
    assert DOMAIN.is_goal(solved[None])[0] and not DOMAIN.is_goal(pushed[None])[0]
    # A box against the wall cannot be pushed, nor a box into another box.
    assert not DOMAIN.applicable(solved[None])[0, R]
    double = DOMAIN.parse_state("#######/#@$$..#/#######")
    assert not DOMAIN.applicable(double[None])[0, R]
    assert np.array_equal(DOMAIN.step(double[None], np.array([R]))[0], double)


@settings(max_examples=30, deadline=None)
@given(seed=seeds)
def test_every_reverse_move_is_undone_by_its_action_at_the_same_cost(seed: int) -> None:
    rng = np.random.default_rng(seed)
    states = DOMAIN.random_walk(rng.integers(0, 60, size=64), rng)
    applicable = DOMAIN.reverse_applicable(states)
    for move, action in enumerate(DOMAIN.reverse_undone_by.tolist()):
        rows = np.flatnonzero(applicable[:, move])
        parents = DOMAIN.reverse_step(states[rows], np.full(len(rows), move))
        assert np.all(DOMAIN.applicable(parents)[:, action])
        assert np.array_equal(DOMAIN.step(parents, np.full(len(rows), action)), states[rows])
        assert DOMAIN.reverse_costs[move] == DOMAIN.action_costs[action] == 1.0
        assert np.array_equal(DOMAIN.instance(parents), DOMAIN.instance(states[rows]))


@settings(max_examples=20, deadline=None)
@given(seed=seeds)
def test_a_reverse_walk_of_cost_c_is_solved_by_forward_moves_of_cost_c(seed: int) -> None:
    rng = np.random.default_rng(seed)
    state = DOMAIN.goal_states(1, rng)
    assert DOMAIN.is_goal(state)[0]
    taken: list[int] = []
    for _ in range(int(rng.integers(1, 80))):
        options = np.flatnonzero(DOMAIN.reverse_applicable(state)[0])
        if len(options) == 0:  # the player shut in by boxes
            break
        move = int(rng.choice(options))
        state = DOMAIN.reverse_step(state, np.array([move]))
        taken.append(move)
    forward = [int(DOMAIN.reverse_undone_by[m]) for m in reversed(taken)]
    end = DOMAIN.apply_moves(state[0], forward)
    assert DOMAIN.is_goal(end[None])[0]
    assert sum(DOMAIN.action_costs[a] for a in forward) == len(taken)


# -- search -----------------------------------------------------------------------------------


def test_a_small_levels_optimal_costs_equal_breadth_first_search() -> None:
    start = DOMAIN.parse_state(TWO_BOXES)
    table = bfs_distances(start)
    states = table.pop("states")  # type: ignore[arg-type]
    keys = list(table)
    solvable = [k for k in keys if table[k] > 0]
    assert table[start.tobytes()] == 13
    rng = np.random.default_rng(0)
    sample = [solvable[i] for i in rng.choice(len(solvable), size=12, replace=False)]
    starts = np.stack([states[k] for k in [start.tobytes(), *sample]])  # type: ignore[index]
    for heuristic in ("pushes", "zero"):
        results = qsolve.solve(DOMAIN, starts, heuristic=heuristic, optimal=True)
        for state, result in zip(starts, results, strict=True):
            assert result.solved and result.cost == table[state.tobytes()]
            end = DOMAIN.apply_moves(state, result.actions)
            assert DOMAIN.is_goal(end[None])[0]
    # The pushes heuristic never overestimates, and calls dead ends (inf) only where no goal is.
    every = np.stack([states[k] for k in keys])  # type: ignore[index]
    h = Pushes(DOMAIN).values(every)
    truth = np.array([table[k] for k in keys], dtype=float)
    reachable = truth >= 0
    assert np.all(h[reachable] <= truth[reachable])
    assert np.all(np.isfinite(h[reachable]))


def test_pushes_recommends_batch_a_star_which_solve_uses_by_default() -> None:
    level = DOMAIN.parse_state(TWO_BOXES)
    default = qsolve.solve(DOMAIN, level[None])[0]
    astar = qsolve.solve(
        DOMAIN, level[None], heuristic="pushes", algorithm="astar", batch_size=100
    )[0]
    qstar = qsolve.solve(DOMAIN, level[None], heuristic="pushes", algorithm="qstar")[0]
    assert default.cost == astar.cost == 13 and default.actions == astar.actions
    assert default.nodes_generated == astar.nodes_generated != qstar.nodes_generated


def test_the_shipped_model_solves_with_its_recommended_search_and_its_floor() -> None:
    level = DOMAIN.parse_state(TWO_BOXES)
    heuristic = qsolve.load_heuristic("shipped", DOMAIN)
    assert heuristic.floor is not None and heuristic.floor.name == "pushes"
    assert heuristic.search_defaults["algorithm"] == "qstar"
    [result] = qsolve.solve(DOMAIN, level[None], heuristic=heuristic)
    end = DOMAIN.apply_moves(level, list(result.actions))
    assert result.solved and DOMAIN.is_goal(end[None])[0] and result.cost >= 13


def test_lurd_writes_moves_lower_case_and_pushes_upper_case() -> None:
    start = DOMAIN.parse_state("########/#  @$ .#/########")
    assert DOMAIN.notations(start, [L, R, R, R]) == {"lurd": "lrRR"}
    [result] = qsolve.solve(DOMAIN, start, heuristic="pushes", optimal=True)
    assert result.moves == ["R", "R"]


# -- command line -----------------------------------------------------------------------------


def test_the_command_line_solves_a_level_and_names_bad_levels_in_a_file(tmp_path, capsys):
    assert main(["solve", "sokoban", "--state", CORRIDOR, "--heuristic", "pushes"]) == 0
    out = capsys.readouterr().out
    assert "R R" in out and "LURD: RR" in out
    levels = tmp_path / "levels.txt"
    levels.write_text(BOXOBAN + "\n; 2\n#####\n#@$ #\n#####\n")
    options = ["--heuristic", "pushes", "--json", "--algorithm", "astar", "--batch-size", "100"]
    status = main(["solve", "sokoban", "--file", str(levels), *options])
    captured = capsys.readouterr()
    assert status == 2
    assert f"{levels}:26: level 2: sokoban level has 1 boxes but 0 targets" in captured.err
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [row["instance"] for row in rows] == [0, 1, 2]
    for row in rows[:2]:
        assert row["solved"]
        assert [m.upper() for m in row["lurd"]] == row["moves"]
        end = DOMAIN.apply_moves(
            DOMAIN.parse_state(row["state"]), DOMAIN.parse_moves(" ".join(row["moves"]))
        )
        assert DOMAIN.is_goal(end[None])[0]
    assert "error" in rows[2]


def test_generated_rooms_are_closed_connected_goal_rooms_placed_canonically() -> None:
    rooms = generate_rooms(200, np.random.default_rng(7), boxes=4)
    assert rooms.shape == (200, DOMAIN.state_dim)
    assert np.all((rooms == BOX_ON_TARGET).sum(axis=1) == 4)
    assert not np.any(rooms == BOX) and not np.any(rooms == TARGET)
    for room in rooms:
        level = room.copy()
        level[np.flatnonzero(level == FLOOR)[0]] = PLAYER
        assert DOMAIN.is_goal(level[None])[0]
        # parsing its text finds every open cell inside the player's walls, already in place
        assert np.array_equal(DOMAIN.parse_state(DOMAIN.format_state(level)), level)
