"""The options of a training run, declared once: each field carries its help and its checks.

``TrainConfig`` is what ``qsolve.train`` takes as keyword arguments and what ``qsolve train``
builds its command line from (``add_arguments``), so an option and its validation live here only.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

from qsolve.domains import Domain, get_domain
from qsolve.errors import QsolveError
from qsolve.networks.resnet import Architecture
from qsolve.options import DEVICES, TRAINING_PRECISIONS, flag, option
from qsolve.training.data import SOURCE_KINDS, SOURCES
from qsolve.training.targets import TARGET_KINDS

DEFAULT_STEPS = 10_000  # when neither --steps nor --minutes is given
# Refused up front: a network or batch this large cannot fit in this kind of machine's memory.
MAX_WIDTH = 100_000
MAX_BATCH = 10_000_000
MAX_TRAINED_PAIRS = 50_000_000  # states x trained actions per step


@dataclass
class TrainConfig:
    """Every option of ``qsolve train``; ``None`` means the domain's (or the checkpoint's) default."""

    domain: str = option("the domain to learn", MISSING, cli=False)
    out: str = option("folder for the model, checkpoint, metrics.csv and training.png", MISSING)
    steps: int | None = option(
        f"total training steps, across resumes (default {DEFAULT_STEPS} without --minutes)", low=1
    )
    minutes: float | None = option("stop after this many minutes of this run", low=0.0)
    seed: int = option("random seed for the data and the initial weights", 0, low=0)
    scramble_max: int | None = option(
        "longest random walk from the goal (default: the domain's, 30 for cube3)", low=1
    )
    scramble_ramp: int = option(
        "grow the longest walk linearly from 1 to --scramble-max over the first STEPS steps",
        0,
        low=0,
    )
    source: str = option(
        "training states: " + "; ".join(f"{s.name} ({s.help})" for s in SOURCE_KINDS.values()),
        "walk",
        choices=SOURCES,
    )
    targets: str = option(
        "; ".join(f"{kind.name}: {kind.help}" for kind in TARGET_KINDS.values()),
        "td",
        choices=tuple(TARGET_KINDS),
    )
    teacher: str | None = option(
        "with --targets teacher: a model folder or shipped model name of this domain or of the "
        "domain its walks take (cube3 for cube3-meta), or a classical heuristic (manhattan)"
    )
    init_from: str | None = option(
        "start from this model's weights (folder or shipped model name, as --teacher): its "
        "trunk, and the output rows of the actions named alike"
    )
    baseline: str | None = option(
        "learn the residual over this classical heuristic (manhattan): Q(s, a) = c + h(child) + "
        "the network's non-negative output, which starts near 0"
    )
    batch_size: int = option("states per training step", 1000, low=1, high=MAX_BATCH)
    lr: float = option("Adam learning rate", 1e-3, low=0.0, high=10.0)
    lr_decay: float = option(
        "multiply the learning rate by this every step (1: constant)", 1.0, low=0.0, high=1.0
    )
    kind: str = option(
        "q: a Q network for Q*; v: a V network, DeepCubeA style", "q", choices=("q", "v")
    )
    double_q: bool = option(
        "double-Q targets: the online network picks a', the target values it", False
    )
    actions_per_state: int | None = option(
        "trained actions per state (default: all; 32 for cube3-meta)", low=1
    )
    greedy_actions: int = option(
        "of the trained actions per state, this many are the online network's best ones", 0, low=0
    )
    target_update: int = option("replace the target network every U steps", 100, low=1)
    loss_threshold: float | None = option(
        "replace the target early once the mean loss is below this (0: off)", 0.05, low=0.0
    )
    loss: str = option("regression loss", "mse", choices=("mse", "huber"))
    grad_clip: float | None = option("clip the gradient norm to this (0: off)", 10.0, low=0.0)
    device: str = option("training device", "auto", choices=DEVICES)
    precision: str = option(
        "arithmetic of the network's passes (weights and Adam stay fp32): bf16 autocast or fp32; "
        "auto: bf16 on cuda, and on a CPU where a measured bf16 step is faster (resume keeps "
        "the run's choice)",
        "auto",
        choices=TRAINING_PRECISIONS,
    )
    eval_every: int = option("evaluate, log and checkpoint every N steps", 1000, low=1)
    keep_evals: bool = option(
        "also keep the model of each evaluation in OUT/evals/step-N (a --heuristic folder)", False
    )
    resume: bool = option("continue from the checkpoint in --out", False)
    overwrite: bool = option("replace a model already in --out (without it: an error)", False)
    width1: int | None = option(
        "width of the first layer (default: the domain's)", low=1, high=MAX_WIDTH
    )
    width2: int | None = option(
        "width of the second layer and residual blocks (default: the domain's)",
        low=1,
        high=MAX_WIDTH,
    )
    blocks: int | None = option("residual blocks (default: the domain's)", low=0, high=1000)
    conv_channels: int | None = option(
        "a convolutional front of this many channels before the first layer, on domains whose "
        "states are grids (Domain.grid; default: none, or the resumed run's)",
        low=0,
        high=4096,
    )
    conv_layers: int | None = option(
        "3 x 3 convolutions in that front (default: 2, or the resumed run's)", low=1, high=64
    )
    data: str = option(
        "where batches are made: cpu (numpy, with --workers processes), device (walks, children "
        "and targets with torch on the training device; built-in domains), auto (device on cuda "
        "where the domain can)",
        "auto",
        choices=("auto", "cpu", "device"),
    )
    workers: int = option(
        "processes generating batches ahead of the gradient step (--data cpu)", 0, low=0, high=256
    )
    threads: int | None = option(
        "torch CPU threads (default: cores not used by workers)", low=1, high=1024
    )

    def __post_init__(self) -> None:
        check(self)
        domain = get_domain(self.domain)
        if self.scramble_max is None:
            self.scramble_max = domain.walk_limit
        if self.actions_per_state is None and self.kind == "q":
            self.actions_per_state = domain.actions_per_state
        if self.greedy_actions and not (
            self.actions_per_state and self.greedy_actions < self.actions_per_state
        ):
            raise QsolveError(
                "--greedy-actions must be fewer than --actions-per-state (sampled actions)"
            )
        if TARGET_KINDS[self.targets].needs_teacher != (self.teacher is not None):
            taught = " or ".join(k.name for k in TARGET_KINDS.values() if k.needs_teacher)
            raise QsolveError(f"--teacher and --targets {taught} go together")
        if self.baseline is not None:
            from qsolve.networks.heuristic import make_baseline

            make_baseline(self.baseline, domain, self.kind)
            if self.init_from is not None:
                raise QsolveError("--baseline starts its residual at 0; it cannot take --init-from")
        if self.init_from is not None and self.resume:
            raise QsolveError("--init-from starts a new run; it cannot be combined with --resume")
        if SOURCE_KINDS[self.source].needs_press_masks and not hasattr(domain, "press_masks"):
            raise QsolveError(
                f"--source {self.source} needs a Lights Out domain, not {self.domain}"
            )
        if self.data == "device" and SOURCE_KINDS[self.source].host_only:
            raise QsolveError(f"--source {self.source} draws on the host; use --data cpu")
        if self.data == "device" and not has_torch_ops(domain):
            raise QsolveError(
                f"--data device: {self.domain} has no torch operations (Domain.torch_ops) equal "
                "to its numpy ones; use --data cpu"
            )
        if self.steps is None and self.minutes is None:
            self.steps = DEFAULT_STEPS
        if self.loss_threshold == 0:
            self.loss_threshold = None
        if self.grad_clip == 0:
            self.grad_clip = None
        pairs = self.batch_size * (self.actions_per_state or domain.num_actions)
        if self.kind == "q" and pairs > MAX_TRAINED_PAIRS:
            raise QsolveError(
                f"--batch-size {self.batch_size} trains {pairs:,} (state, action) pairs a step, "
                f"more than fit in memory (at most {MAX_TRAINED_PAIRS:,})"
            )

    def with_sizes(self, sizes: tuple[int, ...]) -> None:
        """Fill the network sizes the user left open from ``sizes`` (the domain's or a
        checkpoint's): width1, width2, blocks, and where given conv_channels, conv_layers."""
        self.width1 = self.width1 or sizes[0]
        self.width2 = self.width2 or sizes[1]
        self.blocks = sizes[2] if self.blocks is None else self.blocks
        if self.conv_channels is None:
            self.conv_channels = sizes[3] if len(sizes) > 3 else 0
        if self.conv_layers is None:
            self.conv_layers = sizes[4] if len(sizes) > 4 and sizes[4] else 2
        if not self.conv_channels:
            self.conv_layers = 0

    def walk_limit(self, step: int) -> int:
        """The longest walk of step ``step``: ``scramble_max``, or during the first
        ``scramble_ramp`` steps a limit growing linearly from 1 (a curriculum: states near the
        goal, whose targets are exact, are a larger share of the first batches)."""
        assert self.scramble_max is not None
        if step >= self.scramble_ramp:
            return self.scramble_max
        return max(1, math.ceil(self.scramble_max * (step + 1) / self.scramble_ramp))

    def architecture(self, domain: Domain) -> Architecture:
        assert self.width1 and self.width2 and self.blocks is not None
        outputs = domain.num_actions if self.kind == "q" else 1
        sizes = (domain.encoding_dim, outputs, self.width1, self.width2, self.blocks)
        if not self.conv_channels:
            return Architecture(*sizes)
        if domain.grid is None:
            raise QsolveError(
                f"--conv-channels: {domain.name}'s states are not a grid (Domain.grid)"
            )
        height, width = domain.grid
        return Architecture(*sizes, self.conv_channels, self.conv_layers or 2, height, width)

    def saved(self) -> dict[str, Any]:
        """The options as stored in a checkpoint and a model's config.json."""
        return {k: v for k, v in asdict(self).items() if k not in ("out", "resume", "overwrite")}


def has_torch_ops(domain: Domain) -> bool:
    """Whether ``domain`` and the domain its walks take can make training data with torch (their
    declared torch operations equal their numpy ones: ``device_data.device_ops``)."""
    import torch

    from qsolve.training.device_data import device_ops

    return device_ops(domain, torch.device("cpu")) is not None


def check(config: TrainConfig) -> None:
    """Raise QsolveError, naming the option, for any value outside its declared range."""
    for f in fields(config):
        value, meta = getattr(config, f.name), f.metadata
        if value is None or isinstance(value, bool):
            continue
        if meta.get("choices") and value not in meta["choices"]:
            raise QsolveError(
                f"{flag(f.name)} must be one of {', '.join(meta['choices'])}, not {value!r}"
            )
        if isinstance(value, str):
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise QsolveError(f"{flag(f.name)} must be a finite number, got {value!r}")
        low, high = meta.get("low"), meta.get("high")
        if f.type.startswith("int") and not float(value).is_integer():  # type: ignore[union-attr]
            raise QsolveError(f"{flag(f.name)} must be a whole number, got {value!r}")
        strict = f.name in ("minutes", "lr", "lr_decay")  # zero makes no sense for these
        if low is not None and (value <= low if strict else value < low):
            relation = "more than" if strict else "at least"
            raise QsolveError(f"{flag(f.name)} must be {relation} {low:g}, got {value!r}")
        if high is not None and value > high:
            raise QsolveError(f"{flag(f.name)} must be at most {high:g}, got {value!r}")
    if not config.out.strip():
        raise QsolveError("--out must name a folder, not an empty string")
    if config.kind == "v" and (
        config.double_q or config.actions_per_state or config.greedy_actions
    ):
        raise QsolveError(
            "--double-q, --actions-per-state and --greedy-actions apply to Q networks only (--kind q)"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One command-line option per TrainConfig field, with its help and default; values are
    checked when the TrainConfig is made, so the command line and the API reject the same."""
    for f in fields(TrainConfig):
        meta = f.metadata
        if not meta.get("cli", True):
            continue
        default = None if f.default is MISSING else f.default
        shown = "" if default is None or isinstance(default, bool) else f" (default {default})"
        kwargs: dict[str, Any] = {"help": meta["help"] + shown, "dest": f.name}
        if isinstance(default, bool):
            kwargs["action"] = "store_true"
        else:
            kwargs["default"] = default
            kwargs["type"] = _parser_type(str(f.type))
            if meta.get("choices"):
                kwargs["choices"] = meta["choices"]
        if f.name == "out":
            kwargs["required"] = True
        parser.add_argument(flag(f.name), **kwargs)


def _parser_type(annotation: str) -> Any:
    if annotation.startswith("int"):
        return _number(int)
    if annotation.startswith("float"):
        return _number(float)
    return str


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None

    parse.__name__ = kind.__name__
    return parse


def from_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The TrainConfig keyword arguments in parsed command-line ``args``."""
    return {f.name: getattr(args, f.name) for f in fields(TrainConfig) if f.name != "domain"}
