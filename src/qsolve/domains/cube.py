"""Rubik's cubes: the 3x3x3 cube in the quarter-turn metric, its meta-action variant, and the 2x2x2.

States are facelet colours in Kociemba order U1..U9 R1..R9 F1..F9 D1..D9 L1..L9 B1..B9, colour ``c``
meaning the colour of face ``"URFDLB"[c]``'s centre.  Moves are facelet permutations derived from the
cube's geometry, so ``next = state[perm]``.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from qsolve.domains.base import Domain, expect_text
from qsolve.domains.permutations import lehmer_rank, permutation_parity
from qsolve.errors import QsolveError

if TYPE_CHECKING:
    import torch

    from qsolve.domains.torch_ops import TorchOps

FACES = "URFDLB"

# Each face's outward normal, and how its 3x3 grid (row r, column c) maps to 3D positions, in
# doubled coordinates: cubie positions in {-2, 0, 2}, stickers one unit further out (±3).
NORMALS = {
    "U": (0, 1, 0),
    "R": (1, 0, 0),
    "F": (0, 0, 1),
    "D": (0, -1, 0),
    "L": (-1, 0, 0),
    "B": (0, 0, -1),
}


def _sticker_position(face: str, r: int, c: int) -> tuple[int, int, int]:
    a, b = 2 * (r - 1), 2 * (c - 1)  # row offset (downwards), column offset (rightwards)
    return {
        "U": (b, 3, a),
        "R": (3, -a, -b),
        "F": (b, -a, 3),
        "D": (b, -3, -a),
        "L": (-3, -a, b),
        "B": (-b, -a, -3),
    }[face]


_POSITIONS = [_sticker_position(f, i // 3, i % 3) for f in FACES for i in range(9)]
_INDEX = {p: i for i, p in enumerate(_POSITIONS)}


def _quarter_turn(face: str) -> np.ndarray:
    """Permutation for a clockwise quarter turn of ``face`` (looking at it): next = state[perm]."""
    n = np.array(NORMALS[face])
    perm = np.arange(54)
    for src, p in enumerate(_POSITIONS):
        v = np.array(p)
        if v @ n < 2:
            continue
        # A clockwise turn seen from outside is a rotation by -90 degrees about the normal.
        rotated = -np.cross(n, v) + n * (n @ v)
        x, y, z = (int(c) for c in rotated)
        perm[_INDEX[(x, y, z)]] = src
    return perm


# Base move order of the cube3 domain: U U' R R' F F' D D' L L' B B'.
CUBE3_MOVES = ["U", "U'", "R", "R'", "F", "F'", "D", "D'", "L", "L'", "B", "B'"]


def _move_perms(names: list[str]) -> np.ndarray:
    perms = []
    for name in names:
        p = _quarter_turn(name[0])
        if name.endswith("'"):
            p = np.argsort(p)  # the inverse permutation
        perms.append(p)
    return np.array(perms, dtype=np.int64)


def permute_rows(states: np.ndarray, perms: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """``states[i][perms[actions[i]]]`` for each row of ``[N, D]`` states, as one gather.

    The same as ``np.take_along_axis(states, perms[actions], axis=1)``, about twice as fast on
    search batches: the row offsets go into the gathered ``perms`` rows in place, and one flat
    ``take`` reads every entry.
    """
    n, d = states.shape
    flat = perms[actions]  # a new [N, D] int64 array, ours to change
    flat += np.arange(0, n * d, d)[:, None]
    return np.take(states, flat)


def inverse_move(name: str) -> str:
    return name[:-1] if name.endswith("'") else name + "'"


# Cubies by the facelets (0-based Kociemba indices) they carry, in the order of Kociemba's
# definitions: corners URF UFL ULB UBR DFR DLF DBL DRB, edges UR UF UL UB DR DF DL DB FR FL BL BR.
def _f(name: str) -> int:
    return FACES.index(name[0]) * 9 + int(name[1]) - 1


CORNER_FACELETS = np.array(
    [
        [_f(x) for x in c.split()]
        for c in "U9 R1 F3|U7 F1 L3|U1 L1 B3|U3 B1 R3|D3 F9 R7|D1 L9 F7|D7 B9 L7|D9 R9 B7".split(
            "|"
        )
    ]
)
EDGE_FACELETS = np.array(
    [
        [_f(x) for x in e.split()]
        for e in "U6 R2|U8 F2|U4 L2|U2 B2|D6 R8|D2 F8|D4 L8|D8 B8|F6 R4|F4 L6|B6 L4|B4 R6".split(
            "|"
        )
    ]
)
GOAL3 = np.repeat(np.arange(6, dtype=np.uint8), 9)
CORNER_COLOURS = GOAL3[CORNER_FACELETS]  # [8, 3]
EDGE_COLOURS = GOAL3[EDGE_FACELETS]  # [12, 2]


def _cubie_lookup(colours: np.ndarray) -> np.ndarray:
    """Table from a colour-set bitmask to the cubie carrying those colours (-1 for none)."""
    table = np.full(64, -1, dtype=np.int64)
    for i, cs in enumerate(colours):
        table[np.bitwise_or.reduce(1 << cs.astype(np.int64))] = i
    return table


_CORNER_BY_MASK = _cubie_lookup(CORNER_COLOURS)
_EDGE_BY_MASK = _cubie_lookup(EDGE_COLOURS)


def cubies(
    states: np.ndarray, corner_facelets: np.ndarray = CORNER_FACELETS
) -> dict[str, np.ndarray]:
    """Cubie decomposition of facelet states ``[N, 54]``: permutation and orientation arrays.

    Corner orientation is the index of the U/D-coloured facelet among the corner's three, edge
    orientation is 0 when the edge's first facelet carries the colour of its first face.  Unknown
    colour sets give cubie -1.
    """
    c = states[:, corner_facelets].astype(np.int64)  # [N, 8, 3]
    corner_perm = _CORNER_BY_MASK[np.bitwise_or.reduce(1 << c, axis=2)]
    corner_ori = np.argmax((c == 0) | (c == 3), axis=2)
    out = {"corner_perm": corner_perm, "corner_ori": corner_ori}
    if states.shape[1] == 54:
        e = states[:, EDGE_FACELETS].astype(np.int64)  # [N, 12, 2]
        edge_perm = _EDGE_BY_MASK[np.bitwise_or.reduce(1 << e, axis=2)]
        first = EDGE_COLOURS[np.maximum(edge_perm, 0), 0]
        out["edge_perm"] = edge_perm
        out["edge_ori"] = (e[:, :, 0] != first).astype(np.int64)
    return out


def _parse_colours(text: str, length: int, domain: str) -> np.ndarray:
    text = "".join(expect_text(text, f"a {domain} state").split())
    if len(text) != length:
        raise QsolveError(f"a {domain} state has {length} facelet letters, got {len(text)}")
    bad = sorted(set(text) - set(FACES))
    if bad:
        raise QsolveError(
            f"unknown colour letter(s) {''.join(bad)!r} in {domain} state (use {FACES})"
        )
    return np.array([FACES.index(ch) for ch in text], dtype=np.uint8)


def _first(bad: np.ndarray) -> int | None:
    """The index of the first True in ``[N]`` bool, or None."""
    return int(np.argmax(bad)) if np.any(bad) else None


def _cube_problem(states: np.ndarray, corner_facelets: np.ndarray) -> tuple[int, str] | None:
    """The first of ``[N, 54]`` or ``[N, 24]`` colour arrays that is no cube, and why."""
    per_colour = states.shape[1] // 6
    counts = np.stack([np.sum(states == c, axis=1) for c in range(6)], axis=1)  # [N, 6]
    row = _first(np.any(counts != per_colour, axis=1))
    if row is not None:
        wrong = ", ".join(f"{FACES[c]}: {n}" for c, n in enumerate(counts[row]) if n != per_colour)
        return row, f"each colour must appear {per_colour} times ({wrong})"
    parts = cubies(states, corner_facelets)
    cp, co = parts["corner_perm"], parts["corner_ori"]
    checks = [
        (
            np.any(np.sort(cp, axis=1) != np.arange(8), axis=1),
            "the corner stickers do not form the 8 corners",
        ),
        (co.sum(axis=1) % 3 != 0, "impossible: a corner is twisted"),
    ]
    if "edge_perm" in parts:
        ep, eo = parts["edge_perm"], parts["edge_ori"]
        edges_bad = np.any(np.sort(ep, axis=1) != np.arange(12), axis=1)
        checks += [
            (edges_bad, "the edge stickers do not form the 12 edges"),
            (eo.sum(axis=1) % 2 != 0, "impossible: an edge is flipped"),
        ]
        # The parity test needs real permutations; rows failing above are reported first anyway.
        ok = ~(edges_bad | checks[0][0])
        parity = np.zeros(len(states), dtype=bool)
        if np.any(ok):
            parity[ok] = permutation_parity(cp[ok]) != permutation_parity(ep[ok])
        checks.append((parity, "impossible: two pieces are swapped (permutation parity)"))
    found = [(row, reason) for bad, reason in checks if (row := _first(bad)) is not None]
    return min(found) if found else None


class Cube3(Domain):
    """The 3x3x3 Rubik's cube with the 12 quarter turns ``U U' R R' F F' D D' L L' B B'``."""

    name = "cube3"
    num_values = 6
    walk_limit = 30  # as DeepCubeA
    network_size = (5000, 1000, 4)  # DeepCubeA's

    def __init__(self) -> None:
        self.action_names = list(CUBE3_MOVES)
        self.perms = _move_perms(CUBE3_MOVES)  # [A, 54]
        self.action_costs = np.ones(len(self.action_names))
        self.goal = GOAL3.copy()

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        return permute_rows(states, self.perms, actions)

    def torch_ops(self, device: torch.device) -> TorchOps | None:
        from qsolve.domains.torch_ops import PermutationOps

        return PermutationOps(self, device, self.perms)

    def parse_state(self, text: str) -> np.ndarray:
        """The ``[54]`` state written as 54 facelet letters in Kociemba order."""
        return self._check_parsed(_parse_colours(text, 54, self.name), text)

    def _invalid(self, states: np.ndarray) -> tuple[int, str] | None:
        """The first row that is not a cube in the standard orientation, and why."""
        row = _first(np.any(states[:, 4::9] != np.arange(6), axis=1))
        if row is not None:
            return row, "the centres must read U R F D L B (letter = colour of that face's centre)"
        return _cube_problem(states, CORNER_FACELETS)

    def format_state(self, state: np.ndarray) -> str:
        return "".join(FACES[int(c)] for c in self._one_state(state))


