"""Sokoban on boards of up to 10 x 10 as a batched domain: each state row carries its level.

A state is the 10 x 10 board, row-major, one value per cell: bit 0 says whether the cell is a
target, the value shifted right once what stands on it (0 nothing, 1 a box, 2 the player), and 6
is a wall.  The walls and targets are the level (``instance``): no move changes them.  A parsed
level is canonical: the cells outside the walls become walls, and the area inside them starts at
row 1, column 1, so that equal levels are equal rows and the player never stands on the border.

Actions ``U D L R`` move the player one cell; a move into a box pushes it when the cell beyond is
free (floor or target).  Each move costs 1.  The goal is a condition: every box on a target,
the player anywhere.  Pushes cannot be undone by moves, so training walks go backwards from goal
rooms with reverse moves: a step back, or a step back that pulls the box in front along.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from qsolve.domains.base import Domain, expect_text
from qsolve.errors import QsolveError

if TYPE_CHECKING:
    import torch

    from qsolve.domains.torch_ops import TorchOps

SIZE = 10  # the board's side: levels up to 10 x 10 with their walls
CELLS = SIZE * SIZE
INSIDE = SIZE - 2  # the most rows (and columns) inside the walls
FLOOR, TARGET, BOX, BOX_ON_TARGET, PLAYER, PLAYER_ON_TARGET, WALL = range(7)
DELTAS = np.array([-SIZE, SIZE, -1, 1], dtype=np.int64)  # U D L R: where the player moves
# XSB notation: ' ', '-' and '_' are floor; each value is written with its first symbol here.
SYMBOLS = {FLOOR: "-", TARGET: ".", BOX: "$", BOX_ON_TARGET: "*", PLAYER: "@"}
SYMBOLS |= {PLAYER_ON_TARGET: "+", WALL: "#"}
VALUES = {symbol: value for value, symbol in SYMBOLS.items()} | {" ": FLOOR, "_": FLOOR}
LEVEL_ROW = re.compile(r"^[#@+$*. _-]*#[#@+$*. _-]*$")  # a line of a level: XSB with a wall
ROOMS_FILE = "boxoban-rooms.npz"


class Sokoban(Domain):
    """Sokoban levels that fit a 10 x 10 board, any number of boxes (as many as targets)."""

    num_values = 7
    grid = (SIZE, SIZE)
    default_heuristic = "pushes"
    # pushes with batch A* is optimal and faster than the shipped network on the Boxoban levels
    # (docs/benchmarks.md), so it stays the default; --heuristic shipped runs the network.
    model_is_default = False
    walk_limit = 200
    network_size = (1000, 500, 2)
    # Reverse moves 0-3 step back against U D L R; 4-7 step back pulling the box in front.
    reverse_undone_by = np.array([0, 1, 2, 3, 0, 1, 2, 3], dtype=np.int64)
    # Walks pull a box, where one can be pulled, 20 times as often as they step back instead:
    # uniform walks leave 3 of 4 boxes where they were after 100 moves.
    reverse_weights = np.array([1, 1, 1, 1, 20, 20, 20, 20], dtype=np.float64)

    def __init__(self) -> None:
        self.name = "sokoban"
        self.action_names = ["U", "D", "L", "R"]
        self.action_costs = np.ones(4, dtype=np.float64)
        self.goal = None
        self._rooms: np.ndarray | None = None

    @property
    def state_dim(self) -> int:
        return CELLS

    # -- dynamics ---------------------------------------------------------------------------

    def _players(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` int64: the cell of the player (the one value >= PLAYER below WALL)."""
        return np.argmax((states >= PLAYER) & (states < WALL), axis=1)

    def applicable(self, states: np.ndarray) -> np.ndarray:
        """``[N, 4]``: a move onto a free cell, or into a box with a free cell beyond."""
        players = self._players(states)[:, None]
        into = np.take_along_axis(states, players + DELTAS, axis=1)
        beyond = np.take_along_axis(states, np.clip(players + 2 * DELTAS, 0, CELLS - 1), axis=1)
        is_box = (into == BOX) | (into == BOX_ON_TARGET)
        return (into < BOX) | (is_box & (beyond < BOX))

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Move (and push) by ``actions[i]``; a move that does not apply changes nothing."""
        n = states.shape[0]
        rows = np.arange(n)
        out = np.array(states, order="C")
        players = self._players(states)
        into = players + DELTAS[actions]
        beyond = np.clip(into + DELTAS[actions], 0, CELLS - 1)
        at_into, at_beyond = states[rows, into], states[rows, beyond]
        push = ((at_into == BOX) | (at_into == BOX_ON_TARGET)) & (at_beyond < BOX)
        moves = (at_into < BOX) | push
        r = rows[moves]
        out[r, players[moves]] &= 1  # the target flag stays
        out[r, into[moves]] = (at_into[moves] & 1) | PLAYER
        pushed = rows[push]
        out[pushed, beyond[push]] = (at_beyond[push] & 1) | BOX
        return out

    def is_goal(self, states: np.ndarray) -> np.ndarray:
        """No box off a target (the player may stand anywhere)."""
        return ~np.any(states == BOX, axis=1)

    def instance(self, states: np.ndarray) -> np.ndarray:
        """``[N, D]``: the level of each state, 2 for a wall, 1 for a target, 0 for floor."""
        return np.where(states == WALL, 2, states & 1).astype(states.dtype)

    def reverse_applicable(self, states: np.ndarray) -> np.ndarray:
        """``[N, 8]``: a step back onto a free cell; pulling also needs a box in front."""
        players = self._players(states)[:, None]
        back = np.take_along_axis(states, players - DELTAS, axis=1) < BOX
        front = np.take_along_axis(states, players + DELTAS, axis=1)
        pull = back & ((front == BOX) | (front == BOX_ON_TARGET))
        return np.concatenate([back, pull], axis=1)

    def reverse_step(self, states: np.ndarray, moves: np.ndarray) -> np.ndarray:
        """Step back against the move ``moves[i] % 4``, pulling the box in front for 4-7."""
        n = states.shape[0]
        rows = np.arange(n)
        out = np.array(states, order="C")
        players = self._players(states)
        delta = DELTAS[moves % 4]
        back, front = players - delta, players + delta
        at_player, at_back, at_front = (
            states[rows, players],
            states[rows, back],
            states[rows, front],
        )
        pulls = (moves >= 4) & ((at_front == BOX) | (at_front == BOX_ON_TARGET))
        steps = (at_back < BOX) & ((moves < 4) | pulls)
        pulls &= steps
        r = rows[steps]
        out[r, back[steps]] = (at_back[steps] & 1) | PLAYER
        out[r, players[steps]] = at_player[steps] & 1
        p = rows[pulls]
        out[p, players[pulls]] = (at_player[pulls] & 1) | BOX
        out[p, front[pulls]] = at_front[pulls] & 1
        return out

    def goal_states(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``[n, D]`` solved rooms of the shipped Boxoban training levels (every box on its
        target), each with the player on a uniformly random free cell."""
        rng = np.random.default_rng(0) if rng is None else rng
        rooms = self.rooms()
        out = rooms[rng.integers(0, len(rooms), size=n)]
        free = out == FLOOR
        players = np.argmax(rng.random(out.shape) * free, axis=1)
        out[np.arange(n), players] = PLAYER
        return out

    def rooms(self) -> np.ndarray:
        """``[M, D]`` the goal rooms training walks start from (boxes on targets, no player):
        the rooms of 10,000 levels of Boxoban's unfiltered training split (Apache-2.0)."""
        if self._rooms is None:
            data = resources.files("qsolve.domains").joinpath("data", ROOMS_FILE)
            with resources.as_file(data) as path, np.load(path) as archive:
                self._rooms = np.ascontiguousarray(archive["rooms"], dtype=self.dtype)
        return self._rooms

    def torch_ops(self, device: torch.device) -> TorchOps | None:
        from qsolve.domains.torch_ops import SokobanOps

        return SokobanOps(self, device, self.rooms())

    # -- checks -----------------------------------------------------------------------------

    def _invalid(self, states: np.ndarray) -> tuple[int, str] | None:
        """The first row that parsing its text would refuse: not one player, boxes and targets
        unequal in number, an area that reaches the board's edge, or a box or target outside it."""
        players = (states == PLAYER) | (states == PLAYER_ON_TARGET)
        boxes = ((states == BOX) | (states == BOX_ON_TARGET)).sum(axis=1)
        targets = ((states & 1) * (states != WALL)).sum(axis=1)
        one = players.sum(axis=1) == 1
        area = _areas(states != WALL, players)
        border = np.ones((SIZE, SIZE), dtype=bool)
        border[1:-1, 1:-1] = False
        checks = [
            (~one, "a sokoban state needs one player"),
            (boxes != targets, "a sokoban state needs as many boxes as targets"),
            (area[:, border.reshape(-1)].any(axis=1), "the player can walk off the board"),
            (
                np.any((states != WALL) & (states != FLOOR) & ~area, axis=1),
                "a box or target lies outside the player's walls",
            ),
        ]
        for bad, reason in checks:
            if np.any(bad):
                return int(np.argmax(bad)), reason
        return None

    # -- text -------------------------------------------------------------------------------

    def parse_state(self, text: str) -> np.ndarray:
        """One level in XSB notation, rows separated by newlines or ``/``; placed canonically
        (see the module doc).  QsolveError with the reason for a level that is not one."""
        rows = expect_text(text, "a sokoban level").replace("\r", "").strip("\n").split("\n")
        if len(rows) == 1:
            rows = rows[0].split("/")
        rows = [row.rstrip("\n") for row in rows]
        while rows and not rows[-1].strip():
            rows.pop()
        if not rows:
            raise QsolveError("sokoban level is empty")
        width = max(len(row) for row in rows)
        grid = np.full((len(rows), width), FLOOR, dtype=np.int64)
        for r, row in enumerate(rows):
            for c, symbol in enumerate(row):
                if symbol not in VALUES:
                    raise QsolveError(
                        f"sokoban level: unknown symbol {symbol!r} in row {r + 1}, column {c + 1}"
                        " (XSB: # @ + $ * . and space, - or _ for floor)"
                    )
                grid[r, c] = VALUES[symbol]
        players = np.argwhere((grid == PLAYER) | (grid == PLAYER_ON_TARGET))
        if len(players) != 1:
            raise QsolveError(
                "sokoban level has no player (@ or +)"
                if len(players) == 0
                else f"sokoban level has {len(players)} players (@ or +), not one"
            )
        boxes = int(np.count_nonzero((grid == BOX) | (grid == BOX_ON_TARGET)))
        targets = int(np.count_nonzero((grid & 1) & (grid != WALL)))
        if boxes != targets:
            raise QsolveError(f"sokoban level has {boxes} boxes but {targets} targets")
        inside = _area(grid != WALL, tuple(players[0]))
        if inside is None:
            raise QsolveError("sokoban level is not closed: the player can walk off the board")
        loose = (grid != WALL) & (grid != FLOOR) & ~inside
        if np.any(loose):
            r, c = np.argwhere(loose)[0]
            raise QsolveError(
                f"sokoban level has a box or target outside the player's walls (row {r + 1}, "
                f"column {c + 1})"
            )
        where = np.argwhere(inside)
        top, left = where.min(axis=0)
        height, across = where.max(axis=0) - (top, left) + 1
        if height > INSIDE or across > INSIDE:
            raise QsolveError(
                f"sokoban level is too large: {height + 2} x {across + 2} with its walls; "
                f"boards up to {SIZE} x {SIZE} fit"
            )
        board: np.ndarray = np.full((SIZE, SIZE), WALL, dtype=self.dtype)
        rows_in, cols_in = where[:, 0], where[:, 1]
        board[rows_in - top + 1, cols_in - left + 1] = grid[rows_in, cols_in]
        return board.reshape(-1)

    def format_state(self, state: np.ndarray) -> str:
        """The level in XSB notation (``-`` for floor), rows joined by ``/``, cut to its walls."""
        board: np.ndarray = self._one_state(state).reshape(SIZE, SIZE)
        open_cells = np.argwhere(board != WALL)
        bottom, right = open_cells.max(axis=0) + 2 if len(open_cells) else (SIZE, SIZE)
        return "/".join("".join(SYMBOLS[int(v)] for v in row[:right]) for row in board[:bottom])

    def split_file(
        self, lines: Iterable[tuple[int, str | QsolveError]]
    ) -> Iterator[tuple[int, str, str | QsolveError]]:
        """Level collections as they are published: consecutive XSB rows are a level, named by
        the header (Boxoban's ``; N``) or title line before it, or by a ``Title:`` line after it
        (the XSB files' own layout), else by its number; ``Author:`` and ``Comment:`` lines are
        skipped."""
        label: str | None = None  # the name the next level gets, from a line before it
        pending: list[tuple[int, str | None, str]] = []  # a level read, its name still open
        level: list[str] = []
        first = 0
        count = 0

        def release() -> Iterator[tuple[int, str, str]]:
            nonlocal count
            for number, name, text in pending:
                count += 1
                yield number, name or f"level {count}", text
            pending.clear()

        for number, line in lines:
            if isinstance(line, QsolveError):
                yield from release()
                yield number, f"line {number}", line
                continue
            text = line.rstrip("\r\n")
            if text.strip() and LEVEL_ROW.match(text):
                if not level:
                    yield from release()
                    first = number
                level.append(text)
                continue
            if level:
                pending.append((first, label, "\n".join(level)))
                label, level = None, []
            words = text.strip()
            key = words.split(":", 1)[0].strip().lower() if ":" in words else ""
            if key == "title" and pending and pending[-1][1] is None:
                number_, _, body = pending[-1]
                pending[-1] = (number_, _title(words), body)
            elif key in ("author", "comment"):
                continue
            elif words:
                yield from release()
                label = _title(words)
        if level:
            pending.append((first, label, "\n".join(level)))
        yield from release()

    def notations(self, start: np.ndarray, actions: list[int]) -> dict[str, str]:
        """The solution in LURD notation: lower case a move, upper case a push."""
        states = self.check_states(start)[:1].copy()
        letters = []
        for a in actions:
            into = states[0, self._players(states)[0] + DELTAS[a]]
            pushes = into in (BOX, BOX_ON_TARGET)
            letter = "udlr"[a]
            letters.append(letter.upper() if pushes else letter)
            states = self.step(states, np.array([a]))
        return {"lurd": "".join(letters)}


