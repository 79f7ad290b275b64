"""Does averaging a cube3 network over the cube's 48 symmetries make its values more informative?

    python experiments/cube3/symmetry_values.py [--model DIR] [--count 1000] [--walks 10 14 18]

A whole-cube rotation or reflection g maps a state s to g s (stickers moved, colours renamed so
that centres stay put) and keeps its distance to the goal (a quarter turn maps to a quarter turn).
So h(g s) is as valid an estimate as h(s), and the mean or the max over the 48 of them is another
heuristic.  This prints, on the DeepCubeA cube3 states, the error and correlation with the optimum
of h itself, of its mean and max over the 48 symmetries, and over the 24 rotations alone.
"""

from __future__ import annotations

import argparse
import itertools
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.bench import read_deepcubea
from qsolve.domains.cube import _POSITIONS, CUBE3_MOVES, FACES, NORMALS, _move_perms

INDEX = {p: i for i, p in enumerate(_POSITIONS)}
FACE_OF_NORMAL = {n: FACES.index(f) for f, n in NORMALS.items()}


def symmetries() -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(position map, colour map, determinant) of the 48 signed permutation matrices."""
    out = []
    for axes in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3), dtype=int)
            for row, (col, sign) in enumerate(zip(axes, signs, strict=True)):
                m[row, col] = sign
            dest = np.array([INDEX[tuple(int(x) for x in m @ np.array(p))] for p in _POSITIONS])
            colours = np.array(
                [FACE_OF_NORMAL[tuple(int(x) for x in m @ np.array(NORMALS[f]))] for f in FACES]
            )
            out.append((dest, colours, round(np.linalg.det(m))))
    return out


def transform(states: np.ndarray, dest: np.ndarray, colours: np.ndarray) -> np.ndarray:
    out = np.empty_like(states)
    out[:, dest] = colours[states]
    return out


def check(domain, syms) -> None:
    """Each symmetry keeps the goal and maps every quarter turn to a quarter turn."""
    perms = _move_perms(CUBE3_MOVES)
    rng = np.random.default_rng(0)
    s = domain.random_walk(np.full(50, 20), rng)
    for dest, colours, _ in syms:
        assert (transform(domain.goal[None], dest, colours) == domain.goal).all()
        for a in range(12):
            moved = transform(s[:, perms[a]], dest, colours)
            gs = transform(s, dest, colours)
            assert any((moved == gs[:, perms[b]]).all() for b in range(12)), "not a move"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--walks", type=int, nargs="*", default=[10, 14, 18, 22])
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain("cube3")
    syms = symmetries()
    check(domain, syms)
    heuristic = qsolve.load_heuristic(args.model, domain, precision="fp32", engine="torch")
    states, optimal = read_deepcubea("cube3", args.count)
    rows = [("DeepCubeA", states, optimal)]
    rng = np.random.default_rng(1)
    for k in args.walks:
        rows.append((f"walk {k}", domain.random_walk(np.full(300, k), rng), None))
    rotations = np.array([det == 1 for _, _, det in syms])
    print("| states | h | mean 24 | mean 48 | max 48 | corr h | corr mean 48 | corr max 48 |")
    print("|---|---|---|---|---|---|---|---|")
    for label, s, opt in rows:
        h = np.stack([heuristic.values(transform(s, d, c)) for d, c, _ in syms], axis=1)
        plain = heuristic.values(s)
        mean24, mean48, max48 = h[:, rotations].mean(1), h.mean(1), h.max(1)
        line = f"| {label} | {plain.mean():.2f} | {mean24.mean():.2f} | {mean48.mean():.2f} |"
        line += f" {max48.mean():.2f} |"
        if opt is not None:
            for v in (plain, mean48, max48):
                line += f" {np.corrcoef(v, opt)[0, 1]:.3f} |"
            spread = h.std(axis=1).mean()
            line += f" (optimum {opt.mean():.2f}; sd over symmetries {spread:.2f})"
        print(line, flush=True)


if __name__ == "__main__":
    main()
