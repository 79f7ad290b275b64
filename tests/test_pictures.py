"""Pictures of states: the right colours, tiles, lights, walls and boxes in the right places, in
SVG and PNG."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from qsolve import api
from qsolve.cli import main
from qsolve.domains import Domain, get_domain
from qsolve.domains.cube import _POSITIONS
from qsolve.errors import QsolveError
from qsolve.render import picture, save_picture, to_svg
from qsolve.render.cube import COLOURS, facelets, quarter_turn
from qsolve.render.grids import LIGHT_OFF, LIGHT_ON, SOKOBAN_COLOURS, SOKOBAN_SIDE

SVG = "{http://www.w3.org/2000/svg}"
COLOUR_OF = dict(zip("URFDLB", ["white", "red", "green", "yellow", "orange", "blue"], strict=True))
# Where each face's facelets lie in the net, as (column, row) of a grid of stickers:
# U above F, then L F R B in a row, D below F.
NET = {"U": (3, 0), "L": (0, 3), "F": (3, 3), "R": (6, 3), "B": (9, 3), "D": (3, 6)}


def rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    """The ``[3, 3]`` matrix of a right-handed rotation by ``degrees`` about the unit ``axis``
    (Rodrigues' formula): what the player applies to a turning layer."""
    k = np.asarray(axis, dtype=np.float64)
    t = math.radians(degrees)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) * math.cos(t) + math.sin(t) * cross + (1 - math.cos(t)) * np.outer(k, k)


def polygons(svg_text: str, view: str) -> dict[str, ET.Element]:
    """The sticker polygons of one view, by Kociemba facelet name."""
    root = ET.fromstring(svg_text)
    return {
        p.get("data-name"): p
        for p in root.iter(f"{SVG}polygon")
        if p.get("data-view") == view and p.get("data-name")
    }


def centre(element: ET.Element) -> np.ndarray:
    points = [tuple(map(float, xy.split(","))) for xy in element.get("points").split()]
    return np.mean(points, axis=0)


def expected_after_r(name: str) -> str:
    """The colour of facelet ``name`` after the single move R, worked out by hand: the right
    column of F goes up to U, U's goes to the back (B's left column seen from behind), B's
    comes down to D, and D's comes to the front."""
    face, number = name[0], int(name[1])
    moved = {
        "U": ({3, 6, 9}, "green"),
        "F": ({3, 6, 9}, "yellow"),
        "D": ({3, 6, 9}, "blue"),
        "B": ({1, 4, 7}, "white"),
    }
    if face in moved and number in moved[face][0]:
        return moved[face][1]
    return COLOUR_OF[face]


def test_solved_cube3_net_has_nine_stickers_of_each_colour_in_place():
    domain = get_domain("cube3")
    net = polygons(to_svg(picture(domain, domain.goal)), "net")
    assert len(net) == 54
    colours = [p.get("data-colour") for p in net.values()]
    assert {c: colours.count(c) for c in set(colours)} == {c: 9 for c in COLOUR_OF.values()}
    u1 = centre(net["U1"])
    unit = centre(net["U2"])[0] - u1[0]
    assert unit > 0
    for name, p in net.items():
        assert p.get("data-colour") == COLOUR_OF[name[0]]
        assert p.get("fill") == COLOURS["URFDLB".index(name[0])]
        row, col = divmod(int(name[1:]) - 1, 3)
        cell = np.round((centre(p) - u1) / unit).astype(int) + np.array(NET["U"])
        assert tuple(cell) == (NET[name[0]][0] + col, NET[name[0]][1] + row), name


