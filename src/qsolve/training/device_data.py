"""Training batches made on the training device: walks, press sets, bounds, children, all torch.

``DeviceData`` mirrors ``data.make_batch`` step for step with a domain's torch operations
(``Domain.torch_ops``), so that a step on a GPU never waits for the CPU: the same sources, the
same bounds and undo actions, the same trained actions and children, as ``TensorBatch``es that
the targets and the gradient step read directly.  Its draws come from a torch generator seeded
from (seed, step, stream) at every step, so the batch of step t is a function of those alone,
as on the numpy path (but not the same batch: the two paths draw differently), and a resumed run
repeats an uninterrupted one on the same device without storing any generator state.

``to_tensors`` turns a numpy ``Batch`` into a ``TensorBatch``, so that both paths meet there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from qsolve.domains import Domain
from qsolve.domains.torch_ops import TorchOps
from qsolve.errors import QsolveError
from qsolve.training.data import SOURCES, Batch, reverse_inverses, walk_undo


@dataclass
class TensorBatch:
    """``data.Batch`` as tensors on the training device (the same fields, the same shapes)."""

    states: torch.Tensor  # [N, D]
    is_goal: torch.Tensor  # [N] bool
    actions: torch.Tensor  # [N, K] int64
    trained: torch.Tensor  # [N, K] bool
    costs: torch.Tensor  # [N, K] float32
    children: torch.Tensor  # [N * K, D]; [0, D] when the targets need no children
    child_is_goal: torch.Tensor  # [N * K] bool
    child_applicable: torch.Tensor | None  # [N * K, A] bool; None: every action applies
    bounds: torch.Tensor  # [N] float32
    undo: torch.Tensor  # [N, U] int64, -1 pads

    def action_bounds(self) -> torch.Tensor:
        """``[N, K]`` float32 upper bounds on Q(s, a) (``Batch.action_bounds``)."""
        is_undo = (self.actions[:, :, None] == self.undo[:, None, :]).any(dim=2)
        b = self.bounds[:, None]
        return torch.where(is_undo, b, b + 2 * self.costs)


def to_tensors(batch: Batch, device: torch.device) -> TensorBatch:
    """``batch`` copied to ``device``."""

    def move(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array)).to(device, non_blocking=True)

    return TensorBatch(
        states=move(batch.states),
        is_goal=move(batch.is_goal),
        actions=move(batch.actions),
        trained=move(batch.trained),
        costs=move(batch.costs),
        children=move(batch.children),
        child_is_goal=move(batch.child_is_goal),
        child_applicable=None if batch.child_applicable is None else move(batch.child_applicable),
        bounds=move(batch.bounds),
        undo=move(batch.undo),
    )


def device_ops(domain: Domain, device: torch.device) -> tuple[TorchOps, TorchOps] | None:
    """The torch operations of ``domain`` and of its walk domain, or None if either lacks them."""
    ops = domain.torch_ops(device)
    walk = domain.walk_domain
    walk_ops = ops if walk is domain else walk.torch_ops(device)
    if ops is None or walk_ops is None:
        return None
    return ops, walk_ops


class DeviceData:
    """Batches made on ``device`` with the torch operations of ``domain`` (see the module doc)."""

    def __init__(self, domain: Domain, device: torch.device) -> None:
        found = device_ops(domain, device)
        if found is None:
            raise QsolveError(
                f"{domain.name} has no torch operations (Domain.torch_ops) to make its training "
                "data on the device; use --data cpu"
            )
        self.domain = domain
        self.device = device
        self.ops, self.walk = found
        # [R] the action undoing each reverse move of a walk (-1: none), as in data.walk_undo
        self.inverse = torch.from_numpy(walk_undo(domain)).to(device)
        # [R + 1, R] by last move + 1 (0: none yet): -2 at the reverse move that would undo it,
        # so that non-backtracking walks never take it while another applies
        inverse = reverse_inverses(domain)
        penalty = np.zeros((len(inverse) + 1, len(inverse)), dtype=np.float32)
        undone = np.flatnonzero(inverse >= 0)
        penalty[undone + 1, inverse[undone]] = -2.0
        self.undo_penalty = torch.from_numpy(penalty).to(device)
        self.generator = torch.Generator(device=device)
        weights = domain.walk_domain.reverse_weights
        # [R] 1 / weight: noise ** it makes the walks' argmax pick moves by weight (walk_noise)
        self.noise_power = (
            None
            if weights is None
            else torch.from_numpy(1.0 / np.asarray(weights, dtype=np.float32)).to(device)
        )
        costs = np.unique(np.asarray(domain.walk_domain.reverse_costs, dtype=np.float32))
        self.unit_cost = float(costs[0]) if len(costs) == 1 else None
        masks = getattr(domain, "press_masks", None)
        # [A, D] float32: a board is (presses @ masks) mod 2, exact in float for these sizes
        self.press_masks = (
            None if masks is None else torch.from_numpy(masks.astype(np.float32)).to(device)
        )

    # -- random draws ------------------------------------------------------------------------

    def seed(self, seed: int, step: int, stream: Sequence[int] = ()) -> None:
        """Seed the generator for step ``step``: its draws are a function of (seed, step, stream)."""
        words = np.random.SeedSequence([seed, step, *stream]).generate_state(2, dtype=np.uint32)
        self.generator.manual_seed(int(words[0]) << 32 | int(words[1]))

    def _rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=self.generator, device=self.device)

    def _randint(self, high: int, n: int) -> torch.Tensor:
        """``[n]`` int64 uniform in ``[0, high)``."""
        return torch.randint(0, high, (n,), generator=self.generator, device=self.device)

    # -- sources -------------------------------------------------------------------------------

    def walks(
        self,
        lengths: torch.Tensor,
        backtrack: bool = True,
        moves: list[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Random walks from the goal (``data.walks``): ``[N, D]`` end states, ``[N]`` float32
        walk costs, ``[N]`` int64 last actions (-1 for walks of length 0).

        The walks move longest first, so that those still under way at time t are a prefix of
        the rows: each time step works on a slice, without masks (one host sync for the
        lengths).  ``moves`` receives each time step's ``[N]`` actions (-1 where a walk has
        ended)."""
        walk = self.walk
        n, a = lengths.shape[0], walk.num_reverse
        order = torch.argsort(lengths, descending=True, stable=True)
        ended = torch.bincount(lengths).tolist() if n else []  # walks of each length
        states = walk.goal_states(n, self.generator)  # in ``order``
        last = torch.full((n,), -1, dtype=torch.int64, device=self.device)
        # With one cost for every move (the built-in domains) a walk costs its length times it.
        unit = self.unit_cost
        cost = torch.zeros(n, dtype=torch.float32, device=self.device)
        under_way = n
        for t in range(len(ended) - 1):
            under_way -= ended[t]  # the walks longer than t
            m = under_way
            penalty = None if backtrack else self.undo_penalty[last[:m] + 1]
            noise = self._rand(m, a)
            if self.noise_power is not None:
                noise = noise**self.noise_power
            states[:m], chosen = walk.walk_step(states[:m], noise, penalty)
            last[:m] = chosen
            if unit is None:
                cost[:m] += walk.reverse_costs[chosen]
            if moves is not None:
                taken = torch.full((n,), -1, dtype=torch.int64, device=self.device)
                taken[order[:m]] = chosen
                moves.append(taken)
        # back to the order the lengths were drawn in
        out_states, out_last = torch.empty_like(states), torch.empty_like(last)
        out_states[order], out_last[order] = states, last
        if unit is not None:
            return out_states, lengths.float() * unit, out_last
        out_cost = torch.empty_like(cost)
        out_cost[order] = cost
        return out_states, out_cost, out_last

    def press_subsets(self, limit: int, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Lights Out boards from uniformly random sets of k ~ U[0, min(limit, A)] distinct
        presses (``data.press_subsets``): boards, float32 set sizes, ``[N, A]`` presses (-1 pads)."""
        if self.press_masks is None:
            raise QsolveError(f"press subsets need a Lights Out domain, not {self.domain.name}")
        a = self.ops.num_actions
        sizes = self._randint(min(limit, a) + 1, n)
        order = self._rand(n, a).argsort(dim=1)  # a random permutation of the presses per row
        chosen = torch.arange(a, device=self.device)[None, :] < sizes[:, None]  # its first k
        presses = torch.where(chosen, order, -1)
        selected = torch.zeros((n, a), dtype=torch.float32, device=self.device)
        selected.scatter_(1, order, chosen.float())
        boards = torch.remainder(selected @ self.press_masks, 2).to(self.ops.dtype)
        return boards, sizes.float(), presses

    def draw_states(
        self, source: str, limit: int, n: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``n`` training states from ``source`` (``data.draw_states``): states, bounds, undo."""
        if source == "subset":
            return self.press_subsets(limit, n)
        if source not in ("walk", "nbwalk"):
            raise QsolveError(
                f"unknown training source {source!r} (choose from {', '.join(SOURCES)})"
            )
        lengths = self._randint(limit + 1, n)
        states, cost, last = self.walks(lengths, backtrack=source == "walk")
        undo = torch.where(last >= 0, self.inverse[last.clamp(min=0)], -1)
        return states, cost, undo[:, None]

    # -- batches -------------------------------------------------------------------------------

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
    ) -> TensorBatch:
        """The batch of training step ``step`` (``data.make_batch``'s arguments and meaning)."""
        self.seed(seed, step, stream)
        ops = self.ops
        states, bounds, undo = self.draw_states(source, scramble_max, batch_size)
        if tighten:
            bounds, undo = tightest_bounds(states, bounds, undo)
        applicable = ops.applicable(states)  # [N, A]
        n, a = applicable.shape
        if actions_per_state is None or actions_per_state >= a:
            actions = torch.arange(a, device=self.device).expand(n, a)
        else:  # a uniform sample of K actions, applicable ones first
            scores = self._rand(n, a) + applicable
            actions = scores.topk(actions_per_state, dim=1).indices
        empty = torch.empty(0, dtype=torch.bool, device=self.device)
        batch = TensorBatch(
            states=states,
            is_goal=ops.is_goal(states),
            actions=actions,
            trained=applicable.gather(1, actions),
            costs=ops.action_costs[actions],
            children=states[:0],
            child_is_goal=empty,
            child_applicable=None,
            bounds=bounds,
            undo=undo,
        )
        return self.with_children(batch) if children else batch

    def with_children(self, batch: TensorBatch) -> TensorBatch:
        """``batch`` with the children of its trained actions made (``data.with_children``)."""
        k = batch.actions.shape[1]
        children = self.ops.step(
            batch.states.repeat_interleave(k, dim=0), batch.actions.reshape(-1)
        )
        return self.with_children_made(batch, children)

    def with_actions(self, batch: TensorBatch, first: torch.Tensor) -> TensorBatch:
        """``batch`` with its first ``first.shape[1]`` trained actions per state replaced by
        ``first`` ``[N, G]``, their children made again (``data.with_actions``)."""
        n, k = batch.actions.shape
        count = first.shape[1]
        applicable = self.ops.applicable(batch.states)
        actions = torch.cat([first, batch.actions[:, count:]], dim=1)
        out = replace(
            batch,
            actions=actions,
            trained=applicable.gather(1, actions),
            costs=self.ops.action_costs[actions],
        )
        if len(batch.children) == 0:
            return out
        new = self.ops.step(batch.states.repeat_interleave(count, dim=0), first.reshape(-1))
        grouped = batch.children.view(n, k, -1).clone()
        grouped[:, :count] = new.view(n, count, -1)
        return self.with_children_made(out, grouped.view(n * k, -1))

    def with_children_made(self, batch: TensorBatch, children: torch.Tensor) -> TensorBatch:
        """``batch`` with ``children`` and their goal test and applicability."""
        return replace(
            batch,
            children=children,
            child_is_goal=self.ops.is_goal(children),
            child_applicable=None
            if self.ops.every_action_applies
            else self.ops.applicable(children),
        )

    def with_greedy_actions(
        self, batch: TensorBatch, online: torch.nn.Module, count: int, precision: str = "fp32"
    ) -> TensorBatch:
        """``batch`` with its first ``count`` trained actions replaced by the online network's
        ``count`` best applicable actions not sampled already (``loop.with_greedy_actions``)."""
        from qsolve.training.precision import autocast

        with torch.no_grad(), autocast(self.device, precision):
            q = online(self.ops.encode(batch.states)).float()
        q = q.masked_fill(~self.ops.applicable(batch.states), math.inf)
        q = q.scatter(1, batch.actions[:, count:], math.inf)  # sampled already
        best = q.topk(count, dim=1, largest=False).indices
        return self.with_actions(batch, best)


def tightest_bounds(
    states: torch.Tensor, bounds: torch.Tensor, undo: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each state's smallest bound among its copies in the batch, with that copy's undo actions
    (``data.tightest_bounds``, the same choice among equal bounds)."""
    n = states.shape[0]
    order = torch.sort(bounds, stable=True).indices
    _, group = torch.unique(states[order], dim=0, return_inverse=True)
    positions = torch.arange(n, device=states.device)
    first = torch.full((n,), n, dtype=torch.int64, device=states.device)
    first = first.scatter_reduce(0, group, positions, reduce="amin")  # each group's first row
    best = order[first[group]]  # for each sorted row, its group's cheapest row
    out_b, out_u = bounds.clone(), undo.clone()
    out_b[order], out_u[order] = bounds[best], undo[best]
    return out_b, out_u
