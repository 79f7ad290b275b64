"""The two open lists of ``best_first``: nodes for A*, (node, action) edges for Q*.

Both are binary heaps over the ``NodeStore``, keyed by ``priority`` and, among equal priorities,
newest node first.  An entry is live while its node's generation is unchanged: a node whose path
cost drops is pushed again and its older entries go stale.  Q*'s list has a second backend, its
heap and ranking run by numba's kernels (``CompiledEdgeOpenList``), chosen once per search.
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

    Each node's actions are ranked by Q once, when it is added: the top ``k`` are kept in
    ``ranks``, and a node popped past them is ranked in full after a second request for its
    Q-values.  Only a node's next untried action sits in the heap; popping it pushes the one
    after.  This pops exactly the pairs that pushing every action would, with O(1) heap entries
    per pop.  The heap is a ``heapq`` list here, arrays run by compiled kernels in
    ``CompiledEdgeOpenList``, which pops the same pairs in the same order (``edge_open_list``
    picks one for a search's backend).
    """

    def __init__(self, store: NodeStore, weight: float, k: int) -> None:
        self.store, self.weight, self.k = store, weight, k
        self.ranks = kernels.Ranks(
            actions=np.empty((1024, k), dtype=np.int32),
            q=np.empty((1024, k), dtype=np.float32),
            finite=np.zeros(1024, dtype=np.int64),
            full_row=np.full(1024, -1, dtype=np.int64),
            full_actions=np.empty((0, 0), dtype=np.int64),
            full_q=np.empty((0, 0), dtype=np.float32),
        )
        self.full_count = 0  # rows of the full rankings in use
        self.heap: list[tuple[float, int, int, int]] = []  # (f, -node, rank, generation)

    def __len__(self) -> int:
        return len(self.heap)

    def insert(self, new: np.ndarray, reopened: np.ndarray, clock: Clock) -> Requests:
        """Ask Q for the ``new`` nodes, rank their actions, then push them and the ``reopened``."""
        q = (yield from clock.ask(self.store.states[new])) if len(new) else None
        self.reserve()
        if q is not None and len(new):
            self.rank(new, q)
        clock.lap("ranking")
        yield from self.push(new, clock)
        yield from self.push(reopened, clock)

    def reserve(self) -> None:
        """Room in ``ranks`` for every stored node."""
        size, ranks = self.store.size, self.ranks
        if len(ranks.finite) >= size:
            return
        old = len(ranks.full_row)
        full_row = grow(ranks.full_row, size)
        full_row[old:] = -1
        self.ranks = ranks._replace(
            actions=grow(ranks.actions, size),
            q=grow(ranks.q, size),
            finite=grow(ranks.finite, size),
            full_row=full_row,
        )

    def rank(self, nodes: np.ndarray, q: np.ndarray) -> None:
        """Rank the actions of new ``nodes`` by their ``[len(nodes), A]`` Q-values."""
        order, q_sorted, finite = top_actions(q, self.k)
        self.ranks.actions[nodes] = order
        self.ranks.q[nodes] = q_sorted
        self.ranks.finite[nodes] = finite

    def rank_fully(self, node: int, clock: Clock) -> Requests:
        """Ask Q again for ``node`` and keep all its actions in rank order."""
        clock.lap("open list")
        q = yield from clock.ask(self.store.states[node : node + 1])
        order, q_sorted = full_ranking(q[0])
        full_actions, full_q = self.ranks.full_actions, self.ranks.full_q
        if full_actions.shape[1] != len(order):
            full_actions = np.empty((64, len(order)), dtype=np.int64)
            full_q = np.empty((64, len(order)), dtype=np.float32)
        full_actions = grow(full_actions, self.full_count + 1)
        full_q = grow(full_q, self.full_count + 1)
        full_actions[self.full_count] = order
        full_q[self.full_count] = q_sorted
        self.ranks.full_row[node] = self.full_count
        self.full_count += 1
        self.ranks = self.ranks._replace(full_actions=full_actions, full_q=full_q)
        clock.lap("ranking")

    def push(self, nodes: np.ndarray, clock: Clock) -> Requests:
        """Push each node's best action (nodes whose actions are all inapplicable stay out)."""
        yield from ()
        if len(nodes) == 0:
            return
        q = self.ranks.q
        live = nodes[np.isfinite(q[nodes, 0])]
        f = priority(self.store.g[live], q[live, 0], self.weight)
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
        heap, generation, k = self.heap, self.store.generation.item, self.k
        finite, full_row = self.ranks.finite.item, self.ranks.full_row.item
        # The hot loop reads the ranked actions through flat arrays.
        action_at = self.ranks.actions.reshape(-1).item
        q_at = self.ranks.q.reshape(-1).item
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
                action = self.ranks.full_actions.item(row, rank)
                q = self.ranks.full_q.item(row, rank + 1) if rank + 1 < finite(node) else INF
            parents.append(node)
            actions.append(action)
            self.advance(node, rank, q, gen)
        return np.array(parents, dtype=np.int64), np.array(actions, dtype=np.int64)


