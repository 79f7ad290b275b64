"""``check_domain``: does a domain keep the contract that search and training rely on?

Like Stable-Baselines3's ``check_env``: each broken rule is reported as one plain sentence.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from qsolve.domains.base import Domain
from qsolve.errors import QsolveError

if TYPE_CHECKING:
    from qsolve.domains.torch_ops import TorchOps


def check_domain(domain: Domain, samples: int = 200, seed: int = 0) -> int:
    """Raise QsolveError naming the first broken rule of the Domain contract; return the number
    of checks passed.  Checks the attributes, the goal (one state, or goal states that satisfy
    ``is_goal``), ``step`` and ``applicable`` on walk states, reverse moves undone by their
    actions at the same cost, the instance no move changes, action costs, the text round trip,
    the network encoding, symmetries and torch operations."""
    checks = 0

    def rule(holds: bool, sentence: str) -> None:
        nonlocal checks
        if not holds:
            raise QsolveError(f"{type(domain).__name__}: {sentence}")
        checks += 1

    for attribute in ("name", "action_names", "action_costs", "num_values"):
        rule(hasattr(domain, attribute), f"the attribute {attribute!r} is missing")
    rule(isinstance(domain.name, str) and bool(domain.name), "name must be a non-empty string")
    names = list(domain.action_names)
    rule(len(names) > 0, "action_names must name at least one action")
    rule(
        all(isinstance(n, str) and n.strip() for n in names),
        "each action name must be a non-empty string",
    )
    rule(len(set(names)) == len(names), "action names must be distinct")
    costs = np.asarray(domain.action_costs)
    rule(
        costs.shape == (len(names),),
        f"action_costs must have one entry per action ({len(names)}), not shape {costs.shape}",
    )
    rule(
        bool(np.all(np.isfinite(costs)) and np.all(costs > 0)),
        "every action cost must be positive and finite",
    )
    rule(
        isinstance(domain.num_values, int | np.integer) and domain.num_values >= 2,
        "num_values must be an integer of at least 2",
    )
    rng = np.random.default_rng(seed)
    if getattr(domain, "goal", None) is not None:
        goal = np.asarray(domain.goal)
        rule(
            goal.ndim == 1 and goal.size > 0,
            f"goal must be a non-empty 1-D array, not shape {goal.shape}",
        )
        rule(np.issubdtype(goal.dtype, np.integer), f"goal must hold integers, not {goal.dtype}")
        rule(
            bool(goal.min() >= 0 and goal.max() < domain.num_values),
            "goal entries must lie in [0, num_values)",
        )
        rule(bool(domain.is_goal(goal[None, :])[0]), "is_goal(goal) must be True")
    dim = _attempt(rule, lambda: domain.state_dim, "state_dim (or goal) must give the state size")
    rule(
        isinstance(dim, int | np.integer) and bool(dim > 0), "state_dim must be a positive integer"
    )
    goals = np.asarray(
        _attempt(rule, lambda: domain.goal_states(8, rng), "goal_states(n, rng) must work")
    )
    rule(
        goals.shape == (8, dim),
        f"goal_states(n, rng) must return [n, {dim}] states, not shape {goals.shape}",
    )
    rule(
        bool(np.all(domain.is_goal(goals))),
        "every state goal_states(n, rng) returns must satisfy is_goal",
    )
    for a in range(len(names)):
        child = np.asarray(
            _attempt(
                rule,
                functools.partial(domain.step, goals, np.full(len(goals), a)),
                f"step must work on goal states (action {names[a]})",
            )
        )
        rule(
            child.shape == goals.shape,
            f"step must return states of the shape it is given; action {names[a]} returned "
            f"{child.shape} for {goals.shape}",
        )

    states = np.asarray(
        _attempt(
            rule,
            lambda: domain.random_walk(rng.integers(0, 30, size=samples), rng),
            "random walks from the goal states must work",
        )
    )
    rule(
        states.shape == (samples, dim),
        f"random_walk must return [N, {dim}] states, not shape {states.shape}",
    )
    rule(
        bool(states.min() >= 0 and states.max() < domain.num_values),
        "walk states must stay in [0, num_values)",
    )
    applicable = domain.applicable(states)
    rule(
        applicable.shape == (samples, len(names)) and applicable.dtype == bool,
        f"applicable must return an [N, {len(names)}] bool array, not {applicable.dtype} of shape {applicable.shape}",
    )
    rule(
        bool(np.all(applicable.any(axis=1) | domain.is_goal(states))),
        "every walk state that is not a goal must have an applicable action",
    )
    for a in range(len(names)):
        children = np.asarray(domain.step(states, np.full(samples, a)))
        rule(
            children.shape == states.shape,
            f"step must return states of the shape it is given; action {names[a]} returned {children.shape}",
        )
        rule(
            children.dtype == states.dtype,
            f"step must keep the state dtype {states.dtype}; action {names[a]} returned {children.dtype}",
        )
        rule(
            bool(children.min() >= 0 and children.max() < domain.num_values),
            f"action {names[a]} makes entries outside [0, num_values)",
        )
        same = np.all(children == states, axis=1)
        rule(
            bool(np.all(same | applicable[:, a])),
            f"action {names[a]} changes states where it is not applicable",
        )
        one = domain.step(states[:1], np.array([a]))
        rule(
            np.array_equal(one[0], children[0]),
            f"step must give the same child for a state alone and in a batch (action {names[a]})",
        )
    at_goal = domain.is_goal(states)
    rule(
        at_goal.shape == (samples,) and at_goal.dtype == bool,
        "is_goal must return an [N] bool array",
    )
    _check_instance(domain, states, rule)
    _check_reverse_moves(domain, states, rule)

    for state in states[:20]:
        text = domain.format_state(state)
        rule(isinstance(text, str), "format_state must return a string")
        back = _attempt(
            rule,
            functools.partial(domain.parse_state, text),
            f"parse_state must read what format_state writes ({text!r})",
        )
        rule(
            np.array_equal(np.asarray(back), state),
            f"parse_state(format_state(s)) must give s back; it did not for {text!r}",
        )
        fields = len(text.split())
        rule(
            fields == domain.text_fields,
            f"format_state writes {fields} whitespace-separated fields, but text_fields is {domain.text_fields}",
        )
    encoded = domain.encode(states[:5])
    rule(
        encoded.shape == (5, domain.encoding_dim),
        f"encode must return [N, {domain.encoding_dim}] inputs, not shape {encoded.shape}",
    )
    _check_symmetries(domain, states, rng, rule)
    _check_torch_ops(domain, states, rng, rule)
    return checks


def _attempt(
    rule: Callable[[bool, str], None], call: Callable[[], object], sentence: str
) -> object:
    """``call()``; what it raises becomes the broken rule ``sentence`` (with the error)."""
    try:
        return call()
    except QsolveError:
        raise
    except Exception as error:  # the domain's own code may raise anything
        rule(False, f"{sentence}; it raised {type(error).__name__}: {error}")
        raise AssertionError("unreachable") from None


def _check_instance(domain: Domain, states: np.ndarray, rule: Callable[[bool, str], None]) -> None:
    """No action and no reverse move changes a state's instance (its map: walls, targets)."""
    instance = domain.instance(states)
    rule(
        instance.ndim == 2 and instance.shape[0] == len(states),
        f"instance must return an [N, K] array, not shape {instance.shape}",
    )
    if instance.shape[1] == 0:
        return
    for a, name in enumerate(domain.action_names):
        children = domain.step(states, np.full(len(states), a))
        rule(
            np.array_equal(domain.instance(children), instance),
            f"action {name} changes the instance (the cells no move may change)",
        )
    for r in range(domain.num_reverse):
        parents = domain.reverse_step(states, np.full(len(states), r))
        rule(
            np.array_equal(domain.instance(parents), instance),
            f"reverse move {r} changes the instance (the cells no move may change)",
        )


