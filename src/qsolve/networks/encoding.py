"""The network input: each state entry one-hot, made on the device from the compact states."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from qsolve.domains.base import Domain


def one_hot(domain: Domain, states: np.ndarray, device: torch.device) -> torch.Tensor:
    """``[N, encoding_dim]`` float32 on ``device``, equal to ``domain.encode(states)``: only the
    compact states are copied there, not the one-hot input (49-324 times larger as float32).

    A domain with an encoding of its own (one that overrides ``_encode``) is encoded by it, on the
    host, so that training and search always see the same input."""
    if type(domain)._encode is not Domain._encode:
        return torch.from_numpy(domain._encode(states)).to(device)
    compact = torch.from_numpy(np.ascontiguousarray(states)).to(device, non_blocking=True)
    encoded = F.one_hot(compact.long(), domain.num_values)  # [N, D, num_values]
    return encoded.view(len(states), -1).float()
