"""The batched domain interface: every operation takes and returns numpy arrays, one row per state.

A domain's operations (``step``, ``applicable``, ``is_goal``, ``expand``, ``encode``, the reverse
moves) trust what they are handed, as search and training, which call them millions of times on
states they made themselves, need; ``CheckedDomain`` is a domain with what callers hand its
operations checked (``QsolveError``), for arrays that come from outside.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from qsolve.errors import QsolveError

if TYPE_CHECKING:
    import torch

    from qsolve.domains.torch_ops import TorchOps

# The operations a domain implements, each also under the older name with a leading underscore
# (``_step``), which domains written before may implement instead: ``Domain.__init_subclass__``
# makes the one name the other's alias, so either spelling is the domain's one implementation.
OPERATIONS = (
    "step",
    "applicable",
    "is_goal",
    "expand",
    "encode",
    "reverse_step",
    "reverse_applicable",
    "torch_ops",
)


class Domain:
    """A deterministic problem with a fixed, finite action set and positive action costs.

    States are ``[N, D]`` arrays of small non-negative ints (``dtype``); actions are ints in
    ``[0, num_actions)``.  Subclasses set the attributes below and implement ``step``,
    ``parse_state`` and ``format_state``, and ``_invalid`` where not every array of in-range
    values is a state; everything else has a batched default.  The operations trust their
    input (``CheckedDomain`` checks it); each may be written under its older name too, ``_step``
    for ``step``, the one then being the other (``OPERATIONS``).

    The goal is what ``is_goal`` says.  A domain with one goal state sets ``goal``; one whose
    goal is a condition (Sokoban: every box on a target, the player anywhere) sets ``goal`` to
    None and gives ``state_dim``, ``is_goal`` and ``goal_states(n, rng)`` instead.  Training walks
    go backwards from goal states by *reverse moves*: by default reverse move ``a`` is action
    ``a`` itself (actions that other actions undo, as on cubes and sliding tiles); a domain whose
    actions cannot be undone declares ``reverse_undone_by`` and implements ``reverse_step`` and
    ``reverse_applicable``.  A state row may carry its instance (a map): ``instance(states)``
    is the part of each row that no move changes.
    """

    name: str
    action_names: list[str]
    action_costs: np.ndarray  # [A] float64, cost of each action (state independent)
    goal: np.ndarray | None  # [D] the goal state; None where the goal is a condition
    num_values: int  # each state entry lies in [0, num_values), used by the one-hot encoding
    dtype: type = np.uint8
    # Training defaults: the longest random walk from the goal, the network's (width1, width2,
    # residual blocks), and how many actions of each state a step trains (None: all).
    walk_limit: int = 30
    network_size: tuple[int, int, int] = (500, 250, 2)
    actions_per_state: int | None = None
    # (rows, columns) where the state's entries are the cells of a grid, row-major (a network
    # may then start with convolutions); None otherwise.
    grid: tuple[int, int] | None = None
    default_heuristic: str = "zero"  # without a shipped model: a classical heuristic's name
    # Whether a shipped model, where there is one, is the default instead of default_heuristic
    # (``--heuristic shipped`` names it either way).
    model_is_default: bool = True
    # Exact cost-to-go, for the oracle heuristic: a domain either solves states itself
    # (``optimal_cost``) or has a perfect hash ``_index`` onto [0, index_size) small enough for a
    # breadth-first distance table (unit costs, reversible moves).
    index_size: int | None = None
    # [R] the action that undoes each reverse move (see the class doc); None: the reverse moves
    # are the actions themselves, each undone by its inverse action (found by trying them).
    reverse_undone_by: np.ndarray | None = None
    # [R] relative chances of the reverse moves in training walks (None: the applicable moves
    # uniformly); Sokoban favours pulls, which move boxes, over steps back.
    reverse_weights: np.ndarray | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Each operation the class writes under one of its two names is also the other."""
        super().__init_subclass__(**kwargs)
        for name in OPERATIONS:
            older = "_" + name
            if older in vars(cls) and name not in vars(cls):
                setattr(cls, name, vars(cls)[older])
            elif name in vars(cls) and older not in vars(cls):
                setattr(cls, older, vars(cls)[name])

    @property
    def text_fields(self) -> int:
        """Whitespace-separated fields in a state's text form: as declared (``text_fields = n``),
        else as many as ``format_state`` writes for the goal state (1 without one)."""
        declared = self.__dict__.get("_text_fields")
        if declared is None:
            goal = getattr(self, "goal", None)
            declared = 1 if goal is None else len(self.format_state(goal).split())
            self._text_fields = declared
        return int(declared)

    @text_fields.setter
    def text_fields(self, fields: int) -> None:
        self._text_fields = fields

    @property
    def num_actions(self) -> int:
        return len(self.action_names)

    @property
    def state_dim(self) -> int:
        """D, the entries of a state (the goal's length; a domain without one overrides this)."""
        if self.goal is None:
            raise NotImplementedError(f"{type(self).__name__} has no goal: define state_dim")
        return int(np.asarray(self.goal).shape[0])

    @property
    def goal_state(self) -> np.ndarray:
        """``[D]`` the goal state; QsolveError for a domain whose goal is a condition."""
        goal = getattr(self, "goal", None)
        if goal is None:
            raise QsolveError(f"{self.name} has no single goal state: its goal is a condition")
        return goal

    @property
    def has_goal_state(self) -> bool:
        """Whether the goal is one state (``goal``) rather than a condition."""
        return getattr(self, "goal", None) is not None

    @property
    def encoding_dim(self) -> int:
        return self.state_dim * self.num_values

    # -- checking what callers pass ----------------------------------------------------------

    def _array(self, states: object, single: bool = False) -> np.ndarray:
        """``[N, D]`` states of ``dtype`` from an integer array whose entries lie in
        ``[0, num_values)``; ``single``: also accept one ``[D]`` state.  Checks the form only."""
        if (
            isinstance(states, np.ndarray)
            and states.dtype == self.dtype
            and states.ndim == 2
            and states.shape[1] == self.state_dim
        ):
            # The common case, kept cheap: unsigned entries need only their maximum checked.
            if states.size == 0 or (
                states.dtype.kind == "u" and int(states.max()) < self.num_values
            ):
                return states
            array = states
        else:
            array = _integer_array(states, f"{self.name} states")
            if single and array.ndim == 1:
                array = array[None, :]
            if array.ndim != 2 or array.shape[1] != self.state_dim:
                shape = "[D] or [N, D]" if single else "[N, D]"
                raise QsolveError(
                    f"{self.name} states are {shape} arrays with D = {self.state_dim}, "
                    f"got shape {list(array.shape)}"
                )
        if array.size:
            low, high = int(array.min()), int(array.max())
            if low < 0 or high >= self.num_values:
                outside = (array < 0) | (array >= self.num_values)
                row, col = np.unravel_index(int(np.argmax(outside)), array.shape)
                raise QsolveError(
                    f"{self.name} state {row} has entry {array[row, col]} at position {col}, "
                    f"outside 0..{self.num_values - 1}"
                )
        return array.astype(self.dtype, copy=False)

    def _one_state(self, state: object) -> np.ndarray:
        """One ``[D]`` state of in-range integers (the form only, as ``_array``)."""
        array = self._array(state, single=True)
        if array.shape[0] != 1:
            raise QsolveError(f"expected one {self.name} state, got {array.shape[0]}")
        return array[0]

    def _actions(self, actions: object, n: int) -> np.ndarray:
        """``[n]`` int64 actions (a scalar applies to every row), each in ``[0, num_actions)``."""
        if (
            isinstance(actions, np.ndarray)
            and actions.dtype.kind == "i"
            and actions.shape == (n,)
            and n > 0
            and int(actions.min()) >= 0
            and int(actions.max()) < self.num_actions
        ):
            return actions.astype(np.int64, copy=False)  # the common case, kept cheap
        array = _integer_array(actions, f"{self.name} actions")
        if array.ndim > 1 or (array.ndim == 1 and len(array) != n):
            raise QsolveError(
                f"{self.name} step needs one action per state ({n}), got shape {list(array.shape)}"
            )
        if array.size:
            low, high = int(array.min()), int(array.max())
            if low < 0 or high >= self.num_actions:
                bad = low if low < 0 else high
                raise QsolveError(
                    f"{self.name} actions lie in 0..{self.num_actions - 1}, got {bad}"
                )
        return np.broadcast_to(array.astype(np.int64, copy=False), (n,))

    def _invalid(self, states: np.ndarray) -> tuple[int, str] | None:
        """The first row of ``[N, D]`` in-range states that breaks the domain's own rules (a
        repeated tile, a wrong parity, a twisted corner ...) and the reason, or None."""
        return None

    def check_states(self, states: object) -> np.ndarray:
        """``[N, D]`` states of ``dtype`` from one ``[D]`` state or a ``[N, D]`` array; raises
        QsolveError unless each is an integer row of the domain that can reach the goal."""
        array = self._array(states, single=True)
        bad = self._invalid(array)
        if bad is not None:
            raise QsolveError(f"{self.name} state {bad[0]}: {bad[1]}")
        return array

    def _check_parsed(self, state: np.ndarray, text: str) -> np.ndarray:
        """``state``, parsed from ``text``, once the domain's rules hold for it."""
        bad = self._invalid(state[None, :])
        if bad is not None:
            raise QsolveError(f"{self.name} state {' '.join(text.split())!r}: {bad[1]}")
        return state

    # -- dynamics: what search and training call, on states they made (unchecked) ------------

    def step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """``[N, D]``: ``actions[i]`` applied to ``states[i]``; an action that does not apply
        leaves its state unchanged."""
        raise NotImplementedError(f"{type(self).__name__} must implement step")

    def applicable(self, states: np.ndarray) -> np.ndarray:
        """``[N, A]`` bool mask of the actions that change each state (all True by default)."""
        return np.ones((states.shape[0], self.num_actions), dtype=bool)

    def is_goal(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` bool: which states are the goal (equality with ``goal`` by default)."""
        goal = self.goal
        if goal is None:
            raise NotImplementedError(f"{type(self).__name__} has no goal: define is_goal")
        if (
            states.ndim == 2
            and states.dtype == goal.dtype
            and states.dtype.kind in "biu"
            and states.shape[1] == goal.shape[0] > 0
            and states.flags.c_contiguous
            and goal.flags.c_contiguous
        ):
            # Each row read as one opaque value of D bytes: one memory comparison per row, no
            # [N, D] temporary (equal bytes are equal entries for the integer state dtypes).
            row = np.dtype((np.void, goal.nbytes))
            return states.view(row)[:, 0] == goal.view(row)[0]
        return np.all(states == goal, axis=1)

    def expand(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All children: ``[N, A, D]`` states and the ``[N, A]`` applicability mask."""
        n, a = states.shape[0], self.num_actions
        parents = np.repeat(states, a, axis=0)
        actions = np.tile(np.arange(a), n)
        children = self.step(parents, actions).reshape(n, a, -1)
        return children, self.applicable(states)

    # The older names of the operations (``OPERATIONS``).
    _step, _applicable, _is_goal, _expand = step, applicable, is_goal, expand

    @property
    def every_action_applies(self) -> bool:
        """Whether every action applies in every state (``applicable`` not overridden)."""
        return type(self).applicable is Domain.applicable

    def goal_states(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``[n, D]`` goal states, where training walks start: copies of ``goal`` here; a domain
        whose goal is a condition draws them from ``rng`` (Sokoban: rooms with every box on a
        target and the player on a free cell)."""
        if self.goal is None:
            raise NotImplementedError(f"{type(self).__name__} has no goal: define goal_states")
        return np.repeat(self.goal[None, :], n, axis=0)

    def instance(self, states: np.ndarray) -> np.ndarray:
        """``[N, K]``: the part of each state that no move changes (Sokoban's walls and targets);
        ``[N, 0]`` for a domain whose states carry no instance of their own."""
        return states[:, :0]

    # -- reverse moves: the steps of training walks, from goal states backwards --------------

    @property
    def num_reverse(self) -> int:
        """R, the reverse moves (``num_actions`` unless ``reverse_undone_by`` says otherwise)."""
        undone_by = self.reverse_undone_by
        return self.num_actions if undone_by is None else len(undone_by)

    @property
    def reverse_costs(self) -> np.ndarray:
        """``[R]`` float64: the cost of each reverse move, that of the action undoing it."""
        undone_by = self.reverse_undone_by
        costs = np.asarray(self.action_costs, dtype=np.float64)
        return costs if undone_by is None else costs[np.asarray(undone_by)]

    def reverse_step(self, states: np.ndarray, moves: np.ndarray) -> np.ndarray:
        """Reverse move ``moves[i]`` applied to ``states[i]``: a state from which action
        ``reverse_undone_by[moves[i]]`` leads back to ``states[i]`` at the move's cost (the rule
        that keeps training's walk bounds valid); the action itself by default."""
        return self.step(states, moves)

    def reverse_applicable(self, states: np.ndarray) -> np.ndarray:
        """``[N, R]`` bool mask of the reverse moves that change each state (``applicable`` by
        default)."""
        return self.applicable(states)

    _reverse_step, _reverse_applicable = reverse_step, reverse_applicable

    def _moves(self, moves: object, n: int) -> np.ndarray:
        """``[n]`` int64 reverse moves, each in ``[0, num_reverse)``."""
        array = _integer_array(moves, f"{self.name} reverse moves")
        array = np.broadcast_to(array, (n,)) if array.ndim == 0 else array
        if array.shape != (n,):
            raise QsolveError(
                f"{self.name} reverse_step needs one move per state ({n}), got shape "
                f"{list(array.shape)}"
            )
        if array.size and (int(array.min()) < 0 or int(array.max()) >= self.num_reverse):
            raise QsolveError(f"{self.name} reverse moves lie in 0..{self.num_reverse - 1}")
        return array.astype(np.int64, copy=False)

    def _index(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` int64 perfect hash of the states onto ``[0, index_size)`` (table domains only)."""
        raise NotImplementedError(f"{self.name} has no state index")

    def optimal_cost(self, states: np.ndarray) -> np.ndarray:
        """``[N]`` the exact cost-to-go of each state, where the domain can solve it directly."""
        raise NotImplementedError(f"{self.name} does not solve states exactly")

    @property
    def solves_exactly(self) -> bool:
        """Whether ``optimal_cost`` is implemented (the oracle then needs no table)."""
        return type(self).optimal_cost is not Domain.optimal_cost

    def symmetries(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The domain's symmetries as index maps ``(cells, actions)``, the identity first: for
        each, ``states[:, cells]`` is a state exactly as far from the goal as ``states``, and
        action ``i`` there does what action ``actions[i]`` does here (``step(s, actions[i])[:,
        cells] == step(s[:, cells], i)``).  A heuristic may average over them (a model's
        ``"symmetries"``).  Only the identity by default."""
        identity = np.arange(self.state_dim), np.arange(self.num_actions)
        return [identity]

    @property
    def walk_domain(self) -> Domain:
        """The domain whose actions random walks take (``self``; cube3-meta walks quarter turns)."""
        return self

    def random_walk(
        self, lengths: np.ndarray, rng: np.random.Generator, deadline: float | None = None
    ) -> np.ndarray:
        """``[N, D]`` states reached by ``lengths[i]`` uniformly random applicable reverse moves
        from goal states (the actions themselves where they are invertible).

        ``deadline`` (a ``time.monotonic()`` value): raise QsolveError once it passes.
        """
        if not isinstance(rng, np.random.Generator):
            raise QsolveError(f"random_walk needs a numpy Generator, got {type(rng).__name__}")
        lengths = _integer_array(lengths, "random walk lengths").reshape(-1)
        if lengths.size and int(lengths.min()) < 0:
            raise QsolveError(f"random walk lengths must be non-negative, got {lengths.min()}")
        states = self.goal_states(len(lengths), rng)
        steps = int(lengths.max(initial=0))
        for t in range(steps):
            if deadline is not None and time.monotonic() > deadline:
                raise QsolveError(
                    f"the time limit ran out while making the instances: {t:,} of the "
                    f"{steps:,} random moves made"
                )
            active = np.flatnonzero(lengths > t)
            # A uniform choice among the applicable actions of each row.
            scores = walk_noise(self, rng, len(active)) * self.reverse_applicable(states[active])
            states[active] = self.reverse_step(states[active], np.argmax(scores, axis=1))
        return states

    # -- on a torch device ------------------------------------------------------------------

    def torch_ops(self, device: torch.device) -> TorchOps | None:
        """The domain's step, applicability, goal test, encoding and reverse moves as torch
        operations on ``device`` (``qsolve.domains.torch_ops``), or None: a capability a domain
        declares by returning them, for training to make its data on the device.  They must do
        exactly what the numpy operations do: ``qsolve check-domain`` compares the two, and
        training uses them only where they agree (``check.torch_ops_differ``)."""
        return None

    _torch_ops = torch_ops

    # -- text -----------------------------------------------------------------------------

    def parse_state(self, text: str) -> np.ndarray:
        """The ``[D]`` state written as ``text``; raises QsolveError with the reason if invalid."""
        raise NotImplementedError

    def format_state(self, state: np.ndarray) -> str:
        raise NotImplementedError

    def split_file(
        self, lines: Iterable[tuple[int, str | QsolveError]]
    ) -> Iterator[tuple[int, str, str | QsolveError]]:
        """The instances in a file's numbered lines: (first line number, label, text to parse or
        the error of that line).  A state a line here, ``#`` starting a comment; a domain whose
        instances span lines (Sokoban's level collections) overrides this."""
        for number, line in lines:
            if isinstance(line, QsolveError):
                yield number, f"line {number}", line
                continue
            fields = line.split("#", 1)[0].split()
            if fields:
                yield number, f"line {number}", " ".join(fields[: self.text_fields])

    def notations(self, start: np.ndarray, actions: list[int]) -> dict[str, str]:
        """Other ways of writing a solution from ``start`` (name -> text), shown beside its
        moves: Sokoban's LURD notation; none by default."""
        return {}

    def parse_moves(self, text: str) -> list[int]:
        """Action indices for whitespace-separated move names (``X2`` means ``X`` twice)."""
        index = {name: i for i, name in enumerate(self.action_names)}
        actions: list[int] = []
        for token in expect_text(text, f"{self.name} moves").replace(",", " ").split():
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
        return [self.action_names[int(a)] for a in self._actions(np.asarray(actions), len(actions))]

    def base_moves(self, actions: list[int] | np.ndarray) -> list[str]:
        """Move names in the base domain's notation (meta-actions expanded)."""
        return self.format_moves(actions)

    def apply_moves(self, state: np.ndarray, actions: list[int]) -> np.ndarray:
        """The ``[D]`` state after ``actions`` in turn; QsolveError naming the first move that
        cannot apply (a sliding tile that is not there), with its position."""
        states = self.check_states(state)[:1].copy()
        moves = self._actions(np.asarray(actions, dtype=np.int64), len(actions))
        for position, a in enumerate(moves.tolist(), start=1):
            if not self.applicable(states)[0, a]:
                raise QsolveError(
                    f"move {position} of {len(moves)}, {self.action_names[a]!r}, cannot be "
                    f"applied to the {self.name} state {self.format_state(states[0])!r}"
                )
            states = self.step(states, np.array([a]))
        return states[0]

    # -- network input --------------------------------------------------------------------

    def encode(self, states: np.ndarray) -> np.ndarray:
        """One-hot network input: ``[N, D * num_values]`` float32, entry d with value v setting
        column d * num_values + v (the one layout: training makes the same on its device,
        qsolve.networks.encoding.one_hot)."""
        n, d = states.shape
        width = d * self.num_values
        out = np.zeros((n, width), dtype=np.float32)
        # Flat positions in ``out``: one scatter is cheaper than a 2-D fancy index.
        flat = np.arange(d) * self.num_values + states.astype(np.int64)
        flat += (np.arange(n) * width)[:, None]
        out.reshape(-1)[flat.reshape(-1)] = 1.0
        return out

    _encode = encode

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {self.num_actions} actions>"


class CheckedDomain:
    """``domain`` with what callers hand its operations checked: ``step``, ``applicable``,
    ``is_goal``, ``expand``, ``encode`` and the reverse moves raise ``QsolveError`` for an array
    that is not ``[N, D]`` integer states in range (a float, a wrong shape, an entry outside
    ``[0, num_values)``) or for actions out of range, then call the domain's own; every other
    attribute is the domain's.  The view of a domain for arrays from outside (the API's users,
    ``qsolve.checked``); search and training call the domain itself."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    def __getattr__(self, name: str) -> object:
        return getattr(self.domain, name)

    def __repr__(self) -> str:
        return f"CheckedDomain({self.domain!r})"

    def step(self, states: object, actions: object) -> np.ndarray:
        array = self.domain._array(states)
        return self.domain.step(array, self.domain._actions(actions, array.shape[0]))

    def applicable(self, states: object) -> np.ndarray:
        return self.domain.applicable(self.domain._array(states))

    def is_goal(self, states: object) -> np.ndarray:
        return np.asarray(self.domain.is_goal(self.domain._array(states)), dtype=bool)

    def expand(self, states: object) -> tuple[np.ndarray, np.ndarray]:
        return self.domain.expand(self.domain._array(states))

    def encode(self, states: object) -> np.ndarray:
        return self.domain.encode(self.domain._array(states))

    def reverse_step(self, states: object, moves: object) -> np.ndarray:
        array = self.domain._array(states)
        return self.domain.reverse_step(array, self.domain._moves(moves, array.shape[0]))

    def reverse_applicable(self, states: object) -> np.ndarray:
        return np.asarray(self.domain.reverse_applicable(self.domain._array(states)), dtype=bool)


def walk_noise(domain: Domain, rng: np.random.Generator, n: int) -> np.ndarray:
    """``[n, R]`` scores in [0, 1) whose argmax over the applicable reverse moves picks each
    in proportion to ``domain.reverse_weights`` (u ** (1 / w), Efraimidis and Spirakis), or
    uniformly where the domain gives none."""
    noise = rng.random((n, domain.num_reverse))
    weights = domain.reverse_weights
    if weights is not None:
        noise **= 1.0 / np.asarray(weights, dtype=np.float64)
    return noise


def expect_text(text: object, what: str) -> str:
    """``text`` if it is a string; QsolveError naming ``what`` otherwise."""
    if not isinstance(text, str):
        raise QsolveError(f"{what} must be given as text, got {type(text).__name__}")
    return text


def _integer_array(values: object, what: str) -> np.ndarray:
    """``values`` as an integer (or bool) numpy array; QsolveError for floats, text, objects."""
    try:
        array = np.asarray(values)
    except (ValueError, TypeError) as error:  # ragged lists and the like
        raise QsolveError(f"{what} must be an integer array ({error})") from None
    if array.size == 0 and array.dtype.kind == "f":  # np.asarray([]) is float64
        return array.astype(np.int64)
    if array.dtype.kind not in "iub":
        raise QsolveError(f"{what} must be integers, got an array of {array.dtype}")
    return array
