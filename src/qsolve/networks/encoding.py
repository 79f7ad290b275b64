"""The network input: each state entry one-hot, made on the device from the compact states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from qsolve.domains.base import Domain


def one_hot(domain: Domain, states: np.ndarray, device: torch.device) -> torch.Tensor:
    """``[N, encoding_dim]`` float32 on ``device``, equal to ``domain.encode(states)``: only the
    compact states are copied there, not the one-hot input (49-324 times larger as float32).

    A domain with an encoding of its own (one that overrides ``encode``) is encoded by it, on the
    host, so that training and search always see the same input."""
    if type(domain).encode is not Domain.encode:
        return torch.from_numpy(domain.encode(states)).to(device)
    compact = torch.from_numpy(np.ascontiguousarray(states)).to(device, non_blocking=True)
    return one_hot_tensor(domain, compact)


def one_hot_tensor(domain: Domain, states: torch.Tensor) -> torch.Tensor:
    """``one_hot`` of ``[N, D]`` states already on their device (a domain with an encoding of its
    own encodes them on the host)."""
    columns = one_hot_columns(domain, states)
    if columns is None:
        encoded = domain.encode(states.cpu().numpy())
        return torch.from_numpy(encoded).to(states.device)
    n, d = states.shape
    out = torch.zeros((n, d * domain.num_values), dtype=torch.float32, device=states.device)
    return out.scatter_(1, columns, 1.0)


def one_hot_columns(domain: Domain, states: torch.Tensor) -> torch.Tensor | None:
    """``[N, D]`` int64: the column of each entry's one in ``one_hot_tensor(domain, states)``
    (entry d with value v at d * V + v); None for a domain with an encoding of its own."""
    if type(domain).encode is not Domain.encode:
        return None
    offsets = torch.arange(states.shape[1], device=states.device) * domain.num_values
    return offsets + states.long()


def evaluate(network: Any, domain: Domain, states: torch.Tensor) -> torch.Tensor:
    """``network`` on the one-hot encoding of ``[N, D]`` states already on their device: by the
    columns of the ones where the network takes them (``ResidualMLP.forward_ones``), so that
    the one-hot input is never built.  A network with a baseline gets it added (float32)."""
    columns = one_hot_columns(domain, states)
    if columns is None or not hasattr(network, "forward_ones"):
        out = network(one_hot_tensor(domain, states))
    else:
        out = network.forward_ones(columns)
    return with_baseline(network, states, out)


def with_baseline(network: Any, states: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``out``, the output of ``network`` on ``[N, D]`` states, plus its baseline if it has one
    (``ResidualMLP.baseline``; a wrapped network's own), in float32."""
    baseline: Baseline | None = getattr(getattr(network, "module", network), "baseline", None)
    if baseline is None:
        return out
    added = baseline.estimates(states.cpu().numpy())
    return out.float() + torch.from_numpy(added).to(out.device)


@dataclass(frozen=True)
class Baseline:
    """A classical heuristic h that a network's output is a residual over (``ResidualMLP``):
    Q(s, a) = c(a) + h(child) + output, V(s) = h(s) + output."""

    heuristic: Any  # a qsolve.heuristics.Heuristic of the network's domain
    kind: str  # "q" or "v", the network's

    @property
    def name(self) -> str:
        return str(self.heuristic.name)

    def estimates(self, states: np.ndarray) -> np.ndarray:
        """What the baseline adds to the output of ``[N, D]`` states, float32: ``[N, A]`` c(a) +
        h(child) for a Q network (``inf`` where an action does not apply), ``[N, 1]`` h(s) for a
        V network."""
        if self.kind == "v":
            return np.asarray(self.heuristic.values(states), dtype=np.float32)[:, None]
        return np.asarray(self.heuristic.q_values(states), dtype=np.float32)
