"""Board pictures: the tile grid of a sliding puzzle, the lights of a Lights Out board and the
room of a Sokoban level."""

from __future__ import annotations

import math

import numpy as np

from qsolve.domains.base import Domain
from qsolve.domains.lightsout import LightsOut
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.domains.sokoban import BOX, BOX_ON_TARGET, PLAYER, PLAYER_ON_TARGET, SIZE, WALL, Sokoban
from qsolve.render.picture import Label, Picture, Polygon

TILE = "#e9c27a"
TILE_TEXT = "#3a2a10"
BOARD = "#3b3b46"
LIGHT_ON = "#ffd84a"
LIGHT_OFF = "#2a2a36"
# Sokoban, shared with the player page (player.js reads them from its data).
SOKOBAN_COLOURS = {
    "wall": "#7a5236",
    "floor": "#efe6d2",
    "target": "#f3c4bd",  # the cell of a target, under whatever stands on it
    "mark": "#c8372d",  # the diamond on a target cell
    "box": "#d39a4a",
    "box-on-target": "#4f9a4a",
    "player": "#2d6cdf",
}
SOKOBAN_SIDE = 40


def _cell(x: float, y: float, side: float, gap: float) -> list[tuple[float, float]]:
    near, far = gap, side - gap
    return [(x + near, y + near), (x + far, y + near), (x + far, y + far), (x + near, y + far)]


def sliding_picture(domain: Domain, state: np.ndarray) -> Picture:
    """The n x n board: numbered tiles, and the blank as an empty dark cell."""
    assert isinstance(domain, SlidingPuzzle)
    n, side, margin = domain.size, 60, 10
    shapes: list[Polygon | Label] = []
    board = _cell(margin, margin, n * side, 0)
    shapes.append(Polygon(board, BOARD, BOARD, 1, {"role": "board"}))
    for cell, tile in enumerate(state):
        row, col = divmod(cell, n)
        x, y = margin + col * side, margin + row * side
        if tile == 0:
            continue
        data = {"cell": str(cell), "tile": str(int(tile))}
        shapes.append(Polygon(_cell(x, y, side, 3), TILE, "#7a5a20", 1.5, data))
        shapes.append(Label(x + side / 2, y + side / 2, str(int(tile)), 24, TILE_TEXT, data))
    size = n * side + 2 * margin
    return Picture(size, size, shapes, title=f"{domain.name} {domain.format_state(state)}")


def lightsout_picture(domain: Domain, state: np.ndarray) -> Picture:
    """The n x n board: lit cells bright, unlit cells dark."""
    assert isinstance(domain, LightsOut)
    n, side, margin = domain.size, 40, 10
    shapes: list[Polygon | Label] = []
    shapes.append(Polygon(_cell(margin, margin, n * side, 0), BOARD, BOARD, 1, {"role": "board"}))
    for cell, on in enumerate(state):
        row, col = divmod(cell, n)
        x, y = margin + col * side, margin + row * side
        fill = LIGHT_ON if on else LIGHT_OFF
        data = {"cell": str(cell), "on": str(int(on))}
        shapes.append(Polygon(_cell(x, y, side, 3), fill, "#111111", 1, data))
    size = n * side + 2 * margin
    return Picture(size, size, shapes, title=f"{domain.name} {domain.format_state(state)}")


def sokoban_layout(state: np.ndarray) -> tuple[int, int, list[int]]:
    """The rows and columns a Sokoban level takes with its walls (cut as ``format_state`` cuts
    it) and the wall cells worth drawing: those beside a cell inside the walls, diagonals too,
    so that a level keeps its outline instead of filling a rectangle with wall."""
    board = np.asarray(state).reshape(SIZE, SIZE)
    inside = board != WALL
    where = np.argwhere(inside)
    rows, cols = (where.max(axis=0) + 2).tolist() if len(where) else (SIZE, SIZE)
    padded = np.pad(inside, 1)
    near = np.zeros_like(inside)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            near |= padded[1 + dr : 1 + dr + SIZE, 1 + dc : 1 + dc + SIZE]
    return int(rows), int(cols), np.flatnonzero(~inside & near).tolist()


def _around(x: float, y: float, radius: float, corners: int) -> list[tuple[float, float]]:
    """A regular polygon centred on ``(x, y)``: a diamond for 4 corners, a disc for many."""
    turns = [2 * math.pi * k / corners for k in range(corners)]
    return [(x + radius * math.cos(t), y + radius * math.sin(t)) for t in turns]


def sokoban_picture(domain: Domain, state: np.ndarray) -> Picture:
    """The level cut to its walls: walls, floor, targets (tinted cells with a diamond), boxes
    (green on a target) and the player (a blue disc)."""
    assert isinstance(domain, Sokoban)
    rows, cols, walls = sokoban_layout(state)
    side, margin, colours = SOKOBAN_SIDE, 10, SOKOBAN_COLOURS
    text = domain.format_state(state).split("/")
    shapes: list[Polygon | Label] = []
    for cell in sorted([*walls, *np.flatnonzero(np.asarray(state) != WALL).tolist()]):
        row, col = divmod(cell, SIZE)
        value = int(state[cell])
        x, y = margin + col * side, margin + row * side
        square = _cell(x, y, side, 0)
        data = {"cell": str(cell), "symbol": text[row][col]}
        if value == WALL:
            shapes.append(Polygon(square, colours["wall"], "#4e3322", 1, data))
            continue
        shapes.append(
            Polygon(square, colours["target" if value & 1 else "floor"], "#d8ccb2", 1, data)
        )
        centre = (x + side / 2, y + side / 2)
        if value & 1:
            mark = _around(*centre, 0.16 * side, 4)
            shapes.append(Polygon(mark, colours["mark"], colours["mark"], 1, _role(cell, "target")))
        if value in (BOX, BOX_ON_TARGET):
            role = "box-on-target" if value == BOX_ON_TARGET else "box"
            shapes.append(
                Polygon(_cell(x, y, side, 5), colours[role], "#3a2a10", 2, _role(cell, role))
            )
        elif value in (PLAYER, PLAYER_ON_TARGET):
            role = "player-on-target" if value == PLAYER_ON_TARGET else "player"
            disc = _around(*centre, 0.32 * side, 24)
            shapes.append(Polygon(disc, colours["player"], "#12306b", 1.5, _role(cell, role)))
    title = f"{domain.name} {domain.format_state(state)}"
    return Picture(cols * side + 2 * margin, rows * side + 2 * margin, shapes, title=title)


def _role(cell: int, role: str) -> dict[str, str]:
    return {"cell": str(cell), "role": role}
