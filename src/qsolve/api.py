"""The public API: pick a domain, pick a heuristic, solve states.  The CLI is a thin layer over this."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qsolve.domains import DOMAINS, Domain, get_domain
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.errors import QsolveError
from qsolve.heuristics import CLASSICAL, Heuristic, get_heuristic
from qsolve.options import (
    ENGINES,
    NO_REDUCTION,
    PRECISIONS,
    SEED,
    SolveOptions,
    check_beam_width,
    check_choice,
    check_count,
    check_fallback_weight,
    check_int,
    check_seed,
    check_symmetries,
)
from qsolve.paths import MODELS_DIR  # re-exported: qsolve.api.MODELS_DIR
from qsolve.search import ALGORITHMS as CATALOG
from qsolve.search import Algorithm, Limits, SearchResult
from qsolve.search.common import Search, iter_lockstep, run_search
from qsolve.search.fallback import with_fallback
from qsolve.search.reduction import BORDER_WIDTH, reduction_steps

# The names of the search algorithms (qsolve.search.ALGORITHMS has their records).
ALGORITHMS = tuple(CATALOG)


def shipped_model(domain: Domain) -> Path | None:
    """The folder of the model shipped for ``domain``, if there is one."""
    path = MODELS_DIR / domain.name
    return path if (path / "config.json").is_file() else None


# The heuristic name that means the domain's shipped model, whether or not it is the default.
SHIPPED = "shipped"


def default_heuristic_name(domain: Domain) -> str:
    """The shipped model of the domain (unless the domain prefers its classical heuristic), else
    the best classical heuristic it has."""
    model = shipped_model(domain)
    if model is not None and domain.model_is_default:
        return str(model)
    return domain.default_heuristic


def heuristic_name(spec: str | Path | None, domain: Domain) -> str:
    """The classical name or model folder ``spec`` means: ``None`` the domain's default,
    ``"shipped"`` its shipped model (QsolveError where it has none)."""
    if spec is None:
        return default_heuristic_name(domain)
    if str(spec) == SHIPPED:
        model = shipped_model(domain)
        if model is None:
            raise QsolveError(f"--heuristic shipped: no model is shipped for {domain.name}")
        return str(model)
    return str(spec)


def reduction_target(
    domain: Domain, reduce_to: str | None, heuristic: object = None
) -> SlidingPuzzle | None:
    """The smaller sliding puzzle that a search of ``domain`` reduces to (``reduce_to``: its
    name, ``"off"``, or None: the default), or None for no reduction.  By default a sliding
    puzzle reduces to the puzzle of a loaded ``heuristic`` that is smaller; and one with no
    shipped model, searched with its default heuristic, to the largest smaller puzzle that has
    one (puzzle48 to puzzle35)."""
    if reduce_to == NO_REDUCTION:
        return None
    if not isinstance(domain, SlidingPuzzle):
        if reduce_to is not None:
            raise QsolveError(f"--reduce-to is for the sliding puzzles, not {domain.name}")
        return None
    if reduce_to is not None:
        inner = get_domain(reduce_to)
        if not isinstance(inner, SlidingPuzzle) or inner.size >= domain.size:
            raise QsolveError(
                f"--reduce-to {reduce_to}: {domain.name} reduces to a smaller sliding puzzle "
                f"(puzzle8 to puzzle{(domain.size - 1) ** 2 - 1}), not {reduce_to}"
            )
        return inner
    if isinstance(heuristic, Heuristic):
        own = heuristic.domain
        return own if isinstance(own, SlidingPuzzle) and own.size < domain.size else None
    if heuristic is not None or shipped_model(domain) is not None:
        return None
    with_models = [
        puzzle
        for puzzle in (get_domain(name) for name in DOMAINS)
        if isinstance(puzzle, SlidingPuzzle)
        and puzzle.size < domain.size
        and shipped_model(puzzle) is not None
    ]
    return max(with_models, key=lambda puzzle: puzzle.size, default=None)


# The options' defaults, which load_heuristic's keywords take too.
DEFAULTS = SolveOptions()


def load_heuristic(
    spec: str | Path | Heuristic | object | None,
    domain: Domain | str,
    device: str = DEFAULTS.device,
    heuristic_batch: int = DEFAULTS.heuristic_batch,
    precision: str = DEFAULTS.precision,
    engine: str = DEFAULTS.engine,
    symmetries: bool | None = DEFAULTS.symmetries,
) -> Heuristic:
    """A heuristic for ``domain``: a classical name, a trained model folder, ``"shipped"`` (the
    domain's shipped model) or ``None`` (the default).

    A network runs through ``engine`` (``auto``: the fastest exact one on this machine, measured
    once and cached; ``torch``; ``onnx``) at ``precision`` (``auto``: fp32, or int8 where the
    model's config.json says int8 was checked; ``fp32``; ``int8``; ``fp16``/``bf16`` on CUDA).
    ``symmetries``: average a network over the domain's symmetries (``None``: as its config.json
    says).
    """
    domain = get_domain(domain) if isinstance(domain, str) else domain
    if not isinstance(domain, Domain):
        raise QsolveError(f"expected a domain or a domain name, got {type(domain).__name__}")
    heuristic_batch = check_count("the heuristic batch", heuristic_batch)
    check_choice("engine", ENGINES)(engine)
    check_symmetries(symmetries)
    if isinstance(spec, Heuristic):  # already loaded, with its own settings
        if spec.domain.name != domain.name:
            raise QsolveError(f"the heuristic is for {spec.domain.name}, not {domain.name}")
        return spec
    if symmetries and not uses_network(spec, domain):
        raise QsolveError("only a trained model's heuristic averages over symmetries")
    if not isinstance(spec, str | Path | None):
        return UserHeuristic(domain, spec)
    spec = heuristic_name(spec, domain)
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
        symmetries=symmetries,
    )


class UserHeuristic(Heuristic):
    """Any object with ``q_values(states) -> [N, A]`` or ``values(states) -> [N]`` as a
    heuristic; its answers are checked for shape once per call (cheap next to the search)."""

    def __init__(self, domain: Domain, user: object) -> None:
        super().__init__(domain)
        self.has_q = callable(getattr(user, "q_values", None))
        self.has_v = callable(getattr(user, "values", None))
        self.q_in_one_pass = self.has_q  # what beam search ranks by (search/beam.py)
        if not (self.has_q or self.has_v):
            raise QsolveError(
                f"a heuristic is a name, a model folder, or an object with q_values(states) or "
                f"values(states); got {type(user).__name__}"
            )
        self.user = user
        self.name = f"user:{type(user).__name__}"

    def q_values(self, states: np.ndarray) -> np.ndarray:
        if not self.has_q:
            return super().q_values(states)
        q = np.asarray(self.user.q_values(states), dtype=np.float64)  # type: ignore[attr-defined]
        if q.shape != (len(states), self.domain.num_actions) or np.isnan(q).any():
            raise QsolveError(
                f"{self.name}.q_values must return [N, {self.domain.num_actions}] numbers, "
                f"got shape {list(q.shape)}"
            )
        return np.where(self.domain.applicable(states), q, np.inf)

    def values(self, states: np.ndarray) -> np.ndarray:
        if not self.has_v:
            return super().values(states)
        h = np.asarray(self.user.values(states), dtype=np.float64)  # type: ignore[attr-defined]
        if h.shape != (len(states),) or np.isnan(h).any():
            raise QsolveError(
                f"{self.name}.values must return [N] numbers, got shape {list(h.shape)}"
            )
        return h


def uses_network(spec: str | Path | Heuristic | object | None, domain: Domain) -> bool:
    """Whether ``spec`` names a trained model (directly, or as the domain's default)."""
    if not isinstance(spec, str | Path | None):
        return False
    return heuristic_name(spec, domain) not in CLASSICAL


def as_states(domain: Domain, states: np.ndarray | Sequence[str] | str) -> np.ndarray:
    """``[N, D]`` states from an array (one state or many) or from state texts; QsolveError
    unless every one is a valid state of ``domain`` (see ``Domain.check_states``)."""
    if isinstance(states, str):
        states = [states]
    if isinstance(states, Sequence) and all(isinstance(text, str) for text in states):
        return (
            np.stack([domain.parse_state(text) for text in states])
            if len(states)
            else np.empty((0, domain.state_dim), domain.dtype)
        )
    return domain.check_states(states)


# Random numbers drawn at once while making random-walk instances (8 bytes each).
WALK_DRAWS = 1 << 22


def random_walk_instances(
    domain: Domain | str,
    length: int,
    count: int,
    seed: int = SEED,
    deadline: float | None = None,
) -> np.ndarray:
    """``[count, D]`` start states: instance i is ``length`` random (reverse) moves from a goal
    state that never undo the move before, drawn from ``numpy.random.default_rng([seed, i])``
    alone, so that it is the same whatever ``count`` is.  ``deadline`` (a ``time.monotonic()``
    value): QsolveError once it passes."""
    domain = get_domain(domain) if isinstance(domain, str) else domain
    if not isinstance(domain, Domain):
        raise QsolveError(f"expected a domain or a domain name, got {type(domain).__name__}")
    length = check_int("the random walk length", length, 0)
    count = check_int("the count", count, 0)
    seed = check_seed(seed)
    from qsolve.training.data import reverse_inverses  # the training package loads torch

    walk = domain.walk_domain  # cube3-meta walks quarter turns
    undo_of = reverse_inverses(domain)  # [R] the move that undoes each move (-1: none)
    num_moves = walk.num_reverse
    states: np.ndarray = np.empty((count, walk.state_dim), dtype=walk.dtype)
    block = max(1, min(length, 256))  # moves of each walk drawn per generator call
    chunk = max(1, WALK_DRAWS // (block * num_moves))  # instances walked together
    for first in range(0, count, chunk):
        rngs = [np.random.default_rng([seed, i]) for i in range(first, min(count, first + chunk))]
        part = states[first : first + len(rngs)]
        if walk.has_goal_state:
            part[:] = walk.goal
        else:  # each instance's goal state from its own generator (Sokoban: its room)
            part[:] = np.concatenate([walk.goal_states(1, rng) for rng in rngs])
        last = np.full(len(rngs), -1, dtype=np.int64)  # each walk's last move
        for done in range(0, length, block):
            draws = np.stack([rng.random((min(block, length - done), num_moves)) for rng in rngs])
            for t in range(draws.shape[1]):
                if deadline is not None and time.monotonic() > deadline:
                    raise QsolveError(
                        f"the time limit ran out while making the instances: {first:,} of the "
                        f"{count:,} walks made, the next ones {done + t:,} moves of {length:,} in"
                    )
                # 1 - draws: in (0, 1], so that every applicable move scores above 0.
                last = _walk_step(walk, part, last, 1.0 - draws[:, t], undo_of)
    return states


def _walk_step(
    walk: Domain, states: np.ndarray, last: np.ndarray, draws: np.ndarray, undo_of: np.ndarray
) -> np.ndarray:
    """Move each of ``states`` ([N, D], in place) by a uniformly random applicable reverse move
    other than the one undoing its ``last`` (that one where nothing else applies; none where no
    move applies), chosen by the highest of ``draws`` ([N, R], in (0, 1]); the moves made."""
    scores = draws * walk.reverse_applicable(states)  # [N, R]: 0 where a move does not apply
    onward = scores.copy()
    rows = np.flatnonzero(last >= 0)
    undo = undo_of[last[rows]]
    onward[rows[undo >= 0], undo[undo >= 0]] = 0.0
    chosen = np.where(onward.max(axis=1) > 0, onward.argmax(axis=1), scores.argmax(axis=1))
    moves = scores.max(axis=1) > 0
    states[moves] = walk.reverse_step(states[moves], chosen[moves])
    return np.where(moves, chosen, last)


def solve(
    domain: Domain | str,
    states: np.ndarray | Sequence[str] | str,
    heuristic: str | Path | Heuristic | object | None = None,
    options: SolveOptions | None = None,
    **keywords: Any,
) -> list[SearchResult]:
    """Solve each start state with Q*, A* or beam search and return one ``SearchResult`` per
    state; the options are ``SolveOptions``' fields, given as keywords (``algorithm="beam",
    beam_width=100``) or as ``options`` (the keywords replace its fields).

    ``algorithm``: ``"qstar"``, ``"astar"``, ``"beam"`` with ``beam_width`` states a layer.
    With ``parallel`` > 1 (the default, 32), up to that many searches run in lockstep, so that
    each heuristic call carries the children of all of them; every search does exactly what it
    would do alone, but its ``seconds`` (and ``time_limit``) count the wall time it shared with
    the others.

    With ``fallback_weight`` and ``fallback_after``, a search that generates ``fallback_after``
    nodes, or uses half of ``time_limit``, without a solution starts again with
    ``fallback_weight`` (``search/fallback.py``).  ``symmetries`` averages a network over the
    domain's symmetries (``None``: as the model's config.json says).
    Search settings left at ``None`` come from the model's recommended ones (its config.json
    ``"search"``): the algorithm (else Q*), B or the beam width, λ, and its fallback unless
    ``weight`` or ``optimal`` is given.
    """
    return list(solve_iter(domain, states, heuristic, options, **keywords))


def solve_iter(
    domain: Domain | str,
    states: np.ndarray | Sequence[str] | str,
    heuristic: str | Path | Heuristic | object | None = None,
    options: SolveOptions | None = None,
    **keywords: Any,
) -> Iterator[SearchResult]:
    """``solve``, yielding each result in input order as soon as it is final.

    The states and options are checked before this returns, so bad input raises here, not at
    the first ``next``.
    """
    domain = get_domain(domain) if isinstance(domain, str) else domain
    if not isinstance(domain, Domain):
        raise QsolveError(f"expected a domain or a domain name, got {type(domain).__name__}")
    chosen = SolveOptions.of(options, **keywords)
    algorithm, beam_width, optimal = chosen.algorithm, chosen.beam_width, chosen.optimal
    batch_size, weight = chosen.batch_size, chosen.weight
    fallback_weight, fallback_after = chosen.fallback_weight, chosen.fallback_after
    checked: dict[str, Any] = {
        "time_limit": chosen.time_limit,
        "max_nodes": chosen.max_nodes,
        "max_iterations": chosen.max_iterations,
        "parallel": chosen.parallel,
    }
    starts = as_states(domain, states)
    inner = reduction_target(domain, chosen.reduce_to, heuristic)
    if inner is None and chosen.border_width is not None:
        raise QsolveError(
            f"a border width is for a reduction (--reduce-to), and {domain.name} is not reduced"
        )
    h = load_heuristic(heuristic, inner or domain, **chosen.heuristic_options())
    # Left open: the heuristic's recommended settings (a model's config.json), else Q*, B = 1,
    # λ = 1; they are its recommended algorithm's, so another algorithm gets none of them.
    suggested = str(h.search_defaults.get("algorithm", "qstar"))
    algorithm = suggested if algorithm is None else algorithm
    recommended = h.search_defaults if algorithm == suggested else {}
    record = CATALOG[algorithm]
    if record.beam:
        checked["beam_width"] = beam_width_option(
            beam_width,
            recommended,
            batch_size=batch_size,
            optimal=optimal,
            fallback_weight=fallback_weight,
            fallback_after=fallback_after,
        )
        fallback_weight = fallback_after = None
    elif beam_width is not None:
        raise QsolveError(
            f'a beam width is for beam search (algorithm "beam", --algorithm beam), not {algorithm}'
        )
    checked["batch_size"] = (
        int(recommended.get("batch_size", 1)) if batch_size is None else batch_size
    )
    checked["weight"] = float(recommended.get("weight", 1.0)) if weight is None else weight
    checked["fallback"] = fallback_options(
        fallback_weight,
        fallback_after,
        recommended,
        weight is None and not optimal and not record.beam,
    )
    if checked["fallback"] is not None and optimal:
        raise QsolveError("a fallback weight does not combine with optimal search")
    if inner is not None:
        checked["reduction"] = (inner, chosen.border_width or BORDER_WIDTH)
    return _results(domain, starts, h, record, optimal, checked)


# What Q* and A* take and beam search does not, with its command-line name.
NOT_FOR_BEAM = {
    "batch_size": "--batch-size",
    "optimal": "--optimal",
    "fallback_weight": "--fallback-weight",
    "fallback_after": "--fallback-after",
}


def beam_width_option(width: object, recommended: dict[str, Any], **given: object) -> int:
    """The width of a beam search, checked: the caller's, else the model's recommended one;
    QsolveError for one of ``given`` (``NOT_FOR_BEAM``) that is set."""
    for name, value in given.items():
        if value is not None and value is not False:
            raise QsolveError(f"{name} ({NOT_FOR_BEAM[name]}) is for qstar and astar, not beam")
    width = recommended.get("beam_width") if width is None else width
    if width is None:
        raise QsolveError("beam search needs a beam width (beam_width; --beam-width W)")
    return check_beam_width(width)


def fallback_options(
    weight: object, after: object, recommended: dict[str, Any], use_recommended: bool
) -> tuple[float, int] | None:
    """(fallback weight, nodes before falling back), checked, or None for no fallback: what the
    caller gave, completed by the model's recommended settings (all of them when the caller gave
    neither, the weight and optimality left open)."""
    if weight is None and after is None and not use_recommended:
        return None
    if weight is None:
        weight = recommended.get("fallback_weight")
    if after is None:
        after = recommended.get("fallback_after")
    if weight is None and after is None:
        return None
    if weight is None or after is None:
        raise QsolveError(
            "a fallback needs both its weight and the nodes before it "
            "(--fallback-weight and --fallback-after; fallback_weight and fallback_after)"
        )
    return check_fallback_weight(weight), check_count("fallback_after", after)


def _results(
    domain: Domain,
    starts: np.ndarray,
    h: Heuristic,
    algorithm: Algorithm,
    optimal: bool,
    options: dict[str, Any],
) -> Iterator[SearchResult]:
    limits = Limits(
        max_iterations=options["max_iterations"],
        max_nodes=options["max_nodes"],
        time_limit=options["time_limit"],
    )
    batch_size, weight, parallel = options["batch_size"], options["weight"], options["parallel"]
    # Q* ranks (node, action) pairs by Q, A* nodes by h, beam search either, as h is made.
    pairs = algorithm.ranks_pairs(h)
    evaluate = h.q_values if pairs else h.values

    reduction = options.get("reduction")
    searched = domain if reduction is None else reduction[0]

    def make_search(start: np.ndarray, limits: Limits) -> Search:
        if algorithm.beam:
            width = options["beam_width"]
            return algorithm.steps(searched, start, width, weight, limits, pairs)

        def with_weight(w: float, budget: Limits) -> Search:
            return algorithm.steps(searched, start, batch_size, w, optimal, budget)

        if options["fallback"] is None:
            return with_weight(weight, limits)
        fallback_weight, after = options["fallback"]
        return with_fallback(with_weight, weight, fallback_weight, after, limits)

    def reduced(start: np.ndarray) -> Search:
        assert isinstance(domain, SlidingPuzzle) and reduction is not None
        inner, border_width = reduction
        return reduction_steps(domain, inner, start, border_width, limits, make_search)

    searches = (
        make_search(start, limits) if reduction is None else reduced(start) for start in starts
    )
    if parallel == 1:
        for search in searches:
            yield run_search(search, evaluate)
    else:
        yield from iter_lockstep(searches, evaluate, parallel)


def train(
    domain: str,
    out: str | Path,
    progress: bool = True,
    callbacks: Sequence[Any] = (),
    **options: Any,
) -> Any:
    """Train a Q (or V) network for ``domain`` into the folder ``out``; the options are
    ``TrainConfig``'s (``qsolve train -h``).  ``callbacks``: ``qsolve.training.Callback``
    objects the ``Trainer`` calls at the start, at each point of a step, after each step and at
    the end (progress of your own, early stopping, fault injection)."""
    from qsolve.training import train as train_network  # torch loads only when needed

    return train_network(domain, out, progress=progress, callbacks=callbacks, **options)


__all__ = [
    "ALGORITHMS",
    "DOMAINS",
    "ENGINES",
    "PRECISIONS",
    "SolveOptions",
    "get_domain",
    "load_heuristic",
    "random_walk_instances",
    "shipped_model",
    "solve",
    "solve_iter",
    "train",
]
