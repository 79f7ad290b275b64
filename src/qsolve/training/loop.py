"""The training loop: deep approximate Q-learning from the goal, as in the Q* search paper.

A ``Trainer`` sets up the run (folder, networks, optimizer, resumed state), then takes steps
until done; what is optional plugs in as a ``Callback`` (``Evaluation``, ``Display``, a test's
fault injection), called at the start, at named points of each step, after it and at the end.

Each step draws a fresh batch (``data.py`` with numpy on the host, or ``device_data.py`` with torch
on the training device: ``--data``), computes its regression targets (``targets.py``) and takes
one Adam step of the online network towards them.  The target network is replaced by the
online one every ``target_update`` steps, or earlier once the mean loss since the last
replacement drops below ``loss_threshold`` (DeepCubeA's rule).  Every ``eval_every`` steps the
solve rates on held-out walks go to metrics.csv, then the checkpoint is saved (``Evaluation``).

A stop request (Ctrl-C, SIGTERM) only sets a flag: the step under way finishes, then the run
saves and returns, so a checkpoint never holds a half-applied step.  A second request does not
skip that save; a third aborts at once.  The batch of step t depends only on (seed, t), so a
resumed run repeats an uninterrupted one exactly (on the CPU, with the same thread count).

Under torchrun the same loop runs on every rank (``distributed.py``): each trains on its share
of the batch, the gradients are averaged, and rank 0 alone evaluates and saves.
"""

from __future__ import annotations

import copy
import math
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from qsolve.domains import Domain, get_domain
from qsolve.errors import QsolveError
from qsolve.networks.encoding import evaluate
from qsolve.networks.heuristic import (
    CONFIG_FILE,
    FORMAT,
    NetworkHeuristic,
    load_model,
    make_baseline,
    read_config,
    resolve_device,
)
from qsolve.networks.resnet import Architecture, ResidualMLP
from qsolve.threads import set_torch_threads
from qsolve.training import checkpoint
from qsolve.training.config import TrainConfig
from qsolve.training.data import Batch, BatchSource, BatchSpec, HostData
from qsolve.training.device_data import DeviceData, TensorBatch, device_ops, to_tensors
from qsolve.training.distributed import PeerLost, Single, join
from qsolve.training.evaluate import (
    METRIC_COLUMNS,
    Evaluator,
    append_metrics,
    plot_metrics,
    truncate_metrics,
)
from qsolve.training.precision import autocast, resolve_precision
from qsolve.training.targets import NEEDS_BOUNDS, NEEDS_CHILDREN, compute_targets
from qsolve.training.teacher import init_sizes, init_weights, load_teacher

MIN_TARGET_AGE = 10  # steps before the loss threshold may replace the target network
EVALS_DIR = "evals"  # with --keep-evals: one model folder per evaluation, out/evals/step-N
METRICS_FILE = "metrics.csv"  # a row per evaluation


@dataclass
class TrainSummary:
    """What a training run reached."""

    out: Path
    step: int
    seconds: float  # training time, summed over resumes
    examples_per_s: float  # trained (state, action) pairs per second, this run
    interrupted: bool
    last_eval: dict[str, float] = field(default_factory=dict)
    time_split: dict[str, float] = field(default_factory=dict)  # data / targets / gradient seconds
    precision: str = "fp32"  # of the network's passes: fp32 or bf16


@dataclass
class Progress:
    step: int = 0
    since_target: int = 0
    recent_loss: float = 0.0  # moving average of the loss since the target was last replaced
    target_updates: int = 0
    seconds: float = 0.0
    last_loss: float = math.nan


# -- the Q-learning update -----------------------------------------------------------------


def with_greedy_actions(
    domain: Domain,
    batch: Batch,
    online: ResidualMLP,
    count: int,
    device: torch.device,
    precision: str = "fp32",
) -> Batch:
    """``BatchMaker.with_greedy_actions`` on a numpy batch, the network on ``device``."""
    return HostData(domain, device).with_greedy_actions(batch, online, count, precision)  # type: ignore[return-value]