def _check_reverse_moves(
    domain: Domain, states: np.ndarray, rule: Callable[[bool, str], None]
) -> None:
    """Each applicable reverse move leads to a state from which the action that undoes it leads
    back, at the same cost: so a walk of cost c from a goal state is solved at cost c."""
    undone_by = domain.reverse_undone_by
    if undone_by is None:  # the reverse moves are the actions themselves: each needs an inverse
        _check_inverses(domain.walk_domain, rule)
        return
    undone_by = np.asarray(undone_by)
    rule(
        undone_by.ndim == 1
        and len(undone_by) > 0
        and np.issubdtype(undone_by.dtype, np.integer)
        and bool(np.all((undone_by >= 0) & (undone_by < domain.num_actions))),
        "reverse_undone_by must be a 1-D array of actions",
    )
    applicable = domain.reverse_applicable(states)
    rule(
        applicable.shape == (len(states), len(undone_by)) and applicable.dtype == bool,
        f"reverse_applicable must return an [N, {len(undone_by)}] bool array, not "
        f"{applicable.dtype} of shape {applicable.shape}",
    )
    for r, a in enumerate(undone_by.tolist()):
        parents = domain.reverse_step(states, np.full(len(states), r))
        rows = applicable[:, r]
        same = np.all(parents == states, axis=1)
        rule(
            bool(np.all(same | rows)),
            f"reverse move {r} changes states where it is not applicable",
        )
        rule(
            bool(np.all(~same[rows])),
            f"reverse move {r} must change every state where it is applicable",
        )
        back = domain.step(parents[rows], np.full(int(rows.sum()), a))
        rule(
            np.array_equal(back, states[rows])
            and bool(np.all(domain.applicable(parents[rows])[:, a])),
            f"reverse move {r} must be undone by action {domain.action_names[a]} (the action "
            "reverse_undone_by names)",
        )


