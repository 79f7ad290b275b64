"""Beam search: layer by layer, the ``beam_width`` best new children by Q*'s or A*'s priority.

Each layer holds at most W states.  Every state that has entered a layer is kept (``SeenStates``)
and never enters again, which bounds memory by W times the depth.  Two rankings:

- pairs (a Q heuristic, as Q*): the layer's (node, action) pairs by f = λ g(node) + Q(node, a);
  the best pairs are stepped in rank order until W new children are kept, so children are
  generated only for the pairs taken (a pair whose child was seen, or repeats a better pair's
  child, is passed over and the next pairs are taken, in rounds that double).
- children (a state heuristic, as A*): every child of the layer is generated, and the new ones
  are ranked by f = λ g(child) + h(child), ties by (node, action) order.

The search stops at the first layer that generates a goal (the cheapest goal generated is the
solution).  With W at least the number of states, a layer is every state at that depth: with
unit costs, breadth-first search, and every solution optimal.
"""

from __future__ import annotations

import time
from collections.abc import Generator

import numpy as np

from qsolve.domains.base import Domain
from qsolve.heuristics.base import Heuristic
from qsolve.options import check_beam_width
from qsolve.search.common import (
    Clock,
    Limits,
    Search,
    SearchResult,
    finished,
    priority,
    run_search,
)

# What one layer gives back: the children generated, the goal (parent position, action, path
# cost) if one was generated, else the kept children as (parents, actions, states, path costs).
Kept = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Goal = tuple[int, int, float]
LayerSteps = Generator[np.ndarray, np.ndarray, tuple[int, Goal | None, Kept]]


def ranks_pairs(heuristic: Heuristic) -> bool:
    """Whether beam search ranks (node, action) pairs with ``heuristic``: when its ``q_values`` is
    one pass of its own (a Q network, h = 0, a user's ``q_values``) rather than the ``values`` of
    every child.  A heuristic says so in ``q_in_one_pass`` where its class cannot tell."""
    own = getattr(heuristic, "q_in_one_pass", None)
    if isinstance(own, bool):
        return own
    return type(heuristic).q_values is not Heuristic.q_values


def state_keys(states: np.ndarray) -> np.ndarray:
    """``[N]`` exact keys of ``[N, D]`` states: each row's bytes as one fixed-width byte string
    (numpy compares them whole; equal lengths keep keys that differ in trailing zeros apart)."""
    rows = np.ascontiguousarray(states)
    return rows.view(f"S{rows.shape[1] * rows.itemsize}").ravel()


class SeenStates:
    """The states that have entered a layer, as a sorted array of ``state_keys``."""

    def __init__(self, start: np.ndarray) -> None:
        self.keys = state_keys(start[None, :]).copy()

    @classmethod
    def of_keys(cls, keys: np.ndarray) -> SeenStates:
        """Seen states given by other keys than ``state_keys`` (any sortable ``[N]`` array of
        distinct keys, such as hashes)."""
        seen = cls.__new__(cls)
        seen.keys = np.sort(keys)
        return seen

    def __len__(self) -> int:
        return len(self.keys)

    def first_new(self, keys: np.ndarray) -> np.ndarray:
        """Ascending positions in ``keys`` of the first occurrence of each key not seen."""
        unique, first = np.unique(keys, return_index=True)
        at = np.minimum(np.searchsorted(self.keys, unique), len(self.keys) - 1)
        return np.sort(first[self.keys[at] != unique])

    def add(self, keys: np.ndarray) -> None:
        """Add distinct keys that are not seen yet."""
        keys = np.sort(keys)
        self.keys = np.insert(self.keys, np.searchsorted(self.keys, keys), keys)


def best(f: np.ndarray, m: int) -> np.ndarray:
    """Indices of the ``m`` smallest of ``f`` ([N] float), in order of (f, index)."""
    if m >= len(f):
        return np.argsort(f, kind="stable")
    kth = np.partition(f, m - 1)[m - 1]
    below = np.flatnonzero(f < kth)
    ties = np.flatnonzero(f == kth)[: m - len(below)]
    pick = np.sort(np.concatenate([below, ties]))
    return pick[np.argsort(f[pick], kind="stable")]


class Layers:
    """The beam layer by layer: per kept child its parent's position in the layer before and
    the action, so that a path is read back without storing the states of past layers."""

    def __init__(self) -> None:
        self.parents: list[np.ndarray] = []
        self.actions: list[np.ndarray] = []

    def add(self, parents: np.ndarray, actions: np.ndarray) -> None:
        self.parents.append(parents)
        self.actions.append(actions)

    def path(self, parent: int, action: int) -> list[int]:
        """The actions from the start to the child by ``action`` of ``parent`` (a position in
        the last layer added)."""
        path = [action]
        for parents, actions in zip(reversed(self.parents), reversed(self.actions), strict=True):
            path.append(int(actions[parent]))
            parent = int(parents[parent])
        return path[::-1]


def beam_search(
    domain: Domain,
    heuristic: Heuristic,
    start: np.ndarray,
    beam_width: int,
    weight: float = 1.0,
    limits: Limits | None = None,
    pairs: bool | None = None,
) -> SearchResult:
    """Solve ``start`` ([D]) with beam search; ``pairs`` (None: ``ranks_pairs(heuristic)``) as
    in ``beam_steps``."""
    pairs = ranks_pairs(heuristic) if pairs is None else pairs
    steps = beam_steps(domain, start, beam_width, weight, limits, pairs)
    return run_search(steps, heuristic.q_values if pairs else heuristic.values)


