"""Training: configuration, data, targets, the loop, checkpoints and evaluation.

The data flows ``config`` -> ``data`` (states and what their making proves; ``device_data``
makes the same with torch on the training device) -> ``targets``
(one function per target kind) -> ``loop`` (the Adam step, the target network, evaluation) ->
``checkpoint`` (atomic files a run resumes from).  ``Trainer`` runs the loop; ``Callback``s
plug in what is optional (progress, evaluation, fault injection in tests).
"""

from qsolve.training.config import TrainConfig
from qsolve.training.data import Batch, BatchSpec, make_batch
from qsolve.training.loop import Callback, Trainer, TrainSummary, train, train_config
from qsolve.training.targets import TARGETS, compute_targets

__all__ = [
    "TARGETS",
    "Batch",
    "BatchSpec",
    "Callback",
    "TrainConfig",
    "TrainSummary",
    "Trainer",
    "compute_targets",
    "make_batch",
    "train",
    "train_config",
]
