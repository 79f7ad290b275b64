"""The residual MLP of DeepCubeA: one-hot state -> two fully connected layers -> residual blocks.

A Q network has one output per action (the cost-to-go after taking it), a V network one output.
Layers are normalised with layer norm rather than DeepCubeA's batch norm: layer norm keeps no
running statistics, so the network computes the same function in training and in search, whatever
the batch size (search often evaluates one state at a time).  The output goes through softplus,
so every estimate is a non-negative cost-to-go.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild a network: stored in a model's config.json."""

    input_dim: int
    output_dim: int  # number of actions for a Q network, 1 for a V network
    width1: int
    width2: int
    blocks: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def parameter_count(self) -> int:
        """Weights and biases, layer norms included."""
        first = (self.input_dim + 3) * self.width1 + (self.width1 + 3) * self.width2
        blocks = self.blocks * 2 * (self.width2 + 3) * self.width2
        return first + blocks + (self.width2 + 1) * self.output_dim


class ResidualBlock(nn.Module):
    """x -> relu(x + LN(W2 relu(LN(W1 x)))), as in DeepCubeA."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.norm1 = nn.LayerNorm(width)
        self.fc2 = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm1(self.fc1(x)))
        return F.relu(x + self.norm2(self.fc2(h)))


class ResidualMLP(nn.Module):
    """``[N, input_dim]`` one-hot states -> ``[N, output_dim]`` non-negative cost-to-go."""

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        self.fc1 = nn.Linear(arch.input_dim, arch.width1)
        self.norm1 = nn.LayerNorm(arch.width1)
        self.fc2 = nn.Linear(arch.width1, arch.width2)
        self.norm2 = nn.LayerNorm(arch.width2)
        self.blocks = nn.ModuleList(ResidualBlock(arch.width2) for _ in range(arch.blocks))
        self.head = nn.Linear(arch.width2, arch.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm1(self.fc1(x)))
        h = F.relu(self.norm2(self.fc2(h)))
        for block in self.blocks:
            h = block(h)
        if torch.is_autocast_enabled(h.device.type):
            # The head in fp32: in bf16 a cost-to-go near 100 would be rounded to a multiple
            # of 0.5, coarser than the differences between actions that search ranks by.
            with torch.autocast(h.device.type, enabled=False):
                return F.softplus(self.head(h.float()))
        return F.softplus(self.head(h))
