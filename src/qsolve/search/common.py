"""What Q* and A* share: the node store with duplicate detection, the priority, limits, the result
record, and the drivers that answer a search's heuristic requests (one search, or many in lockstep)."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from qsolve.domains.base import Domain


@dataclass
class SearchResult:
    """The outcome of one search: the solution (if any) and what it cost to find."""

    solved: bool
    actions: list[int]  # action indices in the searched domain
    moves: list[str]  # move names in the base domain's notation (meta-actions expanded)
    cost: float  # path cost of the solution (nan when unsolved)
    nodes_generated: int
    iterations: int
    seconds: float
    heuristic_inputs: int  # states given to the heuristic
    stop_reason: str = "solved"  # solved | exhausted | max_iterations | max_nodes | time_limit
    meta_moves: list[str] = field(default_factory=list)  # the domain's own action names
    # Seconds by phase: heuristic, open list, ranking (Q*), duplicates, generation, setup.
    timings: dict[str, float] = field(default_factory=dict)
    fell_back: bool = False  # the first weight stalled and the fallback weight ran (fallback.py)
    # The most states the search held at once: its node store (Q*, A*), a beam's seen states.
    states_stored: int = 0

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "solved": self.solved,
            "moves": self.moves,
            "cost": self.cost if self.solved else None,
            "nodes_generated": self.nodes_generated,
            "iterations": self.iterations,
            "seconds": round(self.seconds, 6),
            "heuristic_inputs": self.heuristic_inputs,
            "stop_reason": self.stop_reason,
        }
        if self.meta_moves != self.moves:
            out["actions"] = self.meta_moves
        if self.fell_back:
            out["fell_back"] = True
        return out


@dataclass
class Limits:
    """Budgets per instance; ``None`` means unlimited."""

    max_iterations: int | None = None
    max_nodes: int | None = None
    time_limit: float | None = None

    def exceeded(self, iterations: int, nodes: int, started: float) -> str | None:
        if self.max_iterations is not None and iterations >= self.max_iterations:
            return "max_iterations"
        if self.max_nodes is not None and nodes >= self.max_nodes:
            return "max_nodes"
        if self.time_limit is not None and time.perf_counter() - started >= self.time_limit:
            return "time_limit"
        return None


def priority(g: Any, h: Any, weight: float) -> Any:
    """The open-list key of both searches, f = weight * g + h (Q* puts Q(node, action) for h);
    on floats or on numpy arrays."""
    return weight * g + h


class Clock:
    """Adds up wall time by phase (each ``lap`` charges the time since the previous lap) and
    counts the states sent to the heuristic."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.last = time.perf_counter()
        self.heuristic_inputs = 0

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self.last
        self.last = now

    def ask(self, states: np.ndarray) -> Generator[np.ndarray, np.ndarray, np.ndarray]:
        """Request the heuristic's answer for ``[N, D]`` states from the driver (use with
        ``yield from``); the time until the answer comes is charged to "heuristic"."""
        answer = yield states
        self.lap("heuristic")
        self.heuristic_inputs += len(states)
        return answer


def finished(
    domain: Domain,
    actions: list[int],
    cost: float | None,
    nodes_generated: int,
    iterations: int,
    started: float,
    clock: Clock,
    reason: str | None,
    states_stored: int,
) -> SearchResult:
    """The result of a search that stopped (``cost`` None: no goal found), for every algorithm."""
    solved = cost is not None
    return SearchResult(
        solved=solved,
        actions=actions,
        moves=domain.base_moves(actions),
        cost=cost if cost is not None else float("nan"),
        nodes_generated=nodes_generated,
        iterations=iterations,
        seconds=time.perf_counter() - started,
        heuristic_inputs=clock.heuristic_inputs,
        stop_reason=reason or ("solved" if solved else "exhausted"),
        meta_moves=domain.format_moves(actions),
        timings=clock.seconds,
        states_stored=states_stored,
    )


