"""Puzzle domains, each a batched numpy model of one problem, and the registry that names them.

A domain is named by a registered name (the built-ins, ``register_domain``, or an installed
package's ``qsolve.domains`` entry point) or by where its class lives: ``FILE.py:Class`` or
``package.module:Class``.  The command line takes either wherever it takes a domain.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from qsolve.domains.base import CheckedDomain, Domain
from qsolve.domains.check import check_domain
from qsolve.domains.cube import Cube2, Cube3, Cube3Meta
from qsolve.domains.lightsout import LightsOut
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.domains.sokoban import Sokoban
from qsolve.errors import QsolveError

ENTRY_POINT_GROUP = "qsolve.domains"
DOMAINS: dict[str, Callable[[], Domain]] = {
    "cube3": Cube3,
    "cube3-meta": Cube3Meta,
    "cube2": Cube2,
    "puzzle8": lambda: SlidingPuzzle(3),
    "puzzle15": lambda: SlidingPuzzle(4),
    "puzzle24": lambda: SlidingPuzzle(5),
    "puzzle35": lambda: SlidingPuzzle(6),
    "puzzle48": lambda: SlidingPuzzle(7),
    "lightsout5": lambda: LightsOut(5),
    "lightsout7": lambda: LightsOut(7),
    "sokoban": Sokoban,
}
_CACHE: dict[str, Domain] = {}


def register_domain(name: str, factory: Callable[[], Domain]) -> None:
    """Make ``get_domain(name)`` (and the command line's DOMAIN) build ``factory()``."""
    if not name or ":" in name or any(c.isspace() for c in name):
        raise QsolveError(f"a domain name must be a non-empty word without ':', got {name!r}")
    DOMAINS[name] = factory
    _CACHE.pop(name, None)


def plugin_domains() -> dict[str, str]:
    """Domains that installed packages offer through the ``qsolve.domains`` entry-point group:
    name -> ``module:Class``."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def get_domain(name: str) -> Domain:
    """The domain called ``name`` (see the module doc); domains are immutable, so they are shared."""
    if not isinstance(name, str):
        raise QsolveError(f"a domain is named by a string, not {type(name).__name__}")
    if name in _CACHE:
        return _CACHE[name]
    if name in DOMAINS:
        domain = DOMAINS[name]()
    elif ":" in name:
        domain = _instantiate(_load_class(name), name)
    else:
        plugins = plugin_domains()
        if name not in plugins:
            known = ", ".join([*DOMAINS, *plugins])
            raise QsolveError(
                f"unknown domain {name!r} (choose from {known}, or name a class as "
                "FILE.py:Class or package.module:Class)"
            )
        domain = _instantiate(_load_class(plugins[name]), name)
    _CACHE[name] = domain
    return domain


def domain_reference(domain: Domain) -> Domain | str:
    """What a worker process needs to rebuild ``domain``: the name it was made from, or the
    domain itself (pickled) when it was made some other way."""
    # The cache holds each domain it names, so an identity match cannot be a stale id reused.
    for name, cached in _CACHE.items():
        if cached is domain:
            return name
    return domain


def _load_class(spec: str) -> type:
    where, _, attribute = spec.rpartition(":")
    if not where or not attribute:
        raise QsolveError(f"a domain class is named FILE.py:Class or module:Class, not {spec!r}")
    try:
        if where.endswith(".py"):
            path = Path(where).resolve()
            if not path.is_file():
                raise QsolveError(f"no Python file at {where} (from the domain {spec!r})")
            digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
            module_name = f"qsolve_user_domain_{path.stem}_{digest}"
            module = sys.modules.get(module_name)
            if module is None:
                loader_spec = importlib.util.spec_from_file_location(module_name, path)
                assert loader_spec is not None and loader_spec.loader is not None
                module = importlib.util.module_from_spec(loader_spec)
                sys.modules[module_name] = module  # so that its classes pickle by reference
                loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(where)
    except QsolveError:
        raise
    except Exception as error:  # the user's module may raise anything while loading
        raise QsolveError(
            f"cannot load the domain {spec!r}: {type(error).__name__}: {error}"
        ) from None
    cls = getattr(module, attribute, None)
    if not isinstance(cls, type) or not issubclass(cls, Domain):
        raise QsolveError(f"{spec!r} does not name a subclass of qsolve.Domain")
    return cls


def _instantiate(cls: type, spec: str) -> Domain:
    try:
        domain: Domain = cls()
    except Exception as error:
        raise QsolveError(
            f"cannot make the domain {spec!r}: {type(error).__name__}: {error}"
        ) from None
    return domain


__all__ = [
    "DOMAINS",
    "CheckedDomain",
    "Cube2",
    "Cube3",
    "Cube3Meta",
    "Domain",
    "LightsOut",
    "SlidingPuzzle",
    "Sokoban",
    "check_domain",
    "domain_reference",
    "get_domain",
    "plugin_domains",
    "register_domain",
]
