"""Batch weighted A* search, the DeepCubeA baseline.

The open list holds nodes with priority f = weight * g + h.  Each iteration pops the
``batch_size`` best nodes, generates all their applicable children and evaluates h on all of the
new children in one call.  Ties in f go to the newest node.
"""

from __future__ import annotations

import numpy as np

from qsolve.domains.base import Domain
from qsolve.heuristics.base import Heuristic
from qsolve.search.best_first import best_first
from qsolve.search.common import Limits, NodeStore, Search, SearchResult, run_search
from qsolve.search.open_lists import NodeOpenList


def astar_search(
    domain: Domain,
    heuristic: Heuristic,
    start: np.ndarray,
    batch_size: int = 1,
    weight: float = 1.0,
    optimal: bool = False,
    limits: Limits | None = None,
) -> SearchResult:
    """Solve ``start`` ([D]) with batch weighted A*; ``optimal`` as in ``qstar_search``."""
    steps = astar_steps(domain, start, batch_size, weight, optimal, limits)
    return run_search(steps, heuristic.values)


def astar_steps(
    domain: Domain,
    start: np.ndarray,
    batch_size: int = 1,
    weight: float = 1.0,
    optimal: bool = False,
    limits: Limits | None = None,
) -> Search:
    """Batch weighted A* on ``start`` as a generator: it yields the ``[N, D]`` states it needs
    cost-to-go estimates for and is sent their ``[N]`` values; it returns the ``SearchResult``."""
    store = NodeStore(start)
    open_list = NodeOpenList(store, weight)
    return (
        yield from best_first(domain, store, open_list, batch_size, optimal, limits or Limits())
    )
