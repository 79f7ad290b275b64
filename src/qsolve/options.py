"""The solving options, declared once (``SolveOptions``) and checked in one place for the API,
the command line and Ray's workers alike; and the names of the engines and precisions that run a
network, here so that naming them does not import torch.

Each check takes a value as the API receives it (or as argparse parsed it from text) and returns
it, or raises ``QsolveError`` with one sentence naming the option and the range.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from qsolve.errors import QsolveError

# What runs a network heuristic (qsolve.networks.engines), and the arithmetic it runs in.
ENGINES = ("auto", "torch", "onnx")
PRECISIONS = ("auto", "fp32", "int8", "fp16", "bf16")
# The arithmetic of training's network passes (qsolve.training.precision).
TRAINING_PRECISIONS = ("auto", "fp32", "bf16")
# --device of solve and train: auto (CUDA where torch sees one, else the CPU), cpu, cuda.
DEVICES = ("auto", "cpu", "cuda")
# --symmetries: as the model says, on, off (``load_heuristic``'s ``symmetries``).
SYMMETRIES: dict[str, bool | None] = {"auto": None, "on": True, "off": False}
# Upper bounds where a larger value can only be a mistake (and would exhaust memory or time).
MAX_BATCH_SIZE = 10**8
MAX_BEAM_WIDTH = 10**9
MAX_THREADS = 1024
# The torch threads of a solving process (``qsolve solve --threads``, and each Ray worker's): a
# setting of the process, not of a search, so not a ``SolveOptions`` field; one by default,
# since search batches are small.
SOLVE_THREADS = 1


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


def algorithm_catalog() -> dict[str, Any]:
    """The catalog of search algorithms, ``qsolve.search.ALGORITHMS``: a record per algorithm."""
    from qsolve.search import ALGORITHMS  # named when asked: the search modules import this one

    return ALGORITHMS


def algorithm_names() -> tuple[str, ...]:
    """The names of the search algorithms, in their catalog's order."""
    return tuple(algorithm_catalog())


def check_algorithm(value: object) -> str:
    """One of ``algorithm_names()``."""
    names = algorithm_names()
    if value not in names:
        raise QsolveError(f"unknown algorithm {value!r} (choose from {', '.join(names)})")
    return str(value)


def check_beam_width(value: object) -> int:
    """The states a beam search keeps per layer."""
    return check_int("the beam width", value, 1, MAX_BEAM_WIDTH)


def check_border_width(value: object) -> int:
    """The abstract boards a reduction's border beam keeps per layer."""
    return check_int("the border width", value, 1, MAX_BEAM_WIDTH)


# --reduce-to: the word that turns the reduction of a board without a model off.
NO_REDUCTION = "off"


def check_reduce_to(value: object) -> str:
    """A domain name, or ``NO_REDUCTION``; which names fit the puzzle is checked with it."""
    if not isinstance(value, str) or not value:
        raise QsolveError(
            f"reduce_to must name a smaller sliding puzzle or be 'off', got {value!r}"
        )
    return value


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


# The seed of random-walk instances (``qsolve solve --seed``, ``random_walk_instances``).
SEED = 0


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


def option(
    help: str,
    default: Any = None,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | Callable[[], tuple[str, ...]] | None = None,
    cli: bool = True,
    **more: Any,
) -> Any:
    """A field of an options dataclass (``TrainConfig``, ``SolveOptions``): its default, one line
    of help, and the range it must lie in; ``more`` goes to the field's metadata as it is."""
    meta = {"help": help, "low": low, "high": high, "choices": choices, "cli": cli, **more}
    return field(default=default, metadata=meta)