def test_scramble_r_puts_the_right_colours_on_the_right_stickers(tmp_path):
    domain = get_domain("cube3")
    state = domain.apply_moves(domain.goal, domain.parse_moves("R"))
    svg = to_svg(picture(domain, state))
    net = polygons(svg, "net")
    for name, p in net.items():
        assert p.get("data-colour") == expected_after_r(name), name

    # The isometric view shows U, F and R only, each sticker as in the net.
    iso = polygons(svg, "iso")
    assert sorted({name[0] for name in iso}) == ["F", "R", "U"] and len(iso) == 27
    for name, p in iso.items():
        assert p.get("data-colour") == expected_after_r(name), name
        assert p.get("fill") == net[name].get("fill")
    mean = {f: np.mean([centre(p) for n, p in iso.items() if n[0] == f], axis=0) for f in "URF"}
    assert mean["U"][1] < mean["F"][1] and mean["U"][1] < mean["R"][1]  # U on top
    assert mean["F"][0] < mean["R"][0]  # F on the left, R on the right
    # U9, F3 and R1 meet at the front top right corner: they are each other's nearest stickers.
    corner = [centre(iso[n]) for n in ("U9", "F3", "R1")]
    for a in range(3):
        for b in range(a + 1, 3):
            assert np.linalg.norm(corner[a] - corner[b]) < 1.2 * np.linalg.norm(
                centre(iso["F1"]) - centre(iso["F2"])
            )

    # The PNG has the same colours at the sticker centres.
    png = tmp_path / "r.png"
    save_picture(domain, state, png)
    import matplotlib.image

    pixels = (matplotlib.image.imread(png)[:, :, :3] * 255).round().astype(int)
    drawing = picture(domain, state)
    scale = pixels.shape[1] / drawing.width
    assert pixels.shape[0] == round(drawing.height * scale)
    for name, p in {**net, **{n + " iso": q for n, q in iso.items()}}.items():
        x, y = centre(p) * scale
        hex_colour = COLOURS[list(COLOUR_OF.values()).index(expected_after_r(name[:2]))]
        want = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
        assert np.abs(pixels[int(y), int(x)] - want).max() <= 3, name


def test_cube2_picture_after_r():
    domain = get_domain("cube2")
    state = domain.apply_moves(domain.goal, domain.parse_moves("R"))
    net = polygons(to_svg(picture(domain, state)), "net")
    assert len(net) == 24
    assert sorted(net) == sorted(f + str(k) for f in "URFDLB" for k in (1, 3, 7, 9))
    for name, p in net.items():
        assert p.get("data-colour") == expected_after_r(name), name


@pytest.mark.parametrize("size", [2, 3])
def test_turn_geometry_matches_the_domain_permutations(size):
    """Rotating the turning layer's sticker positions (what the player animates) moves each
    colour exactly where the domain's move puts it."""
    domain = get_domain("cube3" if size == 3 else "cube2")
    g = facelets(size)
    if size == 3:
        assert np.array_equal(g["centre"], np.array(_POSITIONS, dtype=float))
    labels = np.arange(domain.state_dim)[None, :]
    index = {tuple(np.round(p).astype(int)): i for i, p in enumerate(g["centre"])}
    for a, move in enumerate(domain.action_names):
        after = domain._step(labels, np.array([a]))[0]  # sticker labels, not colours
        axis, angle, layer = quarter_turn(size, move)
        turned = g["centre"][layer] @ rotation(np.array(axis), angle).T
        for src, p in zip(layer, turned, strict=True):
            assert after[index[tuple(np.round(p).astype(int))]] == src
        still = np.setdiff1d(np.arange(domain.state_dim), layer)
        assert np.array_equal(after[still], still)


def test_sliding_picture_shows_each_tile_once_where_it_lies():
    domain = get_domain("puzzle15")
    state = domain.random_walk(np.array([40]), np.random.default_rng(3))[0]
    root = ET.fromstring(to_svg(picture(domain, state)))
    texts = list(root.iter(f"{SVG}text"))
    numbers = sorted(int(t.text) for t in texts)
    assert numbers == list(range(1, 16))
    reading_order = sorted(texts, key=lambda t: (round(float(t.get("y"))), float(t.get("x"))))
    assert [int(t.text) for t in reading_order] == [int(v) for v in state if v != 0]
    for t in texts:
        assert state[int(t.get("data-cell"))] == int(t.text)
    rows = sorted({round(float(t.get("y"))) for t in texts})
    assert len(rows) == 4


