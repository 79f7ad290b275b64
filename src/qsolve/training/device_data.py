"""Training batches made on the training device: walks, press sets, bounds, children, all torch.

``DeviceData`` is ``data.BatchMaker`` with a domain's torch operations (``Domain.torch_ops``),
so that a step on a GPU never waits for the CPU: the steps of a batch (bounds, undo actions,
trained actions, children, greedy actions, press sets, walks) are the ones ``data.HostData``
takes with numpy, written once in ``BatchMaker``; only the array primitives (``TorchArrays``),
the random draws and the order the walks move in (``under_way``: longest first, on slices) are
torch's own.  Its draws come from a torch generator seeded from (seed, step, stream) at every
step, so the batch of step t is a function of those alone, as on the numpy path (but not the
same batch: the two paths draw differently), and a resumed run repeats an uninterrupted one on
the same device without storing any generator state.

On the CPU the numpy path is the faster (benchmarks/train_speed.py: making a batch takes about
1.7 times as long with torch for the sliding tiles), and domains without torch operations have
only it, so both paths stay, behind the one ``BatchMaker`` interface.
``to_tensors`` turns a numpy ``Batch`` into a ``TensorBatch``, so that both paths meet there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from qsolve.domains import Domain
from qsolve.domains.check import torch_ops_differ
from qsolve.domains.torch_ops import TorchOps
from qsolve.errors import QsolveError
from qsolve.training.data import (
    Arrays,
    Batch,
    BatchMaker,
    Fields,
    tightest_bounds_with,
    walk_undo,
)


@dataclass
class TensorBatch(Fields[torch.Tensor]):
    """``data.Batch`` as tensors on the training device (the same fields, the same shapes)."""


class TorchArrays(Arrays):
    xp = torch

    def take(self, x: Any, index: Any) -> Any:
        return x.gather(1, index)

    def repeat_rows(self, x: Any, k: int) -> Any:
        return x.repeat_interleave(k, dim=0)

    def all_actions(self, n: int, a: int) -> Any:
        return torch.arange(a, device=self.device).expand(n, a)

    def largest(self, scores: Any, k: int) -> Any:
        return scores.topk(k, dim=1).indices

    def smallest(self, scores: Any, k: int) -> Any:
        return scores.topk(k, dim=1, largest=False).indices

    def fill_at(self, x: Any, index: Any, value: float) -> Any:
        return x.scatter(1, index, value)

    def stable_argsort(self, x: Any) -> Any:
        return torch.sort(x, stable=True).indices

    def argsort_rows(self, x: Any) -> Any:
        return x.argsort(dim=1)

    def arange(self, n: int) -> Any:
        return torch.arange(n, device=self.device)

    def float32(self, x: Any) -> Any:
        return x.float()

    def scatter_rows(self, index: Any, values: Any) -> Any:
        return torch.zeros_like(values).scatter_(1, index, values)

    def first_of_group(self, rows: Any) -> Any:
        n = rows.shape[0]
        _, group = torch.unique(rows, dim=0, return_inverse=True)
        positions = torch.arange(n, device=rows.device)
        first = torch.full((n,), n, dtype=torch.int64, device=rows.device)
        first = first.scatter_reduce(0, group, positions, reduce="amin")  # each group's first row
        return first[group]

    def full(self, n: int, value: int) -> Any:
        return torch.full((n,), value, dtype=torch.int64, device=self.device)

    def zeros(self, n: int) -> Any:
        return torch.zeros(n, dtype=torch.float32, device=self.device)

    def constant(self, x: np.ndarray) -> Any:
        return torch.from_numpy(x).to(self.device)

    def __init__(self, device: torch.device) -> None:
        self.device = device


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
    """The torch operations of ``domain`` and of its walk domain, or None if either declares
    none or has ones that differ from its numpy operations (``check.torch_ops_differ``: a
    subclass that changes the dynamics it inherited them with)."""
    walk = domain.walk_domain
    found = []
    for d in (domain,) if walk is domain else (domain, walk):
        ops = d.torch_ops(device)
        if ops is None or torch_ops_differ(d, ops) is not None:
            return None
        found.append(ops)
    return found[0], found[-1]


class DeviceData(BatchMaker[torch.Tensor]):
    """Batches made on ``device`` with the torch operations of ``domain`` (see the module doc)."""

    def __init__(self, domain: Domain, device: torch.device) -> None:
        found = device_ops(domain, device)
        if found is None:
            raise QsolveError(
                f"{domain.name} has no torch operations (Domain.torch_ops) equal to its numpy "
                "ones to make its training data on the device; use --data cpu"
            )
        self.domain = domain
        self.device = device
        self.ops, self.walk = found
        self.arrays = TorchArrays(device)
        self.action_costs = self.ops.action_costs
        self.name = domain.name
        self.every_action_applies = self.ops.every_action_applies
        # [R] the action undoing each reverse move of a walk (-1: none), as in data.walk_undo
        self.walk_undo = torch.from_numpy(walk_undo(domain)).to(device)
        self.generator = torch.Generator(device=device)
        weights = domain.walk_domain.reverse_weights
        # [R] 1 / weight: noise ** it makes the walks' argmax pick moves by weight (walk_noise)
        self.noise_power = (
            None
            if weights is None
            else torch.from_numpy(1.0 / np.asarray(weights, dtype=np.float32)).to(device)
        )
        self.reverse_costs = self.walk.reverse_costs  # [R] float32
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

    def rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=self.generator, device=self.device)

    def randint(self, high: int, n: int) -> torch.Tensor:
        return torch.randint(0, high, (n,), generator=self.generator, device=self.device)

    def batch(self, **fields: Any) -> TensorBatch:
        return TensorBatch(**fields)

    def applicable(self, states: torch.Tensor) -> torch.Tensor:
        return self.ops.applicable(states)

    def step(self, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return self.ops.step(states, actions)

    def is_goal(self, states: torch.Tensor) -> torch.Tensor:
        return self.ops.is_goal(states)

    def q_values(self, online: Any, states: torch.Tensor, precision: str) -> torch.Tensor:
        from qsolve.networks.encoding import with_baseline
        from qsolve.training.precision import autocast

        with torch.no_grad(), autocast(self.device, precision):
            return with_baseline(online, states, online(self.ops.encode(states)).float())

    # -- sources -------------------------------------------------------------------------------

    def goal_states(self, n: int) -> torch.Tensor:
        return self.walk.goal_states(n, self.generator)

    def walk_noise(self, n: int) -> torch.Tensor:
        noise = self.rand(n, self.walk.num_reverse)
        return noise if self.noise_power is None else noise**self.noise_power

    def under_way(self, lengths: torch.Tensor) -> tuple[torch.Tensor, Iterator[tuple[Any, int]]]:
        # Longest first, so that the walks under way at time t are a prefix of the rows: each
        # time step works on a slice, without masks (one host sync for the lengths).
        order = torch.argsort(lengths, descending=True, stable=True)
        ended = torch.bincount(lengths).tolist() if lengths.shape[0] else []  # walks per length

        def steps(m: int) -> Iterator[tuple[slice, int]]:
            for count in ended[:-1]:
                m -= count  # the walks longer than t
                yield slice(0, m), m

        return order, steps(lengths.shape[0])

    def reverse_applicable(self, states: torch.Tensor) -> torch.Tensor:
        return self.walk.reverse_applicable(states)

    def reverse_step(self, states: torch.Tensor, moves: torch.Tensor) -> torch.Tensor:
        return self.walk.reverse_step(states, moves)

    def walk_step(
        self, states: torch.Tensor, noise: torch.Tensor, penalty: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.walk.walk_step(states, noise, penalty)  # the domain's own (one pass)

    def boards(self, presses: torch.Tensor) -> torch.Tensor | None:
        if self.press_masks is None:
            return None
        return torch.remainder(presses.float() @ self.press_masks, 2).to(self.ops.dtype)


def tightest_bounds(
    states: torch.Tensor, bounds: torch.Tensor, undo: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``data.tightest_bounds`` on tensors (the same choice among equal bounds)."""
    return tightest_bounds_with(TorchArrays(states.device), states, bounds, undo)
