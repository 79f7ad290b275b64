"""Q*'s compiled kernels (numba, the optional extra ``qsolve[fast]``): exact top-k ranking, the
edge open list's binary heap and the node store's index of states.  numba loads (about half a second, its compiled code cached on disk)
only once the process has popped ``COMPILE_AFTER`` pairs (one large search, or many small ones: a
benchmark, a file of states), so a few short solves never wait for it; once loaded, every later
search of the process uses the kernels from its first node.  Without numba, or with
``QSOLVE_COMPILED=0``, Q* runs its numpy and ``heapq`` code, which pops the same pairs.
"""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np

from qsolve.search.common import grow

# Pairs the process pops (over all its searches) before open lists move to the compiled kernels.
COMPILE_AFTER = 20_000
popped = 0  # pairs popped by the heapq code of every search in this process

_loaded: list[ModuleType | None] = []


def loaded() -> bool:
    """Whether this process has loaded the compiled kernels already (then using them costs
    nothing more)."""
    return bool(_loaded) and _loaded[0] is not None and os.environ.get("QSOLVE_COMPILED") != "0"


def compiled() -> ModuleType | None:
    """The compiled kernels (``qsolve.search._jit``), or None without numba or with
    ``QSOLVE_COMPILED=0``."""
    if os.environ.get("QSOLVE_COMPILED", "1") == "0":
        return None
    if not _loaded:
        try:
            from qsolve.search import _jit
        except ImportError:
            _loaded.append(None)
        else:
            _loaded.append(_jit)
    return _loaded[0]


class HeapArrays:
    """A binary min-heap of (f, -node, rank, generation) entries in four arrays, in ``heapq``'s
    layout and order, run by the compiled kernels."""

    def __init__(
        self,
        jit: ModuleType,
        f: np.ndarray,
        node: np.ndarray,
        rank: np.ndarray,
        generation: np.ndarray,
    ):
        self.jit = jit
        self.f, self.node, self.rank, self.generation = f, node, rank, generation
        self.size = len(f)

    @classmethod
    def from_heap(cls, jit: ModuleType, heap: list[tuple[float, int, int, int]]) -> HeapArrays:
        """The same heap, entry for entry, from a ``heapq`` list, run by the kernels ``jit``."""
        columns = list(zip(*heap, strict=True)) if heap else [(), (), (), ()]
        arrays = cls(
            jit,
            np.array(columns[0], dtype=np.float64),
            np.array(columns[1], dtype=np.int64),
            np.array(columns[2], dtype=np.int64),
            np.array(columns[3], dtype=np.int64),
        )
        arrays.reserve(1024)
        return arrays

    def reserve(self, extra: int) -> None:
        """Room for ``extra`` more entries."""
        need = self.size + extra
        self.f = grow(self.f, need)
        self.node = grow(self.node, need)
        self.rank = grow(self.rank, need)
        self.generation = grow(self.generation, need)

    def push(self, f: np.ndarray, nodes: np.ndarray, generation: np.ndarray) -> None:
        """Push rank-0 entries for ``nodes`` with priorities ``f`` (float64)."""
        if self.size + len(nodes) > len(self.f):
            self.reserve(len(nodes))
        self.size = self.jit.push_entries(
            self.f, self.node, self.rank, self.generation, self.size,
            f.astype(np.float64, copy=False), -nodes.astype(np.int64, copy=False),
            generation.astype(np.int64, copy=False),
        )  # fmt: skip

    def push_nodes(
        self, nodes: np.ndarray, g: np.ndarray, q: np.ndarray, generation: np.ndarray, weight: float
    ) -> None:
        """Push rank 0 of each of ``nodes`` whose best Q-value ``q[node, 0]`` is finite, with
        priority ``weight * g[node] + q[node, 0]`` and the node's ``generation``."""
        if self.size + len(nodes) > len(self.f):
            self.reserve(len(nodes))
        self.size = self.jit.push_nodes(
            self.f, self.node, self.rank, self.generation, self.size,
            nodes, g, q, generation, weight,
        )  # fmt: skip