class Cube3Meta(Cube3):
    """cube3 plus all 1872 sequences of 2 and 3 quarter turns as meta-actions (1884 actions).

    A meta-action costs its number of quarter turns.  Scrambles and reported moves use the quarter
    turns; ``format_moves`` writes meta-actions as ``[U R' F]``.
    """

    name = "cube3-meta"
    walk_limit = 20
    actions_per_state = 32  # of 1884

    def __init__(self) -> None:
        super().__init__()
        self.quarter_turns = Cube3()  # scrambles and move names are in quarter turns
        base = self.perms
        self.sequences: list[tuple[int, ...]] = [(a,) for a in range(12)]
        for length in (2, 3):
            self.sequences += list(itertools.product(range(12), repeat=length))
        perms = []
        for seq in self.sequences:
            p = np.arange(54)
            for a in seq:
                p = p[base[a]]
            perms.append(p)
        self.perms = np.array(perms, dtype=np.int64)
        self.action_costs = np.array([len(s) for s in self.sequences], dtype=np.float64)
        self.action_names = [
            CUBE3_MOVES[s[0]] if len(s) == 1 else "[" + " ".join(CUBE3_MOVES[a] for a in s) + "]"
            for s in self.sequences
        ]

    def parse_moves(self, text: str) -> list[int]:
        return self.quarter_turns.parse_moves(text)

    @property
    def walk_domain(self) -> Domain:
        return self.quarter_turns

    def random_walk(
        self, lengths: np.ndarray, rng: np.random.Generator, deadline: float | None = None
    ) -> np.ndarray:
        """Walks of quarter turns, so that cube3 and cube3-meta get the same scrambles."""
        return self.quarter_turns.random_walk(lengths, rng, deadline)

    def base_moves(self, actions: list[int] | np.ndarray) -> list[str]:
        checked = self._actions(np.asarray(actions), len(actions))
        return [CUBE3_MOVES[a] for i in checked for a in self.sequences[int(i)]]


