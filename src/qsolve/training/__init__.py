"""Training: deep approximate Q-learning from the goal, checkpoints and evaluation."""

from qsolve.training.dqn import TrainConfig, TrainSummary, make_batch, train, train_config

__all__ = ["TrainConfig", "TrainSummary", "make_batch", "train", "train_config"]
