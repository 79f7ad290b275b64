"""Solving many instances on a Ray cluster (``qsolve solve ... --ray [ADDRESS]``), or here.

The instances go out in chunks, one Ray task per chunk.  The heuristic travels once, through
Ray's object store: a classical heuristic by name, a model folder as its two files, any other
``Heuristic`` pickled; each worker process loads it the first time one of its tasks needs it
and keeps it for the chunks that follow.  Results come back as chunks finish.

A chunk whose task fails (its worker died, its machine left the cluster) is sent again, one task
per instance, so that an instance is tried at most twice; an instance that fails twice becomes an
error line, and the others are still solved.  With ``--out FILE`` each result goes to a JSON-lines
file as it arrives, and a rerun with the same file solves only the instances not in it yet.
Without ``--ray``, ``--out`` solves here, chunk by chunk, with the same file handling.

Ray is an optional extra: ``pip install 'qsolve[ray]'``.  A cluster's nodes need qsolve (and the
domain's code) installed as on the driver.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qsolve import api
from qsolve.domains import Domain, domain_reference, get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import CLASSICAL, Heuristic
from qsolve.options import NO_REDUCTION, SOLVE_THREADS, SolveOptions
from qsolve.search import SearchResult
from qsolve.threads import set_torch_threads

INSTALL = "--ray needs Ray, which is not installed: pip install 'qsolve[ray]'"
ATTEMPTS = 2  # tries per instance before it is reported as an error
CHUNKS_PER_WORKER = 4  # enough chunks that a slow one does not leave the others idle

# In each worker process: the heuristics (and domains) loaded so far, by the run's key.
_LOADED: dict[str, tuple[Domain, Heuristic]] = {}

Starts = Sequence[tuple[str, "np.ndarray | QsolveError"]]  # (label, state or its error)
Outcome = SearchResult | str  # a result, or why the instance failed twice


def import_ray() -> Any:
    """The ``ray`` module, or a QsolveError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise QsolveError(INSTALL) from None
    return ray


# -- what the workers run -------------------------------------------------------------------


def heuristic_payload(spec: str | Path | Heuristic | None, domain: Domain) -> tuple[str, Any]:
    """How a worker rebuilds the heuristic: ("name", classical name), ("files", {file name:
    bytes} of a model folder) or ("object", a picklable Heuristic)."""
    if isinstance(spec, Heuristic):
        return ("object", spec)
    name = api.heuristic_name(spec, domain)
    if name in CLASSICAL:
        return ("name", name)
    from qsolve.networks.heuristic import CONFIG_FILE, MODEL_FILE

    folder = Path(name)
    try:
        files = {f: (folder / f).read_bytes() for f in (CONFIG_FILE, MODEL_FILE)}
    except OSError as error:
        raise QsolveError(f"cannot read the model in {folder}: {error.strerror}") from None
    return ("files", {"folder": folder.name, "files": files})


def _load(payload: tuple[str, Any], domain: Domain, options: SolveOptions) -> Heuristic:
    kind, value = payload
    if kind in ("object", "name"):
        return api.load_heuristic(value, domain)
    with tempfile.TemporaryDirectory() as tmp:  # the network is read into memory here
        folder = Path(tmp) / value["folder"]
        folder.mkdir()
        for name, data in value["files"].items():
            (folder / name).write_bytes(data)
        return api.load_heuristic(folder, domain, **options.heuristic_options())


def solve_chunk(
    key: str,
    domain_ref: Domain | str,
    boxed_payload: list[Any],
    options: SolveOptions,
    threads: int,
    states: np.ndarray,
) -> list[SearchResult]:
    """Solve ``states`` ([N, D]) in a worker; the heuristic is fetched and loaded on the first
    chunk of a run that this worker process sees."""
    loaded = _LOADED.get(key)
    if loaded is None:
        import ray

        _LOADED.clear()  # the heuristics of earlier runs
        domain = get_domain(domain_ref) if isinstance(domain_ref, str) else domain_ref
        payload = ray.get(boxed_payload[0])  # in a list, so that Ray does not fetch it per task
        if payload[0] == "files":
            set_torch_threads(threads)
        searched = api.reduction_target(domain, options.reduce_to) or domain
        loaded = (domain, _load(payload, searched, options))
        _LOADED[key] = loaded
    domain, heuristic = loaded
    return api.solve(domain, states, heuristic=heuristic, options=options)


# -- the driver ------------------------------------------------------------------------------


