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

The steps of a batch, the walks included, are written once (``BatchMaker``) over a few array
primitives (``Arrays``) and random draws:
``HostData`` takes them with numpy and the domain's own methods, for any domain;
``device_data.DeviceData`` with torch and the domain's torch operations.

The batch of step t is a function of (seed, t) only, so a resumed run repeats an uninterrupted
one; worker processes make the same batches a few steps ahead.  In data-parallel training each
rank draws its share of the step from a stream of its own, (seed, t, world size, rank).
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, Generic, TypeVar

import numpy as np

from qsolve.domains import Domain, domain_reference, get_domain
from qsolve.domains.base import walk_noise
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.errors import QsolveError


@dataclass(frozen=True)
class Source:
    """A source of training states (``--source``): its name, one line of help, how a batch
    maker draws its states (``BatchMaker.draw_states``), and what the domain must have."""

    name: str
    help: str
    draw: Callable[[BatchMaker[Any], int, int], tuple[Any, Any, Any]]
    needs_press_masks: bool = False  # Lights Out's press matrix
    host_only: bool = False  # drawn with numpy only (not by ``--data device``)


def _walks(backtrack: bool) -> Callable[[BatchMaker[Any], int, int], tuple[Any, Any, Any]]:
    return lambda maker, limit, n: maker.walk_states(limit, n, backtrack)


FAR_WALKS = 8  # the walks ``farwalk`` draws for each training state


SOURCE_KINDS: dict[str, Source] = {
    source.name: source
    for source in (
        Source("walk", "random walks from goal states (reverse moves)", _walks(True)),
        Source("nbwalk", "walks that never undo their last move", _walks(False)),
        Source(
            "farwalk",
            f"of {FAR_WALKS} walks of each length, the one the domain's classical heuristic "
            "puts farthest from the goal",
            lambda maker, limit, n: maker.far_walk_states(limit, n, FAR_WALKS),
            host_only=True,
        ),
        Source(
            "subset",
            "Lights Out: a random set of distinct presses, of every size",
            lambda maker, limit, n: maker.press_subsets(limit, n),
            needs_press_masks=True,
        ),
    )
}
SOURCES = tuple(SOURCE_KINDS)


A = TypeVar("A")  # the array type of a batch: np.ndarray on the host, torch.Tensor on a device


@dataclass
class Fields(Generic[A]):
    """The training data of one step: N states, K trained actions each (``Batch`` holds numpy
    arrays, ``device_data.TensorBatch`` tensors: the same fields, the same shapes)."""

    states: A  # [N, D]
    is_goal: A  # [N] bool
    actions: A  # [N, K] int64, the trained actions of each state
    trained: A  # [N, K] bool, the action is applicable
    costs: A  # [N, K] float32, c(s, a)
    children: A  # [N * K, D]; [0, D] when the targets need no children
    child_is_goal: A  # [N * K] bool
    child_applicable: A | None  # [N * K, A] bool; None: every action applies
    bounds: A  # [N] float32, B(s) >= the cost-to-go of s (the walk's cost)
    undo: A  # [N, U] int64: actions that lead to a state within B(s) - c(a); -1 pads

    def action_bounds(self) -> A:
        """``[N, K]`` float32 upper bounds on Q(s, a) for the trained actions (see module doc)."""
        s: Any = self
        is_undo = (s.actions[:, :, None] == s.undo[:, None, :]).any(axis=2)
        return s.bounds[:, None] + 2 * s.costs * ~is_undo  # type: ignore[no-any-return]


@dataclass
class Batch(Fields[np.ndarray]):
    """A batch of numpy arrays, made on the host (``make_batch``)."""