def test_lightsout_board_cells_match_the_state(tmp_path):
    domain = get_domain("lightsout5")
    state = domain.random_walk(np.array([6]), np.random.default_rng(2))[0]
    assert 0 < state.sum() < 25
    root = ET.fromstring(to_svg(picture(domain, state)))
    cells = [p for p in root.iter(f"{SVG}polygon") if p.get("data-cell")]
    assert len(cells) == 25
    reading_order = sorted(cells, key=lambda p: (round(centre(p)[1]), centre(p)[0]))
    assert [int(p.get("data-cell")) for p in reading_order] == list(range(25))
    for p in cells:
        on = state[int(p.get("data-cell"))]
        assert p.get("fill") == (LIGHT_ON if on else LIGHT_OFF)

    png = tmp_path / "board.png"
    save_picture(domain, state, png)
    import matplotlib.image

    pixels = (matplotlib.image.imread(png)[:, :, :3] * 255).round().astype(int)
    scale = pixels.shape[1] / picture(domain, state).width
    for p in cells:
        x, y = centre(p) * scale
        hex_colour = LIGHT_ON if state[int(p.get("data-cell"))] else LIGHT_OFF
        want = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
        assert np.abs(pixels[int(y), int(x)] - want).max() <= 3


def test_show_writes_svg_and_png(tmp_path, capsys):
    svg, png = tmp_path / "cube.svg", tmp_path / "cube.png"
    assert main(["show", "cube3", "--scramble", "R", "--out", str(svg)]) == 0
    assert main(["show", "puzzle8", "--random-walk", "9", "--seed", "2", "--out", str(png)]) == 0
    net = polygons(svg.read_text(), "net")
    assert all(p.get("data-colour") == expected_after_r(n) for n, p in net.items())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = "1 2 3 4 5 6 7 0 8"
    assert main(["show", "puzzle8", "--state", state, "--out", str(svg)]) == 0
    texts = ET.fromstring(svg.read_text()).iter(f"{SVG}text")
    assert sorted(int(t.text) for t in texts) == list(range(1, 9))


