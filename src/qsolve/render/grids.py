"""Board pictures: the tile grid of a sliding puzzle and the lights of a Lights Out board."""

from __future__ import annotations

import numpy as np

from qsolve.domains.base import Domain
from qsolve.domains.lightsout import LightsOut
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.render.picture import Label, Picture, Polygon

TILE = "#e9c27a"
TILE_TEXT = "#3a2a10"
BOARD = "#3b3b46"
LIGHT_ON = "#ffd84a"
LIGHT_OFF = "#2a2a36"


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