def _check_inverses(walk: Domain, rule: Callable[[bool, str], None]) -> None:
    """Without reverse moves, training walks take the actions themselves and count on each being
    undone by one action of the same cost (``training.data.inverse_actions`` finds it): else a
    walk's cost would not bound the cost back to the goal."""
    rng = np.random.default_rng(1)
    states = walk.random_walk(rng.integers(0, 30, size=100), rng)
    applicable = walk.applicable(states)
    costs = np.asarray(walk.action_costs)
    for a, name in enumerate(walk.action_names):
        rows = np.flatnonzero(applicable[:, a])
        if len(rows) == 0:
            continue
        children = walk.step(states[rows], np.full(len(rows), a))
        undone = any(
            costs[b] == costs[a]
            and np.array_equal(walk.step(children, np.full(len(rows), b)), states[rows])
            for b in range(walk.num_actions)
        )
        rule(
            undone,
            f"action {name} is undone by no single action of the same cost in every state "
            "where it applies; declare reverse moves (reverse_undone_by, reverse_step, "
            "reverse_applicable) so that training walks stay solvable at their cost",
        )


def _check_symmetries(
    domain: Domain, states: np.ndarray, rng: np.random.Generator, rule: Callable[[bool, str], None]
) -> None:
    """Each symmetry is a pair of permutations, the identity first, that commutes with step and
    keeps the goal (so that it keeps every distance to it)."""
    maps = domain.symmetries()
    rule(len(maps) >= 1, "symmetries must list at least the identity")
    cells, actions = maps[0]
    rule(
        np.array_equal(cells, np.arange(domain.state_dim))
        and np.array_equal(actions, np.arange(domain.num_actions)),
        "the first of symmetries must be the identity",
    )
    presses = rng.integers(0, domain.num_actions, size=len(states))
    for i, (cells, actions) in enumerate(maps):
        cells, actions = np.asarray(cells), np.asarray(actions)
        rule(
            sorted(cells.tolist()) == list(range(domain.state_dim))
            and sorted(actions.tolist()) == list(range(domain.num_actions)),
            f"symmetry {i} must be a permutation of the state entries and one of the actions",
        )
        goals = domain.goal_states(4, rng)
        rule(
            bool(np.all(domain.is_goal(goals[:, cells]))),
            f"symmetry {i} must map the goal to the goal",
        )
        rule(
            np.array_equal(
                domain.step(states, actions[presses])[:, cells],
                domain.step(states[:, cells], presses),
            ),
            f"symmetry {i} must commute with step: step(s, actions[a]) mapped must be "
            f"step(s mapped, a)",
        )


def _check_torch_ops(
    domain: Domain, states: np.ndarray, rng: np.random.Generator, rule: Callable[[bool, str], None]
) -> None:
    """Where the domain offers torch operations (``torch_ops``), they must equal its numpy ones."""
    import torch

    ops = domain.torch_ops(torch.device("cpu"))
    if ops is None:
        return
    differs = torch_ops_differ(domain, ops, states, rng)
    rule(
        differs is None,
        f"torch_ops: {differs} on the device differs from the numpy {differs} on walk states",
    )


def torch_ops_differ(
    domain: Domain,
    ops: TorchOps,
    states: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> str | None:
    """The first of ``ops``' operations (``step``, ``applicable``, ``is_goal``, ``encode``, the
    reverse moves) that differs from the domain's numpy one on ``states`` (by default 64 walk
    states of up to 30 moves), or None where they all agree: the test a domain's declared torch
    operations pass before training uses them."""
    import torch

    rng = np.random.default_rng(0) if rng is None else rng
    if states is None:
        states = domain.random_walk(rng.integers(0, 31, size=64), rng)
    actions = rng.integers(0, domain.num_actions, size=len(states))
    moves = rng.integers(0, domain.num_reverse, size=len(states))
    on_device = torch.from_numpy(states).to(ops.device)
    made = {
        "step": (
            ops.step(on_device, torch.from_numpy(actions).to(ops.device)),
            domain.step(states, actions),
        ),
        "applicable": (ops.applicable(on_device), domain.applicable(states)),
        "is_goal": (ops.is_goal(on_device), domain.is_goal(states)),
        "encode": (ops.encode(on_device), domain.encode(states)),
        "reverse_applicable": (
            ops.reverse_applicable(on_device),
            domain.reverse_applicable(states),
        ),
        "reverse_step": (
            ops.reverse_step(on_device, torch.from_numpy(moves).to(ops.device)),
            domain.reverse_step(states, moves),
        ),
    }
    for name, (tensor, array) in made.items():
        if not np.array_equal(tensor.cpu().numpy(), np.asarray(array)):
            return name
    return None
