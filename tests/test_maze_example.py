"""docs/custom-domain.md's maze, run as written: a layout in every state row and a goal that is a
condition, against a breadth-first search over the maze's cells written here."""

from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path

import numpy as np
import pytest

import qsolve
from qsolve.cli import main
from qsolve.domains import Domain

DOC = Path(__file__).parent.parent / "docs" / "custom-domain.md"
SIDE = 8


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def maze_source() -> str:
    [source] = [block for block in doc_blocks("python") if "class Maze(Domain)" in block]
    return source


def doc_maze() -> str:
    """The maze the page's commands solve (each --state in them is this one)."""
    [commands] = [block for block in doc_blocks("sh") if "maze.py:Maze" in block]
    states = set(re.findall(r'--state "([^"]+)"', commands))
    assert len(states) == 1
    return states.pop()


@pytest.fixture(scope="module")
def maze_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("maze") / "maze.py"
    path.write_text(maze_source())
    return path


@pytest.fixture(scope="module")
def maze(maze_file: Path) -> Domain:
    namespace: dict = {}
    exec(compile(maze_file.read_text(), str(maze_file), "exec"), namespace)
    return namespace["Maze"]()


def bfs_moves(text: str) -> int | None:
    """The fewest steps from the walker to the exit through non-wall cells, or None."""
    cells = text.replace("/", "")
    start = next(i for i, c in enumerate(cells) if c in "@+")
    distance = {start: 0}
    queue = deque([start])
    while queue:
        at = queue.popleft()
        if cells[at] in "E+":
            return distance[at]
        row, col = divmod(at, SIDE)
        for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
            nxt = r * SIDE + c
            if 0 <= r < SIDE and 0 <= c < SIDE and cells[nxt] != "#" and nxt not in distance:
                distance[nxt] = distance[at] + 1
                queue.append(nxt)
    return None


def random_mazes(count: int, seed: int) -> list[str]:
    """Mazes written as text: walls on 25% of the cells, the walker and the exit apart."""
    rng = np.random.default_rng(seed)
    mazes = []
    for _ in range(count):
        cells = np.where(rng.random(SIDE * SIDE) < 0.25, "#", ".")
        walker, exit_ = rng.choice(SIDE * SIDE, size=2, replace=False)
        cells[walker], cells[exit_] = "@", "E"
        row = "".join(cells)
        mazes.append("/".join(row[i : i + SIDE] for i in range(0, SIDE * SIDE, SIDE)))
    return mazes


def walls_and_exit(domain: Domain, states: np.ndarray) -> list[str]:
    """Each state's text with only its walls and exit kept (what no move may change)."""
    keep = str.maketrans({".": ".", "@": ".", "#": "#", "E": "E", "+": "E"})
    return [domain.format_state(s).translate(keep) for s in states]


def test_the_maze_is_short_and_keeps_the_contract(maze: Domain) -> None:
    assert len(maze_source().strip().splitlines()) < 80
    assert qsolve.check_domain(maze) > 100
    assert not maze.has_goal_state
    goals = maze.goal_states(20, np.random.default_rng(0))
    assert np.all(maze.is_goal(goals))
    assert all("+" in maze.format_state(s) for s in goals)


def test_optimal_costs_equal_breadth_first_search_and_solutions_replay(maze: Domain) -> None:
    on_exit = "+......./......../......../......../......../......../......../........"
    texts = [doc_maze(), on_exit, *random_mazes(20, seed=6)]
    expected = [bfs_moves(text) for text in texts]
    assert expected[:2] == [17, 0]  # the page says 17 moves
    assert sum(e is None for e in expected) >= 1 and sum((e or 0) >= 8 for e in expected) >= 4
    starts = np.stack([maze.parse_state(text) for text in texts])
    results = qsolve.solve(maze, starts, heuristic="zero", optimal=True)
    for text, start, want, result in zip(texts, starts, expected, results, strict=True):
        if want is None:
            assert not result.solved and result.stop_reason == "exhausted", text
            continue
        assert result.solved and result.cost == want, text
        end = maze.apply_moves(start, result.actions)
        assert maze.is_goal(end[None, :])[0]
        assert walls_and_exit(maze, end[None, :]) == walls_and_exit(maze, start[None, :])


def test_the_walls_and_the_exit_never_move(maze: Domain) -> None:
    # random_walk draws its goal states first, from the same generator: the same mazes.
    goals = maze.goal_states(64, np.random.default_rng(3))
    walked = maze.random_walk(np.full(64, 25), np.random.default_rng(3))
    assert walls_and_exit(maze, walked) == walls_and_exit(maze, goals)
    assert np.array_equal(maze.instance(walked), maze.instance(goals))
    assert np.mean(maze.is_goal(walked)) < 0.5  # the walkers did walk
    for action in range(4):
        children = maze.step(walked, np.full(64, action))
        assert walls_and_exit(maze, children) == walls_and_exit(maze, walked)
        moved = np.any(children != walked, axis=1)
        assert np.array_equal(moved, maze.applicable(walked)[:, action])
    text = maze.format_state(walked[0])
    assert np.array_equal(maze.parse_state(text.replace("/", "\n")), walked[0])


def test_the_command_line_checks_solves_and_trains_the_maze(
    maze: Domain, maze_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = f"{maze_file}:Maze"
    assert main(["check-domain", spec]) == 0
    out = tmp_path / "model"
    tiny = ["--steps", "20", "--batch-size", "64", "--eval-every", "1000", "--quiet"]
    assert (
        main(["train", spec, "--out", str(out), *tiny, "--threads", "1", "--precision", "fp32"])
        == 0
    )
    assert (out / "model.safetensors").is_file()
    # A file of mazes, one starting with a wall: '#' is no comment for this domain.
    first_wall = "#@....../........" + "/........" * 5 + "/.......E"
    mazes = tmp_path / "mazes.txt"
    mazes.write_text(f"{doc_maze()}\n\n{first_wall}\n")
    capsys.readouterr()
    assert main(["solve", spec, "--file", str(mazes), "--heuristic", str(out), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["instance"] for row in rows] == [0, 1]
    for row, shortest in zip(rows, [17, bfs_moves(first_wall)], strict=True):
        assert row["solved"] and row["cost"] >= shortest
        start = maze.parse_state(row["state"])
        end = maze.apply_moves(start, maze.parse_moves(" ".join(row["moves"])))
        assert maze.is_goal(end[None, :])[0]
