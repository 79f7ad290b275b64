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

import numpy as np

from qsolve.domains.base import Domain
from qsolve.heuristics.base import Heuristic
from qsolve.search.common import Incumbent, Limits, NodeStore, SearchResult, grow


def top_actions(q_values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best actions of each row of ``[N, A]`` Q-values, in rank order.

    Returns actions ``[N, k]``, their Q-values ``[N, k]`` (float32) and the number of finite
    Q-values per row.  Ranks beyond ``k`` are given by ``full_ranking``.
    """
    q = np.asarray(q_values, dtype=np.float32)
    n, a = q.shape
    if k >= a:
        order = np.argsort(q, axis=1, kind="stable")
    else:
        chosen = np.argpartition(q, k - 1, axis=1)[:, :k]
        chosen.sort(axis=1)  # ties within the top k go by action index
        inner = np.argsort(np.take_along_axis(q, chosen, axis=1), axis=1, kind="stable")
        order = np.take_along_axis(chosen, inner, axis=1)
    finite = np.isfinite(q).sum(axis=1)
    return order, np.take_along_axis(q, order, axis=1), finite


def full_ranking(q_row: np.ndarray, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All actions of one node in rank order: its stored ``top`` actions, then the rest by Q."""
    q = np.asarray(q_row, dtype=np.float32)
    rest = np.setdiff1d(np.arange(q.shape[0]), top)  # sorted by action index
    rest = rest[np.argsort(q[rest], kind="stable")]
    order = np.concatenate([top, rest])
    return order, q[order]


class _Ranks:
    """Per-node ranked actions: the top ``k`` in arrays, the rest fetched again when reached."""

    def __init__(self, heuristic: Heuristic, store: NodeStore, k: int) -> None:
        self.heuristic, self.store, self.k = heuristic, store, k
        self.actions = np.empty((1024, k), dtype=np.int32)
        self.q = np.empty((1024, k), dtype=np.float32)
        self.finite: list[int] = []
        self.beyond: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.heuristic_inputs = 0

    def add(self, nodes: np.ndarray) -> None:
        """Evaluate the heuristic once on the states of new ``nodes``; other nodes get no actions."""
        self.finite.extend([0] * (self.store.size - len(self.finite)))
        if len(nodes) == 0:
            return
        q = self.heuristic.q_values(self.store.states[nodes])
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
        if node not in self.beyond:
            q = self.heuristic.q_values(self.store.states[node : node + 1])[0]
            self.heuristic_inputs += 1
            self.beyond[node] = full_ranking(q, self.actions[node])
        order, q_sorted = self.beyond[node]
        return int(order[rank]), float(q_sorted[rank])


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
    """Solve ``start`` ([D]) with Q* search.

    ``optimal`` keeps searching after a goal is found until no open pair could lead to a cheaper
    one (the guarantee for weight 1 and a Q that never overestimates); otherwise the first goal
    generated ends the search.  ``trace`` collects the popped (node, action) pairs, for tests.
    """
    limits = limits or Limits()
    started = time.perf_counter()
    store = NodeStore(start)
    ranks = _Ranks(heuristic, store, min(top_k, domain.num_actions))
    incumbent = Incumbent()
    incumbent.offer(store, np.array([0]), domain.is_goal(start[None, :]))
    g = store.g
    generation: list[int] = [0]  # bumped when a node's path cost drops: its old pairs go stale
    heap: list[tuple[float, int, int, int]] = []

    def push(nodes: np.ndarray) -> None:
        for node in nodes.tolist():
            if lazy:
                if ranks.finite[node]:
                    _, q = ranks.get(node, 0)
                    heapq.heappush(heap, (weight * g[node] + q, -node, 0, generation[node]))
            else:
                for rank in range(ranks.finite[node]):
                    _, q = ranks.get(node, rank)
                    heapq.heappush(heap, (weight * g[node] + q, -node, rank, generation[node]))

    nodes_generated, iterations = 1, 0
    reason = None
    if not incumbent.found:
        ranks.add(np.array([0]))
        push(np.array([0]))
    while heap and not (incumbent.found and not optimal):
        reason = limits.exceeded(iterations, nodes_generated, started)
        if reason:
            break
        parents: list[int] = []
        actions: list[int] = []
        while len(parents) < batch_size and heap:
            f, negative_node, rank, gen = heap[0]
            node = -negative_node
            if gen != generation[node]:
                heapq.heappop(heap)
                continue
            if f >= incumbent.cost:
                heap.clear()  # no open pair can lead to a cheaper goal
                break
            action, _ = ranks.get(node, rank)
            parents.append(node)
            actions.append(action)
            if lazy and rank + 1 < ranks.finite[node]:
                _, q = ranks.get(node, rank + 1)
                heapq.heapreplace(heap, (weight * g[node] + q, negative_node, rank + 1, gen))
            else:
                heapq.heappop(heap)
        if not parents:
            break
        iterations += 1
        if trace is not None:
            trace.extend(zip(parents, actions, strict=True))
        parent_ids = np.array(parents, dtype=np.int64)
        action_ids = np.array(actions, dtype=np.int64)
        children = domain.step(store.states[parent_ids], action_ids)
        path_costs = np.array([g[p] for p in parents]) + domain.action_costs[action_ids]
        nodes_generated += len(parents)
        ids, new, reopened = store.insert(children, parent_ids, action_ids, path_costs)
        is_goal = domain.is_goal(children)
        incumbent.offer(store, ids, is_goal)
        generation.extend([0] * len(new))
        for node in reopened.tolist():
            generation[node] += 1
        # Goal nodes are never expanded: no path through a goal is cheaper than stopping there.
        goal_ids = ids[is_goal & (ids >= 0)]
        if len(goal_ids):
            new = new[~np.isin(new, goal_ids)]
            reopened = reopened[~np.isin(reopened, goal_ids)]
        ranks.add(new)
        push(new)
        push(reopened)
    stop = reason or ("solved" if incumbent.found else "exhausted")
    return _result(
        domain, store, incumbent, nodes_generated, iterations, started, ranks.heuristic_inputs, stop
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
    )
