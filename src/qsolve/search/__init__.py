"""Search: Q* over (node, action) pairs and the batch weighted A* baseline, one best-first loop
(``best_first``) over two open lists (``open_lists``); Q*'s hot parts compiled where numba is
installed (``kernels``); and beam search, layer by layer with either ranking (``beam``).

``ALGORITHMS`` is their catalog, one record each: ``qsolve.solve`` runs an algorithm through its
record, and ``qsolve solve --algorithm`` takes its choices and help from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qsolve.heuristics.base import Heuristic
from qsolve.search.astar import astar_search, astar_steps
from qsolve.search.beam import beam_search, beam_steps, ranks_pairs
from qsolve.search.common import Limits, Search, SearchResult
from qsolve.search.qstar import qstar_search, qstar_steps


@dataclass(frozen=True)
class Algorithm:
    """A search algorithm: its name, one line of help, the function that makes one search, and
    what it needs."""

    name: str
    help: str
    # (domain, start, B or the beam width, λ, optimal (not for a beam), limits[, pairs]) -> Search
    steps: Callable[..., Search]
    # Layer by layer: a beam width instead of a batch size, no optimality, no fallback.
    beam: bool
    # Whether it ranks (node, action) pairs by Q-values with this heuristic (else nodes by h).
    ranks_pairs: Callable[[Heuristic], bool]


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm(
            "qstar", "Q* over (node, action) pairs by λg + Q", qstar_steps, False, lambda h: True
        ),
        Algorithm(
            "astar", "batch weighted A* over nodes by λg + h", astar_steps, False, lambda h: False
        ),
        Algorithm(
            "beam", "beam search, the W best new states a layer", beam_steps, True, ranks_pairs
        ),
    )
}

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "Limits",
    "SearchResult",
    "astar_search",
    "beam_search",
    "qstar_search",
]