def connect(ray: Any, address: str | None, workers: int | None) -> bool:
    """Join the cluster at ``address`` (``auto``, ``HOST:PORT``, ``ray://HOST:PORT``), or start
    a local one with ``workers`` CPUs (default: all); True when this call started Ray."""
    if ray.is_initialized():
        return False
    import logging

    quiet = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address is None:
            ray.init(num_cpus=workers, **quiet)
        else:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = "a local Ray instance" if address is None else f"the Ray cluster at {address}"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise QsolveError(f"cannot start or reach {where}: {first}") from None
    return True


def solve_stream(
    domain: Domain,
    states: np.ndarray,
    heuristic: str | Path | Heuristic | None = None,
    options: SolveOptions | None = None,
    *,
    address: str | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    threads: int = SOLVE_THREADS,
    **keywords: Any,
) -> Iterator[tuple[int, Outcome]]:
    """Solve ``states`` ([N, D]) on Ray; yields (index, result or error text) as they finish.

    The options are ``qsolve.solve``'s (``SolveOptions``, as ``options`` or keywords); each
    worker loads the heuristic with them.  Each instance is tried at most twice.
    """
    options = SolveOptions.of(options, **keywords)
    # The workers get the reduction spelt out, since they get the heuristic loaded, not named.
    inner = api.reduction_target(domain, options.reduce_to, heuristic)
    options = replace(options, reduce_to=NO_REDUCTION if inner is None else inner.name)
    parallel = options.parallel
    ray = import_ray()
    n = len(states)
    if n == 0:  # a rerun that finds every instance in its --out file
        return
    started = connect(ray, address, workers)
    try:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = chunk_size or max(1, min(parallel, math.ceil(n / (CHUNKS_PER_WORKER * cpus))))
        payload = ray.put(heuristic_payload(heuristic, inner or domain))
        task = ray.remote(num_cpus=1, max_retries=0)(solve_chunk)
        key = uuid.uuid4().hex
        ref = domain_reference(domain)

        def submit(indices: list[int], attempt: int) -> tuple[Any, tuple[list[int], int]]:
            args = (key, ref, [payload], options, threads, states[indices])
            return task.remote(*args), (indices, attempt)

        pending = dict(submit(list(range(s, min(n, s + size))), 1) for s in range(0, n, size))
        while pending:
            (done,), _ = ray.wait(list(pending), num_returns=1)
            indices, attempt = pending.pop(done)
            try:
                results = ray.get(done)
            except ray.exceptions.RayError as error:
                if attempt < ATTEMPTS:  # once more, alone: one bad instance fails only itself
                    pending.update(submit([i], attempt + 1) for i in indices)
                else:
                    for i in indices:
                        yield i, f"failed {ATTEMPTS} times: {_reason(error)}"
                continue
            yield from zip(indices, results, strict=True)
    finally:
        if started:
            ray.shutdown()


def solve_here(
    domain: Domain, states: np.ndarray, heuristic: Heuristic, options: SolveOptions
) -> Iterator[tuple[int, Outcome]]:
    """``solve_stream``'s results, solved in this process chunk by chunk (for ``--out``)."""
    for s in range(0, len(states), options.parallel):
        chunk = states[s : s + options.parallel]
        yield from enumerate(api.solve(domain, chunk, heuristic, options), start=s)


def _reason(error: Exception) -> str:
    cause = getattr(error, "cause", None)  # a task's own exception
    text = str(cause if cause is not None else error).strip()
    return text.splitlines()[-1 if cause is not None else 0] if text else type(error).__name__


# -- the results file ------------------------------------------------------------------------


def read_done(path: Path, texts: list[str | None]) -> dict[int, dict[str, Any]]:
    """The results already in ``path`` by instance index (``texts``: each instance's state as
    text, None for a bad input line); rewrites the file without a torn last line."""
    if not path.exists():
        return {}
    try:
        lines = path.read_text().splitlines(keepends=True)
    except (OSError, UnicodeDecodeError) as error:
        raise QsolveError(
            f"cannot read --out {path}: {getattr(error, 'strerror', error)}"
        ) from None
    done: dict[int, dict[str, Any]] = {}
    kept = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            index, state = record["instance"], record["state"]
        except (ValueError, TypeError, KeyError):
            if number == len(lines):  # a write cut short by a kill: solved again
                break
            raise QsolveError(f"--out {path}:{number} is not a qsolve result line") from None
        if not (isinstance(index, int) and 0 <= index < len(texts)) or texts[index] != state:
            raise QsolveError(
                f"--out {path}:{number} holds a result for another input (instance {index}: "
                f"{state}); write to another file"
            )
        done[index] = record
        kept.append(line if line.endswith("\n") else line + "\n")
    if len(kept) != len(lines) or (lines and not lines[-1].endswith("\n")):
        path.write_text("".join(kept))
    return done


