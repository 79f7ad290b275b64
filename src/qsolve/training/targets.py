"""Regression targets, one function per kind, cataloged in ``TARGET_KINDS`` (from which
``--targets``' choices and checks come); each returns ``[N, K]`` y(s, a) for a Q network or
``[N]`` y(s) for a V network, with y = 0 at the goal.

- ``td``: the one-step Q-learning target c(s, a) + min_a' Q_target(child, a') (0 at a goal child;
  ``double_q``: the online network picks a', the target network values it).  A V network gets
  DeepCubeA's y(s) = min_a [c(s, a) + V_target(child)].
- ``walk``: the bound the making of the state proves (``data.py``): Q(s, a) <= B(s) for an undo
  action, B(s) + 2 c(a) otherwise; V(s) <= B(s).  No pass over the children, so a step costs
  1/A of a td step, and deep states get a value from the first step, not after d target updates.
- ``capped``: min(td, walk): the TD target never above what the walk proves.
- ``teacher``: c(s, a) + h_teacher(child), the values of another trained model or of a classical
  heuristic (``teacher.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from qsolve.domains import Domain
from qsolve.errors import QsolveError
from qsolve.networks.encoding import evaluate
from qsolve.networks.resnet import ResidualMLP
from qsolve.training.data import Batch
from qsolve.training.device_data import TensorBatch, to_tensors
from qsolve.training.precision import autocast
from qsolve.training.teacher import Teacher

if TYPE_CHECKING:  # the config names its choices from this module's catalog
    from qsolve.training.config import TrainConfig

# (domain, batch, online network, target network, config, device, teacher) -> targets
Target = Callable[
    [Domain, TensorBatch, ResidualMLP, ResidualMLP, "TrainConfig", torch.device, Teacher | None],
    torch.Tensor,
]


def td_targets(
    domain: Domain,
    batch: TensorBatch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
    teacher: Teacher | None = None,
) -> torch.Tensor:
    """The one-step targets from the target network's values of the children."""

    def values(children: torch.Tensor) -> torch.Tensor:
        if config.kind == "v":
            return evaluate(target, domain, children).float()[:, 0]
        q_next = _only_applicable(evaluate(target, domain, children).float(), batch)  # [N*K, A]
        if not config.double_q:
            return q_next.min(dim=1).values
        best = _only_applicable(evaluate(online, domain, children).float(), batch)
        return q_next.gather(1, best.argmin(dim=1, keepdim=True)).squeeze(1)

    return _one_step(domain, batch, config, device, values)


def walk_targets(
    domain: Domain,
    batch: TensorBatch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
    teacher: Teacher | None = None,
) -> torch.Tensor:
    """The bounds that the walks (or press sets) that made the states prove."""
    return _finish(batch.action_bounds(), batch, config)


def capped_targets(
    domain: Domain,
    batch: TensorBatch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
    teacher: Teacher | None = None,
) -> torch.Tensor:
    """The TD target, capped by the walk bound."""
    td = td_targets(domain, batch, online, target, config, device)
    return torch.minimum(td, walk_targets(domain, batch, online, target, config, device))


def teacher_targets(
    domain: Domain,
    batch: TensorBatch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
    teacher: Teacher | None = None,
) -> torch.Tensor:
    """c(s, a) + the teacher's cost-to-go of the child (0 at a goal child)."""
    if teacher is None:
        raise QsolveError("--targets teacher needs --teacher")

    def values(children: torch.Tensor) -> torch.Tensor:
        if teacher.heuristic is not None:  # numpy, on the host
            h = teacher.heuristic.values(children.cpu().numpy())
            return torch.as_tensor(h, dtype=torch.float32).to(children.device)
        assert teacher.network is not None
        out = evaluate(teacher.network, domain, children).float()
        if teacher.kind == "v":
            return out[:, 0]
        return (_only_applicable(out, batch) if teacher.same_domain else out).min(dim=1).values

    return _one_step(domain, batch, config, device, values)


def _one_step(
    domain: Domain,
    batch: TensorBatch,
    config: TrainConfig,
    device: torch.device,
    values: Callable[[torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """c(s, a) + ``values`` of the children (``[N*K, D]`` states; 0 at a goal child), without
    gradients."""
    n, k = batch.actions.shape
    with torch.no_grad(), autocast(device, config.precision):
        v_next = values(batch.children)
    y = batch.costs + torch.where(batch.child_is_goal, 0.0, v_next).view(n, k)
    return _finish(y, batch, config)


@dataclass(frozen=True)
class TargetKind:
    """A kind of regression target: its name (``--targets``), one line of help, its function,
    and what the batch (and the run) must provide for it."""

    name: str
    help: str
    make: Target
    needs_children: bool  # the children of the trained actions
    needs_bounds: bool  # the bounds the walks prove (``Batch.action_bounds``)
    needs_teacher: bool = False  # a --teacher model


TARGET_KINDS: dict[str, TargetKind] = {
    kind.name: kind
    for kind in (
        TargetKind("td", "c + min Q_target(child)", td_targets, True, False),
        TargetKind(
            "walk",
            "the walk's cost bound alone (no pass over children)",
            walk_targets,
            False,
            True,
        ),
        TargetKind("capped", "min(td, walk bound)", capped_targets, True, True),
        TargetKind(
            "teacher",
            "c + the --teacher model's cost-to-go of the child",
            teacher_targets,
            True,
            False,
            needs_teacher=True,
        ),
    )
}
# Views of the catalog, by name.
TARGETS: dict[str, Target] = {name: kind.make for name, kind in TARGET_KINDS.items()}
NEEDS_CHILDREN = {name: kind.needs_children for name, kind in TARGET_KINDS.items()}
NEEDS_BOUNDS = {name: kind.needs_bounds for name, kind in TARGET_KINDS.items()}


def compute_targets(
    domain: Domain,
    batch: Batch | TensorBatch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
    teacher: Teacher | None = None,
) -> torch.Tensor:
    """The regression targets of ``config.targets`` for ``batch`` (a numpy batch is copied to
    ``device`` first); ``teacher`` makes those of ``--targets teacher``."""
    if isinstance(batch, Batch):
        batch = to_tensors(batch, device)
    return TARGET_KINDS[config.targets].make(domain, batch, online, target, config, device, teacher)


def _finish(y: torch.Tensor, batch: TensorBatch, config: TrainConfig) -> torch.Tensor:
    """Q: ``[N, K]`` with 0 at goal states; V: ``[N]`` the minimum over applicable actions."""
    if config.kind == "v":
        v = y.masked_fill(~batch.trained, math.inf).min(dim=1).values
        return torch.where(batch.is_goal, 0.0, v)
    return torch.where(batch.is_goal[:, None], 0.0, y)


def _only_applicable(q: torch.Tensor, batch: TensorBatch) -> torch.Tensor:
    """``q`` of the children with infinity for their inapplicable actions."""
    if batch.child_applicable is None:
        return q
    return q.masked_fill(~batch.child_applicable, math.inf)
