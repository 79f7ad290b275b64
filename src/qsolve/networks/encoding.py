"""The network input: each state entry one-hot, made on the device from the compact states."""

from __future__ import annotations

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
    if type(domain).encode is not Domain.encode:
        encoded = domain.encode(states.cpu().numpy())
        return torch.from_numpy(encoded).to(states.device)
    n, d = states.shape
    offsets = torch.arange(d, device=states.device) * domain.num_values  # [D]
    out = torch.zeros((n, d * domain.num_values), dtype=torch.float32, device=states.device)
    return out.scatter_(1, offsets + states.long(), 1.0)
