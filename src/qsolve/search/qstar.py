"""Q* search: A* without expansions, over (node, action) pairs ranked by a Q heuristic.

The open list holds pairs with priority f = weight * g(node) + Q(node, action).  Each iteration
pops the ``batch_size`` best pairs, generates only their children, and evaluates the heuristic
once on all new children.  Each node's actions are ranked by Q once, and only its next untried
action sits in the open list (``lazy=True``); popping it pushes the one after.  This pops exactly
the pairs that pushing every action would (``lazy=False``), with O(1) heap entries per pop.
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
    grow,
    run_search,
)

INF = float("inf")


def top_actions(q_values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best actions of each row of ``[N, A]`` Q-values, in rank order.

    Returns actions ``[N, k]``, their Q-values ``[N, k]`` (float32), and per row how many ranks may
    hold a finite Q-value: the finite count among the top ``k``, or ``A`` when all of them are
    finite (ranks beyond ``k`` come from ``full_ranking``).
    """
    q = np.asarray(q_values, dtype=np.float32)
    n, a = q.shape
    rows = np.arange(n)[:, None]
    if k >= a:
        order = np.argsort(q, axis=1, kind="stable")
    else:
        order = np.argpartition(q, k - 1, axis=1)[:, :k]
        order.sort(axis=1)  # ties within the top k go by action index
        order = order[rows, np.argsort(q[rows, order], axis=1, kind="stable")]
    q_sorted = q[rows, order]
    finite = np.isfinite(q_sorted).sum(axis=1)
    return order, q_sorted, np.where(finite == order.shape[1], a, finite)


def full_ranking(q_row: np.ndarray) -> tuple[list[int], list[float]]:
    """All actions of one node in rank order (by Q, ties by action index) and their Q-values;
    its first ranks are the ones ``top_actions`` gives."""
    q = np.asarray(q_row, dtype=np.float32)
    order = np.argsort(q, kind="stable")
    return order.tolist(), q[order].tolist()


class _Ranks:
    """Per-node ranked actions: the top ``k`` in arrays, the rest fetched again when reached."""

    def __init__(self, heuristic: Heuristic, store: NodeStore, k: int) -> None:
        self.heuristic, self.store, self.k = heuristic, store, k
        self.actions = np.empty((1024, k), dtype=np.int32)
        self.q = np.empty((1024, k), dtype=np.float32)
        self.finite: list[int] = []
        self.beyond: dict[int, tuple[list[int], list[float]]] = {}
        self.heuristic_inputs = 0
        self.seconds = {"heuristic": 0.0, "ranking": 0.0}  # spent inside the pop loop

    def add(self, nodes: np.ndarray, q: np.ndarray | None) -> None:
        """Rank the actions of new ``nodes`` by their ``[len(nodes), A]`` Q-values."""
        self.finite.extend([0] * (self.store.size - len(self.finite)))
        if q is None or len(nodes) == 0:
            return
        self.heuristic_inputs += len(nodes)
        order, q_sorted, finite = top_actions(q, self.k)
        self.actions = grow(self.actions, self.store.size)
        self.q = grow(self.q, self.store.size)
        self.actions[nodes] = order
        self.q[nodes] = q_sorted
        for node, count in zip(nodes.tolist(), finite.tolist(), strict=True):
            self.finite[node] = count

    def get(self, node: int, rank: int) -> tuple[int, float]:
        """The action of ``node`` at ``rank`` and its Q-value."""
        if rank < self.k:
            return int(self.actions[node, rank]), float(self.q[node, rank])
        order, q_sorted = self.ranking(node)
        return order[rank], q_sorted[rank]

    def ranking(self, node: int) -> tuple[list[int], list[float]]:
        """All of ``node``'s actions in rank order; the heuristic is asked again for ranks past k."""
        if node not in self.beyond:
            started = time.perf_counter()
            q = self.heuristic.q_values(self.store.states[node : node + 1])[0]
            ranked = time.perf_counter()
            self.heuristic_inputs += 1
            self.beyond[node] = full_ranking(q)
            self.seconds["heuristic"] += ranked - started
            self.seconds["ranking"] += time.perf_counter() - ranked
        return self.beyond[node]


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
    """Solve ``start`` ([D]) with Q* search; see ``qstar_steps`` for the arguments."""
    steps = qstar_steps(
        domain, heuristic, start, batch_size, weight, optimal, limits, lazy, top_k, trace
    )
    return run_search(steps, heuristic.q_values)


