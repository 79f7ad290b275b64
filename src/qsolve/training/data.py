"""Training data: states drawn near the goal, the actions trained at each, and their children.

A *source* draws the states of a step together with what their making proves about them: an
upper bound ``B(s)`` on the cost-to-go (the cost of the walk that made s) and the actions known to
undo part of it (the inverse of the walk's last move; for Lights Out boards made from a set of
presses, every press of the set).  Taking an undo action leads to a state within ``B(s) - c(a)``,
any other action to one within ``B(s) + c(a)``, so ``Q(s, a) <= B(s)`` or ``B(s) + 2 c(a)``:
the walk targets (``targets.py``).

- ``walk``: k ~ U[0, limit] uniformly random applicable reverse moves from goal states (the
  actions themselves where actions are invertible; Sokoban's pulls and steps back otherwise).
- ``nbwalk``: the same, never taking the reverse move that undoes the previous one.
- ``subset`` (Lights Out): a uniformly random set of k ~ U[0, min(limit, A)] distinct presses;
  when the press matrix is invertible (7x7), k is the exact fewest presses.

The batch of step t is a function of (seed, t) only, so a resumed run repeats an uninterrupted
one; worker processes make the same batches a few steps ahead.  In data-parallel training each
rank draws its share of the step from a stream of its own, (seed, t, world size, rank).
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Sequence
from dataclasses import dataclass, replace
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

import numpy as np

from qsolve.domains import Domain, domain_reference, get_domain
from qsolve.domains.base import walk_noise
from qsolve.errors import QsolveError

SOURCES = ("walk", "nbwalk", "subset")


@dataclass
class Batch:
    """The training data of one step: N states, K trained actions each."""

    states: np.ndarray  # [N, D]
    is_goal: np.ndarray  # [N] bool
    actions: np.ndarray  # [N, K] int64, the trained actions of each state
    trained: np.ndarray  # [N, K] bool, the action is applicable
    costs: np.ndarray  # [N, K] float32, c(s, a)
    children: np.ndarray  # [N * K, D]; [0, D] when the targets need no children
    child_is_goal: np.ndarray  # [N * K] bool
    child_applicable: np.ndarray | None  # [N * K, A] bool; None: every action applies
    bounds: np.ndarray  # [N] float32, B(s) >= the cost-to-go of s (the walk's cost)
    undo: np.ndarray  # [N, U] int64: actions that lead to a state within B(s) - c(a); -1 pads

    def action_bounds(self) -> np.ndarray:
        """``[N, K]`` float32 upper bounds on Q(s, a) for the trained actions (see module doc)."""
        is_undo = (self.actions[:, :, None] == self.undo[:, None, :]).any(axis=2)
        b = self.bounds[:, None]
        return np.where(is_undo, b, b + 2 * self.costs).astype(np.float32)


# -- sources ------------------------------------------------------------------------------


def inverse_actions(domain: Domain) -> np.ndarray:
    """``[A]`` int64 of the walk domain: the action that undoes each action (-1: none found).

    Found by trying every pair on a few hundred walk states, so any domain with reversible
    moves gets non-backtracking walks and undo actions without declaring them.
    """
    walk = domain.walk_domain
    cached = getattr(walk, "_inverse_actions", None)
    if cached is not None:
        return np.asarray(cached)
    rng = np.random.default_rng(0)
    states = walk.random_walk(rng.integers(0, 40, size=300), rng)
    applicable = walk._applicable(states)
    a = walk.num_actions
    inverse = np.full(a, -1, dtype=np.int64)
    for i in range(a):
        rows = np.flatnonzero(applicable[:, i])
        if len(rows) == 0:
            continue
        children = walk._step(states[rows], np.full(len(rows), i))
        for j in range(a):
            back = walk._step(children, np.full(len(rows), j))
            if np.array_equal(back, states[rows]) and walk.action_costs[j] == walk.action_costs[i]:
                inverse[i] = j
                break
    walk._inverse_actions = inverse  # type: ignore[attr-defined]
    return inverse


def walk_undo(domain: Domain) -> np.ndarray:
    """``[R]`` int64: the action of the walk domain that undoes each of its reverse moves (-1:
    none), the undo action of a state a walk made with that move last."""
    undone_by = domain.walk_domain.reverse_undone_by
    if undone_by is None:
        return inverse_actions(domain)
    return np.asarray(undone_by, dtype=np.int64)


def reverse_inverses(domain: Domain) -> np.ndarray:
    """``[R]`` int64: the reverse move that undoes each reverse move of the walk domain (-1:
    none), which non-backtracking walks never take next; found by trying every pair."""
    walk = domain.walk_domain
    if walk.reverse_undone_by is None:
        return inverse_actions(domain)
    cached = getattr(walk, "_reverse_inverses", None)
    if cached is not None:
        return np.asarray(cached)
    rng = np.random.default_rng(0)
    states = walk.random_walk(rng.integers(0, 40, size=300), rng)
    applicable = walk._reverse_applicable(states)
    r, costs = walk.num_reverse, walk.reverse_costs
    inverse = np.full(r, -1, dtype=np.int64)
    for i in range(r):
        rows = np.flatnonzero(applicable[:, i])
        if len(rows) == 0:
            continue
        children = walk._reverse_step(states[rows], np.full(len(rows), i))
        for j in range(r):
            back = walk._reverse_step(children, np.full(len(rows), j))
            if np.array_equal(back, states[rows]) and costs[j] == costs[i]:
                inverse[i] = j
                break
    walk._reverse_inverses = inverse  # type: ignore[attr-defined]
    return inverse


def walks(
    domain: Domain,
    lengths: np.ndarray,
    rng: np.random.Generator,
    backtrack: bool = True,
    moves: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random walks from goal states by reverse moves: ``[N, D]`` end states, ``[N]`` float32
    walk costs and ``[N]`` int64 last reverse moves (-1 for walks of length 0), in the walk
    domain's moves (its actions, where they are invertible).

    With ``backtrack=True`` the states are those of ``domain.random_walk`` (same draws).  A list
    passed as ``moves`` receives each time step's ``[N]`` actions (-1 where a walk has ended).
    """
    walk = domain.walk_domain
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    n = len(lengths)
    states = walk.goal_states(n, rng)
    costs = walk.reverse_costs
    cost = np.zeros(n, dtype=np.float32)
    last = np.full(n, -1, dtype=np.int64)
    inverse = None if backtrack else reverse_inverses(domain)
    for t in range(int(lengths.max(initial=0))):
        active = np.flatnonzero(lengths > t)
        scores = walk_noise(walk, rng, len(active)) * walk._reverse_applicable(states[active])
        if inverse is not None:
            undo = inverse[last[active]]
            rows = np.flatnonzero((last[active] >= 0) & (undo >= 0))
            scores[rows, undo[rows]] = -1.0  # never the move that undoes the previous one
        chosen = np.argmax(scores, axis=1)
        states[active] = walk._reverse_step(states[active], chosen)
        cost[active] += costs[chosen].astype(np.float32)
        last[active] = chosen
        if moves is not None:
            taken = np.full(n, -1, dtype=np.int64)
            taken[active] = chosen
            moves.append(taken)
    return states, cost, last


