"""Q* search: A* without expansions, over (node, action) pairs ranked by a Q heuristic.

The open list holds pairs with priority f = weight * g(node) + Q(node, action).  Each iteration
pops the ``batch_size`` best pairs, generates only their children, and evaluates the heuristic
once on all new children.  Each node's actions are ranked by Q once, and only its next untried
action sits in the open list (``EdgeOpenList``).
"""

from __future__ import annotations

import numpy as np

from qsolve.domains.base import Domain
from qsolve.heuristics.base import Heuristic
from qsolve.search import kernels
from qsolve.search.best_first import best_first
from qsolve.search.common import Limits, Search, SearchResult, run_search
from qsolve.search.open_lists import edge_open_list, full_ranking, top_actions

__all__ = ["full_ranking", "qstar_search", "qstar_steps", "top_actions"]


def qstar_search(
    domain: Domain,
    heuristic: Heuristic,
    start: np.ndarray,
    batch_size: int = 1,
    weight: float = 1.0,
    optimal: bool = False,
    limits: Limits | None = None,
    top_k: int = 32,
    compiled: bool | None = None,
) -> SearchResult:
    """Solve ``start`` ([D]) with Q* search; see ``qstar_steps`` for the arguments."""
    steps = qstar_steps(domain, start, batch_size, weight, optimal, limits, top_k, compiled)
    return run_search(steps, heuristic.q_values)


def qstar_steps(
    domain: Domain,
    start: np.ndarray,
    batch_size: int = 1,
    weight: float = 1.0,
    optimal: bool = False,
    limits: Limits | None = None,
    top_k: int = 32,
    compiled: bool | None = None,
) -> Search:
    """Q* search on ``start`` ([D]) as a generator: it yields the ``[N, D]`` states it needs
    Q-values for and is sent their ``[N, A]`` Q-values; it returns the ``SearchResult``.

    ``optimal`` keeps searching after a goal is found until no open pair could lead to a cheaper
    one (the guarantee for weight 1 and a Q that never overestimates); otherwise the first goal
    generated ends the search.  Each node keeps its ``top_k`` best actions ranked; a node popped
    past them is ranked in full after one more request for its Q-values.  ``compiled`` picks the
    backend, which pops the same pairs either way: numba's kernels (True), numpy and ``heapq``
    (False), or None to let ``kernels.choose`` decide from the node budget.
    """
    limits = limits or Limits()
    jit = kernels.choose(compiled, limits.max_nodes)
    store = kernels.node_store(start, jit)
    open_list = edge_open_list(store, weight, min(top_k, domain.num_actions), jit)
    return (yield from best_first(domain, store, open_list, batch_size, optimal, limits))