def grow(array: np.ndarray, size: int) -> np.ndarray:
    """``array`` with room for at least ``size`` rows (capacity doubles)."""
    if size <= array.shape[0]:
        return array
    bigger = np.empty((max(size, 2 * array.shape[0]), *array.shape[1:]), dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


class NodeStore:
    """Search nodes in growable arrays, indexed by state for exact duplicate detection.

    A node keeps its state, its parent node, the action that reached it and its path cost g.  A
    node's generation goes up when its path cost drops, so that open-list entries made before go
    stale.  Rows past ``size`` are unused.  The index is a dict of the states' bytes here, a hash
    table run by the compiled kernels in ``kernels.CompiledNodeStore``.
    """

    def __init__(self, start: np.ndarray) -> None:
        self.dim = start.shape[0]
        self.states = np.empty((1024, self.dim), dtype=start.dtype)
        self.parent = np.empty(1024, dtype=np.int64)
        self.action = np.empty(1024, dtype=np.int64)
        self.g = np.empty(1024, dtype=np.float64)
        self.generation = np.empty(1024, dtype=np.int64)
        self.index: dict[bytes, int] = {}
        self.size = 0
        self.insert(start[None, :], np.array([-1]), np.array([-1]), np.array([0.0]))

    def insert(
        self, states: np.ndarray, parents: np.ndarray, actions: np.ndarray, path_costs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Add ``[N, D]`` children, dropping those already reached at a lower or equal path cost.

        Returns per row the node id (``-1`` when dropped), and the ids of the new nodes and of the
        existing nodes whose path cost went down (reopened), each in order of first appearance.
        """
        # Fixed-width byte strings; numpy drops trailing zero bytes, which keeps keys unique
        # because every state has the same length.
        keys = (
            np.ascontiguousarray(states)
            .view(f"S{states.shape[1] * states.itemsize}")
            .ravel()
            .tolist()
        )
        costs = path_costs.tolist()
        index, g, g_at = self.index, self.g, self.g.item
        ids = [-1] * len(costs)
        new_rows: list[int] = []
        new_g: list[float] = []
        updates: list[tuple[int, int]] = []
        base = self.size
        for i, (key, cost) in enumerate(zip(keys, costs, strict=True)):
            node = index.get(key)
            if node is None:
                node = base + len(new_rows)
                index[key] = node
                new_rows.append(i)
                new_g.append(cost)
                ids[i] = node
            elif node >= base:  # reached twice in this batch
                if cost < new_g[node - base]:
                    new_g[node - base] = cost
                    updates.append((node, i))
                    ids[i] = node
            elif cost < g_at(node):
                g[node] = cost
                updates.append((node, i))
                ids[i] = node
        n_new = len(new_rows)
        end = base + n_new
        self._reserve(end)
        rows = np.array(new_rows, dtype=np.int64)
        self.states[base:end] = states[rows]
        new, reopened = self._link(base, rows, np.array(new_g), parents, actions, updates)
        return np.array(ids, dtype=np.int64), new, reopened

    def _reserve(self, size: int) -> None:
        """Room for ``size`` nodes in every per-node array."""
        self.states = grow(self.states, size)
        self.parent = grow(self.parent, size)
        self.action = grow(self.action, size)
        self.g = grow(self.g, size)
        self.generation = grow(self.generation, size)

    def _link(
        self,
        base: int,
        rows: np.ndarray,
        new_g: np.ndarray,
        parents: np.ndarray,
        actions: np.ndarray,
        updates: Iterable[tuple[int, int]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Both insert paths' last part (this one and ``kernels.CompiledNodeStore``'s): the new nodes ``base, base + 1, ...`` (whose states are
        written) get the parent, action and path cost of their batch ``rows``; each
        ``(node, row)`` of ``updates``, reached more cheaply, takes that row's parent and action,
        and an existing node among them is reopened.  Returns the new and the reopened ids."""
        end = base + len(rows)
        self.parent[base:end] = parents[rows]
        self.action[base:end] = actions[rows]
        self.g[base:end] = new_g
        self.generation[base:end] = 0
        reopened: dict[int, None] = {}
        for node, i in updates:
            self.parent[node] = parents[i]
            self.action[node] = actions[i]
            if node < base:
                reopened[node] = None
                self.generation[node] += 1
        self.size = end
        return np.arange(base, end, dtype=np.int64), np.array(list(reopened), dtype=np.int64)

    def add_children(
        self,
        children: np.ndarray,
        parents: np.ndarray,
        actions: np.ndarray,
        path_costs: np.ndarray,
        is_goal: np.ndarray,
        incumbent: Incumbent,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Insert generated children, offer the goals among them to ``incumbent``, and return the
        new and the reopened nodes that are not goals (the ones to evaluate and put in the open
        list: no path through a goal is cheaper than stopping there)."""
        ids, new, reopened = self.insert(children, parents, actions, path_costs)
        if not is_goal.any():
            return new, reopened
        incumbent.offer(self, ids, is_goal)
        goal_ids = ids[is_goal & (ids >= 0)]
        if len(goal_ids):
            new = new[~np.isin(new, goal_ids)]
            reopened = reopened[~np.isin(reopened, goal_ids)]
        return new, reopened

    def path(self, node: int) -> list[int]:
        """The actions from the start to ``node``."""
        actions = []
        while self.parent[node] >= 0:
            actions.append(int(self.action[node]))
            node = int(self.parent[node])
        return actions[::-1]


class Incumbent:
    """The cheapest goal node generated so far."""

    def __init__(self) -> None:
        self.cost = float("inf")
        self.node = -1

    def offer(self, store: NodeStore, ids: np.ndarray, is_goal: np.ndarray) -> None:
        for node in ids[is_goal & (ids >= 0)].tolist():
            if store.g.item(node) < self.cost:
                self.cost, self.node = store.g.item(node), node

    @property
    def found(self) -> bool:
        return self.node >= 0


Search = Generator[np.ndarray, np.ndarray, SearchResult]
Requests = Generator[np.ndarray, np.ndarray, None]  # a step that may ask the heuristic


def run_search(search: Search, evaluate: Callable[[np.ndarray], np.ndarray]) -> SearchResult:
    """Drive one search generator, answering each batch of states with ``evaluate``."""
    try:
        request = next(search)
        while True:
            request = search.send(evaluate(request))
    except StopIteration as done:
        return done.value


def run_lockstep(
    searches: Iterable[Search], evaluate: Callable[[np.ndarray], np.ndarray], parallel: int
) -> list[SearchResult]:
    """Drive many searches in lockstep, at most ``parallel`` at a time: each heuristic call
    carries the states of every unfinished search.  Returns the results in input order."""
    return list(iter_lockstep(searches, evaluate, parallel))


def iter_lockstep(
    searches: Iterable[Search], evaluate: Callable[[np.ndarray], np.ndarray], parallel: int
) -> Iterator[SearchResult]:
    """``run_lockstep``, yielding each result in input order as soon as it and every result
    before it are final (so that a caller can print them while the rest run)."""
    pending = iter(enumerate(searches))
    results: dict[int, SearchResult] = {}
    active: dict[int, tuple[Search, np.ndarray]] = {}
    next_out = 0

    def advance(i: int, search: Search, answer: np.ndarray | None) -> None:
        try:
            request = next(search) if answer is None else search.send(answer)
        except StopIteration as done:
            results[i] = done.value
        else:
            active[i] = (search, request)

    while True:
        while len(active) < parallel:
            item = next(pending, None)
            if item is None:
                break
            advance(item[0], item[1], None)
        while next_out in results:
            yield results.pop(next_out)
            next_out += 1
        if not active:
            break
        batch = list(active.items())
        answers = evaluate(np.concatenate([request for _, (_, request) in batch]))
        offset = 0
        for i, (search, request) in batch:
            del active[i]
            advance(i, search, answers[offset : offset + len(request)])
            offset += len(request)
