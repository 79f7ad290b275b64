"""The training loop: deep approximate Q-learning from the goal, as in the Q* search paper.

Each step draws a fresh batch (``data.py`` with numpy on the host, or ``device_data.py`` with torch
on the training device: ``--data``), computes its regression targets (``targets.py``) and takes
one Adam step of the online network towards them.  The target network is replaced by the
online one every ``target_update`` steps, or earlier once the mean loss since the last
replacement drops below ``loss_threshold`` (DeepCubeA's rule).  Every ``eval_every`` steps the
solve rates on held-out walks go to metrics.csv, then the checkpoint is saved.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from qsolve.domains import Domain, get_domain
from qsolve.errors import QsolveError
from qsolve.networks.encoding import one_hot_tensor
from qsolve.networks.heuristic import (
    CONFIG_FILE,
    FORMAT,
    NetworkHeuristic,
    load_model,
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
# Tests set this to a function called at each named point of a step ("batch", "targets",
# "gradient", "evaluate", "saved"), to interrupt there without relying on timing.
fault_hook: Callable[[str], None] | None = None


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
        out = online(one_hot_tensor(domain, batch.states)).float()
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


def train(domain: str, out: str | Path, progress: bool = True, **options: Any) -> TrainSummary:
    """Train a Q (or V) network for ``domain`` into the folder ``out``; options: TrainConfig."""
    known = {f.name for f in fields(TrainConfig)} - {"domain", "out"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise QsolveError(f"unknown training option(s): {', '.join(unknown)}")
    return train_config(TrainConfig(domain=domain, out=str(out), **options), progress=progress)


def train_config(config: TrainConfig, progress: bool = True) -> TrainSummary:
    """Run the training described by ``config`` (see ``train``); under torchrun, this process's
    rank of a data-parallel run."""
    group = join()
    lost = False
    try:
        return _train(config, progress and group.is_main, group)
    except PeerLost:
        lost = True
        raise
    finally:
        group.close(peer_lost=lost)


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
    checkpoint.check_memory(arch, config)
    return saved, shipped


def _train(config: TrainConfig, progress: bool, group: Single) -> TrainSummary:
    domain = get_domain(config.domain)
    out = Path(config.out)
    # Rank 0 alone reads and writes the folder (machines need not share one); the other ranks
    # learn from it what it found: an error, or the network sizes.
    found: tuple[str, Any] = ("sizes", None)
    saved, shipped = None, None
    inherited: dict[str, Any] = {}
    if group.is_main:
        try:
            saved, shipped = _prepare(config, domain, out)
            inherited = _inherited(out) if config.resume else {}
            found = (
                "sizes",
                (
                    config.width1,
                    config.width2,
                    config.blocks,
                    config.conv_channels,
                    config.conv_layers,
                ),
            )
        except QsolveError as error:
            found = ("error", str(error))
            if group.world_size == 1:
                raise
    found = group.share_object(found)
    if found[0] == "error":
        raise QsolveError(found[1])
    config.with_sizes(found[1])
    arch = config.architecture(domain)
    device = group.device(resolve_device(config.device))
    teacher = load_teacher(config.teacher, domain, device) if config.teacher else None
    on_device = data_on_device(config.data, domain, device)
    cores = (os.cpu_count() or 1) // group.local_world_size
    set_torch_threads(config.threads or max(1, cores - (0 if on_device else config.workers)))
    # Rank 0 chooses (a measurement may differ between ranks); a resumed run keeps its choice.
    precision = (
        resolve_precision(config.precision, device, arch, saved and saved["config"])
        if group.is_main
        else None
    )
    config.precision = group.share_object(precision)
    torch.manual_seed(config.seed)

    online = ResidualMLP(arch).to(device)
    optimizer = torch.optim.Adam(online.parameters(), lr=config.lr)
    state = Progress()
    if saved is not None:
        online.load_state_dict(saved["online"])
        optimizer.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["torch_rng"])
        known = {f.name for f in fields(Progress)}
        state = Progress(**{k: v for k, v in saved["progress"].items() if k in known})
    elif shipped is not None:
        model, info = shipped
        online.load_state_dict(model.state_dict())
        state.step = int(info.get("step", 0))
        state.seconds = float(info.get("train_seconds", 0.0))
    elif config.init_from is not None:
        init_weights(online, config.init_from, domain, config.kind)
    target = copy.deepcopy(online)
    if saved is not None:
        target.load_state_dict(saved["target"])
    target.eval()
    if group.world_size > 1:  # every rank starts from rank 0's networks, optimizer and step
        start = group.share_object(
            _to_cpu(
                {
                    "online": online.state_dict(),
                    "target": target.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "progress": asdict(state),
                }
            )
            if group.is_main
            else None
        )
        online.load_state_dict(start["online"])
        target.load_state_dict(start["target"])
        optimizer.load_state_dict(start["optimizer"])
        state = Progress(**start["progress"])
    trainer = group.wrap(online)  # the online network whose gradients are averaged

    metrics_csv = out / "metrics.csv"
    if group.is_main:
        truncate_metrics(metrics_csv, state.step)  # rows after the checkpoint belong to no model
        evaluator = Evaluator(domain, int(config.scramble_max or 1))
        heuristic = NetworkHeuristic(domain, online, config.kind, device)
        columns = METRIC_COLUMNS + evaluator.columns
    rates: dict[str, float] = {}

    def save() -> None:
        # The model first: a kill between the two files leaves a folder that loads and resumes.
        checkpoint.save_model(out, online, _model_config(config, arch, state, rates, inherited))
        checkpoint.save_resume(
            out,
            {
                "online": online.state_dict(),
                "target": target.state_dict(),
                "optimizer": optimizer.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "progress": asdict(state),
                "config": {k: v for k, v in asdict(config).items() if k != "out"},
            },
        )
        _hook("saved")

    split = {"data": 0.0, "targets": 0.0, "gradient": 0.0}
    examples, busy = 0, 0.0  # this run's trained pairs and seconds spent on training steps
    deadline = time.perf_counter() + 60 * config.minutes if config.minutes else math.inf
    children = NEEDS_CHILDREN[config.targets]

    def arguments(step: int) -> BatchSpec:
        return BatchSpec(
            config.seed,
            step,
            group.share(config.batch_size),
            config.walk_limit(step),
            config.actions_per_state,
            config.source,
            children,
            tuple(group.stream()),
            NEEDS_BOUNDS[config.targets],
        )

    source = BatchSource(domain, 0 if on_device else config.workers, arguments)
    made_here = DeviceData(domain, device) if on_device else None

    def next_batch(step: int) -> Any:
        """The batch of ``step`` on the device, with its greedy actions where asked for."""
        if made_here is not None:
            made = made_here.make(arguments(step))
            if config.greedy_actions:
                made = made_here.with_greedy_actions(
                    made, online, config.greedy_actions, config.precision
                )
            return made
        batch = source.get(step)
        if config.greedy_actions:
            batch = with_greedy_actions(
                domain, batch, online, config.greedy_actions, device, config.precision
            )
        return to_tensors(batch, device)

    display = _Display(config, state.step, progress)
    lost: PeerLost | None = None
    with _stop_requests() as stop, display:
        interrupted = False
        try:
            while config.steps is None or state.step < config.steps:
                if group.world_size == 1 and (stop.requested or time.perf_counter() >= deadline):
                    interrupted = stop.requested > 0
                    break
                t0 = time.perf_counter()
                batch = next_batch(state.step)
                pairs = int(batch.trained.sum()) if config.kind == "q" else len(batch.states)
                if group.world_size > 1:  # every rank stops after the same step
                    asked, late, total = group.all_sum([stop.requested > 0, t0 >= deadline, pairs])
                    if asked or late:
                        interrupted = asked > 0
                        break
                    pairs = int(total)
                _hook("batch")
                t1 = time.perf_counter()
                for params in optimizer.param_groups:  # a function of the step: resumes agree
                    params["lr"] = config.lr * config.lr_decay**state.step
                y = compute_targets(domain, batch, online, target, config, device, teacher)
                _sync(device)
                _hook("targets")
                t2 = time.perf_counter()
                with group.collective():
                    loss = gradient_step(
                        domain, batch, y, trainer, optimizer, config, device, group, pairs
                    )
                _hook("gradient")
                t3 = time.perf_counter()
                split["data"] += t1 - t0
                split["targets"] += t2 - t1
                split["gradient"] += t3 - t2
                examples += pairs
                busy += t3 - t0
                _advance(state, config, loss, t3 - t0, target, online)

                speed = examples / max(1e-9, busy)
                if state.step % config.eval_every == 0 and group.is_main:
                    rates = evaluator(heuristic)
                    _hook("evaluate")
                    row = {
                        "step": state.step,
                        "seconds": round(state.seconds, 1),
                        "loss": loss,
                        "examples_per_s": round(speed),
                        "target_updates": state.target_updates,
                        **rates,
                    }
                    append_metrics(metrics_csv, row, columns)
                    plot_metrics(metrics_csv, out / "training.png")
                    save()
                    if config.keep_evals:
                        kept = out / EVALS_DIR / f"step-{state.step}"
                        kept.mkdir(parents=True, exist_ok=True)
                        checkpoint.save_model(
                            kept, online, _model_config(config, arch, state, rates, inherited)
                        )
                display.update(state.step, loss, speed, state.target_updates, rates)
        except PeerLost as error:
            lost = error  # the last whole step is saved below, then the run ends
        finally:
            source.close()
        if group.is_main:
            save()
    if lost is not None:
        where = (
            f"the checkpoint in {out} holds step {state.step}"
            if group.is_main
            else f"rank 0 keeps the last checkpoint in {out}"
        )
        raise PeerLost(
            f"rank {group.rank} of {group.world_size} lost contact with the other ranks ({lost}); "
            f"{where}; continue with --resume"
        ) from lost
    interrupted = interrupted or stop.requested > 0  # also a request during the last step
    return TrainSummary(
        out,
        state.step,
        state.seconds,
        examples / max(1e-9, busy),
        interrupted,
        rates,
        split,
        config.precision,
    )


def data_on_device(data: str, domain: Domain, device: torch.device) -> bool:
    """Whether the batches are made on ``device`` (``DeviceData``) for ``--data``: ``device``
    wherever the domain has torch operations, ``auto`` on CUDA devices only."""
    if data == "cpu" or (data == "auto" and device.type != "cuda"):
        return False
    if device_ops(domain, device) is None:
        if data == "device":
            raise QsolveError(
                f"--data device: {domain.name} has no torch operations (Domain.torch_ops); "
                "use --data cpu"
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
        **inherited,
    }


def _check_resumable(config: TrainConfig, saved: dict[str, Any]) -> None:
    before = saved["config"]
    for key in ("domain", "kind", "width1", "width2", "blocks", "conv_channels", "conv_layers"):
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


def _hook(point: str) -> None:
    if fault_hook is not None:
        fault_hook(point)


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


class _Display:
    """The rich progress bar: step, loss, examples per second, latest evaluation."""

    def __init__(self, config: TrainConfig, step: int, enabled: bool) -> None:
        self.enabled = enabled
        self.progress: Any = None
        self.last = 0.0
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn(f"[bold]{config.domain}[/] {config.precision}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"),
        )
        self.task = self.progress.add_task("train", total=config.steps, completed=step, info="")

    def __enter__(self) -> _Display:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(
        self, step: int, loss: float, speed: float, targets: int, rates: dict[str, float]
    ) -> None:
        now = time.perf_counter()
        if self.progress is None or now - self.last < 0.25:
            return
        self.last = now
        solved = " ".join(f"{k}={v:.0%}" for k, v in rates.items() if k.startswith("qstar"))
        info = f"loss {loss:.4f}  {speed:,.0f} ex/s  targets {targets}  {solved}"
        self.progress.update(self.task, completed=step, info=info)