# The shapes a room generator's walk opens around each cell it visits (3 x 3, centred there).
STAMPS = np.array(
    [
        [[0, 0, 0], [1, 1, 1], [0, 0, 0]],
        [[0, 1, 0], [0, 1, 0], [0, 1, 0]],
        [[0, 0, 0], [1, 1, 0], [0, 1, 0]],
        [[0, 0, 0], [1, 1, 0], [1, 1, 0]],
        [[0, 0, 0], [0, 1, 1], [0, 1, 0]],
    ],
    dtype=bool,
)


def generate_rooms(n: int, rng: np.random.Generator, boxes: int = 4) -> np.ndarray:
    """``[n, D]`` random goal rooms (every box on its target, no player), made as Racanière et
    al. (NeurIPS 2017) make Boxoban's rooms: a walk of 27 steps over the 8 x 8 inside, turning
    with probability 0.35, opens a random 3 x 3 shape around each cell it visits; then ``boxes``
    boxes on targets on distinct open cells, with at least two open cells left for the player.
    Rooms are placed canonically, like parsed levels."""
    out = np.empty((n, CELLS), dtype=np.int8)
    turns = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])
    made = 0
    while made < n:
        open_cells = np.zeros((SIZE, SIZE), dtype=bool)
        at = rng.integers(1, SIZE - 1, size=2)
        way = turns[rng.integers(4)]
        for _ in range(int(1.5 * 2 * INSIDE) - 3):
            if rng.random() < 0.35:
                way = turns[rng.integers(4)]
            at = np.clip(at + way, 1, SIZE - 2)
            r, c = at
            open_cells[r - 1 : r + 2, c - 1 : c + 2] |= STAMPS[rng.integers(len(STAMPS))]
        open_cells[[0, -1], :] = open_cells[:, [0, -1]] = False  # the border stays wall
        cells = np.flatnonzero(open_cells)
        if len(cells) < boxes + 2:
            continue
        board = np.where(open_cells, FLOOR, WALL).reshape(-1)
        board[rng.choice(cells, size=boxes, replace=False)] = BOX_ON_TARGET
        grid = board.reshape(SIZE, SIZE)
        top, left = np.argwhere(open_cells).min(axis=0)
        placed = np.full((SIZE, SIZE), WALL, dtype=np.int8)
        placed[1 : SIZE - top, 1 : SIZE - left] = grid[top : SIZE - 1, left : SIZE - 1]
        out[made] = placed.reshape(-1)
        made += 1
    return out


