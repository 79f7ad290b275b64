"""Cube pictures: the unfolded net and an isometric view of U, F and R, in the standard colours.

Facelets are numbered as the cube domains store them, Kociemba order U R F D L B with each face
read row by row (3x3 for cube3, 2x2 for cube2: the corner facelets 1, 3, 7, 9).  The sticker
geometry is the same as in ``qsolve.domains.cube``: x to the right face, y up, z to the front, a
cubie two units wide, so that a quarter turn is a rotation of one layer's sticker positions.
"""

from __future__ import annotations

import math

import numpy as np

from qsolve.domains.base import Domain
from qsolve.domains.cube import FACES, NORMALS, Cube2, Cube3
from qsolve.render.picture import Label, Picture, Polygon

# U white, R red, F green, D yellow, L orange, B blue: colour c is that of face FACES[c].
COLOURS = ["#ffffff", "#c41e3a", "#009e60", "#ffd500", "#ff5800", "#0051ba"]
COLOUR_NAMES = ["white", "red", "green", "yellow", "orange", "blue"]
BODY = "#1b1b1b"
# Where each face's block lies in the net, in face widths: U above F, then L F R B, D below F.
NET_BLOCKS = {"U": (1, 0), "L": (0, 1), "F": (1, 1), "R": (2, 1), "B": (3, 1), "D": (1, 2)}
STICKER_HALF = 0.88  # half the side of a sticker, in the cube's units (a cubie is 2 wide)


def cube_size(domain: Domain) -> int | None:
    """3 for the 3x3x3 cube domains, 2 for the 2x2x2, None for other domains."""
    if isinstance(domain, Cube3):
        return 3
    if isinstance(domain, Cube2):
        return 2
    return None


def facelets(size: int) -> dict[str, np.ndarray]:
    """Per facelet, in the domain's order: ``centre``, ``down`` (row direction) and ``right``
    (column direction) as ``[6 n², 3]`` float arrays, ``normal``, and ``face``/``row``/``col``."""
    centres, downs, rights, normals, faces, rows, cols = [], [], [], [], [], [], []
    for face in FACES:
        for r in range(size):
            for c in range(size):
                a, b = 2 * r - (size - 1), 2 * c - (size - 1)  # row and column offsets
                n = size
                # The same face orientation as qsolve.domains.cube._sticker_position.
                centre, down, right = {
                    "U": ((b, n, a), (0, 0, 1), (1, 0, 0)),
                    "R": ((n, -a, -b), (0, -1, 0), (0, 0, -1)),
                    "F": ((b, -a, n), (0, -1, 0), (1, 0, 0)),
                    "D": ((b, -n, -a), (0, 0, -1), (1, 0, 0)),
                    "L": ((-n, -a, b), (0, -1, 0), (0, 0, 1)),
                    "B": ((-b, -a, -n), (0, -1, 0), (-1, 0, 0)),
                }[face]
                centres.append(centre)
                downs.append(down)
                rights.append(right)
                normals.append(NORMALS[face])
                faces.append(FACES.index(face))
                rows.append(r)
                cols.append(c)
    return {
        "centre": np.array(centres, dtype=np.float64),
        "down": np.array(downs, dtype=np.float64),
        "right": np.array(rights, dtype=np.float64),
        "normal": np.array(normals, dtype=np.float64),
        "face": np.array(faces),
        "row": np.array(rows),
        "col": np.array(cols),
    }


def facelet_name(size: int, index: int) -> str:
    """Kociemba's name of a facelet (``U1`` .. ``B9``; for cube2 the 3x3 number of the corner)."""
    face, k = divmod(index, size * size)
    r, c = divmod(k, size)
    if size == 2:
        r, c = 2 * r, 2 * c
    return f"{FACES[face]}{3 * r + c + 1}"


def quarter_turn(size: int, move: str) -> tuple[list[float], float, list[int]]:
    """The rotation a quarter turn makes: its axis, its angle in degrees and the facelets it moves.

    A clockwise turn (looking at the face) is -90 degrees about the face's outward normal; the
    turning layer holds the stickers whose position along the normal is at least ``size - 1``.
    """
    normal = np.array(NORMALS[move[0]], dtype=np.float64)
    angle = 90.0 if move.endswith("'") else -90.0
    layer = np.flatnonzero(facelets(size)["centre"] @ normal >= size - 1)
    return normal.tolist(), angle, layer.tolist()


