"""Heuristics: anything that maps a batch of states to Q-values (and so to cost-to-go estimates)."""

from __future__ import annotations

from qsolve.domains.base import Domain
from qsolve.errors import QsolveError
from qsolve.heuristics.base import Heuristic
from qsolve.heuristics.classical import Zero
from qsolve.heuristics.manhattan import Manhattan
from qsolve.heuristics.oracle import Oracle
from qsolve.heuristics.pushes import Pushes

CLASSICAL: dict[str, type[Heuristic]] = {
    "zero": Zero,
    "manhattan": Manhattan,
    "oracle": Oracle,
    "pushes": Pushes,
}


def get_heuristic(name: str, domain: Domain) -> Heuristic:
    """The classical heuristic called ``name`` for ``domain``."""
    if name not in CLASSICAL:
        raise QsolveError(
            f"unknown heuristic {name!r} (choose from {', '.join(CLASSICAL)}, or a model folder)"
        )
    return CLASSICAL[name](domain)


__all__ = [
    "CLASSICAL",
    "Heuristic",
    "Manhattan",
    "Oracle",
    "Pushes",
    "Zero",
    "get_heuristic",
]
