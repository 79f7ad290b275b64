"""Networks that turn states into Q-values: the residual MLP and its heuristic wrapper."""

from qsolve.networks.heuristic import (
    NetworkHeuristic,
    load_heuristic,
    load_model,
    read_config,
    resolve_device,
)
from qsolve.networks.resnet import DEFAULT_SIZES, Architecture, ResidualMLP

__all__ = [
    "DEFAULT_SIZES",
    "Architecture",
    "NetworkHeuristic",
    "ResidualMLP",
    "load_heuristic",
    "load_model",
    "read_config",
    "resolve_device",
]
