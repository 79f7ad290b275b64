"""The one best-first loop behind Q* and A*: pop a batch, generate children, store them, evaluate
the new ones, push.

The search is a generator: every heuristic call is a request it yields (``[N, D]`` states) and the
driver answers (``run_search`` for one search, ``run_lockstep`` for many sharing each call).  What
differs between Q* and A* is the open list (``open_lists``): what it pops (nodes to expand, or
(node, action) pairs to step), what it asks the heuristic (``values`` or ``q_values``) and how it
orders its entries.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Protocol

import numpy as np

from qsolve.domains.base import Domain
from qsolve.search.common import (
    Clock,
    Incumbent,
    Limits,
    NodeStore,
    Requests,
    Search,
    finished,
)


class OpenList(Protocol):
    """An open list over a ``NodeStore``; its generators yield heuristic requests."""

    def __len__(self) -> int:
        """How many entries it holds (stale ones included)."""
        ...

    def insert(self, new: np.ndarray, reopened: np.ndarray, clock: Clock) -> Requests:
        """Evaluate the ``new`` nodes and push them and the ``reopened`` ones."""
        ...

    def pop(
        self, batch_size: int, bound: float, clock: Clock
    ) -> Generator[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray | None]]:
        """Up to ``batch_size`` of the best live entries with priority below ``bound`` (emptying
        the list at the first that is not): their nodes, and their actions (None: expand all)."""
        ...


def best_first(
    domain: Domain,
    store: NodeStore,
    open_list: OpenList,
    batch_size: int,
    optimal: bool,
    limits: Limits,
) -> Search:
    """Search from the store's start node (node 0) until a goal is generated (or, with
    ``optimal``, until no open entry could lead to a cheaper one), the open list is empty or a
    limit is reached; return the ``SearchResult``."""
    started = time.perf_counter()
    clock = Clock()
    incumbent = Incumbent()
    incumbent.offer(store, np.array([0]), domain.is_goal(store.states[:1]))
    nodes_generated, iterations = 1, 0
    reason = None
    if not incumbent.found:
        clock.lap("setup")
        yield from open_list.insert(np.array([0]), np.array([], dtype=np.int64), clock)
    while len(open_list) and not (incumbent.found and not optimal):
        reason = limits.exceeded(iterations, nodes_generated, started)
        if reason:
            break
        parent_ids, action_ids = yield from open_list.pop(batch_size, incumbent.cost, clock)
        if not len(parent_ids):
            break
        iterations += 1
        clock.lap("open list")
        parent_g = store.g[parent_ids]
        if action_ids is None:  # expand the popped nodes
            children, mask = domain.expand(store.states[parent_ids])  # [P, A, D], [P, A]
            rows, action_ids = np.nonzero(mask)
            children = children[rows, action_ids]
            parent_ids, parent_g = parent_ids[rows], parent_g[rows]
        else:  # step the popped (node, action) pairs
            children = domain.step(store.states[parent_ids], action_ids)
        path_costs = parent_g + domain.action_costs[action_ids]
        is_goal = domain.is_goal(children)
        nodes_generated += len(children)
        clock.lap("generation")
        new, reopened = store.add_children(
            children, parent_ids, action_ids, path_costs, is_goal, incumbent
        )
        clock.lap("duplicates")
        yield from open_list.insert(new, reopened, clock)
    clock.lap("open list")
    solved = incumbent.found
    actions = store.path(incumbent.node) if solved else []
    cost = incumbent.cost if solved else None
    return finished(
        domain, actions, cost, nodes_generated, iterations, started, clock, reason, store.size
    )
