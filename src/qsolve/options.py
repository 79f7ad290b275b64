"""The ranges of the solving options, checked in one place for the API and the command line alike.

Each check takes a value as the API receives it (or as argparse parsed it from text) and returns
it, or raises ``QsolveError`` with one sentence naming the option and the range.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

from qsolve.errors import QsolveError

# The search algorithms: Q* (the default), batch weighted A*, beam search.
ALGORITHMS = ("qstar", "astar", "beam")
# Upper bounds where a larger value can only be a mistake (and would exhaust memory or time).
MAX_BATCH_SIZE = 10**8
MAX_BEAM_WIDTH = 10**9
MAX_THREADS = 1024


def check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (no bools, no floats)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise QsolveError(f"{name} must be an integer, got {value!r}")
    number = int(value)
    if number < low or (high is not None and number > high):
        span = f"at least {low:,}" if high is None else f"between {low:,} and {high:,}"
        raise QsolveError(f"{name} must be {span}, got {number:,}")
    return number


def check_float(
    name: str, value: object, low: float, high: float | None = None, open_low: bool = False
) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``open_low``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise QsolveError(f"{name} must be a number, got {value!r}")
    number = float(value)
    too_low = number <= low if open_low else number < low
    if not math.isfinite(number) or too_low or (high is not None and number > high):
        if high is not None:
            span = f"in {'(' if open_low else '['}{low:g}, {high:g}]"
        else:
            span = f"{'greater than' if open_low else 'at least'} {low:g} and finite"
        raise QsolveError(f"{name} must be {span}, got {number}")
    return number


def check_batch_size(value: object) -> int:
    """Q* pairs (or A* nodes) per iteration."""
    return check_int("the batch size", value, 1, MAX_BATCH_SIZE)


def check_algorithm(value: object) -> str:
    """One of ``ALGORITHMS``."""
    if value not in ALGORITHMS:
        raise QsolveError(f"unknown algorithm {value!r} (choose from {', '.join(ALGORITHMS)})")
    return str(value)


def check_beam_width(value: object) -> int:
    """The states a beam search keeps per layer."""
    return check_int("the beam width", value, 1, MAX_BEAM_WIDTH)


def check_weight(value: object) -> float:
    """The weight on the path cost."""
    return check_float("the weight", value, 0.0, 1.0)


def check_fallback_weight(value: object) -> float:
    """The weight a search falls back to when the first one stalls."""
    return check_float("the fallback weight", value, 0.0, 1.0)


def check_time_limit(value: object) -> float:
    """Seconds per instance: positive and finite (``None``, in the API, means no limit)."""
    return check_float("the time limit", value, 0.0, open_low=True)


def check_count(name: str, value: object) -> int:
    """A count of at least 1 (nodes, iterations, instances, states per heuristic call ...)."""
    return check_int(name, value, 1)


def check_solve_options(
    batch_size: object,
    weight: object,
    time_limit: object,
    max_nodes: object,
    max_iterations: object,
    heuristic_batch: object,
    parallel: object,
) -> dict[str, Any]:
    """The options of ``qsolve.solve``, checked; ``None`` limits stay ``None`` (no limit)."""
    return {
        "batch_size": check_batch_size(batch_size),
        "weight": check_weight(weight),
        "time_limit": None if time_limit is None else check_time_limit(time_limit),
        "max_nodes": None if max_nodes is None else check_count("max_nodes", max_nodes),
        "max_iterations": None
        if max_iterations is None
        else check_count("max_iterations", max_iterations),
        "heuristic_batch": check_count("the heuristic batch", heuristic_batch),
        "parallel": check_count("parallel", parallel),
    }


def check_seed(seed: object) -> int:
    """A seed for ``numpy.random.default_rng``: a non-negative integer."""
    return check_int("the seed", seed, 0)


def check_threads(threads: object) -> int:
    """CPU threads for torch."""
    return check_int("threads", threads, 1, MAX_THREADS)


def available_memory() -> int:
    """Bytes of memory available to a new allocation (MemAvailable, else free physical pages)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**63  # unknown: do not refuse


def check_fits_in_memory(what: str, nbytes: int) -> None:
    """QsolveError, before anything is allocated, when ``what`` needs more than the memory left."""
    free = available_memory()
    if nbytes > free:
        raise QsolveError(
            f"{what} needs about {nbytes // 2**30:,} GiB of memory, "
            f"and only {free / 2**30:,.1f} GiB is available"
        )


# --device of solve and train: auto (CUDA where torch sees one, else the CPU), cpu, cuda.
DEVICES = ("auto", "cpu", "cuda")

# --symmetries: as the model says, on, off (``load_heuristic``'s ``symmetries``).
SYMMETRIES: dict[str, bool | None] = {"auto": None, "on": True, "off": False}