def isometric(points: np.ndarray) -> np.ndarray:
    """``[..., 3]`` cube coordinates seen from the corner (1, 1, 1), U up: ``[..., 2]``, y down."""
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    c = math.cos(math.radians(30))
    return np.stack([c * (x - z), 0.5 * (x + z) - y], axis=-1)


def _square(centre: np.ndarray, down: np.ndarray, right: np.ndarray, half: float) -> np.ndarray:
    """The four corners ``[4, 3]`` of a square facelet, clockwise as seen from outside."""
    signs = [(-1, -1), (-1, 1), (1, 1), (1, -1)]
    return np.array([centre + half * (s * down + t * right) for s, t in signs])


def cube_picture(domain: Domain, state: np.ndarray) -> Picture:
    """The net (left) and the isometric U/F/R view (right) of a cube state."""
    size = cube_size(domain)
    assert size is not None
    geometry = facelets(size)
    unit = 24  # a sticker's side in the net
    margin = 12
    net_w, net_h = 4 * size * unit, 3 * size * unit
    shapes: list[Polygon | Label] = []
    for face, (bx, by) in NET_BLOCKS.items():
        x0, y0 = margin + bx * size * unit, margin + by * size * unit
        block = [(x0, y0), (x0 + size * unit, y0), (x0 + size * unit, y0 + size * unit)]
        block.append((x0, y0 + size * unit))
        shapes.append(Polygon(block, BODY, BODY, 1, {"view": "net", "face-block": face}))
    for i, colour in enumerate(state):
        face = FACES[int(geometry["face"][i])]
        bx, by = NET_BLOCKS[face]
        x = margin + (bx * size + int(geometry["col"][i])) * unit
        y = margin + (by * size + int(geometry["row"][i])) * unit
        g = 2  # gap between stickers
        square = [(x + g, y + g), (x + unit - g, y + g), (x + unit - g, y + unit - g)]
        square.append((x + g, y + unit - g))
        shapes.append(Polygon(square, COLOURS[int(colour)], BODY, 1, _data("net", size, i, colour)))

    # The isometric view: the cube's three visible faces as a dark body, then their stickers.
    scale = unit / 2  # a cubie (2 units) is as wide as a sticker of the net
    corners = np.array(list(np.ndindex(2, 2, 2)), dtype=np.float64) * 2 * size - size
    flat = isometric(corners) * scale
    left = margin + net_w + 3 * margin - flat[:, 0].min()
    top = margin + (net_h - (flat[:, 1].max() - flat[:, 1].min())) / 2 - flat[:, 1].min()

    def project(points: np.ndarray) -> list[tuple[float, float]]:
        xy = isometric(points) * scale
        return [(float(left + px), float(top + py)) for px, py in xy]

    view = np.ones(3)
    for face in "URF":
        n = np.array(NORMALS[face], dtype=np.float64)
        rest = [a for a in range(3) if n[a] == 0]
        down = np.zeros(3)
        right = np.zeros(3)
        down[rest[0]], right[rest[1]] = 1, 1
        body = _square(n * size, down, right, size)
        shapes.append(Polygon(project(body), BODY, BODY, 1, {"view": "iso", "face-block": face}))
    for i, colour in enumerate(state):
        if geometry["normal"][i] @ view <= 0:
            continue
        sticker = _square(
            geometry["centre"][i], geometry["down"][i], geometry["right"][i], STICKER_HALF
        )
        shapes.append(
            Polygon(project(sticker), COLOURS[int(colour)], BODY, 1, _data("iso", size, i, colour))
        )
    width = math.ceil(left + flat[:, 0].max() + margin)
    height = net_h + 2 * margin
    return Picture(width, height, shapes, title=f"{domain.name} {domain.format_state(state)}")


def _data(view: str, size: int, index: int, colour: np.integer | int) -> dict[str, str]:
    return {
        "view": view,
        "facelet": str(index),
        "name": facelet_name(size, index),
        "colour": COLOUR_NAMES[int(colour)],
    }
