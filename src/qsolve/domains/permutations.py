"""Batched permutation arithmetic shared by the domains and the exact tables: the Lehmer rank and
the parity of ``[N, k]`` rows, each a permutation of 0..k-1."""

from __future__ import annotations

import numpy as np


def lehmer_rank(perms: np.ndarray) -> np.ndarray:
    """``[N]`` int64: the lexicographic rank of each row among the permutations of 0..k-1, in
    ``[0, k!)`` (exact up to k = 20).  The cached distance tables are stored by this rank."""
    n, k = perms.shape
    rank = np.zeros(n, dtype=np.int64)
    for i in range(k - 1):
        # Lehmer digit i: the later entries smaller than entry i, in mixed radix k - i.
        smaller = np.count_nonzero(perms[:, i + 1 :] < perms[:, i : i + 1], axis=1)
        rank = rank * (k - i) + smaller
    return rank


def permutation_parity(perms: np.ndarray) -> np.ndarray:
    """``[N]`` int64 parity of each row: 0 for an even number of inversions, 1 for an odd one."""
    i, j = np.triu_indices(perms.shape[1], k=1)  # every pair of positions i < j
    return np.count_nonzero(perms[:, i] > perms[:, j], axis=1).astype(np.int64) % 2
