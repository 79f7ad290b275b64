"""Batched permutation arithmetic shared by the domains and the exact tables: Lehmer codes, ranks
and parities of ``[N, k]`` rows, each a permutation of 0..k-1."""

from __future__ import annotations

import numpy as np


def lehmer_code(perms: np.ndarray) -> np.ndarray:
    """``[N, k]`` int64: entry ``i`` of a row counts the later entries smaller than entry ``i``."""
    n, k = perms.shape
    code = np.zeros((n, k), dtype=np.int64)
    for i in range(k - 1):  # the last digit is always 0
        code[:, i] = np.sum(perms[:, i + 1 :] < perms[:, i : i + 1], axis=1)
    return code


def lehmer_rank(perms: np.ndarray) -> np.ndarray:
    """``[N]`` int64: the lexicographic rank of each row among the permutations of 0..k-1, in
    ``[0, k!)`` (exact up to k = 20; the distance tables and ``Cube2.index`` depend on it)."""
    k = perms.shape[1]
    code = lehmer_code(perms)
    rank = np.zeros(perms.shape[0], dtype=np.int64)
    for i in range(k):
        rank = rank * (k - i) + code[:, i]
    return rank


def permutation_parity(perms: np.ndarray) -> np.ndarray:
    """``[N]`` int64 parity of each row: 0 for an even number of inversions, 1 for an odd one."""
    return lehmer_code(perms).sum(axis=1) % 2
