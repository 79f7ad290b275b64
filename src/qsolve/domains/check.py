"""``check_domain``: does a domain keep the contract that search and training rely on?

Like Stable-Baselines3's ``check_env``: each broken rule is reported as one plain sentence.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qsolve.domains.base import Domain
from qsolve.errors import QsolveError


def check_domain(domain: Domain, samples: int = 200, seed: int = 0) -> int:
    """Raise QsolveError naming the first broken rule of the Domain contract; return the number
    of checks passed.  Checks the attributes, ``step`` and ``applicable`` on walk states, the goal,
    action costs, the text round trip and the network encoding."""
    checks = 0

    def rule(holds: bool, sentence: str) -> None:
        nonlocal checks
        if not holds:
            raise QsolveError(f"{type(domain).__name__}: {sentence}")
        checks += 1

    for attribute in ("name", "action_names", "action_costs", "goal", "num_values"):
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
    goal = np.asarray(domain.goal)
    rule(
        goal.ndim == 1 and goal.size > 0,
        f"goal must be a non-empty 1-D array, not shape {goal.shape}",
    )
    rule(np.issubdtype(goal.dtype, np.integer), f"goal must hold integers, not {goal.dtype}")
    rule(
        isinstance(domain.num_values, int | np.integer) and domain.num_values >= 2,
        "num_values must be an integer of at least 2",
    )
    rule(
        bool(goal.min() >= 0 and goal.max() < domain.num_values),
        "goal entries must lie in [0, num_values)",
    )
    rule(bool(domain.is_goal(goal[None, :])[0]), "is_goal(goal) must be True")

    rng = np.random.default_rng(seed)
    states = domain.random_walk(rng.integers(0, 30, size=samples), rng)
    rule(
        states.shape == (samples, goal.size),
        f"random_walk must return [N, {goal.size}] states, not shape {states.shape}",
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
    rule(bool(applicable.any(axis=1).all()), "every walk state must have an applicable action")
    for a in range(len(names)):
        children = domain.step(states, np.full(samples, a))
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
    goals = domain.is_goal(states)
    rule(goals.shape == (samples,) and goals.dtype == bool, "is_goal must return an [N] bool array")

    for state in states[:20]:
        text = domain.format_state(state)
        rule(isinstance(text, str), "format_state must return a string")
        back = domain.parse_state(text)
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
        rule(
            bool(domain.is_goal(domain.goal[None, cells])[0]),
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
    actions = rng.integers(0, domain.num_actions, size=len(states))
    on_device = torch.from_numpy(states)
    made = {
        "step": (ops.step(on_device, torch.from_numpy(actions)), domain._step(states, actions)),
        "applicable": (ops.applicable(on_device), domain._applicable(states)),
        "is_goal": (ops.is_goal(on_device), domain._is_goal(states)),
        "encode": (ops.encode(on_device), domain._encode(states)),
    }
    for name, (tensor, array) in made.items():
        rule(
            np.array_equal(tensor.cpu().numpy(), array),
            f"torch_ops: {name} on the device differs from the numpy {name} on walk states",
        )