def flag(name: str) -> str:
    """The command-line flag of an option: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


def check_symmetries(value: object) -> bool | None:
    """True, False or None (as the model's config.json says)."""
    if value is not None and not isinstance(value, bool):
        raise QsolveError(f"symmetries must be True, False or None, got {value!r}")
    return value


def check_choice(what: str, choices: tuple[str, ...]) -> Any:
    """A check that ``value`` is one of ``choices``, naming ``what`` when it is not."""

    def check(value: object) -> str:
        if value not in choices:
            raise QsolveError(f"unknown {what} {value!r} (choose from {', '.join(choices)})")
        return str(value)

    return check


def _count(name: str) -> Any:
    return lambda value: check_count(name, value)


@dataclass(frozen=True)
class SolveOptions:
    """Every option of ``qsolve.solve``: what ``qsolve solve`` builds its flags from and what Ray's
    workers receive.  ``None`` leaves a search setting to the heuristic's recommended one (a
    model's config.json ``"search"``), else Q*, B = 1, λ = 1, no fallback."""

    algorithm: str | None = option(
        "search algorithm (default: the model's recommended one, else qstar)",
        choices=algorithm_names,
        catalog=algorithm_catalog,  # the command line's help names each record's
        check=check_algorithm,
    )
    beam_width: int | None = option(
        "beam search: the W best new states kept per layer (default: the model's recommended "
        "width)",
        check=check_beam_width,
        metavar="W",
    )
    reduce_to: str | None = option(
        "sliding puzzles: place the first row and column until the board is this smaller "
        "puzzle's (puzzle35 ...), then solve that with the heuristic and search given, which are "
        "that puzzle's; 'off' never (default: a puzzle with no model of its own and no "
        "--heuristic reduces to the largest smaller one that has a model: puzzle48 to puzzle35)",
        check=check_reduce_to,
        metavar="PUZZLE",
    )
    border_width: int | None = option(
        "a reduction: the abstract boards its border beam keeps per layer (default 30,000)",
        check=check_border_width,
        metavar="W",
    )
    batch_size: int | None = option(
        "pairs (Q*) or nodes (A*) per iteration (default: the model's recommended setting, else 1)",
        check=check_batch_size,
    )
    weight: float | None = option(
        "weight λ on the path cost, in [0, 1] (default: the model's recommended setting, else 1)",
        check=check_weight,
    )
    fallback_weight: float | None = option(
        "start again with this weight when the search has generated --fallback-after nodes, or "
        "used half of --time-limit, unsolved (default: the model's recommended fallback unless "
        "--weight or --optimal is given)",
        check=check_fallback_weight,
    )
    fallback_after: int | None = option(
        "nodes generated before falling back to --fallback-weight", check=_count("fallback_after")
    )
    time_limit: float | None = option(
        "seconds per instance, and for making qsolve solve's instances (time_limit=None in the "
        "API: no limit)",
        60.0,
        check=check_time_limit,
    )
    max_nodes: int | None = option("nodes generated per instance", check=_count("max_nodes"))
    max_iterations: int | None = option(
        "iterations (expansions of a batch) per instance", check=_count("max_iterations")
    )
    optimal: bool = option(
        "search on until no open pair can lead to a cheaper goal: a shortest solution with "
        "--weight 1 and a heuristic that never overestimates",
        False,
    )
    device: str = option(
        "device for a network heuristic (auto: cuda where torch sees one)",
        "auto",
        choices=DEVICES,  # the command line's; the API takes any torch device ("cuda:1")
    )
    engine: str = option(
        "what runs a network heuristic: auto (the fastest exact one here), torch or onnx",
        "auto",
        check=check_choice("engine", ENGINES),  # on the command line too: one line, status 2
    )
    precision: str = option(
        "network arithmetic: auto (fp32; int8 where the model says it was checked), fp32, int8 "
        "(linear layers quantized; CPU only), fp16 or bf16 (CUDA only)",
        "auto",
        choices=PRECISIONS,
        check=check_choice("precision", PRECISIONS),
    )
    symmetries: bool | None = option(
        "average a network over the domain's symmetries (Lights Out: the 8 of the square): "
        "auto (as the model says), on or off",
        check=check_symmetries,
        names=SYMMETRIES,  # the command line's words for it
    )
    heuristic_batch: int = option(
        "most states per network call", 100_000, check=_count("the heuristic batch")
    )
    parallel: int = option(
        "searches run in lockstep, sharing each heuristic call (1 = one at a time)",
        32,
        check=_count("parallel"),
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value, check = getattr(self, f.name), f.metadata.get("check")
            if value is not None and check is not None:
                object.__setattr__(self, f.name, check(value))
        object.__setattr__(self, "optimal", bool(self.optimal))

    @classmethod
    def of(cls, options: SolveOptions | None = None, **keywords: Any) -> SolveOptions:
        """``options`` (default: every default) with the options named in ``keywords`` replaced;
        TypeError for a keyword that names no option."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(keywords) - names)
        if unknown:
            raise TypeError(
                f"unknown solve option(s) {', '.join(unknown)} (the options are: "
                f"{', '.join(sorted(names))})"
            )
        if options is None:
            return cls(**keywords)
        if not isinstance(options, SolveOptions):
            raise TypeError(
                f"options must be a SolveOptions, got {type(options).__name__} (give the other "
                "options as keywords: algorithm=..., batch_size=...)"
            )
        return cls(**{**options.as_dict(), **keywords})

    def as_dict(self) -> dict[str, Any]:
        """The options by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def heuristic_options(self) -> dict[str, Any]:
        """What ``load_heuristic`` takes: device, heuristic_batch, precision, engine, symmetries."""
        names = ("device", "heuristic_batch", "precision", "engine", "symmetries")
        return {name: getattr(self, name) for name in names}


assert all(f.default is not MISSING for f in fields(SolveOptions))  # every option has its default