def qstar_steps(
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
) -> Generator[np.ndarray, np.ndarray, SearchResult]:
    """Q* search on ``start`` ([D]) as a generator: it yields the ``[N, D]`` states it needs
    Q-values for and is sent their ``[N, A]`` Q-values; it returns the ``SearchResult``.

    ``optimal`` keeps searching after a goal is found until no open pair could lead to a cheaper
    one (the guarantee for weight 1 and a Q that never overestimates); otherwise the first goal
    generated ends the search.  ``trace`` collects the popped (node, action) pairs, for tests.
    """
    limits = limits or Limits()
    started = time.perf_counter()
    store = NodeStore(start)
    ranks = _Ranks(heuristic, store, min(top_k, domain.num_actions))
    incumbent = Incumbent()
    incumbent.offer(store, np.array([0]), domain._is_goal(start[None, :]))
    g = store.g
    generation = store.generation  # a node's pairs go stale when its path cost drops
    heap: list[tuple[float, int, int, int]] = []

    def push(nodes: np.ndarray) -> None:
        if len(nodes) == 0:
            return
        if lazy:
            live = nodes[np.isfinite(ranks.q[nodes, 0])]
            f = weight * np.array([g[node] for node in live.tolist()]) + ranks.q[live, 0]
            for f_node, node in zip(f.tolist(), live.tolist(), strict=True):
                heapq.heappush(heap, (f_node, -node, 0, generation[node]))
            return
        for node in nodes.tolist():
            for rank in range(ranks.finite[node]):
                _, q = ranks.get(node, rank)
                if q == INF:
                    break
                heapq.heappush(heap, (weight * g[node] + q, -node, rank, generation[node]))

    nodes_generated, iterations = 1, 0
    reason = None
    clock = Clock()
    if not incumbent.found:
        clock.lap("setup")
        q_start = yield store.states[:1]
        clock.lap("heuristic")
        ranks.add(np.array([0]), q_start)
        push(np.array([0]))
    while heap and not (incumbent.found and not optimal):
        reason = limits.exceeded(iterations, nodes_generated, started)
        if reason:
            break
        parents: list[int] = []
        actions: list[int] = []
        # The hot loop reads the ranked actions through flat arrays (they may have grown).
        k, finite = ranks.k, ranks.finite
        action_at, q_at = ranks.actions.reshape(-1).item, ranks.q.reshape(-1).item
        best = incumbent.cost
        popped = 0
        while popped < batch_size and heap:
            f, negative_node, rank, gen = heap[0]
            node = -negative_node
            if gen != generation[node]:
                heapq.heappop(heap)
                continue
            if f >= best:
                heap.clear()  # no open pair can lead to a cheaper goal
                break
            if rank + 1 < k:
                action = action_at(node * k + rank)
                q = q_at(node * k + rank + 1)
            elif rank + 1 >= finite[node]:  # the node's last action with a finite Q
                action = action_at(node * k + rank) if rank < k else ranks.ranking(node)[0][rank]
                q = INF
            else:
                order, q_sorted = ranks.ranking(node)
                action = order[rank]
                q = q_sorted[rank + 1] if rank + 1 < finite[node] else INF
            parents.append(node)
            actions.append(action)
            popped += 1
            if lazy and q < INF:
                heapq.heapreplace(heap, (weight * g[node] + q, negative_node, rank + 1, gen))
            else:
                heapq.heappop(heap)
        if not parents:
            break
        iterations += 1
        if trace is not None:
            trace.extend(zip(parents, actions, strict=True))
        clock.lap("open list")
        parent_ids = np.array(parents, dtype=np.int64)
        action_ids = np.array(actions, dtype=np.int64)
        children = domain._step(store.states[parent_ids], action_ids)
        path_costs = np.array([g[p] for p in parents]) + domain.action_costs[action_ids]
        is_goal = domain._is_goal(children)
        nodes_generated += len(parents)
        clock.lap("generation")
        new, reopened = store.add_children(
            children, parent_ids, action_ids, path_costs, is_goal, incumbent
        )
        q_new = yield from evaluate_new(store, new, clock)
        ranks.add(new, q_new)
        clock.lap("ranking")
        push(new)
        push(reopened)
    clock.lap("open list")
    for phase, seconds in ranks.seconds.items():  # refills happen inside the pop loop
        clock.seconds["open list"] -= seconds
        clock.seconds[phase] = clock.seconds.get(phase, 0.0) + seconds
    stop = reason or ("solved" if incumbent.found else "exhausted")
    return _result(
        domain,
        store,
        incumbent,
        nodes_generated,
        iterations,
        started,
        ranks.heuristic_inputs,
        stop,
        clock,
    )


def _result(
    domain: Domain,
    store: NodeStore,
    incumbent: Incumbent,
    nodes_generated: int,
    iterations: int,
    started: float,
    heuristic_inputs: int,
    stop: str,
    clock: Clock,
) -> SearchResult:
    solved = incumbent.found
    actions = store.path(incumbent.node) if solved else []
    return SearchResult(
        solved=solved,
        actions=actions,
        moves=domain.base_moves(actions),
        cost=incumbent.cost if solved else float("nan"),
        nodes_generated=nodes_generated,
        iterations=iterations,
        seconds=time.perf_counter() - started,
        heuristic_inputs=heuristic_inputs,
        stop_reason=stop,
        meta_moves=domain.format_moves(actions),
        timings=clock.seconds,
    )
