"""Puzzle domains, each a batched numpy model of one problem."""

from __future__ import annotations

from collections.abc import Callable

from qsolve.domains.base import Domain
from qsolve.domains.cube import Cube2, Cube3, Cube3Meta
from qsolve.domains.lightsout import LightsOut
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.errors import QsolveError

DOMAINS: dict[str, Callable[[], Domain]] = {
    "cube3": Cube3,
    "cube3-meta": Cube3Meta,
    "cube2": Cube2,
    "puzzle8": lambda: SlidingPuzzle(3),
    "puzzle15": lambda: SlidingPuzzle(4),
    "puzzle24": lambda: SlidingPuzzle(5),
    "lightsout5": lambda: LightsOut(5),
    "lightsout7": lambda: LightsOut(7),
}
_CACHE: dict[str, Domain] = {}


def get_domain(name: str) -> Domain:
    """The domain called ``name`` (see ``DOMAINS``); domains are immutable, so they are shared."""
    if not isinstance(name, str) or name not in DOMAINS:
        raise QsolveError(f"unknown domain {name!r} (choose from {', '.join(DOMAINS)})")
    if name not in _CACHE:
        _CACHE[name] = DOMAINS[name]()
    return _CACHE[name]


__all__ = [
    "DOMAINS",
    "Cube2",
    "Cube3",
    "Cube3Meta",
    "Domain",
    "LightsOut",
    "SlidingPuzzle",
    "get_domain",
]