# The 2x2x2 cube: the corner facelets 1, 3, 7, 9 of each face of the 3x3 string, DLB corner fixed.
CUBE2_FACELETS = np.array([f * 9 + i for f in range(6) for i in (0, 2, 6, 8)])
_TO_CUBE2 = {int(f): i for i, f in enumerate(CUBE2_FACELETS)}
CUBE2_CORNER_FACELETS = np.vectorize(_TO_CUBE2.__getitem__)(CORNER_FACELETS)
CUBE2_MOVES = ["U", "U'", "R", "R'", "F", "F'"]
# DLB, the fixed corner: D7 L7 B9 in the 3x3 numbering.
_DBL = CUBE2_CORNER_FACELETS[6]


class Cube2(Domain):
    """The 2x2x2 cube with the 6 quarter turns ``U U' R R' F F'`` (DLB corner fixed; 3,674,160 states)."""

    name = "cube2"
    num_values = 6
    walk_limit = 20
    network_size = (600, 300, 2)

    def __init__(self) -> None:
        self.action_names = list(CUBE2_MOVES)
        full = _move_perms(CUBE2_MOVES)  # [6, 54]: corner facelets map to corner facelets
        self.perms = np.vectorize(_TO_CUBE2.__getitem__)(full[:, CUBE2_FACELETS])
        self.action_costs = np.ones(6)
        self.goal = GOAL3[CUBE2_FACELETS].copy()

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        return permute_rows(states, self.perms, actions)

    def torch_ops(self, device: torch.device) -> TorchOps | None:
        from qsolve.domains.torch_ops import PermutationOps

        return PermutationOps(self, device, self.perms)

    def parse_state(self, text: str) -> np.ndarray:
        """The ``[24]`` state written as the 24 corner facelet letters (U1 U3 U7 U9 R1 ...)."""
        return self._check_parsed(_parse_colours(text, 24, self.name), text)

    def _invalid(self, states: np.ndarray) -> tuple[int, str] | None:
        """The first row that is no 2x2x2 cube with the DLB corner in place, and why."""
        found = _cube_problem(states, CUBE2_CORNER_FACELETS)
        if found is not None:
            return found
        row = _first(np.any(states[:, _DBL] != self.goal_state[_DBL], axis=1))
        if row is not None:
            return row, "the DLB corner stays fixed: D7, L7, B9 must read D, L, B"
        return None

    def format_state(self, state: np.ndarray) -> str:
        return "".join(FACES[int(c)] for c in self._one_state(state))

    def index(self, states: np.ndarray) -> np.ndarray:
        """A perfect hash of ``[N, 24]`` states onto ``[0, 3674160)``: corner permutation and twist."""
        return self._index(self.check_states(states))

    def _index(self, states: np.ndarray) -> np.ndarray:
        parts = cubies(states, CUBE2_CORNER_FACELETS)
        perm, ori = parts["corner_perm"][:, :6], parts["corner_ori"][:, :6]
        # Lehmer rank of the first 7 corners (the DBL corner, number 6, never moves; the 7th
        # corner in the list, DRB, is determined by the rest).
        corners = np.concatenate([perm, parts["corner_perm"][:, 7:8]], axis=1)  # [N, 7]
        corners = np.where(corners == 7, 6, corners)
        rank = lehmer_rank(corners)
        twist = np.zeros(states.shape[0], dtype=np.int64)
        for i in range(6):
            twist = twist * 3 + ori[:, i]
        return rank * 729 + twist

    num_states = 3674160
    index_size = num_states
