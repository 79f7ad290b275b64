"""Search: Q* over (node, action) pairs and the batch weighted A* baseline, one best-first loop
(``best_first``) over two open lists (``open_lists``); Q*'s hot parts compiled where numba is
installed (``kernels``); and beam search, layer by layer with either ranking (``beam``)."""

from qsolve.search.astar import astar_search
from qsolve.search.beam import beam_search
from qsolve.search.common import Limits, SearchResult
from qsolve.search.qstar import qstar_search

__all__ = ["Limits", "SearchResult", "astar_search", "beam_search", "qstar_search"]
