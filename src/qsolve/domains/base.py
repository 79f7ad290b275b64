"""The batched domain interface: every operation takes and returns numpy arrays, one row per state."""

from __future__ import annotations

import numpy as np

from qsolve.errors import QsolveError


class Domain:
    """A deterministic problem with a fixed, finite action set and positive action costs.

    States are ``[N, D]`` arrays of small non-negative ints (``dtype``); actions are ints in
    ``[0, num_actions)``.  Subclasses set the attributes below and implement ``step``,
    ``parse_state`` and ``format_state``; everything else has a batched default.
    """

    name: str
    action_names: list[str]
    action_costs: np.ndarray  # [A] float64, cost of each action (state independent)
    goal: np.ndarray  # [D] the goal state
    num_values: int  # each state entry lies in [0, num_values), used by the one-hot encoding
    text_fields: int = 1  # whitespace-separated fields in a state's text form
    dtype: type = np.uint8
    # Training defaults: the longest random walk from the goal, the network's (width1, width2,
    # residual blocks), and how many actions of each state a step trains (None: all).
    walk_limit: int = 30
    network_size: tuple[int, int, int] = (500, 250, 2)
    actions_per_state: int | None = None
    default_heuristic: str = "zero"  # without a shipped model: a classical heuristic's name

    @property
    def num_actions(self) -> int:
        return len(self.action_names)

    @property
    def state_dim(self) -> int:
        return int(self.goal.shape[0])

    @property
    def encoding_dim(self) -> int:
        return self.state_dim * self.num_values

    # -- dynamics ---------------------------------------------------------------------------

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Apply ``actions[i]`` to ``states[i]``; inapplicable actions leave the state unchanged."""
        raise NotImplementedError

    def applicable(self, states: np.ndarray) -> np.ndarray:
        """``[N, A]`` bool mask of the actions that change each state (all True by default)."""
        return np.ones((states.shape[0], self.num_actions), dtype=bool)

    @property
    def every_action_applies(self) -> bool:
        """Whether every action applies in every state (``applicable`` not overridden)."""
        return type(self).applicable is Domain.applicable

    def is_goal(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` bool: which states are the goal."""
        return np.all(states == self.goal, axis=1)

    def goal_states(self, n: int) -> np.ndarray:
        return np.repeat(self.goal[None, :], n, axis=0)

    def expand(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All children: ``[N, A, D]`` states and the ``[N, A]`` applicability mask."""
        n, a = states.shape[0], self.num_actions
        parents = np.repeat(states, a, axis=0)
        actions = np.tile(np.arange(a), n)
        children = self.step(parents, actions).reshape(n, a, -1)
        return children, self.applicable(states)

    @property
    def walk_domain(self) -> Domain:
        """The domain whose actions random walks take (``self``; cube3-meta walks quarter turns)."""
        return self

    def random_walk(self, lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``[N, D]`` states reached by ``lengths[i]`` uniformly random applicable actions from the goal."""
        lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
        states = self.goal_states(len(lengths))
        for t in range(int(lengths.max(initial=0))):
            active = np.flatnonzero(lengths > t)
            # A uniform choice among the applicable actions of each row.
            scores = rng.random((len(active), self.num_actions)) * self.applicable(states[active])
            states[active] = self.step(states[active], np.argmax(scores, axis=1))
        return states

    # -- text -----------------------------------------------------------------------------

    def parse_state(self, text: str) -> np.ndarray:
        """The ``[D]`` state written as ``text``; raises QsolveError with the reason if invalid."""
        raise NotImplementedError

    def format_state(self, state: np.ndarray) -> str:
        raise NotImplementedError

    def parse_moves(self, text: str) -> list[int]:
        """Action indices for whitespace-separated move names (``X2`` means ``X`` twice)."""
        index = {name: i for i, name in enumerate(self.action_names)}
        actions: list[int] = []
        for token in text.replace(",", " ").split():
            if token in index:
                actions.append(index[token])
            elif token.endswith("2") and token[:-1] in index:
                actions.extend([index[token[:-1]]] * 2)
            else:
                raise QsolveError(
                    f"unknown move {token!r} for {self.name} (moves: {' '.join(self.action_names[:24])})"
                )
        return actions

    def format_moves(self, actions: list[int] | np.ndarray) -> list[str]:
        return [self.action_names[int(a)] for a in actions]

    def base_moves(self, actions: list[int] | np.ndarray) -> list[str]:
        """Move names in the base domain's notation (meta-actions expanded)."""
        return self.format_moves(actions)

    def apply_moves(self, state: np.ndarray, actions: list[int]) -> np.ndarray:
        states = state[None, :].copy()
        for a in actions:
            states = self.step(states, np.array([a]))
        return states[0]

    # -- network input --------------------------------------------------------------------

    def encode(self, states: np.ndarray) -> np.ndarray:
        """One-hot network input: ``[N, D * num_values]`` float32."""
        n, d = states.shape
        out = np.zeros((n, d * self.num_values), dtype=np.float32)
        cols = np.arange(d) * self.num_values + states.astype(np.int64)
        out[np.arange(n)[:, None], cols] = 1.0
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {self.num_actions} actions>"
