"""The residual MLP of DeepCubeA: one-hot state -> two fully connected layers -> residual blocks.

On a domain whose states are grids (``Domain.grid``: Sokoban, sliding tiles, Lights Out) the
network may start with a convolutional front instead (``conv_channels`` > 0): the one-hot input
read as a picture of ``num_values`` channels, ``conv_layers`` 3 x 3 convolutions of
``conv_channels`` channels, each with ReLU, then flattened into the first fully connected layer.

A Q network has one output per action (the cost-to-go after taking it), a V network one output.
Layers are normalised with layer norm rather than DeepCubeA's batch norm: layer norm keeps no
running statistics, so the network computes the same function in training and in search, whatever
the batch size (search often evaluates one state at a time).  The output goes through softplus,
so every estimate is a non-negative cost-to-go.

A network may have a *baseline*, a classical heuristic h its output is a residual over: then
Q(s, a) = c(a) + h(child) + output(s, a) (V(s) = h(s) + output(s)), added outside the network
(``encoding.evaluate`` in training, ``NetworkHeuristic`` in search), so the network learns only
what h misses, and with an admissible h never estimates below it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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
    conv_channels: int = 0  # 0: the dense front (no convolutions)
    conv_layers: int = 0
    grid_height: int = 0  # the state's grid, where there are convolutions
    grid_width: int = 0

    def to_dict(self) -> dict[str, int]:
        """The fields, the convolutional ones only where there are convolutions."""
        fields = asdict(self)
        if not self.conv_channels:
            for name in ("conv_channels", "conv_layers", "grid_height", "grid_width"):
                del fields[name]
        return fields

    @property
    def cells(self) -> int:
        return self.grid_height * self.grid_width

    @property
    def first_input(self) -> int:
        """The inputs of the first fully connected layer: the one-hot state, or the last
        convolution's feature maps."""
        return self.conv_channels * self.cells if self.conv_channels else self.input_dim

    def parameter_count(self) -> int:
        """Weights and biases, layer norms included."""
        values = self.input_dim // self.cells if self.conv_channels else 0
        conv = 0
        for layer in range(self.conv_layers if self.conv_channels else 0):
            channels_in = values if layer == 0 else self.conv_channels
            conv += (9 * channels_in + 1) * self.conv_channels
        first = (self.first_input + 3) * self.width1 + (self.width1 + 3) * self.width2
        blocks = self.blocks * 2 * (self.width2 + 3) * self.width2
        return conv + first + blocks + (self.width2 + 1) * self.output_dim


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
        self.front: nn.Sequential | None = None
        if arch.conv_channels:
            values = arch.input_dim // arch.cells
            layers: list[nn.Module] = []
            for layer in range(arch.conv_layers):
                channels_in = values if layer == 0 else arch.conv_channels
                layers += [nn.Conv2d(channels_in, arch.conv_channels, 3, padding=1), nn.ReLU()]
            self.front = nn.Sequential(*layers)
        self.fc1 = nn.Linear(arch.first_input, arch.width1)
        self.norm1 = nn.LayerNorm(arch.width1)
        self.fc2 = nn.Linear(arch.width1, arch.width2)
        self.norm2 = nn.LayerNorm(arch.width2)
        self.blocks = nn.ModuleList(ResidualBlock(arch.width2) for _ in range(arch.blocks))
        self.head = nn.Linear(arch.width2, arch.output_dim)
        # The classical heuristic the output is a residual over (``encoding.Baseline``), or None.
        self.baseline: Any = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.front is not None:
            # The one-hot layout puts entry d's value v at column d * V + v: [N, H, W, V].
            arch = self.arch
            grid = x.reshape(x.shape[0], arch.grid_height, arch.grid_width, -1)
            x = self.front(grid.permute(0, 3, 1, 2)).flatten(1)
        return self._trunk(self.fc1(x))

    def forward_ones(self, ones: torch.Tensor) -> torch.Tensor:
        """``forward`` of the one-hot inputs whose ones sit at the ``[N, D]`` columns ``ones``.

        Without a convolutional front, the first layer is the sum of the D columns of its
        weight that the ones select (``embedding_bag`` over the weight transposed): D row reads
        in place of an ``[input_dim]``-long product, most of the work of a pass on the 35- and
        48-puzzle, and its gradient is the same rows' sum.  Without gradients the transposed
        copy is kept while the weight is unchanged (the target network's, between
        replacements).  With a front the one-hot input is built and ``forward`` runs."""
        if self.front is not None:
            dense = torch.zeros((ones.shape[0], self.arch.input_dim), device=ones.device)
            return self(dense.scatter_(1, ones, 1.0))
        columns = self.fc1.weight.t().contiguous() if torch.is_grad_enabled() else self._columns()
        with torch.autocast(ones.device.type, enabled=False):
            first = F.embedding_bag(ones, columns, mode="sum") + self.fc1.bias
        return self._trunk(first)

    def _columns(self) -> torch.Tensor:
        """``[input_dim, width1]``: the first layer's weight, transposed and contiguous, without
        gradients; kept while the weight is unchanged."""
        weight = self.fc1.weight
        key = (weight.data_ptr(), weight._version)
        cached = self.__dict__.get("_columns_cache")
        if cached is None or cached[0] != key:
            cached = (key, weight.detach().t().contiguous())
            self.__dict__["_columns_cache"] = cached
        return cached[1]

    def _trunk(self, first: torch.Tensor) -> torch.Tensor:
        """Everything after the first layer's product: ``first`` is ``fc1(x)``."""
        h = F.relu(self.norm1(first))
        h = F.relu(self.norm2(self.fc2(h)))
        for block in self.blocks:
            h = block(h)
        if torch.is_autocast_enabled(h.device.type):
            # The head in fp32: in bf16 a cost-to-go near 100 would be rounded to a multiple
            # of 0.5, coarser than the differences between actions that search ranks by.
            with torch.autocast(h.device.type, enabled=False):
                return F.softplus(self.head(h.float()))
        return F.softplus(self.head(h))
