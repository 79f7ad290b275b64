"""A search that falls back to a greedier weight when the first one stalls.

A weighted search with λ near 1 returns cheaper solutions but, with an imperfect heuristic,
sometimes wanders through millions of nodes on a hard state; a smaller λ trusts the heuristic
more and finds a (longer) solution quickly.  ``with_fallback`` runs the search with ``weight``
for at most ``after`` generated nodes and half the time limit (so that on a slow or busy machine
the fallback still gets time) and, if that finds no solution, starts again from scratch with
``fallback_weight`` for what is left of the limits.  The result counts the nodes, iterations,
heuristic inputs, seconds and phase timings of both searches, and says that it fell back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from qsolve.search.common import Limits, Search, SearchResult


def with_fallback(
    search: Callable[[float, Limits], Search],
    weight: float,
    fallback_weight: float,
    after: int,
    limits: Limits,
) -> Search:
    """``search(weight, limits)`` for at most ``after`` nodes and half the time limit, then,
    unsolved, the same search with ``fallback_weight`` for the rest of ``limits`` (a search
    generator, like both)."""
    started = time.perf_counter()
    first_cap = after if limits.max_nodes is None else min(after, limits.max_nodes)
    half_time = None if limits.time_limit is None else limits.time_limit / 2
    first: SearchResult = yield from search(
        weight, replace(limits, max_nodes=first_cap, time_limit=half_time)
    )
    stalled = (first.stop_reason == "max_nodes" and first_cap == after) or (
        first.stop_reason == "time_limit"
    )
    if first.solved or not stalled:
        return first  # solved, exhausted, or stopped by the caller's own limits
    rest = replace(
        limits,
        max_nodes=None if limits.max_nodes is None else limits.max_nodes - first.nodes_generated,
        max_iterations=None
        if limits.max_iterations is None
        else limits.max_iterations - first.iterations,
        time_limit=None
        if limits.time_limit is None
        else limits.time_limit - (time.perf_counter() - started),
    )
    if any(v is not None and v <= 0 for v in (rest.max_nodes, rest.max_iterations)):
        return first
    if rest.time_limit is not None and rest.time_limit <= 0:
        return replace(first, stop_reason="time_limit")
    second: SearchResult = yield from search(fallback_weight, rest)
    timings = dict(first.timings)
    for phase, seconds in second.timings.items():
        timings[phase] = timings.get(phase, 0.0) + seconds
    return replace(
        second,
        nodes_generated=first.nodes_generated + second.nodes_generated,
        iterations=first.iterations + second.iterations,
        heuristic_inputs=first.heuristic_inputs + second.heuristic_inputs,
        seconds=time.perf_counter() - started,
        timings=timings,
        fell_back=True,
        states_stored=max(first.states_stored, second.states_stored),
    )