@dataclass(frozen=True)
class BatchSpec:
    """What the batch of one step is drawn from (``make_batch``'s arguments after the domain)."""

    seed: int
    step: int
    batch_size: int
    scramble_max: int  # the longest walk (the largest press set)
    actions_per_state: int | None  # K trained actions per state; None: all of them
    source: str = "walk"
    children: bool = True  # False: leave the children out (walk targets need none)
    stream: tuple[int, ...] = ()  # a rank's own entropy in data-parallel training
    tighten: bool = True  # each state's smallest bound over its copies in the batch


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
    applicable = walk.applicable(states)
    a = walk.num_actions
    inverse = np.full(a, -1, dtype=np.int64)
    for i in range(a):
        rows = np.flatnonzero(applicable[:, i])
        if len(rows) == 0:
            continue
        children = walk.step(states[rows], np.full(len(rows), i))
        for j in range(a):
            back = walk.step(children, np.full(len(rows), j))
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
    applicable = walk.reverse_applicable(states)
    r, costs = walk.num_reverse, walk.reverse_costs
    inverse = np.full(r, -1, dtype=np.int64)
    for i in range(r):
        rows = np.flatnonzero(applicable[:, i])
        if len(rows) == 0:
            continue
        children = walk.reverse_step(states[rows], np.full(len(rows), i))
        for j in range(r):
            back = walk.reverse_step(children, np.full(len(rows), j))
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
    """``BatchMaker.walks`` with numpy, drawing from ``rng``: ``[N, D]`` end states, ``[N]``
    float32 walk costs and ``[N]`` int64 last reverse moves (-1 for walks of length 0).

    With ``backtrack=True`` the states are those of ``domain.random_walk`` (same draws).
    """
    return HostData(domain, rng=rng).walks(
        np.asarray(lengths, dtype=np.int64).reshape(-1), backtrack, moves
    )


# -- the steps of a batch, written once for numpy and for torch -----------------------------


class Arrays:
    """The few array operations that numpy and torch spell differently; ``xp`` is the module
    (``np`` or ``torch``) for those they spell alike (``where``, ``concatenate``)."""

    xp: Any

    def take(self, x: Any, index: Any) -> Any:
        """``x[i, index[i, j]]`` for ``[N, M]`` x and ``[N, K]`` index."""
        raise NotImplementedError

    def repeat_rows(self, x: Any, k: int) -> Any:
        """Each row of ``x`` ``k`` times in a row."""
        raise NotImplementedError

    def all_actions(self, n: int, a: int) -> Any:
        """``[n, a]`` int64: every action for every state."""
        raise NotImplementedError

    def largest(self, scores: Any, k: int) -> Any:
        """``[N, k]`` the columns of the k largest scores of each row."""
        raise NotImplementedError

    def smallest(self, scores: Any, k: int) -> Any:
        """``[N, k]`` the columns of the k smallest scores of each row (in any order)."""
        raise NotImplementedError

    def fill_at(self, x: Any, index: Any, value: float) -> Any:
        """``x`` with ``value`` at ``x[i, index[i, j]]``."""
        raise NotImplementedError

    def stable_argsort(self, x: Any) -> Any:
        raise NotImplementedError

    def argsort_rows(self, x: Any) -> Any:
        """``[N, M]`` int64: each row's columns in increasing order of ``x``."""
        raise NotImplementedError

    def arange(self, n: int) -> Any:
        raise NotImplementedError

    def float32(self, x: Any) -> Any:
        raise NotImplementedError

    def scatter_rows(self, index: Any, values: Any) -> Any:
        """``[N, M]`` zeros (of ``values``' type) with ``values[i, j]`` at ``[i, index[i, j]]``."""
        raise NotImplementedError

    def first_of_group(self, rows: Any) -> Any:
        """``[N]`` int64: for each row, the first row equal to it."""
        raise NotImplementedError

    def full(self, n: int, value: int) -> Any:
        """``[n]`` int64 filled with ``value``."""
        raise NotImplementedError

    def zeros(self, n: int) -> Any:
        """``[n]`` float32 zeros."""
        raise NotImplementedError

    def constant(self, x: np.ndarray) -> Any:
        """The numpy array ``x`` as this library's array (on its device)."""
        raise NotImplementedError


