"""The n x n sliding-tile puzzle (puzzle8 to puzzle48) as a batched domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qsolve.domains.base import Domain, expect_text
from qsolve.domains.permutations import lehmer_rank, permutation_parity
from qsolve.errors import QsolveError

if TYPE_CHECKING:
    import torch

    from qsolve.domains.torch_ops import TorchOps


class SlidingPuzzle(Domain):
    """Tiles ``1 .. n*n-1`` and a blank (0) on an n x n board, stored row-major.

    Moves are named by the direction the tile moves into the blank: ``U`` slides the tile below
    the blank up (the blank moves down), ``D`` the tile above down, ``L`` the tile on the right
    to the left, ``R`` the tile on the left to the right.  The goal is ``1 2 ... n*n-1 0``.
    """

    def __init__(self, size: int) -> None:
        # The tiles are stored as uint8, so boards beyond 16 x 16 would overflow.
        if not 2 <= size <= 16:
            raise QsolveError(f"sliding puzzle size must be between 2 and 16, got {size}")
        self.size = size
        d = size * size
        self.name = f"puzzle{d - 1}"
        self.action_names = ["U", "D", "L", "R"]
        self.action_costs = np.ones(4, dtype=np.float64)
        self.goal = np.concatenate([np.arange(1, d), [0]]).astype(self.dtype)
        self.num_values = d
        self.grid = (size, size)
        self.default_heuristic = "manhattan"
        if size == 3:  # 9! permutations (half of them reachable): a distance table fits
            self.index_size = 362_880
        self.walk_limit = 100 if size <= 3 else 500  # DeepCubeA: 500 for puzzle15
        self.network_size = (2000, 1000, 4) if size >= 5 else (500, 250, 2)
        # Blank displacement of each action: U moves the blank one row down, and so on.
        drow = np.array([1, -1, 0, 0])
        dcol = np.array([0, 0, 1, -1])
        pos = np.arange(d)
        rows, cols = pos // size, pos % size
        new_rows = rows[:, None] + drow[None, :]
        new_cols = cols[:, None] + dcol[None, :]
        # [D, A] per blank position: which moves stay on the board, and where the blank goes
        # (itself when the move is not applicable, so the swap in `step` is a no-op).
        self._on_board = (new_rows >= 0) & (new_rows < size) & (new_cols >= 0) & (new_cols < size)
        self._targets = np.where(self._on_board, new_rows * size + new_cols, pos[:, None])
        self._flat_targets = self._targets.reshape(-1)  # [D * A]: entry blank * 4 + action

    @property
    def blank_moves(self) -> tuple[np.ndarray, np.ndarray]:
        """``([D, 4] bool, [D, 4] int)``: for each blank position, which moves stay on the board,
        and the cell the blank moves to (itself where the move does not apply).  The tables that
        the device data path and the compiled walks step with."""
        return self._on_board, self._targets

    def _index(self, states: np.ndarray) -> np.ndarray:
        """The Lehmer rank of the tile permutation (puzzle8's distance table)."""
        return lehmer_rank(states)

    def _blanks(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` int: the index of the blank in each state."""
        return np.argmax(states == 0, axis=1)

    def applicable(self, states: np.ndarray) -> np.ndarray:
        """``[N, 4]`` bool: the moves whose tile lies on the board."""
        return self._on_board[self._blanks(states)]

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Slide the tile ``actions[i]`` names into the blank of ``states[i]``."""
        n, d = states.shape
        out = np.array(states, order="C")  # a contiguous copy, changed in place below
        flat = out.reshape(-1)
        offsets = np.arange(0, n * d, d)
        # Flat positions in ``out``: the blank, and the tile that slides into it.
        blanks = self._blanks(out)
        targets = self._flat_targets[blanks * 4 + actions]
        targets += offsets
        blanks += offsets
        flat[blanks] = flat[targets]
        flat[targets] = 0
        return out

    def border_tiles(self) -> np.ndarray:
        """The tiles whose goal cell is in the first row or the first column (2n - 1 of them),
        in increasing order: what a reduction to the (n - 1) x (n - 1) puzzle places first."""
        tiles = np.arange(1, self.state_dim)
        goal_cells = tiles - 1
        return tiles[(goal_cells < self.size) | (goal_cells % self.size == 0)]

    def inner_board(self, states: np.ndarray) -> np.ndarray:
        """``[N, (n-1)^2]``: the (n - 1) x (n - 1) boards below the first row and right of the
        first column of ``states`` (``[N, D]``, whose border tiles are placed), each tile renamed
        to the tile of its goal cell on the smaller board.  The blank keeps its goal cell's
        corner, so the smaller board's goal is this one's, and its moves are these moves."""
        n = self.size
        cells = np.array([r * n + c for r in range(1, n) for c in range(1, n)])
        rename: np.ndarray = np.zeros(self.state_dim, dtype=self.dtype)
        goal = np.concatenate([np.arange(1, self.state_dim), [0]])
        rename[goal[cells]] = np.arange(1, len(cells) + 1) % len(cells)
        return rename[states[:, cells]]

    def torch_ops(self, device: torch.device) -> TorchOps | None:
        from qsolve.domains.torch_ops import SlidingOps

        return SlidingOps(self, device, *self.blank_moves)

    def solvable(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` bool: which permutations can reach the goal (the parity invariant holds)."""
        states = self._array(states)
        blanks = self._blanks(states)
        # The inversions among the tiles alone: the blank (0) adds one inversion with each of the
        # `blank` tiles in front of it, and none with those behind.
        inversions = permutation_parity(states) + blanks
        if self.size % 2 == 1:
            # A vertical move jumps the tile over n-1 others, an even number: parity is fixed.
            return inversions % 2 == 0
        # For even n each vertical move flips the inversion parity and changes the blank row.
        blank_rows = blanks // self.size
        return (inversions + blank_rows) % 2 == (self.size - 1) % 2

    def parse_state(self, text: str) -> np.ndarray:
        """The ``[D]`` state written as space-separated tiles, 0 for the blank."""
        d = self.state_dim
        tokens = expect_text(text, f"a {self.name} state").replace(",", " ").split()
        if len(tokens) != d:
            raise QsolveError(f"{self.name} needs {d} tiles (0 for the blank), got {len(tokens)}")
        tiles: list[int] = []
        for token in tokens:
            digits = token.removeprefix("-")
            if not (digits.isascii() and digits.isdigit()):
                raise QsolveError(f"{self.name} tile {token!r} is not an integer")
            tiles.append(int(token))
        out_of_range = [t for t in tiles if not 0 <= t < d]
        if out_of_range:
            raise QsolveError(f"{self.name} tile {out_of_range[0]} is out of range 0..{d - 1}")
        return self._check_parsed(np.array(tiles, dtype=self.dtype), text)

    def _invalid(self, states: np.ndarray) -> tuple[int, str] | None:
        """The first row that is not a permutation of the tiles, or has the wrong parity."""
        d = self.state_dim
        not_permutation = np.any(np.sort(states, axis=1) != np.arange(d), axis=1)
        if np.any(not_permutation):
            row = int(np.argmax(not_permutation))
            counts = np.bincount(states[row], minlength=d)
            repeated = " ".join(str(t) for t in np.flatnonzero(counts > 1))
            missing = " ".join(str(t) for t in np.flatnonzero(counts == 0))
            return (
                row,
                f"tiles must be 0..{d - 1} once each: repeated {repeated}, missing {missing}",
            )
        unsolvable = ~self.solvable(states)
        if np.any(unsolvable):
            return int(np.argmax(unsolvable)), "unsolvable (wrong permutation parity)"
        return None

    def format_state(self, state: np.ndarray) -> str:
        """The tiles of one ``[D]`` state, space separated."""
        return " ".join(str(int(t)) for t in self._one_state(state))
