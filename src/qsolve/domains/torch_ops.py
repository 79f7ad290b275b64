"""A domain's dynamics as batched torch index operations on one device (a GPU, or the CPU).

Training makes its walks, children and targets with these where a domain offers them
(``Domain.torch_ops``), so that nothing of a step runs on the host.  Each class mirrors the
numpy ``_step``, ``_applicable``, ``_is_goal`` and ``_encode`` of its domains exactly, on
``[N, D]`` tensors of the domain's dtype:

- ``PermutationOps`` (cubes): a move is a facelet permutation, ``next = state[perm]``: a gather;
- ``SlidingOps`` (sliding tiles): a move swaps the blank with a neighbour;
- ``XorOps`` (Lights Out): a press toggles a fixed set of cells: an XOR with its mask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from qsolve.domains.base import Domain


class TorchOps:
    """The operations training needs from a domain, on tensors of ``device``.

    Subclasses implement ``step`` and, where not every action applies, ``applicable``.
    """

    def __init__(self, domain: Domain, device: torch.device) -> None:
        self.domain = domain
        self.device = device
        self.num_actions = domain.num_actions
        self.num_reverse = domain.num_reverse
        self.num_values = domain.num_values
        self.every_action_applies = domain.every_action_applies
        self.dtype = torch.from_numpy(np.zeros(1, dtype=domain.dtype)).dtype
        # [D] the goal state, where the domain has one
        self.goal = (
            torch.from_numpy(np.ascontiguousarray(domain.goal)).to(device)
            if domain.has_goal_state
            else None
        )
        self.action_costs = torch.as_tensor(  # [A] float32
            np.asarray(domain.action_costs), dtype=torch.float32, device=device
        )
        self.reverse_costs = torch.as_tensor(  # [R] float32
            np.asarray(domain.reverse_costs), dtype=torch.float32, device=device
        )
        # [D] the first one-hot column of each state entry
        self._offsets = torch.arange(domain.state_dim, device=device) * domain.num_values

    def step(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``[N, D]``: ``actions[i]`` applied to ``states[i]`` (inapplicable ones change nothing)."""
        raise NotImplementedError

    def applicable(self, states: torch.Tensor) -> torch.Tensor:
        """``[N, A]`` bool: the actions that change each state."""
        return torch.ones(
            (states.shape[0], self.num_actions), dtype=torch.bool, device=states.device
        )

    def reverse_step(self, states: torch.Tensor, moves: torch.Tensor) -> torch.Tensor:
        """``[N, D]``: reverse move ``moves[i]`` applied (``Domain.reverse_step``): the action
        itself unless a subclass says otherwise."""
        return self.step(states, moves)

    def reverse_applicable(self, states: torch.Tensor) -> torch.Tensor:
        """``[N, R]`` bool: the reverse moves that change each state."""
        return self.applicable(states)

    def walk_step(
        self, states: torch.Tensor, noise: torch.Tensor, penalty: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One random reverse move of each state: the applicable one with the largest
        ``noise + penalty`` (``[N, R]``; ``noise`` in [0, 1), ``penalty`` <= -2 rules a move
        out) is taken; the ``[N, D]`` next states and the ``[N]`` chosen moves."""
        scores = noise if self.every_action_applies else noise * self.reverse_applicable(states)
        if penalty is not None:
            scores = scores + penalty
        chosen = scores.argmax(dim=1)
        return self.reverse_step(states, chosen), chosen

    def is_goal(self, states: torch.Tensor) -> torch.Tensor:
        """``[N]`` bool: which states are the goal."""
        assert self.goal is not None, "a domain without a goal state overrides is_goal"
        return (states == self.goal).all(dim=1)

    def goal_states(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[n, D]`` goal states (``Domain.goal_states``): copies of the goal here."""
        assert self.goal is not None, "a domain without a goal state overrides goal_states"
        return self.goal.expand(n, -1).clone()

    def encode(self, states: torch.Tensor) -> torch.Tensor:
        """``[N, D * num_values]`` float32, the one-hot network input (``Domain.encode``)."""
        out = torch.zeros(
            (states.shape[0], self._offsets.numel() * self.num_values),
            dtype=torch.float32,
            device=states.device,
        )
        return out.scatter_(1, self._offsets + states.long(), 1.0)


class PermutationOps(TorchOps):
    """Moves that permute the state's entries: ``next = state[perms[a]]``."""

    def __init__(self, domain: Domain, device: torch.device, perms: np.ndarray) -> None:
        super().__init__(domain, device)
        self.perms = torch.from_numpy(np.asarray(perms, dtype=np.int64)).to(device)  # [A, D]

    def step(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return states.gather(1, self.perms[actions])


class SlidingOps(TorchOps):
    """Sliding tiles: the tile a move names swaps places with the blank (0)."""

    def __init__(
        self, domain: Domain, device: torch.device, on_board: np.ndarray, targets: np.ndarray
    ) -> None:
        super().__init__(domain, device)
        # [D, A] per blank position: which moves apply, and where the blank goes (itself when the
        # move does not apply, so that the swap changes nothing).
        self.on_board = torch.from_numpy(on_board).to(device)
        self.targets = torch.from_numpy(np.asarray(targets, dtype=np.int64)).to(device)

    def blanks(self, states: torch.Tensor) -> torch.Tensor:
        """``[N]`` int64: the position of the blank in each state (its one 0, the minimum)."""
        return states.argmin(dim=1)

    def applicable(self, states: torch.Tensor) -> torch.Tensor:
        return self.on_board[self.blanks(states)]

    def step(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return self._swap(states, self.blanks(states), actions)

    def walk_step(
        self, states: torch.Tensor, noise: torch.Tensor, penalty: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        blanks = self.blanks(states)  # once for the applicability and the move
        scores = noise * self.on_board[blanks]
        if penalty is not None:
            scores = scores + penalty
        chosen = scores.argmax(dim=1)
        return self._swap(states, blanks, chosen), chosen

    def _swap(
        self, states: torch.Tensor, blanks: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        """The tile at each move's target goes where the blank was; the blank goes there."""
        blanks, targets = blanks[:, None], self.targets[blanks, actions][:, None]
        out = states.scatter(1, blanks, states.gather(1, targets))
        return out.scatter_(1, targets, 0)


class XorOps(TorchOps):
    """Presses that toggle a fixed set of cells: ``next = state ^ masks[a]``."""

    def __init__(self, domain: Domain, device: torch.device, masks: np.ndarray) -> None:
        super().__init__(domain, device)
        self.masks = torch.from_numpy(np.ascontiguousarray(masks)).to(device)  # [A, D]

    def step(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return states ^ self.masks[actions]


class SokobanOps(TorchOps):
    """Sokoban (``domains.sokoban``): the player's moves and pushes, steps back and pulls, on
    the 10 x 10 cell values, and goal rooms drawn from the shipped ones."""

    def __init__(self, domain: Domain, device: torch.device, rooms: np.ndarray) -> None:
        from qsolve.domains import sokoban

        super().__init__(domain, device)
        self.k = sokoban
        self.deltas = torch.from_numpy(sokoban.DELTAS).to(device)  # [4]
        self.rooms = torch.from_numpy(np.ascontiguousarray(rooms)).to(device)  # [M, D]

    def players(self, states: torch.Tensor) -> torch.Tensor:
        """``[N]`` int64: the player's cell (``Sokoban._players``)."""
        return ((states >= self.k.PLAYER) & (states < self.k.WALL)).to(torch.uint8).argmax(dim=1)

    def _is_box(self, values: torch.Tensor) -> torch.Tensor:
        return (values == self.k.BOX) | (values == self.k.BOX_ON_TARGET)

    def applicable(self, states: torch.Tensor) -> torch.Tensor:
        players = self.players(states)[:, None]
        into = states.gather(1, players + self.deltas)
        beyond = states.gather(1, (players + 2 * self.deltas).clamp(0, self.k.CELLS - 1))
        return (into < self.k.BOX) | (self._is_box(into) & (beyond < self.k.BOX))

    def step(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        k = self.k
        players = self.players(states)[:, None]
        into = players + self.deltas[actions][:, None]
        beyond = (into + self.deltas[actions][:, None]).clamp(0, k.CELLS - 1)
        at_player, at_into, at_beyond = (states.gather(1, c) for c in (players, into, beyond))
        push = self._is_box(at_into) & (at_beyond < k.BOX)
        moves = (at_into < k.BOX) | push
        out = states.scatter(1, beyond, torch.where(push, (at_beyond & 1) | k.BOX, at_beyond))
        out.scatter_(1, into, torch.where(moves, (at_into & 1) | k.PLAYER, at_into))
        return out.scatter_(1, players, torch.where(moves, at_player & 1, at_player))

    def is_goal(self, states: torch.Tensor) -> torch.Tensor:
        return ~(states == self.k.BOX).any(dim=1)

    def reverse_applicable(self, states: torch.Tensor) -> torch.Tensor:
        players = self.players(states)[:, None]
        back = states.gather(1, players - self.deltas) < self.k.BOX
        pull = back & self._is_box(states.gather(1, players + self.deltas))
        return torch.cat([back, pull], dim=1)

    def reverse_step(self, states: torch.Tensor, moves: torch.Tensor) -> torch.Tensor:
        k = self.k
        players = self.players(states)[:, None]
        delta = self.deltas[moves % 4][:, None]
        back, front = players - delta, players + delta
        at_player, at_back, at_front = (states.gather(1, c) for c in (players, back, front))
        pulls = (moves[:, None] >= 4) & self._is_box(at_front)
        steps = (at_back < k.BOX) & ((moves[:, None] < 4) | pulls)
        pulls = pulls & steps
        left = torch.where(pulls, (at_player & 1) | k.BOX, at_player & 1)
        out = states.scatter(1, front, torch.where(pulls, at_front & 1, at_front))
        out.scatter_(1, back, torch.where(steps, (at_back & 1) | k.PLAYER, at_back))
        return out.scatter_(1, players, torch.where(steps, left, at_player))

    def goal_states(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[n, D]`` shipped goal rooms, the player on a uniformly random free cell."""
        device = self.rooms.device
        rows = torch.randint(0, self.rooms.shape[0], (n,), generator=generator, device=device)
        out = self.rooms[rows]
        noise = torch.rand(out.shape, generator=generator, device=device)
        players = (noise * (out == self.k.FLOOR)).argmax(dim=1, keepdim=True)
        return out.scatter_(1, players, self.k.PLAYER)