def gradient_step(
    domain: Domain,
    batch: Batch | TensorBatch,
    y: torch.Tensor,
    online: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    device: torch.device,
    group: Single | None = None,
    total: int = 0,
) -> float:
    """One Adam step on the loss between the online network and the targets; returns the loss.

    With a ``group`` of several ranks, ``online`` is wrapped in DistributedDataParallel and
    ``total`` counts the trained pairs of all ranks: the loss is then the mean over the whole
    step's batch (each rank's sum over ``total``), and so is the averaged gradient.
    """
    if isinstance(batch, Batch):
        batch = to_tensors(batch, device)
    with autocast(device, config.precision):
        out = evaluate(online, domain, batch.states).float()
    if config.kind == "q":
        prediction, y = out.gather(1, batch.actions)[batch.trained], y[batch.trained]
    else:
        prediction = out[:, 0]
    if group is None or group.world_size == 1:
        loss = F.mse_loss(prediction, y) if config.loss == "mse" else F.huber_loss(prediction, y)
        value = None
    else:
        errors = (
            F.mse_loss(prediction, y, reduction="sum")
            if config.loss == "mse"
            else F.huber_loss(prediction, y, reduction="sum")
        )
        share = errors / max(1, total)
        # Summed before the backward pass, so that a rank lost here leaves no step half-taken.
        value = group.all_sum([float(share.item())])[0]
        loss = share * group.world_size  # DDP divides the summed gradients by the world size
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if config.grad_clip:
        torch.nn.utils.clip_grad_norm_(online.parameters(), config.grad_clip)
    optimizer.step()
    return float(loss.item()) if value is None else value


# -- the loop ------------------------------------------------------------------------------


