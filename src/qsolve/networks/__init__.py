"""Networks that turn states into Q-values: the residual MLP and its heuristic wrapper."""

from qsolve.networks.heuristic import (
    NetworkHeuristic,
    load_heuristic,
    load_model,
    read_config,
    resolve_device,
)
from qsolve.networks.resnet import Architecture, ResidualMLP

__all__ = [
    "Architecture",
    "NetworkHeuristic",
    "ResidualMLP",
    "load_heuristic",
    "load_model",
    "read_config",
    "resolve_device",
]