class NumpyArrays(Arrays):
    xp = np

    def take(self, x: Any, index: Any) -> Any:
        return np.take_along_axis(x, index, axis=1)

    def repeat_rows(self, x: Any, k: int) -> Any:
        return np.repeat(x, k, axis=0)

    def all_actions(self, n: int, a: int) -> Any:
        return np.tile(np.arange(a, dtype=np.int64), (n, 1))

    def largest(self, scores: Any, k: int) -> Any:
        return np.argsort(-scores, axis=1)[:, :k].astype(np.int64)

    def smallest(self, scores: Any, k: int) -> Any:
        return scores.argpartition(k - 1, axis=1)[:, :k]

    def fill_at(self, x: Any, index: Any, value: float) -> Any:
        out = x.copy()
        out[np.arange(len(x))[:, None], index] = value
        return out

    def stable_argsort(self, x: Any) -> Any:
        return np.argsort(x, kind="stable")

    def argsort_rows(self, x: Any) -> Any:
        return np.argsort(x, axis=1)

    def arange(self, n: int) -> Any:
        return np.arange(n)

    def float32(self, x: Any) -> Any:
        return x.astype(np.float32)

    def scatter_rows(self, index: Any, values: Any) -> Any:
        out = np.zeros(index.shape, dtype=values.dtype)
        np.put_along_axis(out, index, values, axis=1)
        return out

    def first_of_group(self, rows: Any) -> Any:
        _, first, group = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        return first[group.reshape(-1)]

    def full(self, n: int, value: int) -> Any:
        return np.full(n, value, dtype=np.int64)

    def zeros(self, n: int) -> Any:
        return np.zeros(n, dtype=np.float32)

    def constant(self, x: np.ndarray) -> Any:
        return x


NUMPY = NumpyArrays()


def tightest_bounds_with(arrays: Arrays, states: Any, bounds: Any, undo: Any) -> tuple[Any, Any]:
    """Each state's smallest bound among its copies in the batch, with that copy's undo actions
    (a state met by several walks is within the shortest of them)."""
    order = arrays.stable_argsort(bounds)
    best = order[arrays.first_of_group(states[order])]  # for each sorted row, its cheapest copy
    out_b, out_u = arrays.xp.empty_like(bounds), arrays.xp.empty_like(undo)
    out_b[order], out_u[order] = bounds[best], undo[best]  # ``order`` is a permutation
    return out_b, out_u


