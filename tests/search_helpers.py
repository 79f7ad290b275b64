"""Test helpers for Q*'s edge open list: the popped pairs (``trace``) and an eager open list
that pushes every ranked action of a node at once (``lazy=False``), which must pop exactly the
pairs that the lazy one pops."""

from __future__ import annotations

import heapq

import numpy as np

from qsolve.domains.base import Domain
from qsolve.heuristics.base import Heuristic
from qsolve.search import kernels
from qsolve.search.best_first import OpenList, best_first
from qsolve.search.common import (
    Clock,
    Limits,
    NodeStore,
    Requests,
    SearchResult,
    priority,
    run_search,
)
from qsolve.search.open_lists import INF, EdgeOpenList, Pop, edge_open_list


class Traced:
    """An open list that records every (node, action) pair ``inner`` pops in ``trace``."""

    def __init__(self, inner: OpenList, trace: list[tuple[int, int]]):
        self.inner, self.trace = inner, trace

    def __len__(self) -> int:
        return len(self.inner)

    def insert(self, new: np.ndarray, reopened: np.ndarray, clock: Clock) -> Requests:
        yield from self.inner.insert(new, reopened, clock)

    def pop(self, batch_size: int, bound: float, clock: Clock) -> Pop:
        parents, actions = yield from self.inner.pop(batch_size, bound, clock)
        assert actions is not None
        self.trace.extend(zip(parents.tolist(), actions.tolist(), strict=True))
        return parents, actions


class EagerEdges(EdgeOpenList):
    """Pushes all of a node's actions with a finite Q at once; a pop pushes nothing."""

    def push(self, nodes: np.ndarray, clock: Clock) -> Requests:
        g, generation = self.store.g.item, self.store.generation.item
        for node in nodes.tolist():
            for rank in range(self.ranks.finite.item(node)):
                if rank < self.k:
                    q = self.ranks.q.item(node, rank)
                else:
                    if self.ranks.full_row[node] < 0:
                        yield from self.rank_fully(node, clock)
                    q = self.ranks.full_q.item(self.ranks.full_row[node], rank)
                if q == INF:
                    break
                f = priority(g(node), q, self.weight)
                heapq.heappush(self.heap, (f, -node, rank, generation(node)))

    def advance(self, node: int, rank: int, q: float, generation: int) -> None:
        heapq.heappop(self.heap)


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
    compiled: bool = False,
) -> SearchResult:
    """``qsolve.search.qstar_search`` with the popped pairs appended to ``trace``; ``compiled``
    picks the backend, and ``lazy=False`` the eager open list (numpy and heapq only)."""
    jit = kernels.choose(compiled, None)
    k = min(top_k, domain.num_actions)
    store: NodeStore = kernels.node_store(start, jit)
    edges = edge_open_list(store, weight, k, jit) if lazy else EagerEdges(store, weight, k)
    traced = Traced(edges, [] if trace is None else trace)
    steps = best_first(domain, store, traced, batch_size, optimal, limits or Limits())
    return run_search(steps, heuristic.q_values)
