"""The two open lists of ``best_first``: nodes for A*, (node, action) edges for Q*.

Both are binary heaps over the ``NodeStore``, keyed by ``priority`` and, among equal priorities,
newest node first.  An entry is live while its node's generation is unchanged: a node whose path
cost drops is pushed again and its older entries go stale.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator

import numpy as np

from qsolve.search.common import Clock, NodeStore, Requests, grow, priority

INF = float("inf")
Pop = Generator[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray | None]]


class NodeOpenList:
    """A*'s open list: nodes by f = weight * g + h, with h from the heuristic's ``values``.

    Popping a node closes it (its generation goes up) until a cheaper path reopens it.
    """

    def __init__(self, store: NodeStore, weight: float) -> None:
        self.store, self.weight = store, weight
        self.h: list[float] = []  # per node
        self.heap: list[tuple[float, int, int]] = []  # (f, -node, generation)

    def __len__(self) -> int:
        return len(self.heap)

    def insert(self, new: np.ndarray, reopened: np.ndarray, clock: Clock) -> Requests:
        """Ask h for the ``new`` nodes, then push them and the ``reopened`` ones."""
        values = (yield from clock.ask(self.store.states[new])) if len(new) else None
        self.h.extend([0.0] * (self.store.size - len(self.h)))
        if values is not None:
            for node, value in zip(new.tolist(), np.asarray(values).tolist(), strict=True):
                self.h[node] = value
        self.push(new)
        self.push(reopened)

    def push(self, nodes: np.ndarray) -> None:
        g, h, generation = self.store.g, self.h, self.store.generation
        for node in nodes.tolist():
            f = priority(g[node], h[node], self.weight)
            heapq.heappush(self.heap, (f, -node, generation[node]))

    def pop(self, batch_size: int, bound: float, clock: Clock) -> Pop:
        """Up to ``batch_size`` best open nodes with f below ``bound``; their actions are None
        (expand all).  Asks nothing of the heuristic."""
        yield from ()
        heap, generation = self.heap, self.store.generation
        parents: list[int] = []
        while len(parents) < batch_size and heap:
            f, negative_node, gen = heapq.heappop(heap)
            node = -negative_node
            if gen != generation[node]:
                continue
            if f >= bound:
                heap.clear()  # no open node can lead to a cheaper goal
                break
            generation[node] += 1  # closed until reopened
            parents.append(node)
        return np.array(parents, dtype=np.int64), None


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


class EdgeOpenList:
    """Q*'s open list: (node, action) pairs by f = weight * g(node) + Q(node, action).

    Each node's actions are ranked by Q once, when it is added: the top ``k`` are kept in arrays,
    and a node popped past them is ranked in full after a second request for its Q-values.  Only a
    node's next untried action sits in the heap; popping it pushes the one after.  This pops exactly
    the pairs that pushing every action would, with O(1) heap entries per pop.
    """

    def __init__(self, store: NodeStore, weight: float, k: int) -> None:
        self.store, self.weight, self.k = store, weight, k
        self.actions = np.empty((1024, k), dtype=np.int32)  # [nodes, k] ranked actions
        self.q = np.empty((1024, k), dtype=np.float32)  # [nodes, k] their Q-values
        self.finite: list[int] = []  # per node: how many ranks may hold a finite Q
        self.beyond: dict[int, tuple[list[int], list[float]]] = {}  # full rankings
        self.heap: list[tuple[float, int, int, int]] = []  # (f, -node, rank, generation)

    def __len__(self) -> int:
        return len(self.heap)

    def insert(self, new: np.ndarray, reopened: np.ndarray, clock: Clock) -> Requests:
        """Ask Q for the ``new`` nodes, rank their actions, then push them and the ``reopened``."""
        q = (yield from clock.ask(self.store.states[new])) if len(new) else None
        self.rank(new, q)
        clock.lap("ranking")
        yield from self.push(new, clock)
        yield from self.push(reopened, clock)

    def rank(self, nodes: np.ndarray, q: np.ndarray | None) -> None:
        """Rank the actions of new ``nodes`` by their ``[len(nodes), A]`` Q-values."""
        self.finite.extend([0] * (self.store.size - len(self.finite)))
        if q is None or len(nodes) == 0:
            return
        order, q_sorted, finite = top_actions(q, self.k)
        self.actions = grow(self.actions, self.store.size)
        self.q = grow(self.q, self.store.size)
        self.actions[nodes] = order
        self.q[nodes] = q_sorted
        for node, count in zip(nodes.tolist(), finite.tolist(), strict=True):
            self.finite[node] = count

    def ranking(
        self, node: int, clock: Clock
    ) -> Generator[np.ndarray, np.ndarray, tuple[list[int], list[float]]]:
        """All of ``node``'s actions in rank order, asking Q again the first time."""
        if node not in self.beyond:
            clock.lap("open list")
            q = yield from clock.ask(self.store.states[node : node + 1])
            self.beyond[node] = full_ranking(q[0])
            clock.lap("ranking")
        return self.beyond[node]

    def push(self, nodes: np.ndarray, clock: Clock) -> Requests:
        """Push each node's best action (nodes whose actions are all inapplicable stay out)."""
        yield from ()
        if len(nodes) == 0:
            return
        live = nodes[np.isfinite(self.q[nodes, 0])]
        g, generation = self.store.g, self.store.generation
        f = priority(np.array([g[node] for node in live.tolist()]), self.q[live, 0], self.weight)
        for f_node, node in zip(f.tolist(), live.tolist(), strict=True):
            heapq.heappush(self.heap, (f_node, -node, 0, generation[node]))

    def advance(self, node: int, rank: int, q: float, generation: int) -> None:
        """Replace the popped heap top (``node`` at ``rank``) by the node's next action, whose
        Q-value is ``q`` (``INF``: none left)."""
        if q < INF:
            f = priority(self.store.g[node], q, self.weight)
            heapq.heapreplace(self.heap, (f, -node, rank + 1, generation))
        else:
            heapq.heappop(self.heap)

    def pop(self, batch_size: int, bound: float, clock: Clock) -> Pop:
        """Up to ``batch_size`` best open pairs with f below ``bound``: their nodes and actions."""
        heap, generation, finite, k = self.heap, self.store.generation, self.finite, self.k
        # The hot loop reads the ranked actions through flat arrays.
        action_at, q_at = self.actions.reshape(-1).item, self.q.reshape(-1).item
        parents: list[int] = []
        actions: list[int] = []
        while len(parents) < batch_size and heap:
            f, negative_node, rank, gen = heap[0]
            node = -negative_node
            if gen != generation[node]:
                heapq.heappop(heap)
                continue
            if f >= bound:
                heap.clear()  # no open pair can lead to a cheaper goal
                break
            if rank + 1 < k:
                action = action_at(node * k + rank)
                q = q_at(node * k + rank + 1)
            elif rank + 1 >= finite[node]:  # the node's last action with a finite Q
                if rank < k:
                    action = action_at(node * k + rank)
                else:
                    order, _ = yield from self.ranking(node, clock)
                    action = order[rank]
                q = INF
            else:
                order, q_sorted = yield from self.ranking(node, clock)
                action, q = order[rank], q_sorted[rank + 1]
            parents.append(node)
            actions.append(action)
            self.advance(node, rank, q, gen)
        return np.array(parents, dtype=np.int64), np.array(actions, dtype=np.int64)
