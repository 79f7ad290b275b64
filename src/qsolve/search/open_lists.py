"""The two open lists of ``best_first``: nodes for A*, (node, action) edges for Q*.

Both are binary heaps over the ``NodeStore``, keyed by ``priority`` and, among equal priorities,
newest node first.  An entry is live while its node's generation is unchanged: a node whose path
cost drops is pushed again and its older entries go stale.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from types import ModuleType

import numpy as np

from qsolve.search import kernels
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
        g, h, generation = self.store.g.item, self.h, self.store.generation.item
        for node in nodes.tolist():
            f = priority(g(node), h[node], self.weight)
            heapq.heappush(self.heap, (f, -node, generation(node)))

    def pop(self, batch_size: int, bound: float, clock: Clock) -> Pop:
        """Up to ``batch_size`` best open nodes with f below ``bound``; their actions are None
        (expand all).  Asks nothing of the heuristic."""
        yield from ()
        heap, generation = self.heap, self.store.generation
        parents: list[int] = []
        while len(parents) < batch_size and heap:
            f, negative_node, gen = heapq.heappop(heap)
            node = -negative_node
            if gen != generation.item(node):
                continue
            if f >= bound:
                heap.clear()  # no open node can lead to a cheaper goal
                break
            generation[node] += 1  # closed until reopened
            parents.append(node)
        return np.array(parents, dtype=np.int64), None


def top_actions(q_values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best actions of each row of ``[N, A]`` Q-values, in rank order (by Q, ties by
    action index: the first ``k`` of ``full_ranking``).

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
        # argpartition picks any of the ties at the k-th value; where it left some out, sort
        # those rows in full (ties are what a stable sort is quick on).
        kth = q[rows, order[:, -1:]]
        cut = (q == kth).sum(axis=1) > (q[rows, order] == kth).sum(axis=1)
        if cut.any():
            order[cut] = np.argsort(q[cut], axis=1, kind="stable")[:, :k]
    q_sorted = q[rows, order]
    return order, q_sorted, finite_ranks(q_sorted, a)


def finite_ranks(q_sorted: np.ndarray, a: int) -> np.ndarray:
    """Per row of the top-k Q-values ``[N, k]``: the count of finite ones, or ``a`` if all are."""
    finite = np.isfinite(q_sorted).sum(axis=1)
    return np.where(finite == q_sorted.shape[1], a, finite)


def full_ranking(q_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All actions of one node in rank order (by Q, ties by action index) and their Q-values."""
    q = np.asarray(q_row, dtype=np.float32)
    order = np.argsort(q, kind="stable")
    return order, q[order]


