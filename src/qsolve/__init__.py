"""qsolve: learn heuristic functions with deep Q-networks and solve pathfinding problems with Q* search."""

from qsolve.api import ALGORITHMS, load_heuristic, shipped_model, solve, train
from qsolve.domains import (
    DOMAINS,
    CheckedDomain,
    Domain,
    check_domain,
    get_domain,
    register_domain,
)
from qsolve.errors import QsolveError
from qsolve.heuristics import Heuristic
from qsolve.options import SolveOptions
from qsolve.search import Limits, SearchResult

domain = get_domain

__all__ = [
    "ALGORITHMS",
    "DOMAINS",
    "CheckedDomain",
    "Domain",
    "Heuristic",
    "Limits",
    "QsolveError",
    "SearchResult",
    "SolveOptions",
    "check_domain",
    "domain",
    "get_domain",
    "load_heuristic",
    "register_domain",
    "shipped_model",
    "solve",
    "train",
]
__version__ = "0.1.0"
