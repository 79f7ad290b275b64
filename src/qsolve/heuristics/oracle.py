"""The exact cost-to-go: a breadth-first distance table (puzzle8, cube2) or, for Lights Out, the
domain's own solver over GF(2).

A table is computed once and cached on disk (``$QSOLVE_CACHE`` or ``~/.cache/qsolve``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from qsolve.domains.base import Domain
from qsolve.errors import QsolveError
from qsolve.heuristics.base import Heuristic


def state_index(domain: Domain, states: np.ndarray) -> np.ndarray:
    """A perfect hash of the domain's states, for the domains that have a distance table."""
    return domain._index(states)


def table_size(domain: Domain) -> int:
    assert domain.index_size is not None
    return domain.index_size


def breadth_first_distances(domain: Domain) -> np.ndarray:
    """Distance from the goal of every state, by index (-1 for unreachable), as int8.

    Uses that every domain with a table has unit costs and reversible moves, so the distance to
    the goal equals the distance from it.
    """
    dist = np.full(table_size(domain), -1, dtype=np.int8)
    frontier = domain.goal_state[None, :].copy()
    dist[state_index(domain, frontier)] = 0
    depth = 0
    while len(frontier):
        depth += 1
        children, mask = domain.expand(frontier)
        children = children[mask]
        index = state_index(domain, children)
        fresh = dist[index] == -1
        index, first = np.unique(index[fresh], return_index=True)
        dist[index] = depth
        frontier = children[fresh][first]
    return dist


def cache_dir() -> Path:
    """The folder of the cached tables: ``$QSOLVE_CACHE``, else ``~/.cache/qsolve``."""
    return Path(os.environ.get("QSOLVE_CACHE") or Path.home() / ".cache" / "qsolve")


def _cached_table(domain: Domain) -> np.ndarray:
    """The distance table of ``domain``, from the cache when a valid one is there, else computed
    and saved.  A cached file of the wrong type, size or content is computed again."""
    folder = cache_dir()
    path = folder / f"oracle-{domain.name}.npy"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise QsolveError(
            f"cannot use {folder} for the oracle's cache ({error.strerror or error}); "
            "set QSOLVE_CACHE to a writable folder"
        ) from None
    try:
        table = np.load(path, allow_pickle=False)
        if (
            table.dtype == np.int8
            and table.shape == (table_size(domain),)
            and table[state_index(domain, domain.goal_state[None, :])][0] == 0
            and int(table.min()) >= -1
        ):
            return table
    except (OSError, ValueError, EOFError):
        pass
    table = breadth_first_distances(domain)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    try:
        np.save(tmp, table)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise QsolveError(
            f"cannot write the oracle's cache {path} ({error.strerror or error}); "
            "set QSOLVE_CACHE to a writable folder"
        ) from None
    return table


class Oracle(Heuristic):
    """h*(s), the exact cost-to-go: looked up in a breadth-first distance table, or solved."""

    name = "oracle"
    domains = ("puzzle8", "cube2", "lightsout5", "lightsout7")  # the built-in ones it covers

    def __init__(self, domain: Domain) -> None:
        super().__init__(domain)
        self.table: np.ndarray | None = None
        if domain.solves_exactly:  # e.g. Lights Out's fewest presses over GF(2): no table
            return
        if domain.index_size is None:
            raise QsolveError(
                f"the oracle heuristic exists only for domains that solve states exactly or "
                f"have a small state index ({', '.join(self.domains)}), not {domain.name}"
            )
        self.table = _cached_table(domain)

    def values(self, states: np.ndarray) -> np.ndarray:
        if self.table is None:
            return self.domain.optimal_cost(states).astype(np.float64)
        return self.table[state_index(self.domain, states)].astype(np.float64)
