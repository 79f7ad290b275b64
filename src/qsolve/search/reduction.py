"""Reduction of a sliding puzzle to a smaller one: place the tiles of the first row and column,
then solve the (n - 1) x (n - 1) board that is left (``SlidingPuzzle.inner_board``), again and
again down to the puzzle that has the heuristic; the smaller puzzle's search (any algorithm)
runs as it would on its own puzzle, sharing the limits.

The border is placed by a beam whose duplicates are abstract boards (the border tiles, the blank,
and one filler for every other tile, so that states that differ only in other tiles are one
state: of those, the layer keeps the one whose other tiles lie closest to their goals).  It ranks
by the border tiles' Manhattan distance plus the blank's distance to the nearest misplaced border
tile (where the next move of a border tile starts), plus ``REST_WEIGHT`` times the other tiles'
Manhattan distance, so that of two ways to place the border the one that leaves the smaller
board less scrambled goes first.  No network is needed, so each layer is a few numpy passes.
Solutions are not shortest: a reduction commits to the border before it searches the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from qsolve.domains.sliding import SlidingPuzzle
from qsolve.search.beam import Layers, SeenStates, best
from qsolve.search.common import Limits, Search, SearchResult

# The abstract boards a layer of the border beam keeps, by default: on puzzle48's DeepCubeA
# states 30,000 place the border in 126 moves against 129 with 10,000, in 12 s against 3 s
# (experiments/sliding/reduction.py borders).
BORDER_WIDTH = 30_000

# The weight of the other tiles' Manhattan distance in the border beam's ranking: on puzzle48's
# DeepCubeA states 101-120 (the board left solved by puzzle35's beam of 1,000), weights 0, 0.3,
# 0.45 and 0.6 cost 331.9, 322.9, 321.1 and 334.3 moves (experiments/sliding/reduction.py
# weights); 0.3 stays clear of the cliff above 0.45, where the border's moves outgrow the gain.
REST_WEIGHT = 0.3


class Border:
    """The abstract boards of an n x n puzzle for placing its first row and column: tile values
    0 (blank), 1 .. 2n - 1 (the border tiles in order) and 2n (any other tile)."""

    def __init__(self, puzzle: SlidingPuzzle) -> None:
        self.puzzle = puzzle
        n, d = puzzle.size, puzzle.state_dim
        tiles = puzzle.border_tiles()
        self.abstract = np.full(d, len(tiles) + 1, dtype=np.uint8)  # tile -> abstract value
        self.abstract[0] = 0
        self.abstract[tiles] = np.arange(1, len(tiles) + 1)
        rows, cols = np.arange(d) // n, np.arange(d) % n
        between = np.abs(rows[:, None] - rows[None, :]) + np.abs(cols[:, None] - cols[None, :])
        # [value, cell]: the Manhattan distance of a border tile at the cell from its goal cell
        self.distance = np.zeros((len(tiles) + 2, d), dtype=np.int32)
        self.distance[1 : len(tiles) + 1] = between[tiles - 1]
        # [tile, cell]: the same for the other tiles (0 for the blank and the border tiles)
        others = np.setdiff1d(np.arange(1, d), tiles)
        self.rest_distance = np.zeros((d, d), dtype=np.int32)
        self.rest_distance[others] = between[others - 1]
        self.between = between  # [cell, cell]
        self.cells = np.arange(d)
        # Keys of boards: a random linear hash mod 2**64 (a collision, about one in 10**12 at
        # millions of boards, only drops a board from the beam; the moves stay exact).
        self.multipliers = np.random.default_rng(0).integers(
            1, 2**63, size=d, dtype=np.uint64, endpoint=False
        ) | np.uint64(1)

    def apart(self, boards: np.ndarray) -> np.ndarray:
        """``[N, D]``: the Manhattan distance of each cell's border tile from its goal (0 for
        the blank and the other tiles)."""
        return self.distance[boards, self.cells]

    def rest(self, states: np.ndarray) -> np.ndarray:
        """``[N]``: the Manhattan distance of the tiles other than the border's (``[N, D]``
        boards with their tiles, not abstract)."""
        return self.rest_distance[states, self.cells].sum(axis=1)

    def estimate(self, boards: np.ndarray, apart: np.ndarray) -> np.ndarray:
        """``[N]``: the border tiles' Manhattan distance plus the blank's distance to the nearest
        misplaced border tile (0 when every border tile is placed); ``apart``: theirs."""
        misplaced = apart > 0
        blanks = np.argmax(boards == 0, axis=1)
        reach = np.where(misplaced, self.between[blanks], np.iinfo(np.int32).max).min(axis=1)
        return apart.sum(axis=1) + np.where(misplaced.any(axis=1), reach, 0)

    def keys(self, boards: np.ndarray) -> np.ndarray:
        """``[N]`` uint64 keys of the boards."""
        return boards.astype(np.uint64) @ self.multipliers


def place_border(
    puzzle: SlidingPuzzle,
    start: np.ndarray,
    width: int,
    limits: Limits,
    started: float,
    rest_weight: float = REST_WEIGHT,
) -> tuple[list[int] | None, int, int, int, str | None]:
    """Moves that place the first row and column of ``start`` ([D]), by a beam of ``width``
    boards a layer, distinct as abstract boards, ranked with ``rest_weight`` on the other
    tiles' distance; (moves or None, nodes generated, layers, boards stored, why it stopped
    unsolved).  ``limits`` count from ``started``."""
    border = Border(puzzle)
    boards = np.asarray(start)[None, :]
    abstract = border.abstract[boards]
    if not border.apart(abstract).any():
        return [], 1, 0, 1, None
    seen = SeenStates.of_keys(border.keys(abstract))
    layers = Layers()
    nodes, depth = 1, 0
    while len(boards):
        reason = limits.exceeded(depth, nodes, started)
        if reason:
            return None, nodes, depth, len(seen), reason
        depth += 1
        children, mask = puzzle.expand(boards)
        parents, actions = np.nonzero(mask)
        children = children[parents, actions]
        nodes += len(children)
        abstract = border.abstract[children]
        apart = border.apart(abstract)
        rest = border.rest(children)
        done = np.flatnonzero(~apart.any(axis=1))
        if len(done):  # of the placed borders, the one that leaves the least scrambled board
            i = done[np.argmin(rest[done])]
            return layers.path(int(parents[i]), int(actions[i])), nodes, depth, len(seen), None
        keys = border.keys(abstract)
        # Of the children that are one abstract board, the first in this order: the least rest.
        order = np.argsort(rest, kind="stable")
        new = order[seen.first_new(keys[order])]
        estimate = border.estimate(abstract[new], apart[new]) + rest_weight * rest[new]
        keep = new[best(estimate.astype(np.float64), width)]
        seen.add(keys[keep])
        layers.add(parents[keep], actions[keep])
        boards = children[keep]
    return None, nodes, depth, len(seen), "exhausted"


def reduction_steps(
    puzzle: SlidingPuzzle,
    inner: SlidingPuzzle,
    start: np.ndarray,
    border_width: int,
    limits: Limits,
    inner_search: Callable[[np.ndarray, Limits], Search],
) -> Search:
    """Solve ``start`` ([D] of ``puzzle``) by placing borders down to ``inner``'s size, then the
    search ``inner_search(inner start, the limits left)`` makes; as a generator that yields what
    the inner search yields (``inner``'s states), so it runs in lockstep like any search.
    Nodes, iterations and seconds add up over the phases; ``timings["border"]`` is the border's
    time."""
    started = time.perf_counter()
    moves: list[int] = []
    nodes = iterations = stored = 0
    board, state = puzzle, np.asarray(start)
    while board.size > inner.size:
        placed, generated, layers, kept, reason = place_border(
            board, state, border_width, limits, started
        )
        nodes, iterations, stored = nodes + generated, iterations + layers, max(stored, kept)
        if placed is None:
            return _combined(puzzle, moves, None, nodes, iterations, stored, started, reason)
        moves += placed
        state = board.inner_board(board.apply_moves(state, placed)[None, :])[0]
        board = SlidingPuzzle(board.size - 1)
    border_seconds = time.perf_counter() - started
    spent = (iterations, nodes, border_seconds)
    caps = (limits.max_iterations, limits.max_nodes, limits.time_limit)
    # What is left of each limit (0 when it is spent: the inner search then stops at once).
    left_iterations, left_nodes, left_time = (
        None if cap is None else max(cap - used, 0) for cap, used in zip(caps, spent, strict=True)
    )
    left = Limits(
        max_iterations=None if left_iterations is None else int(left_iterations),
        max_nodes=None if left_nodes is None else int(left_nodes),
        time_limit=left_time,
    )
    result = yield from inner_search(state.astype(inner.dtype), left)
    return _combined(
        puzzle,
        moves,
        result,
        nodes,
        iterations,
        stored,
        started,
        None,
        border_seconds,
    )


def _combined(
    puzzle: SlidingPuzzle,
    moves: list[int],
    inner: SearchResult | None,
    nodes: int,
    iterations: int,
    stored: int,
    started: float,
    reason: str | None,
    border_seconds: float | None = None,
) -> SearchResult:
    """The result of a reduction: the border moves, then the inner search's (``inner`` None: a
    border was not placed, for ``reason``)."""
    if inner is None:
        return SearchResult(
            solved=False,
            actions=[],
            moves=[],
            cost=float("nan"),
            nodes_generated=nodes,
            iterations=iterations,
            seconds=time.perf_counter() - started,
            heuristic_inputs=0,
            stop_reason=reason or "exhausted",
            timings={"border": time.perf_counter() - started},
            states_stored=stored,
        )
    actions = moves + list(inner.actions) if inner.solved else []
    cost = float(puzzle.action_costs[moves].sum()) + inner.cost if inner.solved else float("nan")
    return SearchResult(
        solved=inner.solved,
        actions=actions,
        moves=puzzle.base_moves(actions),
        cost=cost,
        nodes_generated=nodes + inner.nodes_generated,
        iterations=iterations + inner.iterations,
        seconds=time.perf_counter() - started,
        heuristic_inputs=inner.heuristic_inputs,
        stop_reason=inner.stop_reason,
        meta_moves=puzzle.format_moves(actions),
        timings={"border": border_seconds or 0.0, **inner.timings},
        fell_back=inner.fell_back,
        states_stored=max(stored, inner.states_stored),
    )