def beam_steps(
    domain: Domain,
    start: np.ndarray,
    beam_width: int,
    weight: float = 1.0,
    limits: Limits | None = None,
    pairs: bool = True,
) -> Search:
    """Beam search on ``start`` ([D]) as a generator.  With ``pairs`` it yields each layer's
    ``[N, D]`` states and is sent their ``[N, A]`` Q-values; otherwise it yields each layer's new
    children and is sent their ``[N]`` cost-to-go estimates.  Returns the ``SearchResult``, with
    ``iterations`` the layers and ``states_stored`` the states that entered a layer."""
    beam_width = check_beam_width(beam_width)
    limits = limits or Limits()
    started = time.perf_counter()
    clock = Clock()
    seen = SeenStates(start)
    layers = Layers()
    states = start[None, :]  # [n, D] the layer
    g = np.zeros(1)  # [n] their path costs
    nodes_generated, iterations = 1, 0
    reason: str | None = None
    goal: Goal | None = None
    if domain.is_goal(states)[0]:
        goal = (-1, -1, 0.0)
    clock.lap("setup")
    while goal is None and len(states):
        reason = limits.exceeded(iterations, nodes_generated, started)
        if reason:
            break
        iterations += 1
        if pairs:
            layer = yield from pairs_layer(domain, states, g, beam_width, weight, seen, clock)
        else:
            layer = yield from children_layer(domain, states, g, beam_width, weight, seen, clock)
        generated, goal, kept = layer
        nodes_generated += generated
        if goal is None:
            kept_parents, kept_actions, states, g = kept
            layers.add(kept_parents, kept_actions)
    clock.lap("ranking")
    actions: list[int] = []
    if goal is not None and goal[0] >= 0:
        actions = layers.path(goal[0], goal[1])
    cost = goal[2] if goal is not None else None
    return finished(
        domain, actions, cost, nodes_generated, iterations, started, clock, reason, len(seen)
    )


def cheapest_goal(
    domain: Domain,
    children: np.ndarray,
    parents: np.ndarray,
    actions: np.ndarray,
    costs: np.ndarray,
) -> Goal | None:
    """The cheapest goal among generated ``children`` (ties: the first), or None."""
    goals = np.flatnonzero(domain.is_goal(children))
    if not len(goals):
        return None
    i = goals[np.argmin(costs[goals])]
    return int(parents[i]), int(actions[i]), float(costs[i])


def pairs_layer(
    domain: Domain,
    states: np.ndarray,
    g: np.ndarray,
    width: int,
    weight: float,
    seen: SeenStates,
    clock: Clock,
) -> LayerSteps:
    """One layer ranked by Q: the best pairs of ``states`` stepped in rank order, in rounds, until
    ``width`` new children are kept or no pair is left."""
    q = yield from clock.ask(states)  # [n, A]
    a = domain.num_actions
    f = priority(g[:, None], np.asarray(q, dtype=np.float64), weight).ravel()  # [n * A]
    candidates = np.flatnonzero(np.isfinite(f))  # pairs as parent * A + action
    f = f[candidates]
    ranked = best(f, width)
    clock.lap("ranking")
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    generated = taken = kept_count = rounds = 0
    while kept_count < width and taken < len(f):
        # The first round takes W pairs, later ones the shortfall times 2, 4, 8 ...: few rounds
        # however many children turn out to be repeats.
        chunk = width if rounds == 0 else (width - kept_count) << rounds
        rounds += 1
        if taken + chunk > len(ranked) and len(ranked) < len(f):
            ranked = best(f, min(len(f), max(taken + chunk, 2 * len(ranked))))
            clock.lap("ranking")
        pair = candidates[ranked[taken : taken + chunk]]
        taken += len(pair)
        parents, actions = np.divmod(pair, a)
        children = domain.step(states[parents], actions)
        costs = g[parents] + domain.action_costs[actions]
        generated += len(children)
        goal = cheapest_goal(domain, children, parents, actions, costs)
        clock.lap("generation")
        if goal is not None:
            return generated, goal, EMPTY
        keys = state_keys(children)
        new = seen.first_new(keys)[: width - kept_count]
        seen.add(keys[new])
        kept.append((parents[new], actions[new], children[new], costs[new]))
        kept_count += len(new)
        clock.lap("duplicates")
    if not kept:
        return generated, None, EMPTY
    parts = tuple(np.concatenate(part) for part in zip(*kept, strict=True))
    return generated, None, (parts[0], parts[1], parts[2], parts[3])


def children_layer(
    domain: Domain,
    states: np.ndarray,
    g: np.ndarray,
    width: int,
    weight: float,
    seen: SeenStates,
    clock: Clock,
) -> LayerSteps:
    """One layer ranked by h: every child of ``states`` generated, the ``width`` best new ones
    (a child reached twice counts at its cheapest path) kept."""
    children, mask = domain.expand(states)  # [n, A, D], [n, A]
    parents, actions = np.nonzero(mask)
    children = children[parents, actions]
    costs = g[parents] + domain.action_costs[actions]
    goal = cheapest_goal(domain, children, parents, actions, costs)
    clock.lap("generation")
    if goal is not None:
        return len(children), goal, EMPTY
    keys = state_keys(children)
    cheapest_first = np.argsort(costs, kind="stable")
    new = np.sort(cheapest_first[seen.first_new(keys[cheapest_first])])
    clock.lap("duplicates")
    if not len(new):
        return len(children), None, EMPTY
    h = yield from clock.ask(children[new])  # [m]
    keep = new[best(priority(costs[new], np.asarray(h, dtype=np.float64), weight), width)]
    seen.add(keys[keep])
    clock.lap("ranking")
    return len(children), None, (parents[keep], actions[keep], children[keep], costs[keep])


EMPTY: Kept = (
    np.empty(0, dtype=np.int64),
    np.empty(0, dtype=np.int64),
    np.empty((0, 0), dtype=np.uint8),
    np.empty(0),
)
