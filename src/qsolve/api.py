"""The public API: pick a domain, pick a heuristic, solve states.  The CLI is a thin layer over this."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qsolve.domains import DOMAINS, Domain, SlidingPuzzle, get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import CLASSICAL, Heuristic, get_heuristic
from qsolve.search import Limits, SearchResult
from qsolve.search.astar import astar_steps
from qsolve.search.common import run_lockstep, run_search
from qsolve.search.qstar import qstar_steps

ALGORITHMS = ("qstar", "astar")
# What runs a network heuristic; qsolve.networks.engines.ENGINES, named here without importing torch.
ENGINES = ("auto", "torch", "onnx")
MODELS_DIR = Path(__file__).parent / "models"


def shipped_model(domain: Domain) -> Path | None:
    """The folder of the model shipped for ``domain``, if there is one."""
    path = MODELS_DIR / domain.name
    return path if (path / "config.json").is_file() else None


def default_heuristic_name(domain: Domain) -> str:
    """The shipped model of the domain, else the best classical heuristic it has."""
    model = shipped_model(domain)
    if model is not None:
        return str(model)
    return "manhattan" if isinstance(domain, SlidingPuzzle) else "zero"


def load_heuristic(
    spec: str | Path | Heuristic | None,
    domain: Domain | str,
    device: str = "auto",
    heuristic_batch: int = 100_000,
    precision: str = "auto",
    engine: str = "auto",
) -> Heuristic:
    """A heuristic for ``domain``: a classical name, a trained model folder, or ``None`` (default).

    A network runs through ``engine`` (``auto``: the fastest exact one on this machine, measured
    once and cached; ``torch``; ``onnx``) at ``precision`` (``auto``: fp32, or int8 where the
    model's config.json says int8 was checked; ``fp32``; ``int8``; ``fp16``/``bf16`` on CUDA).
    """
    domain = get_domain(domain) if isinstance(domain, str) else domain
    if engine not in ENGINES:
        raise QsolveError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if isinstance(spec, Heuristic):
        if spec.domain.name != domain.name:
            raise QsolveError(f"the heuristic is for {spec.domain.name}, not {domain.name}")
        return spec
    spec = default_heuristic_name(domain) if spec is None else str(spec)
    if spec in CLASSICAL:
        return get_heuristic(spec, domain)
    if not Path(spec).exists():
        raise QsolveError(
            f"unknown heuristic {spec!r}: not one of {', '.join(CLASSICAL)} and no such model folder"
        )
    from qsolve.networks import load_heuristic as load_network  # torch loads only when needed

    return load_network(
        spec,
        domain,
        device=device,
        heuristic_batch=heuristic_batch,
        precision=precision,
        engine=engine,
    )


def uses_network(spec: str | Path | Heuristic | None, domain: Domain) -> bool:
    """Whether ``spec`` names a trained model (directly, or as the domain's default)."""
    if isinstance(spec, Heuristic):
        return False
    name = default_heuristic_name(domain) if spec is None else str(spec)
    return name not in CLASSICAL


def as_states(domain: Domain, states: np.ndarray | Sequence[str] | str) -> np.ndarray:
    """``[N, D]`` states from an array (one state or many) or from state texts."""
    if isinstance(states, str):
        states = [states]
    if not isinstance(states, np.ndarray):
        return (
            np.stack([domain.parse_state(text) for text in states])
            if len(states)
            else np.empty((0, domain.state_dim), domain.dtype)
        )
    states = np.atleast_2d(states)
    if states.shape[1] != domain.state_dim:
        raise QsolveError(
            f"{domain.name} states have {domain.state_dim} entries, got {states.shape[1]}"
        )
    return states.astype(domain.dtype)


def solve(
    domain: Domain | str,
    states: np.ndarray | Sequence[str] | str,
    heuristic: str | Path | Heuristic | None = None,
    algorithm: str = "qstar",
    batch_size: int = 1,
    weight: float = 1.0,
    optimal: bool = False,
    time_limit: float | None = None,
    max_nodes: int | None = None,
    max_iterations: int | None = None,
    device: str = "auto",
    heuristic_batch: int = 100_000,
    parallel: int = 1,
    precision: str = "auto",
    engine: str = "auto",
) -> list[SearchResult]:
    """Solve each start state with Q* (or A*) and return one ``SearchResult`` per state.

    With ``parallel`` > 1, up to that many searches run in lockstep, so that each heuristic call
    carries the children of all of them; every search does exactly what it would do alone, but
    its ``seconds`` (and ``time_limit``) count the wall time it shared with the others.
    """
    domain = get_domain(domain) if isinstance(domain, str) else domain
    if algorithm not in ALGORITHMS:
        raise QsolveError(f"unknown algorithm {algorithm!r} (choose from {', '.join(ALGORITHMS)})")
    if batch_size < 1:
        raise QsolveError(f"the batch size must be at least 1, got {batch_size}")
    if not 0.0 <= weight <= 1.0:
        raise QsolveError(f"the weight must lie in [0, 1], got {weight}")
    starts = as_states(domain, states)
    h = load_heuristic(
        heuristic,
        domain,
        device=device,
        heuristic_batch=heuristic_batch,
        precision=precision,
        engine=engine,
    )
    limits = Limits(max_iterations=max_iterations, max_nodes=max_nodes, time_limit=time_limit)
    if parallel < 1:
        raise QsolveError(f"parallel must be at least 1, got {parallel}")
    if algorithm == "qstar":
        searches = (
            qstar_steps(domain, h, start, batch_size, weight, optimal, limits) for start in starts
        )
        evaluate = h.q_values
    else:
        searches = (
            astar_steps(domain, start, batch_size, weight, optimal, limits) for start in starts
        )
        evaluate = h.values
    if parallel == 1:
        return [run_search(search, evaluate) for search in searches]
    return run_lockstep(searches, evaluate, parallel)


def train(domain: str, out: str | Path, **options: Any) -> Any:
    """Train a Q (or V) network for ``domain`` into the folder ``out``; see ``qsolve train -h``."""
    from qsolve.training import train as train_network  # torch loads only when needed

    return train_network(domain, out, **options)


__all__ = [
    "ALGORITHMS",
    "DOMAINS",
    "get_domain",
    "load_heuristic",
    "shipped_model",
    "solve",
    "train",
]
