"""Lights Out on a size x size board as a batched domain, with exact solving over GF(2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qsolve.domains.base import Domain, expect_text
from qsolve.errors import QsolveError

if TYPE_CHECKING:
    import torch

    from qsolve.domains.torch_ops import TorchOps


def _row_reduce_gf2(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Reduced row echelon form ``R = E @ matrix (mod 2)``: returns ``R``, ``E`` and the pivot
    columns of R's first ``len(pivots)`` rows."""
    m, n = matrix.shape
    reduced = matrix.astype(np.uint8) & 1
    ops = np.eye(m, dtype=np.uint8)
    pivots: list[int] = []
    for col in range(n):
        r = len(pivots)
        candidates = np.flatnonzero(reduced[r:, col]) + r
        if len(candidates) == 0:
            continue
        p = candidates[0]
        reduced[[r, p]] = reduced[[p, r]]
        ops[[r, p]] = ops[[p, r]]
        # Clear the column everywhere else in one XOR, so the result is fully reduced.
        others = np.flatnonzero(reduced[:, col])
        others = others[others != r]
        reduced[others] ^= reduced[r]
        ops[others] ^= ops[r]
        pivots.append(col)
        if len(pivots) == m:
            break
    return reduced, ops, pivots


class LightsOut(Domain):
    """A size x size grid of lights (1 = on), row-major; the goal is every light off.

    Action ``i`` presses cell ``i``, toggling it and its orthogonal neighbours.  Presses commute
    and are their own inverse, so a state is solved by a set of cells, found exactly over GF(2).
    """

    def __init__(self, size: int) -> None:
        if size < 2:
            raise QsolveError(f"lights out size must be at least 2, got {size}")
        self.size = size
        d = size * size
        self.name = f"lightsout{size}"
        self.action_names = [str(i) for i in range(d)]
        self.action_costs = np.ones(d, dtype=np.float64)
        self.goal = np.zeros(d, dtype=self.dtype)
        self.num_values = 2
        self.grid = (size, size)
        self.walk_limit = 50 if size >= 7 else 30
        rows, cols = np.divmod(np.arange(d), size)
        # [A, D]: press a toggles cell c when they are equal or orthogonal neighbours.
        dist = np.abs(rows[:, None] - rows[None, :]) + np.abs(cols[:, None] - cols[None, :])
        self.press_masks = (dist <= 1).astype(self.dtype)

        # The press matrix is symmetric, so presses x solve state s iff press_masks @ x = s.
        reduced, ops, pivots = _row_reduce_gf2(self.press_masks)
        self.rank = len(pivots)
        free = sorted(set(range(d)) - set(pivots))
        # [k, A] null-space basis: one vector per free column, pivots read off the RREF.
        self.null_space = np.zeros((len(free), d), dtype=np.uint8)
        for i, f in enumerate(free):
            self.null_space[i, f] = 1
            self.null_space[i, pivots] = reduced[: self.rank, f]
        # [A, D] pseudo-inverse mod 2: free presses at 0, pivot presses from the recorded row ops.
        self._pseudo_inverse = np.zeros((d, d), dtype=np.int64)
        self._pseudo_inverse[pivots] = ops[: self.rank]
        # [2^k, A] every combination of null-space vectors: the set of all solutions' offsets.
        choices = (np.arange(2 ** len(free))[:, None] >> np.arange(len(free))[None, :]) & 1
        self._null_combinations = ((choices @ self.null_space.astype(np.int64)) & 1).astype(
            np.uint8
        )

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Press cell ``actions[i]`` of ``states[i]``."""
        return states ^ self.press_masks[np.asarray(actions, dtype=np.int64)]

    def torch_ops(self, device: torch.device) -> TorchOps | None:
        from qsolve.domains.torch_ops import XorOps

        return XorOps(self, device, self.press_masks)

    def symmetries(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The 8 symmetries of the square (rotations and reflections): a press is a cell, so
        each maps cells and presses alike."""
        grid = np.arange(self.size * self.size).reshape(self.size, self.size)
        maps = [np.rot90(grid, k) for k in range(4)]
        maps += [m.T for m in maps]
        return [(m.reshape(-1).copy(), m.reshape(-1).copy()) for m in maps]

    def solvable(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` bool: which states some presses turn off (orthogonal to the null space mod 2)."""
        states = self._array(states)
        return np.all(
            (states.astype(np.int64) @ self.null_space.T.astype(np.int64)) & 1 == 0, axis=1
        )

    def presses(self, states: np.ndarray) -> np.ndarray:
        """``[N, A]`` uint8: a fewest-presses set of cells solving each (solvable) state."""
        states = self._array(states)
        particular = ((states.astype(np.int64) @ self._pseudo_inverse.T) & 1).astype(np.uint8)
        best = particular
        best_cost = particular.sum(axis=1, dtype=np.int64)
        # A loop over the 2^k null-space offsets (k <= a handful), not over states.
        for offset in self._null_combinations[1:]:
            candidate = particular ^ offset
            cost = candidate.sum(axis=1, dtype=np.int64)
            better = cost < best_cost
            best = np.where(better[:, None], candidate, best)
            best_cost = np.minimum(cost, best_cost)
        return best

    def optimal_cost(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` int64: the exact fewest presses that solve each state; raises if unsolvable."""
        states = self._array(states)
        if not np.all(self.solvable(states)):
            raise ValueError(f"optimal_cost needs solvable {self.name} states")
        return self.presses(states).sum(axis=1, dtype=np.int64)

    def parse_state(self, text: str) -> np.ndarray:
        """The ``[D]`` state written as ``size*size`` characters 0 (off) or 1 (on), row-major."""
        d = self.state_dim
        cells = expect_text(text, f"a {self.name} state").strip()
        if len(cells) != d:
            raise QsolveError(f"{self.name} needs {d} cells written as 0s and 1s, got {len(cells)}")
        bad = [c for c in cells if c not in "01"]
        if bad:
            raise QsolveError(f"{self.name} cells must be 0 or 1, got {bad[0]!r}")
        return self._check_parsed(np.array([int(c) for c in cells], dtype=self.dtype), text)

    def _invalid(self, states: np.ndarray) -> tuple[int, str] | None:
        """The first board that no set of presses turns off."""
        unsolvable = ~self.solvable(states)
        if np.any(unsolvable):
            return int(np.argmax(unsolvable)), "unsolvable: no set of presses turns it off"
        return None

    def format_state(self, state: np.ndarray) -> str:
        """The cells of one ``[D]`` state as a string of 0s and 1s."""
        return "".join(str(int(v)) for v in self._one_state(state))

    def parse_moves(self, text: str) -> list[int]:
        """Cell indices for whitespace-separated presses.

        No ``X2`` shorthand: pressing twice is the identity, and "12" must not read as "1 1".
        """
        text = expect_text(text, f"{self.name} moves")
        actions: list[int] = []
        for token in text.replace(",", " ").split():
            if not (token.isascii() and token.isdigit()) or int(token) >= self.num_actions:
                last = self.num_actions - 1
                raise QsolveError(
                    f"unknown move {token!r} for {self.name} (moves: cells 0..{last})"
                )
            actions.append(int(token))
        return actions