class EdgeOpenList:
    """Q*'s open list: (node, action) pairs by f = weight * g(node) + Q(node, action).

    Each node's actions are ranked by Q once, when it is added: the top ``k`` are kept in arrays,
    and a node popped past them is ranked in full after a second request for its Q-values.  Only a
    node's next untried action sits in the heap; popping it pushes the one after.  This pops exactly
    the pairs that pushing every action would, with O(1) heap entries per pop.

    The heap starts as a Python ``heapq`` list.  Once the process has popped
    ``kernels.COMPILE_AFTER`` pairs (this search alone or with earlier ones), and where numba is
    installed, it moves into arrays (the same binary heap, entry by entry) that compiled kernels
    pop and push, compiled top-k ranks new nodes, and the node store's index goes into a compiled
    hash table (``NodeStore.compile``): a few short searches never pay for loading numba.  Where an earlier search has loaded them, the kernels run from the start.  Both ways pop
    the same pairs in the same order.
    """

    def __init__(self, store: NodeStore, weight: float, k: int) -> None:
        self.store, self.weight, self.k = store, weight, k
        self.actions = np.empty((1024, k), dtype=np.int32)  # [nodes, k] ranked actions
        self.q = np.empty((1024, k), dtype=np.float32)  # [nodes, k] their Q-values
        self.finite = np.zeros(1024, dtype=np.int64)  # per node: ranks that may hold a finite Q
        # Full rankings of the nodes popped past their top k: row per node (-1: none yet).
        self.full_row = np.full(1024, -1, dtype=np.int64)
        self.full_actions = np.empty((0, 0), dtype=np.int64)  # [rankings, A]
        self.full_q = np.empty((0, 0), dtype=np.float32)  # [rankings, A]
        self.full_count = 0
        self.heap: list[tuple[float, int, int, int]] = []  # (f, -node, rank, generation)
        self.kernels: ModuleType | None = None  # the compiled kernels, once in use
        self.arrays: kernels.HeapArrays | None = None  # the heap, once compiled kernels run it
        if kernels.loaded():
            self.compile()

    def __len__(self) -> int:
        return len(self.heap) if self.arrays is None else self.arrays.size

    def insert(self, new: np.ndarray, reopened: np.ndarray, clock: Clock) -> Requests:
        """Ask Q for the ``new`` nodes, rank their actions, then push them and the ``reopened``."""
        q = (yield from clock.ask(self.store.states[new])) if len(new) else None
        self.rank(new, q)
        clock.lap("ranking")
        yield from self.push(new, clock)
        yield from self.push(reopened, clock)

    def compile(self) -> None:
        """Move the heap into arrays run by the compiled kernels, where numba is installed."""
        self.kernels = kernels.compiled()
        if self.kernels is not None:
            self.arrays = kernels.HeapArrays.from_heap(self.kernels, self.heap)
            self.heap = []
            self.store.compile(self.kernels)

    def rank(self, nodes: np.ndarray, q: np.ndarray | None) -> None:
        """Rank the actions of new ``nodes`` by their ``[len(nodes), A]`` Q-values."""
        size = self.store.size
        self.actions = grow(self.actions, size)
        self.q = grow(self.q, size)
        if len(self.finite) < size:
            self.finite = grow(self.finite, size)
            old = len(self.full_row)
            self.full_row = grow(self.full_row, size)
            self.full_row[old:] = -1
        if q is None or len(nodes) == 0:
            return
        if self.kernels is not None:
            self.kernels.rank_nodes(
                np.asarray(q, dtype=np.float32), self.k, nodes, self.actions, self.q, self.finite
            )
            return
        order, q_sorted, finite = top_actions(q, self.k)
        self.actions[nodes] = order
        self.q[nodes] = q_sorted
        self.finite[nodes] = finite

    def rank_fully(self, node: int, clock: Clock) -> Requests:
        """Ask Q again for ``node`` and keep all its actions in rank order."""
        clock.lap("open list")
        q = yield from clock.ask(self.store.states[node : node + 1])
        order, q_sorted = full_ranking(q[0])
        if self.full_actions.shape[1] != len(order):
            self.full_actions = np.empty((64, len(order)), dtype=np.int64)
            self.full_q = np.empty((64, len(order)), dtype=np.float32)
        self.full_actions = grow(self.full_actions, self.full_count + 1)
        self.full_q = grow(self.full_q, self.full_count + 1)
        self.full_actions[self.full_count] = order
        self.full_q[self.full_count] = q_sorted
        self.full_row[node] = self.full_count
        self.full_count += 1
        clock.lap("ranking")

    def push(self, nodes: np.ndarray, clock: Clock) -> Requests:
        """Push each node's best action (nodes whose actions are all inapplicable stay out)."""
        yield from ()
        if len(nodes) == 0:
            return
        if self.arrays is not None:
            self.arrays.push_nodes(nodes, self.store.g, self.q, self.store.generation, self.weight)
            return
        live = nodes[np.isfinite(self.q[nodes, 0])]
        f = priority(self.store.g[live], self.q[live, 0], self.weight)
        generation = self.store.generation[live]
        ranks = [0] * len(live)
        for entry in zip(f.tolist(), (-live).tolist(), ranks, generation.tolist(), strict=True):
            heapq.heappush(self.heap, entry)

    def advance(self, node: int, rank: int, q: float, generation: int) -> None:
        """Replace the popped heap top (``node`` at ``rank``) by the node's next action, whose
        Q-value is ``q`` (``INF``: none left)."""
        if q < INF:
            f = priority(self.store.g.item(node), q, self.weight)
            heapq.heapreplace(self.heap, (f, -node, rank + 1, generation))
        else:
            heapq.heappop(self.heap)

    def pop(self, batch_size: int, bound: float, clock: Clock) -> Pop:
        """Up to ``batch_size`` best open pairs with f below ``bound``: their nodes and actions."""
        if self.arrays is None and kernels.popped >= kernels.COMPILE_AFTER:
            self.compile()
        if self.arrays is not None:
            return (yield from self.pop_compiled(batch_size, bound, clock))
        heap, generation, finite, k = (
            self.heap,
            self.store.generation.item,
            self.finite.item,
            self.k,
        )
        # The hot loop reads the ranked actions through flat arrays.
        action_at, q_at = self.actions.reshape(-1).item, self.q.reshape(-1).item
        full_row = self.full_row.item
        parents: list[int] = []
        actions: list[int] = []
        while len(parents) < batch_size and heap:
            f, negative_node, rank, gen = heap[0]
            node = -negative_node
            if gen != generation(node):
                heapq.heappop(heap)
                continue
            if f >= bound:
                heap.clear()  # no open pair can lead to a cheaper goal
                break
            if rank + 1 < k:
                action = action_at(node * k + rank)
                q = q_at(node * k + rank + 1)
            elif rank + 1 >= finite(node) and rank < k:  # its last action with a finite Q
                action = action_at(node * k + rank)
                q = INF
            else:
                if full_row(node) < 0:
                    yield from self.rank_fully(node, clock)
                row = full_row(node)
                action = self.full_actions.item(row, rank)
                q = self.full_q.item(row, rank + 1) if rank + 1 < finite(node) else INF
            parents.append(node)
            actions.append(action)
            self.advance(node, rank, q, gen)
        kernels.popped += len(parents)
        return np.array(parents, dtype=np.int64), np.array(actions, dtype=np.int64)

    def pop_compiled(self, batch_size: int, bound: float, clock: Clock) -> Pop:
        """``pop`` by the compiled kernel, which stops at each node it needs ranked in full."""
        assert self.arrays is not None and self.kernels is not None
        parents = np.empty(batch_size, dtype=np.int64)
        actions = np.empty(batch_size, dtype=np.int64)
        count = 0
        while True:
            arrays = self.arrays
            arrays.size, count, need = self.kernels.pop_pairs(
                arrays.f, arrays.node, arrays.rank, arrays.generation, arrays.size,
                batch_size, bound, self.store.generation, self.store.g, self.weight, self.k,
                self.finite, self.actions, self.q, self.full_row, self.full_actions,
                self.full_q, parents, actions, count,
            )  # fmt: skip
            if need < 0:
                return parents[:count], actions[:count]
            yield from self.rank_fully(need, clock)