def tightest_bounds(
    states: np.ndarray, bounds: np.ndarray, undo: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``tightest_bounds_with`` on numpy arrays."""
    return tightest_bounds_with(NUMPY, states, bounds, undo)


class BatchMaker(Generic[A]):
    """The steps that make a batch (draw the states, tighten their bounds, pick the trained
    actions, make the children, swap in greedy actions), once for both array libraries:
    ``HostData`` draws with numpy and the domain's own methods, ``device_data.DeviceData``
    with torch and the domain's torch operations.  Subclasses give the domain's dynamics and
    the random draws; each path's draws are a function of (seed, step, stream)."""

    arrays: Arrays
    action_costs: Any  # [A] float32
    every_action_applies: bool
    name: str  # the domain's
    walk_undo: Any  # [R] int64: the action undoing each reverse move of a walk (``walk_undo``)
    reverse_costs: Any  # [R] float32: the cost of each reverse move of the walk domain
    domain: Domain

    def batch(self, **fields: Any) -> Fields[A]:
        raise NotImplementedError

    def seed(self, seed: int, step: int, stream: Sequence[int] = ()) -> None:
        raise NotImplementedError

    def rand(self, n: int, a: int) -> A:
        """``[n, a]`` uniform in [0, 1)."""
        raise NotImplementedError

    def randint(self, high: int, n: int) -> A:
        """``[n]`` int64 uniform in ``[0, high)``."""
        raise NotImplementedError

    def goal_states(self, n: int) -> A:
        """``[n, D]`` goal states of the walk domain, where walks start (``Domain.goal_states``)."""
        raise NotImplementedError

    def walk_noise(self, n: int) -> A:
        """``[n, R]`` scores in [0, 1) whose argmax over the applicable reverse moves picks each
        by the walk domain's ``reverse_weights`` (``domains.base.walk_noise``)."""
        raise NotImplementedError

    def under_way(self, lengths: A) -> tuple[A, Iterator[tuple[Any, int]]]:
        """The order the walks of ``lengths`` move in (a permutation of the rows: the states of
        ``walks`` are kept in it) and, for each time step, the rows of the walks still under way
        in that order (an index or a slice) and their count."""
        raise NotImplementedError

    def reverse_applicable(self, states: A) -> A:
        """``[N, R]`` bool: the walk domain's reverse moves that change each state."""
        raise NotImplementedError

    def compiled_walks(self, lengths: A, backtrack: bool) -> tuple[A, A, A] | None:
        """``walks`` (without ``moves``) in compiled code, the same states from the same draws,
        where this path has such code for the domain; None otherwise."""
        return None

    def reverse_step(self, states: A, moves: A) -> A:
        """``[N, D]``: reverse move ``moves[i]`` of the walk domain applied to ``states[i]``."""
        raise NotImplementedError

    def walk_step(self, states: A, noise: A, penalty: A | None) -> tuple[A, A]:
        """One random reverse move of each state: the applicable one with the largest
        ``noise + penalty`` (a penalty of -2 rules a move out while another applies); the next
        states and the ``[N]`` int64 moves taken."""
        scores: Any = self.reverse_applicable(states)
        scores = noise * scores
        if penalty is not None:
            scores = scores + penalty
        chosen = scores.argmax(axis=1)
        return self.reverse_step(states, chosen), chosen

    @property
    def undo_penalty(self) -> Any:
        """``[R + 1, R]`` float32 by last move + 1 (0: none yet): -2 at the reverse move that
        would undo it (``reverse_inverses``), which non-backtracking walks then never take
        while another move applies; found when first asked for."""
        cached = self.__dict__.get("_undo_penalty")
        if cached is None:
            inverse = reverse_inverses(self.domain)
            penalty = np.zeros((len(inverse) + 1, len(inverse)), dtype=np.float32)
            undone = np.flatnonzero(inverse >= 0)
            penalty[undone + 1, inverse[undone]] = -2.0
            cached = self._undo_penalty = self.arrays.constant(penalty)
        return cached

    def boards(self, presses: A) -> A | None:
        """Lights Out boards from ``[N, A]`` 0/1 press counts (``presses @ masks`` mod 2) in the
        domain's dtype; None for other domains."""
        raise NotImplementedError

    def applicable(self, states: A) -> A:
        raise NotImplementedError

    def step(self, states: A, actions: A) -> A:
        raise NotImplementedError

    def is_goal(self, states: A) -> A:
        raise NotImplementedError

    def q_values(self, online: Any, states: A, precision: str) -> A:
        """``[N, A]`` float32 the online network's Q-values, without gradients."""
        raise NotImplementedError

    # -- the steps, written once ------------------------------------------------------------

    def press_subsets(self, limit: int, n: int) -> tuple[A, A, A]:
        """Lights Out boards from uniformly random sets of k ~ U[0, min(limit, A)] distinct
        presses: ``[N, D]`` boards, ``[N]`` float32 set sizes, ``[N, A]`` int64 presses (-1 pads)."""
        arrays = self.arrays
        a = len(self.action_costs)
        sizes: Any = self.randint(min(limit, a) + 1, n)
        order = arrays.argsort_rows(self.rand(n, a))  # a random permutation of the presses per row
        chosen = arrays.arange(a)[None, :] < sizes[:, None]  # its first k entries
        presses = arrays.xp.where(chosen, order, -1)
        boards = self.boards(arrays.scatter_rows(order, chosen * 1))
        if boards is None:
            raise QsolveError(f"press subsets need a Lights Out domain, not {self.name}")
        return boards, arrays.float32(sizes), presses

    def draw_states(self, source: str, limit: int, n: int) -> tuple[A, A, A]:
        """``n`` training states from ``source``: states, bounds B(s) and undo actions ``[N, U]``."""
        if source not in SOURCE_KINDS:
            raise QsolveError(
                f"unknown training source {source!r} (choose from {', '.join(SOURCES)})"
            )
        drawn: tuple[A, A, A] = SOURCE_KINDS[source].draw(self, limit, n)
        return drawn

    def walks(
        self, lengths: A, backtrack: bool = True, moves: list[A] | None = None
    ) -> tuple[A, A, A]:
        """Random walks of ``lengths[i]`` reverse moves from goal states: ``[N, D]`` end states,
        ``[N]`` float32 walk costs and ``[N]`` int64 last reverse moves (-1 for walks of length
        0), in the walk domain's moves (its actions, where they are invertible).

        ``backtrack=False`` never takes the move that undoes the one before (while another
        applies).  Each time step moves the walks still under way (``under_way``); a list passed
        as ``moves`` receives each time step's ``[N]`` moves (-1 where a walk has ended).
        """
        if moves is None:
            done = self.compiled_walks(lengths, backtrack)
            if done is not None:
                return done
        arrays = self.arrays
        n = len(lengths)  # type: ignore[arg-type]
        order, steps = self.under_way(lengths)
        at: Any = order
        states: Any = self.goal_states(n)  # in ``order``
        cost, last = arrays.zeros(n), arrays.full(n, -1)
        for rows, count in steps:
            penalty = None if backtrack else self.undo_penalty[last[rows] + 1]
            states[rows], chosen = self.walk_step(states[rows], self.walk_noise(count), penalty)
            cost[rows] += self.reverse_costs[chosen]
            last[rows] = chosen
            if moves is not None:
                taken = arrays.full(n, -1)
                taken[at[rows]] = chosen
                moves.append(taken)
        # back to the order the lengths came in
        out_states, out_cost, out_last = (
            arrays.xp.empty_like(states),
            arrays.xp.empty_like(cost),
            arrays.xp.empty_like(last),
        )
        out_states[at], out_cost[at], out_last[at] = states, cost, last
        return out_states, out_cost, out_last

    def walk_states(self, limit: int, n: int, backtrack: bool) -> tuple[A, A, A]:
        """``n`` states of walks of k ~ U[0, limit] reverse moves: states, bounds, undo."""
        lengths = self.randint(limit + 1, n)
        states, cost, last = self.walks(lengths, backtrack=backtrack)
        found: Any = last
        undo = self.arrays.xp.where(found >= 0, self.walk_undo[found.clip(min=0)], -1)
        return states, cost, undo[:, None]

    def far_walk_states(self, limit: int, n: int, m: int) -> tuple[A, A, A]:
        """``n`` states, each the end of one of ``m`` walks of the same length k ~ U[0, limit]:
        the one the domain's classical heuristic (``default_heuristic``) rates farthest from the
        goal.  Its bound is its own walk's cost, so the bounds stay valid; the states are as far
        as the walks reach rather than as far as a typical walk goes (random Sokoban walks
        leave most boxes next to their targets)."""
        arrays = self.arrays
        lengths = arrays.repeat_rows(self.randint(limit + 1, n), m)
        walked: tuple[Any, Any, Any] = self.walks(lengths)
        states, cost, last = walked
        scores: Any = self.estimates(states)
        kept = arrays.arange(n) * m + scores.reshape(n, m).argmax(axis=1)
        found: Any = last[kept]
        undo = arrays.xp.where(found >= 0, self.walk_undo[found.clip(min=0)], -1)
        return states[kept], cost[kept], undo[:, None]

    def estimates(self, states: A) -> A:
        """``[N]`` the domain's classical heuristic's cost-to-go estimates (``farwalk``)."""
        raise NotImplementedError

    def make_batch(
        self,
        seed: int,
        step: int,
        batch_size: int,
        scramble_max: int,
        actions_per_state: int | None,
        source: str = "walk",
        children: bool = True,
        stream: Sequence[int] = (),
        tighten: bool = True,
    ) -> Fields[A]:
        """``make`` with the fields of a ``BatchSpec`` as arguments."""
        spec = BatchSpec(
            seed, step, batch_size, scramble_max, actions_per_state, source, children,
            tuple(stream), tighten,
        )  # fmt: skip
        return self.make(spec)

    def make(self, spec: BatchSpec) -> Fields[A]:
        """The batch of training step ``spec.step``: a function of (seed, step, stream) only."""
        self.seed(spec.seed, spec.step, spec.stream)
        states, bounds, undo = self.draw_states(spec.source, spec.scramble_max, spec.batch_size)
        if spec.tighten:
            bounds, undo = tightest_bounds_with(self.arrays, states, bounds, undo)
        applicable: Any = self.applicable(states)  # [N, A]
        n, a = applicable.shape
        k = spec.actions_per_state
        if k is None or k >= a:
            actions = self.arrays.all_actions(n, a)
        else:  # a uniform sample of K actions, applicable ones first
            actions = self.arrays.largest(self.rand(n, a) + applicable, k)
        rows: Any = states
        batch = self.batch(
            states=states,
            is_goal=self.is_goal(states),
            actions=actions,
            trained=self.arrays.take(applicable, actions),
            costs=self.action_costs[actions],
            children=rows[:0],  # [0, D]: no children yet
            child_is_goal=applicable[:0, 0],  # [0] bool
            child_applicable=None,
            bounds=bounds,
            undo=undo,
        )
        return self.with_children(batch) if spec.children else batch

    def with_children(self, batch: Fields[A]) -> Fields[A]:
        """``batch`` with the children of its trained actions made."""
        actions: Any = batch.actions
        states = self.arrays.repeat_rows(batch.states, actions.shape[1])
        return self.with_children_made(batch, self.step(states, actions.reshape(-1)))

    def with_children_made(self, batch: Fields[A], children: A) -> Fields[A]:
        """``batch`` with ``children`` and their goal test and applicability (None where every
        action applies: the batch then travels from worker processes and to the device without
        it)."""
        return replace(
            batch,
            children=children,
            child_is_goal=self.is_goal(children),
            child_applicable=None if self.every_action_applies else self.applicable(children),
        )

    def with_actions(self, batch: Fields[A], first: A) -> Fields[A]:
        """``batch`` with the first ``first.shape[1]`` trained actions of each state replaced by
        ``first`` (``[N, G]``), their children made again where the batch has children."""
        xp = self.arrays.xp
        b: Any = batch
        f: Any = first
        n, k = b.actions.shape
        count = f.shape[1]
        actions = xp.concatenate([f, b.actions[:, count:]], axis=1)
        out = replace(
            batch,
            actions=actions,
            trained=self.arrays.take(self.applicable(b.states), actions),
            costs=self.action_costs[actions],
        )
        if len(b.children) == 0:
            return out
        made: Any = self.step(self.arrays.repeat_rows(b.states, count), f.reshape(-1))
        kept = b.children.reshape(n, k, -1)[:, count:]
        grouped = xp.concatenate([made.reshape(n, count, -1), kept], axis=1)
        return self.with_children_made(out, grouped.reshape(n * k, -1))

    def with_greedy_actions(
        self, batch: Fields[A], online: Any, count: int, precision: str = "fp32"
    ) -> Fields[A]:
        """``batch`` with its first ``count`` trained actions per state replaced by the online
        network's ``count`` best applicable actions that were not sampled already.

        With many actions a uniform sample rarely holds the few that search would pick; training
        those keeps their Q-values honest (an estimate that is too low is what misleads Q*).
        """
        b: Any = batch
        q = self.q_values(online, b.states, precision)
        q = self.arrays.xp.where(self.applicable(b.states), q, math.inf)
        q = self.arrays.fill_at(q, b.actions[:, count:], math.inf)  # sampled already
        return self.with_actions(batch, self.arrays.smallest(q, count))


def walk_kernels() -> Any:
    """The compiled walks (``_walk_jit``, numba), or None without numba or with
    ``QSOLVE_COMPILED=0``; they make the same states from the same draws as the numpy loop."""
    if os.environ.get("QSOLVE_COMPILED", "1") == "0":
        return None
    return _walk_jit()


@functools.cache
def _walk_jit() -> Any:
    try:
        from qsolve.training import _walk_jit as module
    except ImportError:
        return None
    return module


class HostData(BatchMaker[np.ndarray]):
    """Batches made with numpy and the domain's own methods, for any domain (its networks'
    Q-values, for greedy actions, come from ``device``)."""

    arrays = NUMPY

    def __init__(
        self, domain: Domain, device: Any = None, rng: np.random.Generator | None = None
    ) -> None:
        self.domain = domain
        self.walk = domain.walk_domain
        self.device = device
        self.reverse_costs = np.asarray(self.walk.reverse_costs).astype(np.float32)
        self.action_costs = np.asarray(domain.action_costs).astype(np.float32)
        self.every_action_applies = domain.every_action_applies
        self.name = domain.name
        masks = getattr(domain, "press_masks", None)
        self.press_masks = None if masks is None else masks.astype(np.int64)  # [A, D]
        self.rng = np.random.default_rng(0) if rng is None else rng
        self.heuristic: Any = None  # the classical heuristic of ``estimates``, made when needed

    @property  # type: ignore[override]
    def walk_undo(self) -> np.ndarray:  # found when first walked, then cached on the domain
        return walk_undo(self.domain)

    def batch(self, **fields: Any) -> Batch:
        return Batch(**fields)

    def seed(self, seed: int, step: int, stream: Sequence[int] = ()) -> None:
        self.rng = np.random.default_rng([seed, step, *stream])

    def rand(self, n: int, a: int) -> np.ndarray:
        return self.rng.random((n, a))

    def randint(self, high: int, n: int) -> np.ndarray:
        return self.rng.integers(0, high, size=n)

    def goal_states(self, n: int) -> np.ndarray:
        return self.walk.goal_states(n, self.rng)

    def walk_noise(self, n: int) -> np.ndarray:
        return walk_noise(self.walk, self.rng, n)

    def under_way(self, lengths: np.ndarray) -> tuple[np.ndarray, Iterator[tuple[Any, int]]]:
        # In the rows' own order, the walks under way picked out at each step (the draws of
        # ``Domain.random_walk``).
        actives = (np.flatnonzero(lengths > t) for t in range(int(lengths.max(initial=0))))
        return np.arange(len(lengths)), ((rows, len(rows)) for rows in actives)

    def compiled_walks(
        self, lengths: np.ndarray, backtrack: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        # The sliding puzzles' walks in compiled code where numba is installed: the loop makes
        # about 30 numpy calls a time step, most of a step's time on puzzle48's long walks.
        kernels = walk_kernels()
        if kernels is None or not isinstance(self.walk, SlidingPuzzle):
            return None
        lengths = np.asarray(lengths, dtype=np.int64)
        n = len(lengths)
        states = self.goal_states(n)
        # One draw for every time step's rows: the same numbers as one draw a time step.
        noise = self.walk_noise(int(lengths.sum()))
        penalty = np.zeros_like(self.undo_penalty) if backtrack else self.undo_penalty
        cost, last = self.arrays.zeros(n), self.arrays.full(n, -1)
        on_board, targets = self.walk.blank_moves
        kernels.sliding_walks(
            states, lengths, noise, on_board, targets, penalty, self.reverse_costs, cost, last
        )
        return states, cost, last

    def reverse_applicable(self, states: np.ndarray) -> np.ndarray:
        return self.walk.reverse_applicable(states)

    def reverse_step(self, states: np.ndarray, moves: np.ndarray) -> np.ndarray:
        return self.walk.reverse_step(states, moves)

    def boards(self, presses: np.ndarray) -> np.ndarray | None:
        if self.press_masks is None:
            return None
        return ((presses @ self.press_masks) & 1).astype(self.domain.dtype)  # type: ignore[no-any-return]

    def applicable(self, states: np.ndarray) -> np.ndarray:
        return self.domain.applicable(states)

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        return self.domain.step(states, actions)

    def is_goal(self, states: np.ndarray) -> np.ndarray:
        return self.domain.is_goal(states)

    def estimates(self, states: np.ndarray) -> np.ndarray:
        from qsolve.heuristics import get_heuristic

        if self.heuristic is None:
            self.heuristic = get_heuristic(self.domain.default_heuristic, self.domain)
        values = self.heuristic.values(states)
        return np.where(np.isfinite(values), values, -1.0)  # type: ignore[no-any-return]

    def q_values(self, online: Any, states: np.ndarray, precision: str) -> np.ndarray:
        import torch

        from qsolve.networks.encoding import one_hot, with_baseline
        from qsolve.training.precision import autocast

        device = self.device or torch.device("cpu")
        with torch.no_grad(), autocast(device, precision):
            out = online(one_hot(self.domain, states, device)).float()
            out = with_baseline(online, torch.from_numpy(states), out)
            return out.cpu().numpy()  # type: ignore[no-any-return]


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
    """The batch of training step ``step`` made with numpy (``BatchSpec`` names the arguments):
    a function of (seed, step) only.

    ``children=False`` leaves the children out (walk targets need none: 1/A of the work).
    ``stream`` adds entropy of its own: in data-parallel training, each rank's share of the
    step is drawn from (seed, step, world size, rank).  ``tighten=False`` skips taking each
    state's smallest bound over its copies in the batch (only walk and capped targets read them).
    """
    made = HostData(domain).make_batch(
        seed, step, batch_size, scramble_max, actions_per_state, source, children, stream, tighten
    )
    return made  # type: ignore[return-value]


def with_children(domain: Domain, batch: Batch) -> Batch:
    """``batch`` with the children of its trained actions made."""
    return HostData(domain).with_children(batch)  # type: ignore[return-value]


def with_actions(domain: Domain, batch: Batch, first: np.ndarray) -> Batch:
    """``batch`` with the first ``first.shape[1]`` trained actions replaced (``with_actions``)."""
    return HostData(domain).with_actions(batch, first)  # type: ignore[return-value]


# -- batches made ahead by worker processes ------------------------------------------------


def _worker_batch(domain: Domain | str, spec: BatchSpec) -> Batch:
    made = HostData(get_domain(domain) if isinstance(domain, str) else domain).make(spec)
    return made  # type: ignore[return-value]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle


class BatchSource:
    """Batches by step number, made here or by ``workers`` processes a few steps ahead;
    ``spec(step)`` says what the batch of each step is drawn from."""

    def __init__(self, domain: Domain, workers: int, spec: Callable[[int], BatchSpec]) -> None:
        self.domain = domain
        self.ref = domain_reference(domain)  # a name workers rebuild it from, or the domain
        self.workers = workers
        self.spec = spec
        self.pool: Pool | None = None
        self.pending: dict[int, AsyncResult[Batch]] = {}
        if workers > 0:
            self.pool = multiprocessing.get_context("spawn").Pool(workers, _ignore_sigint)

    def get(self, step: int) -> Batch:
        if self.pool is None:
            return _worker_batch(self.domain, self.spec(step))
        for ahead in range(step, step + 2 * self.workers):
            if ahead not in self.pending:
                self.pending[ahead] = self.pool.apply_async(
                    _worker_batch, (self.ref, self.spec(ahead))
                )
        return self.pending.pop(step).get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
