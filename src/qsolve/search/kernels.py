"""Q*'s two backends and the arrays its compiled kernels share.

A search picks its backend once, when it starts (``choose``): the compiled kernels
(``qsolve.search._jit``, numba, the optional extra ``qsolve[fast]``: exact top-k ranking, the edge
open list's binary heap and the node store's hash table of states), or numpy and ``heapq``, which
pop the same pairs in the same order.  Loading numba takes about half a second (its compiled code
is cached on disk), so by default a search whose node budget is below ``SMALL_SEARCH`` runs numpy
and ``heapq`` unless the process has loaded the kernels already; ``QSOLVE_COMPILED=0`` turns the
kernels off for every search left to choose.  The kernels take their arrays bundled as laid out in
the named tuples below, each passed as one plain tuple (numba types those faster than named ones).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import NamedTuple

import numpy as np

from qsolve.search.common import NodeStore, grow

# A node budget below which a search left to choose runs numpy and heapq (if numba is not loaded).
SMALL_SEARCH = 20_000

_loaded: list[ModuleType | None] = []


def loaded() -> bool:
    """Whether this process has loaded the compiled kernels already (then using them costs
    nothing more)."""
    return bool(_loaded) and _loaded[0] is not None


def compiled() -> ModuleType | None:
    """The compiled kernels (``qsolve.search._jit``), or None without numba."""
    if not _loaded:
        try:
            from qsolve.search import _jit
        except ImportError:
            _loaded.append(None)
        else:
            _loaded.append(_jit)
    return _loaded[0]


def choose(use_compiled: bool | None, max_nodes: int | None) -> ModuleType | None:
    """The backend of one search: the compiled kernels, or None for numpy and ``heapq``.

    ``use_compiled`` True asks for the kernels (an ImportError without numba), False for numpy;
    None decides from ``QSOLVE_COMPILED``, whether numba is installed, and the node budget
    ``max_nodes`` (None: unbounded).
    """
    if use_compiled is False:
        return None
    if use_compiled is None:
        if os.environ.get("QSOLVE_COMPILED", "1") == "0":
            return None
        if not loaded() and max_nodes is not None and max_nodes < SMALL_SEARCH:
            return None  # a small search: not worth loading numba for
        return compiled()
    jit = compiled()
    if jit is None:
        raise ImportError("Q*'s compiled kernels need numba (pip install 'qsolve[fast]')")
    return jit


class Heap(NamedTuple):
    """A binary min-heap of (f, -node, rank, generation) entries in ``heapq``'s layout and order,
    one array per field (``[capacity]`` each); its size is kept beside it."""

    f: np.ndarray  # float64 priorities
    node: np.ndarray  # int64, the node negated (newest first among equal f)
    rank: np.ndarray  # int64, the rank of the entry's action among its node's
    generation: np.ndarray  # int64, the node's generation when pushed

    @classmethod
    def empty(cls, capacity: int) -> Heap:
        return cls(
            np.empty(capacity, dtype=np.float64),
            np.empty(capacity, dtype=np.int64),
            np.empty(capacity, dtype=np.int64),
            np.empty(capacity, dtype=np.int64),
        )

    def grown(self, size: int) -> Heap:
        """This heap with room for at least ``size`` entries."""
        return Heap(*(grow(column, size) for column in self))


class Ranks(NamedTuple):
    """Each node's actions ranked by Q (``EdgeOpenList``): the top k, and in full for the nodes
    popped past them."""

    actions: np.ndarray  # [nodes, k] int32
    q: np.ndarray  # [nodes, k] float32, their Q-values
    finite: np.ndarray  # [nodes] int64, ranks that may hold a finite Q
    full_row: np.ndarray  # [nodes] int64, the node's row of the full rankings (-1: none)
    full_actions: np.ndarray  # [rankings, A] int64
    full_q: np.ndarray  # [rankings, A] float32


class Inserted(NamedTuple):
    """What ``_jit.insert_rows`` writes for a batch of ``[N]`` children (into the first N rows)."""

    ids: np.ndarray  # [N] int64, per row its node id (-1: dropped)
    new_rows: np.ndarray  # [N] int64, the rows of the new nodes (the first n_new)
    new_g: np.ndarray  # [N] float64, their path costs
    updated_nodes: np.ndarray  # [N] int64, nodes reached more cheaply (the first n_updated)
    updated_rows: np.ndarray  # [N] int64, by which rows

    @classmethod
    def empty(cls, n: int) -> Inserted:
        return cls(
            np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.float64),
            np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.int64),
        )


class CompiledNodeStore(NodeStore):
    """The node store with its index in a hash table of node ids (-1: empty), run by the compiled
    kernels ``jit``: the same nodes in the same order as ``NodeStore``."""

    def __init__(self, start: np.ndarray, jit: ModuleType) -> None:
        self.jit = jit
        self.slots = np.empty(0, dtype=np.int64)
        # The kernel's output arrays, reused by every insert, and the plain tuple it takes them in.
        self.out = Inserted.empty(1024)
        self.out_tuple = tuple(self.out)
        super().__init__(start)

    def _index_all(self, rows: int) -> None:
        """A table with room for ``rows`` states at most half full, holding the stored ones."""
        self.slots = np.full(1 << max(10, (4 * rows - 1).bit_length()), -1, dtype=np.int64)
        self.jit.index_nodes(self.states, self.size, self.slots)

    def insert(
        self, states: np.ndarray, parents: np.ndarray, actions: np.ndarray, path_costs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``NodeStore.insert`` by the compiled kernels."""
        n, base = len(states), self.size
        most = base + n
        if 2 * most > len(self.slots):
            self._index_all(most)
        self._reserve(most)
        if len(self.out.ids) < n:
            self.out = Inserted.empty(max(n, 2 * len(self.out.ids)))
            self.out_tuple = tuple(self.out)
        out = self.out
        n_new, n_updated = self.jit.insert_rows(
            np.ascontiguousarray(states), path_costs.astype(np.float64, copy=False), self.slots,
            self.states, self.g, base, self.out_tuple,
        )  # fmt: skip
        updates = zip(
            out.updated_nodes[:n_updated].tolist(),
            out.updated_rows[:n_updated].tolist(),
            strict=True,
        )
        new, reopened = self._link(
            base, out.new_rows[:n_new], out.new_g[:n_new], parents, actions, updates
        )
        return out.ids[:n].copy(), new, reopened


def node_store(start: np.ndarray, jit: ModuleType | None) -> NodeStore:
    """A node store holding ``start`` ([D]), run by the backend ``jit`` (``choose``)."""
    return NodeStore(start) if jit is None else CompiledNodeStore(start, jit)