def record(
    index: int, text: str, result: SearchResult, notations: dict[str, str] | None = None
) -> dict[str, Any]:
    """The result of instance ``index`` (0-based, in input order) whose start state is ``text``:
    a line of the ``--out`` file, and of ``--json`` output with or without it; ``notations``:
    the solution written in the domain's other notations (Sokoban's ``lurd``)."""
    return {"instance": index, "state": text, **result.to_dict(), **(notations or {})}


def notations(domain: Domain, start: object, result: SearchResult) -> dict[str, str]:
    """The solution of ``result`` from ``start`` in the domain's other notations (none for an
    unsolved search or a result read back from a file)."""
    if (
        not result.solved
        or not isinstance(start, np.ndarray)
        or len(result.actions) != len(result.moves)
    ):
        return {}
    return domain.notations(start, result.actions)


def _from_record(record: dict[str, Any]) -> SearchResult:
    """The result as read back from a results file (enough to print it again)."""
    moves = list(record["moves"])
    return SearchResult(
        solved=bool(record["solved"]),
        actions=[],
        moves=moves,
        cost=math.nan if record["cost"] is None else float(record["cost"]),
        nodes_generated=int(record["nodes_generated"]),
        iterations=int(record["iterations"]),
        seconds=float(record["seconds"]),
        heuristic_inputs=int(record["heuristic_inputs"]),
        stop_reason=str(record["stop_reason"]),
        meta_moves=list(record.get("actions", moves)),
    )


# -- the command line ------------------------------------------------------------------------


def solve_command(
    args: argparse.Namespace,
    domain: Domain,
    heuristic: Heuristic,
    starts: Starts,
    report: Callable[[int, Outcome | QsolveError], None],
    options: SolveOptions,
) -> None:
    """``qsolve solve`` with ``--ray`` or ``--out``: ``report`` gets each instance's index and
    outcome (its result, why its task failed, or the error of its input) in input order, as a
    run without them would; results go to ``--out`` as they arrive.  ``options``: those of
    the command line."""
    if getattr(args, "html", None) is not None:
        raise QsolveError("--html does not go with --ray or --out (solve without them to draw)")
    if args.ray is not None:
        import_ray()  # the one-line error before any solving
    texts = [None if isinstance(s, QsolveError) else domain.format_state(s) for _, s in starts]
    done = read_done(args.out, texts) if args.out is not None else {}
    todo = [
        i for i, (_, s) in enumerate(starts) if not isinstance(s, QsolveError) and i not in done
    ]
    states = np.array([starts[i][1] for i in todo]).reshape(len(todo), domain.state_dim)
    # Checked here, so that a bad combination (a beam width without beam search ...) is one line
    # before any solving, not a failed task per chunk.
    api.solve_iter(domain, states[:0], heuristic, options)
    if args.ray is None:
        stream = solve_here(domain, states, heuristic, options)
    else:
        stream = solve_stream(
            domain,
            states,
            args.heuristic,
            options,
            address=None if args.ray == "local" else args.ray,
            threads=args.threads,
        )
    outcomes: dict[int, Outcome] = {i: _from_record(r) for i, r in done.items()}
    file = None
    if args.out is not None:
        try:
            file = open(args.out, "a")  # before any solving: a bad path costs nothing
        except OSError as error:
            raise QsolveError(f"cannot write --out {args.out}: {error.strerror}") from None
    try:
        following = 0  # the next instance to print, in input order
        for position, outcome in stream:
            index = todo[position]
            outcomes[index] = outcome
            if file is not None and isinstance(outcome, SearchResult):
                written = notations(domain, starts[index][1], outcome)
                line = record(index, texts[index] or "", outcome, written)
                file.write(json.dumps(line) + "\n")
                file.flush()
            following = _report_ready(starts, outcomes, following, report)
        following = _report_ready(starts, outcomes, following, report)
    finally:
        if file is not None:
            file.close()


def _report_ready(
    starts: Starts,
    outcomes: dict[int, Outcome],
    following: int,
    report: Callable[[int, Outcome | QsolveError], None],
) -> int:
    """Report the instances from ``following`` on whose outcome is known; the next to report."""
    while following < len(starts):
        start = starts[following][1]
        if isinstance(start, QsolveError):
            report(following, start)
        elif following in outcomes:
            report(following, outcomes[following])
        else:
            break
        following += 1
    return following
