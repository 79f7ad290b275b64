"""numba kernels for ``kernels`` (imported only where numba is installed).  The arrays they work
on come bundled in tuples laid out as ``kernels``' named tuples ``Heap``, ``Ranks`` and
``Inserted``, unpacked by position: numba types a plain tuple of arrays about as fast as one array,
a named tuple a few microseconds slower per call."""

from __future__ import annotations

import numba
import numpy as np

INF = np.inf


@numba.njit(inline="always")
def _top_k_row(q, row, k, order, best, out):  # type: ignore[no-untyped-def]
    """The ``k`` smallest of ``q[row]`` by (value, index) into ``order[out]``, ``best[out]``."""
    size = 0
    for action in range(q.shape[1]):
        value = q[row, action]
        if size < k:
            j = size
            size += 1
        elif value < best[out, k - 1]:
            j = k - 1
        else:
            continue
        while j > 0 and best[out, j - 1] > value:  # equal values keep index order
            best[out, j] = best[out, j - 1]
            order[out, j] = order[out, j - 1]
            j -= 1
        best[out, j] = value
        order[out, j] = action


@numba.njit(cache=True, nogil=True)
def top_k(q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest of each row of ``[N, A]`` float32 ``q`` by (value, index): actions and
    values ``[N, k]`` in rank order."""
    n = q.shape[0]
    order = np.empty((n, k), dtype=np.int64)
    best = np.empty((n, k), dtype=np.float32)
    for row in range(n):
        _top_k_row(q, row, k, order, best, row)
    return order, best


@numba.njit(cache=True, nogil=True)
def rank_nodes(q, k, nodes, ranks):  # type: ignore[no-untyped-def]
    """``top_k`` of each row of ``q`` written to its node's row of ``ranks.actions`` and
    ``ranks.q`` (``[nodes, k]``), and ``open_lists.finite_ranks`` of it to ``ranks.finite``."""
    actions, q_sorted, finite, _, _, _ = ranks
    a = q.shape[1]
    for i in range(len(nodes)):
        node = nodes[i]
        _top_k_row(q, i, k, actions, q_sorted, node)
        count = 0
        for j in range(k):
            if np.isfinite(q_sorted[node, j]):
                count += 1
        finite[node] = a if count == k else count


@numba.njit(cache=True)
def push_nodes(heap, size, nodes, g, q, generation, weight):  # type: ignore[no-untyped-def]
    """``EdgeOpenList.push`` on the ``kernels.Heap``: each of ``nodes`` whose best Q-value
    (``q[node, 0]``) is finite enters at rank 0 (room must be reserved); returns the new size."""
    f, node, rank, gen = heap
    for i in range(len(nodes)):
        n = nodes[i]
        best = q[n, 0]
        if not np.isfinite(best):
            continue
        f[size] = weight * g[n] + np.float64(best)  # common.priority, compiled
        node[size], rank[size], gen[size] = -n, 0, generation[n]
        _sift_up(heap, size)
        size += 1
    return size


@numba.njit(inline="always")
def _less(heap, i, j):  # type: ignore[no-untyped-def]
    f, node, rank, gen = heap
    if f[i] != f[j]:
        return f[i] < f[j]
    if node[i] != node[j]:
        return node[i] < node[j]
    if rank[i] != rank[j]:
        return rank[i] < rank[j]
    return gen[i] < gen[j]


@numba.njit(inline="always")
def _swap(heap, i, j):  # type: ignore[no-untyped-def]
    f, node, rank, gen = heap
    f[i], f[j] = f[j], f[i]
    node[i], node[j] = node[j], node[i]
    rank[i], rank[j] = rank[j], rank[i]
    gen[i], gen[j] = gen[j], gen[i]


@numba.njit(cache=True)
def _sift_down(heap, size, i):  # type: ignore[no-untyped-def]
    while True:
        child = 2 * i + 1
        if child >= size:
            return
        if child + 1 < size and _less(heap, child + 1, child):
            child += 1
        if not _less(heap, child, i):
            return
        _swap(heap, i, child)
        i = child


@numba.njit(cache=True)
def _sift_up(heap, i):  # type: ignore[no-untyped-def]
    while i > 0:
        parent = (i - 1) // 2
        if not _less(heap, i, parent):
            return
        _swap(heap, i, parent)
        i = parent


@numba.njit(cache=True)
def _pop_top(heap, size):  # type: ignore[no-untyped-def]
    f, node, rank, gen = heap
    size -= 1
    if size > 0:
        f[0], node[0], rank[0], gen[0] = f[size], node[size], rank[size], gen[size]
        _sift_down(heap, size, 0)
    return size


@numba.njit(cache=True)
def pop_pairs(  # type: ignore[no-untyped-def]
    heap, size, batch_size, bound, ranks, k, generation, g, weight, out_parents, out_actions, count
):
    """``EdgeOpenList.pop`` on the ``kernels.Heap`` of ``size`` entries over the ``kernels.Ranks``
    (top ``k``), filling ``out_*`` from ``count`` on.  Returns the heap size, the count, and a node
    that must be ranked in full before popping goes on (-1: done)."""
    f, node, rank, gen = heap
    actions, q, finite, full_row, full_actions, full_q = ranks
    while count < batch_size and size > 0:
        parent, r, live = -node[0], rank[0], gen[0]
        if live != generation[parent]:
            size = _pop_top(heap, size)
            continue
        if f[0] >= bound:
            return 0, count, -1  # no open pair can lead to a cheaper goal
        if r + 1 < k:
            action = np.int64(actions[parent, r])
            next_q = np.float64(q[parent, r + 1])
        elif r + 1 >= finite[parent] and r < k:
            action = np.int64(actions[parent, r])
            next_q = INF
        else:
            row = full_row[parent]
            if row < 0:
                return size, count, parent
            action = full_actions[row, r]
            next_q = np.float64(full_q[row, r + 1]) if r + 1 < finite[parent] else INF
        out_parents[count] = parent
        out_actions[count] = action
        count += 1
        if next_q < INF:
            f[0], rank[0] = weight * g[parent] + next_q, r + 1  # common.priority, compiled
            _sift_down(heap, size, 0)
        else:
            size = _pop_top(heap, size)
    return size, count, -1


# -- the node store's index: open addressing over node ids, keyed by the stored states ----------

FNV_OFFSET = np.uint64(14695981039346656037)
FNV_PRIME = np.uint64(1099511628211)


@numba.njit(inline="always")
def _slot(states, i, mask):  # type: ignore[no-untyped-def]
    """The first slot to probe for row ``i`` of ``states`` (FNV-1a over its entries)."""
    h = FNV_OFFSET
    for v in states[i]:
        h = (h ^ np.uint64(v)) * FNV_PRIME
    return np.int64(h & np.uint64(mask))


@numba.njit(inline="always")
def _same(stored, node, states, i):  # type: ignore[no-untyped-def]
    for d in range(states.shape[1]):
        if stored[node, d] != states[i, d]:
            return False
    return True


@numba.njit(cache=True)
def index_nodes(stored, size, slots):  # type: ignore[no-untyped-def]
    """Enter the ``size`` stored states (distinct) into the empty (-1) table ``slots``."""
    mask = len(slots) - 1
    for node in range(size):
        h = _slot(stored, node, mask)
        while slots[h] >= 0:
            h = (h + 1) & mask
        slots[h] = node


@numba.njit(cache=True)
def insert_rows(states, costs, slots, stored, g, size, out):  # type: ignore[no-untyped-def]
    """``NodeStore.insert``'s row loop over the table ``slots`` (at most half full after this
    batch): new states are written to ``stored`` from row ``size`` on; into the
    ``kernels.Inserted`` arrays ``out``: per row its node id (-1: dropped), the new rows and their
    path costs, and the (node, row) pairs whose path cost went down, in row order.  Returns the
    counts of new nodes and of updates."""
    ids, new_rows, new_g, updated_nodes, updated_rows = out
    mask = len(slots) - 1
    n_new, n_updated = 0, 0
    for i in range(states.shape[0]):
        h = _slot(states, i, mask)
        while True:
            node = slots[h]
            if node < 0 or _same(stored, node, states, i):
                break
            h = (h + 1) & mask
        cost = costs[i]
        if node < 0:
            node = size + n_new
            slots[h] = node
            stored[node] = states[i]
            new_rows[n_new], new_g[n_new] = i, cost
            n_new += 1
            ids[i] = node
            continue
        ids[i] = -1
        if node >= size:  # reached twice in this batch
            if cost < new_g[node - size]:
                new_g[node - size] = cost
            else:
                continue
        elif cost < g[node]:
            g[node] = cost
        else:
            continue
        updated_nodes[n_updated], updated_rows[n_updated] = node, i
        n_updated += 1
        ids[i] = node
    return n_new, n_updated