def _title(line: str) -> str:
    """The name a header or title line gives the level after it."""
    text = line.lstrip(";").strip()
    for prefix in ("Title:", "title:"):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
    if text.isdigit():
        return f"level {text}"
    return text


def _areas(open_cells: np.ndarray, start: np.ndarray) -> np.ndarray:
    """``[N, D]`` bool: the cells of each board that ``start`` reaches through ``open_cells``
    (4-connected, on the 10 x 10 board; batched: one dilation of every board at a time)."""
    grid_open = open_cells.reshape(-1, SIZE, SIZE)
    reach = start.reshape(-1, SIZE, SIZE) & grid_open
    while True:
        grown = reach.copy()
        grown[:, 1:] |= reach[:, :-1]
        grown[:, :-1] |= reach[:, 1:]
        grown[:, :, 1:] |= reach[:, :, :-1]
        grown[:, :, :-1] |= reach[:, :, 1:]
        grown &= grid_open
        if np.array_equal(grown, reach):
            return reach.reshape(-1, CELLS)
        reach = grown


def _area(open_cells: np.ndarray, start: tuple[int, int]) -> np.ndarray | None:
    """``[H, W]`` bool: the open cells 4-connected to ``start``; None if they reach the edge."""
    height, width = open_cells.shape
    seen = np.zeros_like(open_cells)
    seen[start] = True
    frontier = [start]
    while frontier:
        r, c = frontier.pop()
        if r in (0, height - 1) or c in (0, width - 1):
            return None
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if open_cells[nr, nc] and not seen[nr, nc]:
                seen[nr, nc] = True
                frontier.append((nr, nc))
    return seen