def press_subsets(
    domain: Domain, limit: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lights Out boards from uniformly random sets of k ~ U[0, min(limit, A)] distinct presses:
    ``[N, D]`` boards, ``[N]`` float32 set sizes and ``[N, A]`` int64 presses (-1 pads)."""
    masks = getattr(domain, "press_masks", None)
    if masks is None:
        raise QsolveError(f"press subsets need a Lights Out domain, not {domain.name}")
    a = domain.num_actions
    sizes = rng.integers(0, min(limit, a) + 1, size=n)
    order = np.argsort(rng.random((n, a)), axis=1)  # a random permutation of the presses per row
    chosen = np.arange(a)[None, :] < sizes[:, None]  # its first k entries
    presses = np.where(chosen, order, -1)
    selected = np.zeros((n, a), dtype=np.int64)
    np.put_along_axis(selected, order, chosen.astype(np.int64), axis=1)
    boards = ((selected @ masks.astype(np.int64)) & 1).astype(domain.dtype)
    return boards, sizes.astype(np.float32), presses.astype(np.int64)


def draw_states(
    domain: Domain, source: str, limit: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` training states from ``source``: states, bounds B(s) and undo actions ``[N, U]``."""
    if source == "subset":
        return press_subsets(domain, limit, n, rng)
    if source not in ("walk", "nbwalk"):
        raise QsolveError(f"unknown training source {source!r} (choose from {', '.join(SOURCES)})")
    lengths = rng.integers(0, limit + 1, size=n)
    states, cost, last = walks(domain, lengths, rng, backtrack=source == "walk")
    undo = np.where(last >= 0, walk_undo(domain)[np.maximum(last, 0)], -1)
    return states, cost, undo[:, None]


def tightest_bounds(
    states: np.ndarray, bounds: np.ndarray, undo: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each state's smallest bound among its copies in the batch, with that copy's undo actions
    (a state met by several walks is within the shortest of them)."""
    order = np.argsort(bounds, kind="stable")
    _, first, group = np.unique(states[order], axis=0, return_index=True, return_inverse=True)
    best = order[first[group.reshape(-1)]]  # for each sorted row, its group's cheapest row
    out_b, out_u = bounds.copy(), undo.copy()
    out_b[order], out_u[order] = bounds[best], undo[best]
    return out_b, out_u


# -- batches -------------------------------------------------------------------------------


def make_batch(
    domain: Domain,
    seed: int,
    step: int,
    batch_size: int,
    scramble_max: int,
    actions_per_state: int | None,
    source: str = "walk",
    children: bool = True,
    stream: Sequence[int] = (),
    tighten: bool = True,
) -> Batch:
    """The batch of training step ``step``: a function of (seed, step) only.

    ``children=False`` leaves the children out (walk targets need none: 1/A of the work).
    ``stream`` adds entropy of its own: in data-parallel training, each rank's share of the
    step is drawn from (seed, step, world size, rank).  ``tighten=False`` skips taking each
    state's smallest bound over its copies in the batch (only walk and capped targets read them).
    """
    rng = np.random.default_rng([seed, step, *stream])
    states, bounds, undo = draw_states(domain, source, scramble_max, batch_size, rng)
    if tighten:
        bounds, undo = tightest_bounds(states, bounds, undo)
    applicable = domain._applicable(states)  # [N, A]
    n, a = applicable.shape
    if actions_per_state is None or actions_per_state >= a:
        actions = np.tile(np.arange(a), (n, 1))
    else:  # a uniform sample of K actions, applicable ones first
        scores = rng.random((n, a)) + applicable
        actions = np.argsort(-scores, axis=1)[:, :actions_per_state]
    batch = Batch(
        states=states,
        is_goal=domain._is_goal(states),
        actions=actions.astype(np.int64),
        trained=np.take_along_axis(applicable, actions, axis=1),
        costs=domain.action_costs[actions].astype(np.float32),
        children=np.empty((0, states.shape[1]), dtype=states.dtype),
        child_is_goal=np.empty(0, dtype=bool),
        child_applicable=None,
        bounds=bounds,
        undo=undo,
    )
    return with_children(domain, batch) if children else batch


def with_children(domain: Domain, batch: Batch) -> Batch:
    """``batch`` with the children of its trained actions made."""
    k = batch.actions.shape[1]
    children = domain._step(np.repeat(batch.states, k, axis=0), batch.actions.reshape(-1))
    return replace(
        batch,
        children=children,
        child_is_goal=domain._is_goal(children),
        child_applicable=_applicable_mask(domain, children),
    )


def _applicable_mask(domain: Domain, states: np.ndarray) -> np.ndarray | None:
    """``domain._applicable(states)``, or None where every action applies (cubes, Lights Out):
    the batch then travels from the worker processes and to the device without it."""
    return None if domain.every_action_applies else domain._applicable(states)


def with_actions(domain: Domain, batch: Batch, first: np.ndarray) -> Batch:
    """``batch`` with the first ``first.shape[1]`` trained actions of each state replaced by
    ``first`` (``[N, G]``), their children made again where the batch has children."""
    n, k = batch.actions.shape
    count = first.shape[1]
    applicable = domain._applicable(batch.states)
    actions = batch.actions.copy()
    actions[:, :count] = first
    out = replace(
        batch,
        actions=actions,
        trained=np.take_along_axis(applicable, actions, axis=1),
        costs=domain.action_costs[actions].astype(np.float32),
    )
    if len(batch.children) == 0:
        return out
    new = domain._step(np.repeat(batch.states, count, axis=0), first.reshape(-1))
    grouped = batch.children.reshape(n, k, -1).copy()
    grouped[:, :count] = new.reshape(n, count, -1)
    children = grouped.reshape(n * k, -1)
    return replace(
        out,
        children=children,
        child_is_goal=domain._is_goal(children),
        child_applicable=_applicable_mask(domain, children),
    )


# -- batches made ahead by worker processes ------------------------------------------------


def _worker_batch(domain: Domain | str, *args: Any) -> Batch:
    return make_batch(get_domain(domain) if isinstance(domain, str) else domain, *args)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle


class BatchSource:
    """Batches by step number, made here or by ``workers`` processes a few steps ahead.

    ``arguments(step)`` gives make_batch's arguments after the domain.
    """

    def __init__(self, domain: Domain, workers: int, arguments: Any) -> None:
        self.domain = domain
        self.ref = domain_reference(domain)  # a name workers rebuild it from, or the domain
        self.workers = workers
        self.arguments = arguments
        self.pool: Pool | None = None
        self.pending: dict[int, AsyncResult[Batch]] = {}
        if workers > 0:
            self.pool = multiprocessing.get_context("spawn").Pool(workers, _ignore_sigint)

    def get(self, step: int) -> Batch:
        if self.pool is None:
            return make_batch(self.domain, *self.arguments(step))
        for ahead in range(step, step + 2 * self.workers):
            if ahead not in self.pending:
                self.pending[ahead] = self.pool.apply_async(
                    _worker_batch, (self.ref, *self.arguments(ahead))
                )
        return self.pending.pop(step).get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
