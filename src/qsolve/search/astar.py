"""Batch weighted A* search, the DeepCubeA baseline.

The open list holds nodes with priority f = weight * g + h.  Each iteration pops the
``batch_size`` best nodes, generates all their applicable children and evaluates h on all of the
new children in one call.  Ties in f go to the newest node.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Generator

import numpy as np

from qsolve.domains.base import Domain
from qsolve.heuristics.base import Heuristic
from qsolve.search.common import (
    Clock,
    Incumbent,
    Limits,
    NodeStore,
    SearchResult,
    evaluate_new,
    run_search,
)
from qsolve.search.qstar import _result


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
) -> Generator[np.ndarray, np.ndarray, SearchResult]:
    """Batch weighted A* on ``start`` as a generator: it yields the ``[N, D]`` states it needs
    cost-to-go estimates for and is sent their ``[N]`` values; it returns the ``SearchResult``."""
    limits = limits or Limits()
    started = time.perf_counter()
    store = NodeStore(start)
    incumbent = Incumbent()
    incumbent.offer(store, np.array([0]), domain._is_goal(start[None, :]))
    g = store.g
    h: list[float] = []
    # A node's entry is live while its generation is unchanged; expanding or reopening it bumps it.
    generation = store.generation
    heap: list[tuple[float, int, int]] = []
    heuristic_inputs = 0

    def record(nodes: np.ndarray, values: np.ndarray | None) -> None:
        nonlocal heuristic_inputs
        h.extend([0.0] * (store.size - len(h)))
        if values is not None:
            heuristic_inputs += len(nodes)
            for node, value in zip(nodes.tolist(), np.asarray(values).tolist(), strict=True):
                h[node] = value

    def push(nodes: np.ndarray) -> None:
        for node in nodes.tolist():
            heapq.heappush(heap, (weight * g[node] + h[node], -node, generation[node]))

    nodes_generated, iterations = 1, 0
    reason = None
    clock = Clock()
    if not incumbent.found:
        clock.lap("setup")
        h_start = yield store.states[:1]
        clock.lap("heuristic")
        record(np.array([0]), h_start)
        push(np.array([0]))
    while heap and not (incumbent.found and not optimal):
        reason = limits.exceeded(iterations, nodes_generated, started)
        if reason:
            break
        parents: list[int] = []
        while len(parents) < batch_size and heap:
            f, negative_node, gen = heapq.heappop(heap)
            node = -negative_node
            if gen != generation[node]:
                continue
            if f >= incumbent.cost:
                heap.clear()
                break
            generation[node] += 1  # closed until reopened
            parents.append(node)
        if not parents:
            break
        iterations += 1
        clock.lap("open list")
        parent_ids = np.array(parents, dtype=np.int64)
        children, mask = domain._expand(store.states[parent_ids])  # [P, A, D], [P, A]
        rows, actions = np.nonzero(mask)
        children = children[rows, actions]
        parent_of = parent_ids[rows]
        path_costs = np.array([g[p] for p in parents])[rows] + domain.action_costs[actions]
        nodes_generated += len(children)
        is_goal = domain._is_goal(children)
        clock.lap("generation")
        new, reopened = store.add_children(
            children, parent_of, actions, path_costs, is_goal, incumbent
        )
        h_new = yield from evaluate_new(store, new, clock)
        record(new, h_new)
        push(new)
        push(reopened)
    clock.lap("open list")
    stop = reason or ("solved" if incumbent.found else "exhausted")
    return _result(
        domain,
        store,
        incumbent,
        nodes_generated,
        iterations,
        started,
        heuristic_inputs,
        stop,
        clock,
    )