def train(
    domain: str,
    out: str | Path,
    progress: bool = True,
    callbacks: Sequence[Callback] = (),
    **options: Any,
) -> TrainSummary:
    """Train a Q (or V) network for ``domain`` into the folder ``out``; options: TrainConfig;
    ``callbacks`` are called at each point of the run (``Callback``)."""
    known = {f.name for f in fields(TrainConfig)} - {"domain", "out"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise QsolveError(f"unknown training option(s): {', '.join(unknown)}")
    config = TrainConfig(domain=domain, out=str(out), **options)
    return train_config(config, progress=progress, callbacks=callbacks)


def train_config(
    config: TrainConfig, progress: bool = True, callbacks: Sequence[Callback] = ()
) -> TrainSummary:
    """Run the training described by ``config`` (see ``train``); under torchrun, this process's
    rank of a data-parallel run."""
    group = join()
    lost = False
    try:
        trainer = Trainer(config, group)
        extras: list[Callback] = [Evaluation()] if group.is_main else []  # rank 0 writes
        trainer.callbacks = [*extras, Display(progress and group.is_main), *callbacks]
        return trainer.fit()
    except PeerLost:
        lost = True
        raise
    finally:
        group.close(peer_lost=lost)


class Callback:
    """What a ``Trainer`` calls as it runs; every method does nothing unless overridden.

    ``on_point`` is called at each named point of a step, "batch", "targets", "gradient", then
    "evaluate" and "saved" where those happen: tests interrupt a run there without relying on
    timing.
    """

    def on_start(self, trainer: Trainer) -> None:
        """Before the first step."""

    def on_point(self, trainer: Trainer, point: str) -> None:
        """At ``point`` of the step under way."""

    def on_step(self, trainer: Trainer, loss: float) -> None:
        """After each whole step (``trainer.state.step`` counts it)."""

    def on_end(self, trainer: Trainer) -> None:
        """After the last step and the final save, or when the run fails."""


class Trainer:
    """One training run: ``set_up`` (folder, networks, optimizer, the resumed state, agreed by
    every rank), then ``step`` until done, with ``evaluate`` and ``save`` where callbacks ask for
    them (``fit`` is that loop); rank 0 alone reads and writes the folder."""

    def __init__(self, config: TrainConfig, group: Single) -> None:
        self.config = config
        self.group = group
        self.domain = get_domain(config.domain)
        self.out = Path(config.out)
        self.callbacks: list[Callback] = []
        self.state = Progress()
        self.rates: dict[str, float] = {}  # the latest evaluation
        self.split = {"data": 0.0, "targets": 0.0, "gradient": 0.0}  # seconds per part
        self.examples, self.busy = 0, 0.0  # this run's trained pairs and seconds of steps
        self.interrupted = False

    # -- set-up ----------------------------------------------------------------------------

    def set_up(self) -> None:
        """Check the folder and options (rank 0), then make the networks, the optimizer and
        the data where every rank starts from rank 0's state."""
        config, group, domain = self.config, self.group, self.domain
        saved, shipped = self._agree_on_folder()
        self.arch = config.architecture(domain)
        self.device = device = group.device(resolve_device(config.device))
        self.teacher = load_teacher(config.teacher, domain, device) if config.teacher else None
        on_device = data_on_device(config.data, domain, device)
        cores = (os.cpu_count() or 1) // group.local_world_size
        set_torch_threads(config.threads or max(1, cores - (0 if on_device else config.workers)))
        # Rank 0 chooses (a measurement may differ between ranks); a resumed run keeps its choice.
        precision = (
            resolve_precision(config.precision, device, self.arch, saved and saved["config"])
            if group.is_main
            else None
        )
        config.precision = group.share_object(precision)
        torch.manual_seed(config.seed)
        self._make_networks(saved, shipped)
        self.deadline = time.perf_counter() + 60 * config.minutes if config.minutes else math.inf
        self.made_here = DeviceData(domain, device) if on_device else None
        self.maker = self.made_here or HostData(domain, device)  # greedy actions
        self.source = BatchSource(domain, 0 if on_device else config.workers, self.spec)

    def _agree_on_folder(self) -> tuple[dict[str, Any] | None, Any]:
        """Rank 0 reads the folder (machines need not share one); the other ranks learn from
        it what it found: an error, or the network sizes.  The checkpoint to resume from, or
        the shipped model to count on from (rank 0; None elsewhere)."""
        config, group = self.config, self.group
        found: tuple[str, Any] = ("sizes", None)
        saved, shipped = None, None
        self.inherited: dict[str, Any] = {}
        if group.is_main:
            try:
                saved, shipped = _prepare(config, self.domain, self.out)
                self.inherited = _inherited(self.out) if config.resume else {}
                sizes = (config.width1, config.width2, config.blocks)
                found = ("sizes", (*sizes, config.conv_channels, config.conv_layers))
            except QsolveError as error:
                found = ("error", str(error))
                if group.world_size == 1:
                    raise
        found = group.share_object(found)
        if found[0] == "error":
            raise QsolveError(found[1])
        config.with_sizes(found[1])
        return saved, shipped

    def _make_networks(self, saved: dict[str, Any] | None, shipped: Any) -> None:
        """The online and target networks and the optimizer, fresh, resumed, counted on from a
        shipped model or warm-started (``--init-from``); every rank gets rank 0's."""
        config, device = self.config, self.device
        self.online = online = ResidualMLP(self.arch).to(device)
        self.optimizer = torch.optim.Adam(online.parameters(), lr=config.lr)
        if saved is not None:
            online.load_state_dict(saved["online"])
            self.optimizer.load_state_dict(saved["optimizer"])
            torch.set_rng_state(saved["torch_rng"])
            known = {f.name for f in fields(Progress)}
            self.state = Progress(**{k: v for k, v in saved["progress"].items() if k in known})
        elif shipped is not None:
            model, info = shipped
            online.load_state_dict(model.state_dict())
            self.state.step = int(info.get("step", 0))
            self.state.seconds = float(info.get("train_seconds", 0.0))
        elif config.init_from is not None:
            init_weights(online, config.init_from, self.domain, config.kind)
        elif config.baseline is not None:  # a fresh residual: the baseline's own estimates
            torch.nn.init.zeros_(online.head.weight)
            torch.nn.init.zeros_(online.head.bias)
        if config.baseline is not None:
            online.baseline = make_baseline(config.baseline, self.domain, config.kind)
        self.target = copy.deepcopy(online)
        if saved is not None:
            self.target.load_state_dict(saved["target"])
        self.target.eval()
        if self.group.world_size > 1:  # every rank starts from rank 0's networks and step
            start = self.group.share_object(
                _to_cpu(self._training_state()) if self.group.is_main else None
            )
            online.load_state_dict(start["online"])
            self.target.load_state_dict(start["target"])
            self.optimizer.load_state_dict(start["optimizer"])
            self.state = Progress(**start["progress"])
        self.trained = self.group.wrap(online)  # the online network whose gradients are averaged

    def _training_state(self) -> dict[str, Any]:
        return {
            "online": self.online.state_dict(),
            "target": self.target.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "progress": asdict(self.state),
        }

    # -- the data ----------------------------------------------------------------------------

    def spec(self, step: int) -> BatchSpec:
        """What the batch of ``step`` is drawn from: this rank's share of it."""
        config = self.config
        return BatchSpec(
            seed=config.seed,
            step=step,
            batch_size=self.group.share(config.batch_size),
            scramble_max=config.walk_limit(step),
            actions_per_state=config.actions_per_state,
            source=config.source,
            children=NEEDS_CHILDREN[config.targets],
            stream=tuple(self.group.stream()),
            tighten=NEEDS_BOUNDS[config.targets],
        )

    def batch(self, step: int) -> TensorBatch:
        """The batch of ``step`` on the device, with its greedy actions where asked for."""
        config = self.config
        made: Any = (
            self.made_here.make(self.spec(step)) if self.made_here else self.source.get(step)
        )
        if config.greedy_actions:
            made = self.maker.with_greedy_actions(
                made, self.online, config.greedy_actions, config.precision
            )
        return made if isinstance(made, TensorBatch) else to_tensors(made, self.device)

    # -- the loop ----------------------------------------------------------------------------

    def fit(self) -> TrainSummary:
        """Set up, step until ``config.steps``, the deadline or a stop request, save, summarize."""
        self.set_up()
        lost: PeerLost | None = None
        with _stop_requests() as stop:
            self.stop = stop
            self._call("on_start")
            try:
                try:
                    while self.config.steps is None or self.state.step < self.config.steps:
                        if not self.step():
                            break
                except PeerLost as error:
                    lost = error  # the last whole step is saved below, then the run ends
                finally:
                    self.source.close()
                if self.group.is_main:
                    self.save()
            finally:
                self._call("on_end")
        if lost is not None:
            raise self._lost(lost) from lost
        self.interrupted = self.interrupted or stop.requested > 0  # a request in the last step
        return TrainSummary(
            self.out,
            self.state.step,
            self.state.seconds,
            self.speed,
            self.interrupted,
            self.rates,
            self.split,
            self.config.precision,
        )

    def step(self) -> bool:
        """One Q-learning step: a batch, its targets, an Adam step, the target network's
        replacement when due; False, without a step, once the run is to stop."""
        config, group, state = self.config, self.group, self.state
        t0 = time.perf_counter()
        if group.world_size == 1 and (self.stop.requested or t0 >= self.deadline):
            self.interrupted = self.stop.requested > 0
            return False
        batch = self.batch(state.step)
        pairs = int(batch.trained.sum()) if config.kind == "q" else len(batch.states)
        if group.world_size > 1:  # every rank stops after the same step
            asked, late, total = group.all_sum(
                [self.stop.requested > 0, t0 >= self.deadline, pairs]
            )
            if asked or late:
                self.interrupted = asked > 0
                return False
            pairs = int(total)
        self.point("batch")
        t1 = time.perf_counter()
        for params in self.optimizer.param_groups:  # a function of the step: resumes agree
            params["lr"] = config.lr * config.lr_decay**state.step
        y = compute_targets(
            self.domain, batch, self.online, self.target, config, self.device, self.teacher
        )
        _sync(self.device)
        self.point("targets")
        t2 = time.perf_counter()
        with group.collective():
            loss = gradient_step(
                self.domain,
                batch,
                y,
                self.trained,
                self.optimizer,
                config,
                self.device,
                group,
                pairs,
            )
        self.point("gradient")
        t3 = time.perf_counter()
        for part, seconds in (("data", t1 - t0), ("targets", t2 - t1), ("gradient", t3 - t2)):
            self.split[part] += seconds
        self.examples += pairs
        self.busy += t3 - t0
        _advance(state, config, loss, t3 - t0, self.target, self.online)
        self._call("on_step", loss)
        return True

    @property
    def speed(self) -> float:
        """This run's trained (state, action) pairs per second of steps."""
        return self.examples / max(1e-9, self.busy)

    # -- evaluation and saving (rank 0) ------------------------------------------------------

    def evaluate(self) -> dict[str, float]:
        """The solve rates on held-out walks, as a row of metrics.csv and training.png."""
        if not hasattr(self, "evaluator"):
            self.evaluator = Evaluator(self.domain, int(self.config.scramble_max or 1))
            self.heuristic = NetworkHeuristic(
                self.domain, self.online, self.config.kind, self.device
            )
        self.rates = self.evaluator(self.heuristic)
        self.point("evaluate")
        state = self.state
        row = {
            "step": state.step,
            "seconds": round(state.seconds, 1),
            "loss": state.last_loss,
            "examples_per_s": round(self.speed),
            "target_updates": state.target_updates,
            **self.rates,
        }
        metrics = self.out / METRICS_FILE
        append_metrics(metrics, row, METRIC_COLUMNS + self.evaluator.columns)
        plot_metrics(metrics, self.out / "training.png")
        return self.rates

    def save(self, folder: Path | None = None) -> None:
        """The model and the training state in the run's folder; to another ``folder``, the
        model alone."""
        model_config = _model_config(self.config, self.arch, self.state, self.rates, self.inherited)
        if folder is not None:
            checkpoint.save_model(folder, self.online, model_config)
            return
        # The model first: a kill between the two files leaves a folder that loads and resumes.
        checkpoint.save_model(self.out, self.online, model_config)
        config = {k: v for k, v in asdict(self.config).items() if k != "out"}
        resume = {**self._training_state(), "torch_rng": torch.get_rng_state(), "config": config}
        checkpoint.save_resume(self.out, resume)
        self.point("saved")

    # -- callbacks ---------------------------------------------------------------------------

    def point(self, point: str) -> None:
        """Tell the callbacks that the run is at ``point``."""
        self._call("on_point", point)

    def _call(self, method: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, method)(self, *args)

    def _lost(self, lost: PeerLost) -> PeerLost:
        where = (
            f"the checkpoint in {self.out} holds step {self.state.step}"
            if self.group.is_main
            else f"rank 0 keeps the last checkpoint in {self.out}"
        )
        return PeerLost(
            f"rank {self.group.rank} of {self.group.world_size} lost contact with the other "
            f"ranks ({lost}); {where}; continue with --resume"
        )


class Evaluation(Callback):
    """Every ``eval_every`` steps: evaluate, then save (and with ``--keep-evals`` keep that
    model in out/evals/step-N)."""

    def on_start(self, trainer: Trainer) -> None:
        # rows after the checkpoint belong to no model
        truncate_metrics(trainer.out / METRICS_FILE, trainer.state.step)

    def on_step(self, trainer: Trainer, loss: float) -> None:
        step = trainer.state.step
        if step % trainer.config.eval_every:
            return
        trainer.evaluate()
        trainer.save()
        if trainer.config.keep_evals:
            kept = trainer.out / EVALS_DIR / f"step-{step}"
            kept.mkdir(parents=True, exist_ok=True)
            trainer.save(kept)


def _prepare(
    config: TrainConfig, domain: Domain, out: Path
) -> tuple[dict[str, Any] | None, tuple[ResidualMLP, dict[str, Any]] | None]:
    """Check the folder and the options, before any training time is spent; the checkpoint to
    resume from, or else the shipped model (weights and config.json) to count on from."""
    checkpoint.prepare_folder(out, resume=config.resume, overwrite=config.overwrite)
    saved = checkpoint.load_resume(out) if config.resume else None
    if saved is not None:
        checkpoint.check_resume(saved, out)
    config.with_sizes(_sizes(config, out, saved, domain))
    arch = config.architecture(domain)
    if saved is not None:
        _check_resumable(config, saved)
    shipped = None
    if saved is None and config.resume:  # weights only: a fresh optimizer, counting on
        shipped = load_model(out, domain)
        if shipped[0].arch != arch:
            raise QsolveError(f"the model in {out} has architecture {shipped[0].arch}, not {arch}")
        _check_baseline(config, shipped[0], f"the model in {out}")
    checkpoint.check_memory(arch, config)
    return saved, shipped


def data_on_device(data: str, domain: Domain, device: torch.device) -> bool:
    """Whether the batches are made on ``device`` (``DeviceData``) for ``--data``: ``device``
    wherever the domain has torch operations, ``auto`` on CUDA devices only."""
    if data == "cpu" or (data == "auto" and device.type != "cuda"):
        return False
    if device_ops(domain, device) is None:
        if data == "device":
            raise QsolveError(
                f"--data device: {domain.name} has no torch operations (Domain.torch_ops) equal "
                "to its numpy ones; use --data cpu"
            )
        return False
    return True


def _advance(
    state: Progress,
    config: TrainConfig,
    loss: float,
    seconds: float,
    target: ResidualMLP,
    online: ResidualMLP,
) -> None:
    """Count a finished step and replace the target network when it is due (DeepCubeA's rule:
    also once the online network fits the current target)."""
    state.step += 1
    state.seconds += seconds
    state.last_loss = loss
    state.since_target += 1
    state.recent_loss = loss if state.since_target == 1 else 0.9 * state.recent_loss + 0.1 * loss
    fits = (
        config.loss_threshold is not None
        and state.since_target >= MIN_TARGET_AGE
        and state.recent_loss < config.loss_threshold
    )
    if state.since_target >= config.target_update or fits:
        target.load_state_dict(online.state_dict())
        state.since_target, state.recent_loss = 0, 0.0
        state.target_updates += 1


def _sizes(
    config: TrainConfig, out: Path, saved: dict[str, Any] | None, domain: Domain
) -> tuple[int, ...]:
    """The network sizes to fill in: a resumed checkpoint's (or shipped model's), else the domain's."""
    if saved is not None:
        c = saved["config"]
        conv = (int(c.get("conv_channels") or 0), int(c.get("conv_layers") or 0))
        return (int(c["width1"]), int(c["width2"]), int(c["blocks"]), *conv)
    if config.resume:
        arch = read_config(out)["architecture"]
        conv = (int(arch.get("conv_channels", 0)), int(arch.get("conv_layers", 0)))
        return (int(arch["width1"]), int(arch["width2"]), int(arch["blocks"]), *conv)
    if config.init_from is not None:
        return init_sizes(config.init_from, domain)
    return domain.network_size


# What a resumed model's config.json says about how to use the network, kept as the weights
# change; "int8_checked" is not: it vouches for the weights it was measured on.
INHERITED_KEYS = ("search", "symmetries")


def _inherited(out: Path) -> dict[str, Any]:
    """The usage settings of the model being resumed in ``out`` (INHERITED_KEYS)."""
    if not (out / CONFIG_FILE).is_file():
        return {}
    config = read_config(out)
    return {key: config[key] for key in INHERITED_KEYS if key in config}


def _model_config(
    config: TrainConfig,
    arch: Architecture,
    state: Progress,
    rates: dict[str, float],
    inherited: dict[str, Any],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "domain": get_domain(config.domain).name,
        "kind": config.kind,
        "architecture": arch.to_dict(),
        "step": state.step,
        "train_seconds": round(state.seconds, 1),
        "eval": rates,
        "options": config.saved(),
        **({"baseline": config.baseline} if config.baseline else {}),
        **inherited,
    }


def _check_baseline(config: TrainConfig, model: ResidualMLP, what: str) -> None:
    """Refuse to go on from a network learnt over another baseline than ``--baseline``'s: its
    output means something else."""
    theirs = None if model.baseline is None else model.baseline.name
    if theirs != config.baseline:
        raise QsolveError(
            f"{what} was trained over baseline {theirs or 'none'}, not "
            f"{config.baseline or 'none'} (--baseline)"
        )


def _check_resumable(config: TrainConfig, saved: dict[str, Any]) -> None:
    before = saved["config"]
    keys = ("domain", "kind", "width1", "width2", "blocks", "conv_channels", "conv_layers")
    for key in (*keys, "baseline"):
        if (before.get(key) or 0) != (getattr(config, key) or 0):
            raise QsolveError(
                f"--resume: the checkpoint in {config.out} has {key}={before.get(key)}, "
                f"not {getattr(config, key)}"
            )


def _to_cpu(value: Any) -> Any:
    """``value`` with its tensors copied to the CPU (to send to ranks on other devices)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(v) for v in value)
    return value


class _StopRequests:
    requested = 0  # stop requests so far


@contextmanager
def _stop_requests() -> Iterator[_StopRequests]:
    """Ctrl-C and SIGTERM ask the loop to stop at the next step boundary; a third one aborts."""
    stop = _StopRequests()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def request(signum: int, frame: object) -> None:
        stop.requested += 1
        if stop.requested >= 3:
            raise KeyboardInterrupt

    previous = {s: signal.signal(s, request) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Display(Callback):
    """The rich progress bar: step, loss, examples per second, latest evaluation."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.progress: Any = None
        self.last = 0.0

    def on_start(self, trainer: Trainer) -> None:
        if not self.enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        config = trainer.config
        self.progress = Progress(
            TextColumn(f"[bold]{config.domain}[/] {config.precision}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"),
        )
        self.task = self.progress.add_task(
            "train", total=config.steps, completed=trainer.state.step, info=""
        )
        self.progress.start()

    def on_end(self, trainer: Trainer) -> None:
        if self.progress is not None:
            self.progress.stop()

    def on_step(self, trainer: Trainer, loss: float) -> None:
        now = time.perf_counter()
        if self.progress is None or now - self.last < 0.25:
            return
        self.last = now
        rates = trainer.rates
        solved = " ".join(f"{k}={v:.0%}" for k, v in rates.items() if k.startswith("qstar"))
        info = (
            f"loss {loss:.4f}  {trainer.speed:,.0f} ex/s  "
            f"targets {trainer.state.target_updates}  {solved}"
        )
        self.progress.update(self.task, completed=trainer.state.step, info=info)
