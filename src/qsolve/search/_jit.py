"""numba kernels for ``kernels`` (imported only where numba is installed)."""

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
def rank_nodes(q, k, nodes, actions, q_sorted, finite):  # type: ignore[no-untyped-def]
    """``top_k`` of each row of ``q`` written to its node's row of ``actions`` and ``q_sorted``
    (``[nodes, k]``), and ``open_lists.finite_ranks`` of it to ``finite``."""
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
def push_nodes(f, node, rank, gen, size, nodes, g, q, generation, weight):  # type: ignore[no-untyped-def]
    """``EdgeOpenList.push`` on the heap arrays: each of ``nodes`` whose best Q-value
    (``q[node, 0]``) is finite enters at rank 0 (room must be reserved); returns the new size."""
    for i in range(len(nodes)):
        n = nodes[i]
        best = q[n, 0]
        if not np.isfinite(best):
            continue
        f[size] = weight * g[n] + np.float64(best)  # common.priority, compiled
        node[size], rank[size], gen[size] = -n, 0, generation[n]
        _sift_up(f, node, rank, gen, size)
        size += 1
    return size


@numba.njit(inline="always")
def _less(f, node, rank, gen, i, j):  # type: ignore[no-untyped-def]
    if f[i] != f[j]:
        return f[i] < f[j]
    if node[i] != node[j]:
        return node[i] < node[j]
    if rank[i] != rank[j]:
        return rank[i] < rank[j]
    return gen[i] < gen[j]


@numba.njit(inline="always")
def _swap(f, node, rank, gen, i, j):  # type: ignore[no-untyped-def]
    f[i], f[j] = f[j], f[i]
    node[i], node[j] = node[j], node[i]
    rank[i], rank[j] = rank[j], rank[i]
    gen[i], gen[j] = gen[j], gen[i]


@numba.njit(cache=True)
def _sift_down(f, node, rank, gen, size, i):  # type: ignore[no-untyped-def]
    while True:
        child = 2 * i + 1
        if child >= size:
            return
        if child + 1 < size and _less(f, node, rank, gen, child + 1, child):
            child += 1
        if not _less(f, node, rank, gen, child, i):
            return
        _swap(f, node, rank, gen, i, child)
        i = child


@numba.njit(cache=True)
def _sift_up(f, node, rank, gen, i):  # type: ignore[no-untyped-def]
    while i > 0:
        parent = (i - 1) // 2
        if not _less(f, node, rank, gen, i, parent):
            return
        _swap(f, node, rank, gen, i, parent)
        i = parent


@numba.njit(cache=True)
def _pop_top(f, node, rank, gen, size):  # type: ignore[no-untyped-def]
    size -= 1
    if size > 0:
        f[0], node[0], rank[0], gen[0] = f[size], node[size], rank[size], gen[size]
        _sift_down(f, node, rank, gen, size, 0)
    return size


@numba.njit(cache=True)
def push_entries(f, node, rank, gen, size, new_f, new_node, new_gen):  # type: ignore[no-untyped-def]
    """Push rank-0 entries (room must be reserved); returns the new size."""
    for i in range(len(new_f)):
        f[size], node[size], rank[size], gen[size] = new_f[i], new_node[i], 0, new_gen[i]
        _sift_up(f, node, rank, gen, size)
        size += 1
    return size


@numba.njit(cache=True)
def pop_pairs(  # type: ignore[no-untyped-def]
    f, node, rank, gen, size, batch_size, bound, generation, g, weight, k, finite,
    actions, q, full_row, full_actions, full_q, out_parents, out_actions, count,
):  # fmt: skip
    """``EdgeOpenList.pop`` on the heap arrays, filling ``out_*`` from ``count`` on.  Returns the
    heap size, the count, and a node that must be ranked in full before popping goes on (-1:
    done)."""
    while count < batch_size and size > 0:
        parent, r, live = -node[0], rank[0], gen[0]
        if live != generation[parent]:
            size = _pop_top(f, node, rank, gen, size)
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
            _sift_down(f, node, rank, gen, size, 0)
        else:
            size = _pop_top(f, node, rank, gen, size)
    return size, count, -1
