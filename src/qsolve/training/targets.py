"""Regression targets, one function per kind (``TARGETS``); each returns ``[N, K]`` y(s, a) for a
Q network or ``[N]`` y(s) for a V network, with y = 0 at the goal.

- ``td``: the one-step Q-learning target c(s, a) + min_a' Q_target(child, a') (0 at a goal child;
  ``double_q``: the online network picks a', the target network values it).  A V network gets
  DeepCubeA's y(s) = min_a [c(s, a) + V_target(child)].
- ``walk``: the bound the making of the state proves (``data.py``): Q(s, a) <= B(s) for an undo
  action, B(s) + 2 c(a) otherwise; V(s) <= B(s).  No pass over the children, so a step costs
  1/A of a td step, and deep states get a value from the first step, not after d target updates.
- ``capped``: min(td, walk): the TD target never above what the walk proves.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from qsolve.domains import Domain
from qsolve.networks.encoding import one_hot
from qsolve.networks.resnet import ResidualMLP
from qsolve.training.config import TrainConfig
from qsolve.training.data import Batch

Target = Callable[
    [Domain, Batch, ResidualMLP, ResidualMLP, TrainConfig, torch.device], torch.Tensor
]


def autocast(device: torch.device) -> torch.autocast:
    """bf16 autocast on CUDA; full precision on the CPU."""
    return torch.autocast(
        device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"
    )


def td_targets(
    domain: Domain,
    batch: Batch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
) -> torch.Tensor:
    """The one-step targets from the target network's values of the children."""
    n, k = batch.actions.shape
    children = one_hot(domain, batch.children, device)
    with torch.no_grad(), autocast(device):
        if config.kind == "q":
            q_next = _only_applicable(target(children).float(), batch, device)  # [N*K, A]
            if config.double_q:
                best = _only_applicable(online(children).float(), batch, device)
                v_next = q_next.gather(1, best.argmin(dim=1, keepdim=True)).squeeze(1)
            else:
                v_next = q_next.min(dim=1).values
        else:
            v_next = target(children).float()[:, 0]
    child_goal = torch.from_numpy(batch.child_is_goal).to(device)
    y = torch.from_numpy(batch.costs).to(device) + torch.where(child_goal, 0.0, v_next).view(n, k)
    return _finish(y, batch, config, device)


def walk_targets(
    domain: Domain,
    batch: Batch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
) -> torch.Tensor:
    """The bounds that the walks (or press sets) that made the states prove."""
    return _finish(torch.from_numpy(batch.action_bounds()).to(device), batch, config, device)


def capped_targets(
    domain: Domain,
    batch: Batch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
) -> torch.Tensor:
    """The TD target, capped by the walk bound."""
    td = td_targets(domain, batch, online, target, config, device)
    return torch.minimum(td, walk_targets(domain, batch, online, target, config, device))


TARGETS: dict[str, Target] = {"td": td_targets, "walk": walk_targets, "capped": capped_targets}
NEEDS_CHILDREN = {"td": True, "walk": False, "capped": True}
NEEDS_BOUNDS = {"td": False, "walk": True, "capped": True}


def compute_targets(
    domain: Domain,
    batch: Batch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
) -> torch.Tensor:
    """The regression targets of ``config.targets`` for ``batch``."""
    return TARGETS[config.targets](domain, batch, online, target, config, device)


def _finish(
    y: torch.Tensor, batch: Batch, config: TrainConfig, device: torch.device
) -> torch.Tensor:
    """Q: ``[N, K]`` with 0 at goal states; V: ``[N]`` the minimum over applicable actions."""
    is_goal = torch.from_numpy(batch.is_goal).to(device)
    if config.kind == "v":
        trained = torch.from_numpy(batch.trained).to(device)
        v = y.masked_fill(~trained, math.inf).min(dim=1).values
        return torch.where(is_goal, 0.0, v)
    return torch.where(is_goal[:, None], 0.0, y)


def _only_applicable(q: torch.Tensor, batch: Batch, device: torch.device) -> torch.Tensor:
    """``q`` of the children with infinity for their inapplicable actions."""
    if batch.child_applicable is None:
        return q
    return q.masked_fill(~torch.from_numpy(batch.child_applicable).to(device), math.inf)