class CompiledEdgeOpenList(EdgeOpenList):
    """``EdgeOpenList`` with its heap in arrays (``kernels.Heap``), its ranking and its pops run
    by the compiled kernels ``jit`` (which take each bundle as a plain tuple)."""

    def __init__(self, store: NodeStore, weight: float, k: int, jit: ModuleType) -> None:
        super().__init__(store, weight, k)
        self.jit = jit
        self.heap_arrays = kernels.Heap.empty(1024)
        self.size = 0  # entries in the heap arrays

    def __len__(self) -> int:
        return self.size

    # Each bundle is also kept as the plain tuple the kernels take (made anew when an array is).
    @property
    def ranks(self) -> kernels.Ranks:
        return self._ranks

    @ranks.setter
    def ranks(self, ranks: kernels.Ranks) -> None:
        self._ranks, self.ranks_tuple = ranks, tuple(ranks)

    @property
    def heap_arrays(self) -> kernels.Heap:
        return self._heap_arrays

    @heap_arrays.setter
    def heap_arrays(self, heap: kernels.Heap) -> None:
        self._heap_arrays, self.heap_tuple = heap, tuple(heap)

    def rank(self, nodes: np.ndarray, q: np.ndarray) -> None:
        self.jit.rank_nodes(np.asarray(q, dtype=np.float32), self.k, nodes, self.ranks_tuple)

    def push(self, nodes: np.ndarray, clock: Clock) -> Requests:
        yield from ()
        if len(nodes) == 0:
            return
        if self.size + len(nodes) > len(self.heap_arrays.f):
            self.heap_arrays = self.heap_arrays.grown(self.size + len(nodes))
        self.size = self.jit.push_nodes(
            self.heap_tuple, self.size, nodes, self.store.g, self.ranks.q, self.store.generation,
            self.weight,
        )  # fmt: skip

    def pop(self, batch_size: int, bound: float, clock: Clock) -> Pop:
        """``EdgeOpenList.pop`` by the compiled kernel, which stops at each node it needs ranked
        in full."""
        parents = np.empty(batch_size, dtype=np.int64)
        actions = np.empty(batch_size, dtype=np.int64)
        count = 0
        while True:
            self.size, count, need = self.jit.pop_pairs(
                self.heap_tuple, self.size, batch_size, bound, self.ranks_tuple, self.k,
                self.store.generation, self.store.g, self.weight, parents, actions, count,
            )  # fmt: skip
            if need < 0:
                return parents[:count], actions[:count]
            yield from self.rank_fully(need, clock)


def edge_open_list(store: NodeStore, weight: float, k: int, jit: ModuleType | None) -> EdgeOpenList:
    """Q*'s open list for the backend ``jit`` (``kernels.choose``)."""
    return (
        EdgeOpenList(store, weight, k)
        if jit is None
        else CompiledEdgeOpenList(store, weight, k, jit)
    )
