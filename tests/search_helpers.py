"""Test helpers for Q*'s edge open list: the popped pairs (``trace``) and an eager open list
that pushes every ranked action of a node at once (``lazy=False``), which must pop exactly the
pairs that the lazy one pops."""

from __future__ import annotations

import heapq

import numpy as np

from qsolve.domains.base import Domain
from qsolve.heuristics.base import Heuristic
from qsolve.search.best_first import best_first
from qsolve.search.common import (
    Clock,
    Limits,
    NodeStore,
    Requests,
    SearchResult,
    priority,
    run_search,
)
from qsolve.search.open_lists import INF, EdgeOpenList, Pop


class TracedEdges(EdgeOpenList):
    """The edge open list, recording every popped (node, action) pair in ``trace``."""

    def __init__(self, store: NodeStore, weight: float, k: int, trace: list[tuple[int, int]]):
        super().__init__(store, weight, k)
        self.trace = trace

    def pop(self, batch_size: int, bound: float, clock: Clock) -> Pop:
        parents, actions = yield from super().pop(batch_size, bound, clock)
        assert actions is not None
        self.trace.extend(zip(parents.tolist(), actions.tolist(), strict=True))
        return parents, actions


class EagerEdges(TracedEdges):
    """Pushes all of a node's actions with a finite Q at once; a pop pushes nothing."""

    def push(self, nodes: np.ndarray, clock: Clock) -> Requests:
        g, generation = self.store.g.item, self.store.generation.item
        for node in nodes.tolist():
            for rank in range(self.finite.item(node)):
                if rank < self.k:
                    q = self.q.item(node, rank)
                else:
                    if self.full_row[node] < 0:
                        yield from self.rank_fully(node, clock)
                    q = self.full_q.item(self.full_row[node], rank)
                if q == INF:
                    break
                f = priority(g(node), q, self.weight)
                heapq.heappush(self.heap, (f, -node, rank, generation(node)))

    def advance(self, node: int, rank: int, q: float, generation: int) -> None:
        heapq.heappop(self.heap)

    def compile(self) -> None:
        """Stays with ``heapq``: the compiled heap runs the lazy list only."""


def qstar_search(
    domain: Domain,
    heuristic: Heuristic,
    start: np.ndarray,
    batch_size: int = 1,
    weight: float = 1.0,
    optimal: bool = False,
    limits: Limits | None = None,
    lazy: bool = True,
    top_k: int = 32,
    trace: list[tuple[int, int]] | None = None,
) -> SearchResult:
    """``qsolve.search.qstar_search`` with the popped pairs appended to ``trace`` and, with
    ``lazy=False``, the eager open list."""
    store = NodeStore(start)
    edges = (TracedEdges if lazy else EagerEdges)(
        store, weight, min(top_k, domain.num_actions), [] if trace is None else trace
    )
    steps = best_first(domain, store, edges, batch_size, optimal, limits or Limits())
    return run_search(steps, heuristic.q_values)