def test_show_rejects_unknown_suffix_and_bad_states(tmp_path, capsys):
    capsys.readouterr()
    code = main(["show", "cube3", "--scramble", "R", "--out", str(tmp_path / "cube.jpg")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and ".svg or .png" in err
    assert not (tmp_path / "cube.jpg").exists()
    code = main(["show", "puzzle8", "--state", "1 2 3", "--out", str(tmp_path / "p.svg")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("qsolve: error: ") and err.count("\n") == 1


class Tower(Domain):
    """A domain with no picture function."""

    name = "tower"
    num_values = 2
    goal = np.zeros(2, dtype=np.uint8)

    def __init__(self) -> None:
        self.action_names = ["a"]
        self.action_costs = np.ones(1)


def test_a_domain_without_a_picture_is_told_in_one_line(tmp_path, capsys, monkeypatch):
    with pytest.raises(QsolveError, match="tower has no picture"):
        picture(Tower(), Tower.goal)
    from qsolve import render

    monkeypatch.delitem(render.PICTURES, get_domain("puzzle8").__class__)
    code = main(["show", "puzzle8", "--random-walk", "3", "--out", str(tmp_path / "p.svg")])
    err = capsys.readouterr().err
    assert (
        code == 2
        and err == "qsolve: error: puzzle8 has no picture: qsolve cannot draw its states\n"
    )


def test_picture_files_are_written_where_asked(tmp_path):
    domain = get_domain("lightsout7")
    path = Path(tmp_path / "lights.svg")
    save_picture(domain, domain.goal, path)
    cells = [p for p in ET.parse(path).getroot().iter(f"{SVG}polygon") if p.get("data-cell")]
    assert len(cells) == 49 and all(p.get("fill") == LIGHT_OFF for p in cells)


# A small level with a box on a target; format_state writes it as the 6 x 6
# ######/###--#/#.$@-#/#-*--#/#.-$-#/######, whose top-left two walls touch no cell inside.
SOKOBAN_LEVEL = "  ####/###  #/#.$@ #/# *  #/#. $ #/######"


def sokoban_shapes(svg_text: str) -> tuple[dict[int, ET.Element], dict[str, list[int]]]:
    """The cell squares of a Sokoban picture by cell, and the cells of each role (box, ...)."""
    root = ET.fromstring(svg_text)
    squares = {
        int(p.get("data-cell")): p for p in root.iter(f"{SVG}polygon") if p.get("data-symbol")
    }
    roles: dict[str, list[int]] = {}
    for p in root.iter(f"{SVG}polygon"):
        if p.get("data-role"):
            roles.setdefault(p.get("data-role"), []).append(int(p.get("data-cell")))
    return squares, roles


def test_sokoban_picture_draws_the_level_cut_to_its_walls():
    domain = get_domain("sokoban")
    state = domain.parse_state(SOKOBAN_LEVEL)
    text = domain.format_state(state).split("/")
    assert text == ["######", "###--#", "#.$@-#", "#-*--#", "#.-$-#", "######"]
    drawing = picture(domain, state)
    margin = 10
    assert drawing.width == drawing.height == 6 * SOKOBAN_SIDE + 2 * margin
    squares, roles = sokoban_shapes(to_svg(drawing))

    # Every cell inside the walls, and each wall beside one of them (diagonals count).
    def drawn(r: int, c: int) -> bool:
        near = [
            text[r + dr][c + dc]
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
            if 0 <= r + dr < 6 and 0 <= c + dc < 6
        ]
        return text[r][c] != "#" or any(x != "#" for x in near)

    expected = {10 * r + c for r in range(6) for c in range(6) if drawn(r, c)}
    assert sorted(squares) == sorted(expected) and len(expected) == 14 + 20
    assert 0 not in squares and 1 not in squares
    for cell, p in squares.items():
        row, col = divmod(cell, 10)
        assert p.get("data-symbol") == text[row][col]
        x, y = centre(p)
        assert (x, y) == (margin + (col + 0.5) * SOKOBAN_SIDE, margin + (row + 0.5) * SOKOBAN_SIDE)
        wall = text[row][col] == "#"
        assert (p.get("fill") == SOKOBAN_COLOURS["wall"]) == wall
    # One shape per target, box and player, on its cell; a box on a target looks different.
    assert {k: sorted(v) for k, v in roles.items()} == {
        "target": [21, 32, 41],
        "box": [22, 43],
        "box-on-target": [32],
        "player": [23],
    }
    svg = ET.fromstring(to_svg(drawing))
    fills = {p.get("data-role"): p.get("fill") for p in svg.iter(f"{SVG}polygon")}
    assert fills["box"] == SOKOBAN_COLOURS["box"] != fills["box-on-target"]


def test_show_sokoban_writes_svg_and_png(tmp_path):
    svg, png = tmp_path / "level.svg", tmp_path / "level.png"
    level = "######/#+$ .#/#  $ #/######"  # the player on a target
    assert main(["show", "sokoban", "--state", level, "--out", str(svg)]) == 0
    squares, roles = sokoban_shapes(svg.read_text())
    assert roles == {"target": [11, 14], "player-on-target": [11], "box": [12, 23]}
    assert len(squares) == 4 * 6  # a rectangle: every wall touches the floor
    domain = get_domain("sokoban")
    assert squares[11].get("fill") == SOKOBAN_COLOURS["target"]

    assert main(["show", "sokoban", "--state", level, "--out", str(png)]) == 0
    import matplotlib.image

    pixels = (matplotlib.image.imread(png)[:, :, :3] * 255).round().astype(int)
    drawing = picture(domain, domain.parse_state(level))
    assert pixels.shape[:2] == (2 * drawing.height, 2 * drawing.width)
    for cell, colour in [(11, "player"), (12, "box"), (14, "mark"), (13, "floor"), (0, "wall")]:
        row, col = divmod(cell, 10)
        x, y = 2 * (10 + (col + 0.5) * SOKOBAN_SIDE), 2 * (10 + (row + 0.5) * SOKOBAN_SIDE)
        want = [int(SOKOBAN_COLOURS[colour][i : i + 2], 16) for i in (1, 3, 5)]
        assert np.abs(pixels[int(y), int(x)] - want).max() <= 3, colour


def test_show_sokoban_random_walk_draws_the_first_solve_instance(tmp_path, capsys):
    svg = tmp_path / "walk.svg"
    assert main(["show", "sokoban", "--random-walk", "30", "--seed", "4", "--out", str(svg)]) == 0
    domain = get_domain("sokoban")
    state = api.random_walk_instances(domain, 30, 1, 4)[0]
    root = ET.fromstring(svg.read_text())
    assert root.find(f"{SVG}title").text == f"sokoban {domain.format_state(state)}"
    _, roles = sokoban_shapes(svg.read_text())
    boxes = roles.get("box", []) + roles.get("box-on-target", [])
    assert sorted(boxes) == np.flatnonzero((state == 2) | (state == 3)).tolist()
    capsys.readouterr()
    code = main(["show", "sokoban", "--scramble", "U", "--out", str(svg)])
    assert code == 2 and "goal is a condition" in capsys.readouterr().err
