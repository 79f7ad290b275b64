"""Deep approximate Q-learning from the goal, as in the Q* search paper.

Each step draws fresh states by random walks of length k ~ U[0, scramble_max] from the goal and
regresses the online network on the one-step targets

    y(s, a) = c(s, a) + (0 if the child is the goal else min_a' Q_target(child, a'))

(y = 0 when s itself is the goal; inapplicable actions of s are not trained).  ``kind="v"`` trains
a V network the DeepCubeA way instead: y(s) = min_a [c(s, a) + V_target(child)].  The target
network is replaced by the online one every ``target_update`` steps, or earlier once the mean loss
since the last replacement drops below ``loss_threshold`` (DeepCubeA's rule).

The batch of step t depends only on (seed, t), so a resumed run repeats an uninterrupted one
exactly (on the CPU, with the same thread count).
"""

from __future__ import annotations

import copy
import json
import math
import multiprocessing
import os
import signal
import time
from dataclasses import asdict, dataclass, field, fields
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from qsolve.domains import DOMAINS, Domain, get_domain
from qsolve.errors import QsolveError
from qsolve.networks.heuristic import FORMAT, NetworkHeuristic, load_model, resolve_device
from qsolve.networks.resnet import DEFAULT_SIZES, Architecture, ResidualMLP
from qsolve.training import checkpoint
from qsolve.training.evaluate import (
    METRIC_COLUMNS,
    Evaluator,
    append_metrics,
    plot_metrics,
    truncate_metrics,
)

# Longest random walk from the goal per domain (DeepCubeA: 30 for cube3, 500 for puzzle15).
DEFAULT_SCRAMBLE: dict[str, int] = {
    "cube3": 30,
    "cube3-meta": 20,
    "cube2": 20,
    "puzzle8": 100,
    "puzzle15": 500,
    "puzzle24": 500,
    "lightsout5": 30,
    "lightsout7": 50,
}
DEFAULT_ACTIONS_PER_STATE: dict[str, int] = {"cube3-meta": 32}
DEFAULT_STEPS = 10_000  # when neither --steps nor --minutes is given
MIN_TARGET_AGE = 10  # steps before the loss threshold may replace the target network
EVALS_DIR = "evals"  # with --keep-evals: one model folder per evaluation, out/evals/step-N


@dataclass
class TrainConfig:
    """Every option of ``qsolve train``; ``None`` means the domain's default."""

    domain: str
    out: str
    steps: int | None = None  # total steps, counted across resumes
    minutes: float | None = None  # wall-clock limit of this run
    seed: int = 0
    scramble_max: int | None = None
    scramble_ramp: int = 0  # steps over which the longest walk grows from 1 to scramble_max
    batch_size: int = 1000  # states per step
    lr: float = 1e-3
    lr_decay: float = 1.0  # the learning rate at step t is lr * lr_decay**t
    kind: str = "q"  # q: a Q network (one output per action); v: a V network
    double_q: bool = False
    actions_per_state: int | None = None  # trained actions per state (None: all)
    greedy_actions: int = 0  # of those, the online network's best ones (the rest uniform)
    target_update: int = 100
    loss_threshold: float | None = 0.05
    loss: str = "mse"  # mse or huber
    grad_clip: float | None = 10.0
    device: str = "auto"
    eval_every: int = 1000
    keep_evals: bool = False  # also keep each evaluation's model in out/evals/step-N
    resume: bool = False
    width1: int | None = None
    width2: int | None = None
    blocks: int | None = None
    workers: int = 0  # processes generating batches ahead of the gradient step
    threads: int | None = None  # torch CPU threads (None: the cores left by the workers)

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise QsolveError(f"unknown domain {self.domain!r} (choose from {', '.join(DOMAINS)})")
        if self.kind not in ("q", "v"):
            raise QsolveError(f"--kind must be q or v, not {self.kind!r}")
        if self.loss not in ("mse", "huber"):
            raise QsolveError(f"--loss must be mse or huber, not {self.loss!r}")
        if self.kind == "v" and (self.double_q or self.actions_per_state or self.greedy_actions):
            raise QsolveError(
                "--double-q, --actions-per-state and --greedy-actions apply to Q networks only "
                "(--kind q)"
            )
        if self.greedy_actions < 0:
            raise QsolveError(f"--greedy-actions must be at least 0, got {self.greedy_actions}")
        if self.scramble_ramp < 0:
            raise QsolveError(f"--scramble-ramp must be at least 0, got {self.scramble_ramp}")
        for name in (
            "steps",
            "scramble_max",
            "batch_size",
            "actions_per_state",
            "target_update",
            "eval_every",
        ):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise QsolveError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        for name in ("width1", "width2", "blocks", "workers", "threads"):
            value = getattr(self, name)
            if value is not None and value < (0 if name in ("blocks", "workers") else 1):
                raise QsolveError(f"--{name} must be positive, got {value}")
        if self.minutes is not None and not self.minutes > 0:
            raise QsolveError(f"--minutes must be positive, got {self.minutes}")
        if not self.lr > 0:
            raise QsolveError(f"--lr must be positive, got {self.lr}")
        if not 0 < self.lr_decay <= 1:
            raise QsolveError(f"--lr-decay must lie in (0, 1], got {self.lr_decay}")
        if self.scramble_max is None:
            self.scramble_max = DEFAULT_SCRAMBLE[self.domain]
        if self.actions_per_state is None and self.kind == "q":
            self.actions_per_state = DEFAULT_ACTIONS_PER_STATE.get(self.domain)
        if self.greedy_actions and not (
            self.actions_per_state and self.greedy_actions < self.actions_per_state
        ):
            raise QsolveError(
                "--greedy-actions must be fewer than --actions-per-state (sampled actions)"
            )
        if self.steps is None and self.minutes is None:
            self.steps = DEFAULT_STEPS
        sizes = DEFAULT_SIZES[self.domain]
        saved = Path(self.out) / "config.json"
        if self.resume and saved.is_file():  # resuming: the checkpoint's own architecture
            try:
                arch = json.loads(saved.read_text())["architecture"]
                sizes = (arch["width1"], arch["width2"], arch["blocks"])
            except (ValueError, KeyError, TypeError):
                pass  # loading the checkpoint reports the damage
        self.width1 = self.width1 or sizes[0]
        self.width2 = self.width2 or sizes[1]
        self.blocks = sizes[2] if self.blocks is None else self.blocks

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
        return Architecture(domain.encoding_dim, outputs, self.width1, self.width2, self.blocks)


# -- data: random walks from the goal and their children ---------------------------------


@dataclass
class Batch:
    """The training data of one step: N states, K trained actions each."""

    states: np.ndarray  # [N, D]
    is_goal: np.ndarray  # [N] bool
    actions: np.ndarray  # [N, K] int64, the trained actions of each state
    trained: np.ndarray  # [N, K] bool, the action is applicable
    costs: np.ndarray  # [N, K] float32, c(s, a)
    children: np.ndarray  # [N * K, D]
    child_is_goal: np.ndarray  # [N * K] bool
    child_applicable: np.ndarray | None  # [N * K, A] bool; None: every action applies


def make_batch(
    domain: Domain,
    seed: int,
    step: int,
    batch_size: int,
    scramble_max: int,
    actions_per_state: int | None,
) -> Batch:
    """The batch of training step ``step``: a function of (seed, step) only."""
    rng = np.random.default_rng([seed, step])
    states = domain.random_walk(rng.integers(0, scramble_max + 1, size=batch_size), rng)
    applicable = domain.applicable(states)  # [N, A]
    n, a = applicable.shape
    if actions_per_state is None or actions_per_state >= a:
        actions = np.tile(np.arange(a), (n, 1))
    else:  # a uniform sample of K actions, applicable ones first
        scores = rng.random((n, a)) + applicable
        actions = np.argsort(-scores, axis=1)[:, :actions_per_state]
    trained = np.take_along_axis(applicable, actions, axis=1)
    children = domain.step(np.repeat(states, actions.shape[1], axis=0), actions.reshape(-1))
    return Batch(
        states=states,
        is_goal=domain.is_goal(states),
        actions=actions.astype(np.int64),
        trained=trained,
        costs=domain.action_costs[actions].astype(np.float32),
        children=children,
        child_is_goal=domain.is_goal(children),
        child_applicable=_applicable_mask(domain, children),
    )


def _applicable_mask(domain: Domain, states: np.ndarray) -> np.ndarray | None:
    """``domain.applicable(states)``, or None where every action applies (cubes, Lights Out):
    the batch then travels from the worker processes and to the device without it."""
    return None if domain.every_action_applies else domain.applicable(states)


def with_greedy_actions(
    domain: Domain, batch: Batch, online: ResidualMLP, count: int, device: torch.device
) -> Batch:
    """``batch`` with its first ``count`` trained actions per state replaced by the online
    network's ``count`` best applicable actions that were not sampled already.

    With many actions a uniform sample rarely holds the few that search would pick; training
    those keeps their Q-values honest (an estimate that is too low is what misleads Q*).
    """
    n, k = batch.actions.shape
    applicable = domain.applicable(batch.states)
    with torch.no_grad(), autocast(device):
        q = online(encode(domain, batch.states, device)).float().cpu().numpy()
    q[~applicable] = np.inf
    q[np.arange(n)[:, None], batch.actions[:, count:]] = np.inf  # already trained this step
    best = np.argpartition(q, count - 1, axis=1)[:, :count]
    actions = batch.actions.copy()
    actions[:, :count] = best
    trained = np.take_along_axis(applicable, actions, axis=1)
    new = domain.step(np.repeat(batch.states, count, axis=0), best.reshape(-1))
    grouped = batch.children.reshape(n, k, -1).copy()
    grouped[:, :count] = new.reshape(n, count, -1)
    children = grouped.reshape(n * k, -1)
    return Batch(
        states=batch.states,
        is_goal=batch.is_goal,
        actions=actions,
        trained=trained,
        costs=domain.action_costs[actions].astype(np.float32),
        children=children,
        child_is_goal=domain.is_goal(children),
        child_applicable=_applicable_mask(domain, children),
    )


def _worker_batch(domain_name: str, *args: Any) -> Batch:
    return make_batch(get_domain(domain_name), *args)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle


class BatchSource:
    """Batches by step number, made here or by worker processes a few steps ahead."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.domain = get_domain(config.domain)
        self.pool: Pool | None = None
        self.pending: dict[int, AsyncResult[Batch]] = {}
        if config.workers > 0:
            self.pool = multiprocessing.get_context("spawn").Pool(config.workers, _ignore_sigint)

    def _args(self, step: int) -> tuple[Any, ...]:
        c = self.config
        return (c.seed, step, c.batch_size, c.walk_limit(step), c.actions_per_state)

    def get(self, step: int) -> Batch:
        if self.pool is None:
            return make_batch(self.domain, *self._args(step))
        for ahead in range(step, step + 2 * self.config.workers):
            if ahead not in self.pending:
                self.pending[ahead] = self.pool.apply_async(
                    _worker_batch, (self.config.domain, *self._args(ahead))
                )
        return self.pending.pop(step).get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


# -- the Q-learning update ---------------------------------------------------------------


def encode(domain: Domain, states: np.ndarray, device: torch.device) -> torch.Tensor:
    """``domain.encode(states)`` made on ``device``: only the compact states are copied there,
    not the one-hot input (49-324 times larger as float32)."""
    compact = torch.from_numpy(np.ascontiguousarray(states)).to(device, non_blocking=True)
    one_hot = F.one_hot(compact.long(), domain.num_values)  # [N, D, num_values]
    return one_hot.view(len(states), -1).float()


def compute_targets(
    domain: Domain,
    batch: Batch,
    online: ResidualMLP,
    target: ResidualMLP,
    config: TrainConfig,
    device: torch.device,
) -> torch.Tensor:
    """The regression targets: ``[N, K]`` y(s, a) for a Q network, ``[N]`` y(s) for a V network."""
    n, k = batch.actions.shape
    children = encode(domain, batch.children, device)
    child_goal = torch.from_numpy(batch.child_is_goal).to(device)
    costs = torch.from_numpy(batch.costs).to(device)
    with torch.no_grad(), autocast(device):
        if config.kind == "q":
            q_next = _only_applicable(target(children).float(), batch, device)  # [N*K, A]
            if config.double_q:  # the online network picks a', the target network values it
                best = _only_applicable(online(children).float(), batch, device)
                v_next = q_next.gather(1, best.argmin(dim=1, keepdim=True)).squeeze(1)
            else:
                v_next = q_next.min(dim=1).values
        else:
            v_next = target(children).float()[:, 0]
    v_next = torch.where(child_goal, 0.0, v_next).view(n, k)
    y = costs + v_next
    if config.kind == "v":  # y(s) = min over applicable a of c(s, a) + V(child)
        y = y.masked_fill(~torch.from_numpy(batch.trained).to(device), math.inf).min(dim=1).values
        return torch.where(torch.from_numpy(batch.is_goal).to(device), 0.0, y)
    return torch.where(torch.from_numpy(batch.is_goal).to(device)[:, None], 0.0, y)


def _only_applicable(q: torch.Tensor, batch: Batch, device: torch.device) -> torch.Tensor:
    """``q`` of the children with infinity for their inapplicable actions."""
    if batch.child_applicable is None:
        return q
    return q.masked_fill(~torch.from_numpy(batch.child_applicable).to(device), math.inf)


def gradient_step(
    domain: Domain,
    batch: Batch,
    y: torch.Tensor,
    online: ResidualMLP,
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    device: torch.device,
) -> float:
    """One Adam step on the loss between the online network and the targets; returns the loss."""
    with autocast(device):
        out = online(encode(domain, batch.states, device)).float()
    if config.kind == "q":
        trained = torch.from_numpy(batch.trained).to(device)
        actions = torch.from_numpy(batch.actions).to(device)
        prediction, y = out.gather(1, actions)[trained], y[trained]
    else:
        prediction = out[:, 0]
    loss = F.mse_loss(prediction, y) if config.loss == "mse" else F.huber_loss(prediction, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if config.grad_clip:
        torch.nn.utils.clip_grad_norm_(online.parameters(), config.grad_clip)
    optimizer.step()
    return float(loss.item())


def autocast(device: torch.device) -> torch.autocast:
    """bf16 autocast on CUDA; full precision on the CPU."""
    return torch.autocast(
        device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"
    )


# -- the training loop -------------------------------------------------------------------


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


@dataclass
class _Progress:
    step: int = 0
    since_target: int = 0
    recent_loss: float = 0.0  # moving average of the loss since the target was last replaced
    target_updates: int = 0
    seconds: float = 0.0
    last_loss: float = math.nan


def train(domain: str, out: str | Path, progress: bool = True, **options: Any) -> TrainSummary:
    """Train a Q (or V) network for ``domain`` into the folder ``out``; options: TrainConfig."""
    known = {f.name for f in fields(TrainConfig)} - {"domain", "out"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise QsolveError(f"unknown training option(s): {', '.join(unknown)}")
    return train_config(TrainConfig(domain=domain, out=str(out), **options), progress=progress)


def _set_threads(config: TrainConfig) -> None:
    cores = os.cpu_count() or 1
    torch.set_num_threads(config.threads or max(1, cores - config.workers))


def _model_config(
    config: TrainConfig, arch: Architecture, state: _Progress, rates: dict[str, float]
) -> dict[str, Any]:
    options = {k: v for k, v in asdict(config).items() if k not in ("out", "resume")}
    return {
        "format": FORMAT,
        "domain": config.domain,
        "kind": config.kind,
        "architecture": arch.to_dict(),
        "step": state.step,
        "train_seconds": round(state.seconds, 1),
        "eval": rates,
        "options": options,
    }


def train_config(config: TrainConfig, progress: bool = True) -> TrainSummary:
    """Run the training described by ``config`` (see ``train``)."""
    domain = get_domain(config.domain)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(config.device)
    _set_threads(config)
    torch.manual_seed(config.seed)

    saved = checkpoint.load_resume(out) if config.resume else None
    if saved is not None:
        _check_resumable(config, saved, domain)
    arch = config.architecture(domain)
    online = ResidualMLP(arch).to(device)
    optimizer = torch.optim.Adam(online.parameters(), lr=config.lr)
    state = _Progress()
    if saved is not None:
        online.load_state_dict(saved["online"])
        optimizer.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["torch_rng"])
        known = {f.name for f in fields(_Progress)}
        state = _Progress(**{k: v for k, v in saved["progress"].items() if k in known})
    elif config.resume and (out / "config.json").is_file():
        # Only shipped weights (no optimizer state): continue from them with a fresh optimizer.
        model, shipped = load_model(out, domain)
        if model.arch != arch:
            raise QsolveError(f"the model in {out} has architecture {model.arch}, not {arch}")
        online.load_state_dict(model.state_dict())
        # Count on from the model's own step and training time (fresh walks, not the old ones).
        state.step = int(shipped.get("step", 0))
        state.seconds = float(shipped.get("train_seconds", 0.0))
    elif config.resume:
        raise QsolveError(f"--resume: no checkpoint in {out}")
    target = copy.deepcopy(online)
    if saved is not None:
        target.load_state_dict(saved["target"])
    target.eval()

    metrics_csv = out / "metrics.csv"
    if saved is not None:
        truncate_metrics(metrics_csv, state.step)
    elif metrics_csv.exists():
        metrics_csv.unlink()
    evaluator = Evaluator(domain, int(config.scramble_max or 1))
    heuristic = NetworkHeuristic(domain, online, config.kind, device)
    columns = METRIC_COLUMNS + evaluator.columns
    rates: dict[str, float] = {}

    def save() -> None:
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
        checkpoint.save_model(out, online, _model_config(config, arch, state, rates))

    split = {"data": 0.0, "targets": 0.0, "gradient": 0.0}
    examples, busy = 0, 0.0  # this run's trained pairs and seconds spent on training steps
    started = time.perf_counter()
    deadline = started + 60 * config.minutes if config.minutes else math.inf
    source = BatchSource(config)
    display = _Display(config, state.step, progress)
    interrupted = False
    previous = _stop_on_sigterm()
    try:
        with display:
            while (
                config.steps is None or state.step < config.steps
            ) and time.perf_counter() < deadline:
                t0 = time.perf_counter()
                batch = source.get(state.step)
                if config.greedy_actions:
                    batch = with_greedy_actions(
                        domain, batch, online, config.greedy_actions, device
                    )
                t1 = time.perf_counter()
                for group in optimizer.param_groups:  # a function of the step, so resumes agree
                    group["lr"] = config.lr * config.lr_decay**state.step
                y = compute_targets(domain, batch, online, target, config, device)
                _sync(device)
                t2 = time.perf_counter()
                loss = gradient_step(domain, batch, y, online, optimizer, config, device)
                t3 = time.perf_counter()
                split["data"] += t1 - t0
                split["targets"] += t2 - t1
                split["gradient"] += t3 - t2
                examples += int(batch.trained.sum()) if config.kind == "q" else len(batch.states)
                state.step += 1
                state.seconds += t3 - t0
                busy += t3 - t0
                state.last_loss = loss

                # DeepCubeA's rule: a new target once the online network fits the current one.
                state.since_target += 1
                state.recent_loss = (
                    loss if state.since_target == 1 else 0.9 * state.recent_loss + 0.1 * loss
                )
                fits = (
                    config.loss_threshold is not None
                    and state.since_target >= MIN_TARGET_AGE
                    and state.recent_loss < config.loss_threshold
                )
                if state.since_target >= config.target_update or fits:
                    target.load_state_dict(online.state_dict())
                    state.since_target, state.recent_loss = 0, 0.0
                    state.target_updates += 1

                speed = examples / max(1e-9, busy)
                if state.step % config.eval_every == 0:
                    rates = evaluator(heuristic)
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
                            kept, online, _model_config(config, arch, state, rates)
                        )
                display.update(state.step, loss, speed, state.target_updates, rates)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        source.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    save()
    return TrainSummary(
        out, state.step, state.seconds, examples / max(1e-9, busy), interrupted, rates, split
    )


def _check_resumable(config: TrainConfig, saved: dict[str, Any], domain: Domain) -> None:
    before = saved["config"]
    for key in ("domain", "kind", "width1", "width2", "blocks"):
        if before[key] != getattr(config, key):
            raise QsolveError(
                f"--resume: the checkpoint in {config.out} has {key}={before[key]}, "
                f"not {getattr(config, key)}"
            )


def _stop_on_sigterm() -> Any:
    """Treat SIGTERM (``kill``, ``timeout``) like Ctrl-C, so that it too saves a checkpoint."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


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
            TextColumn(f"[bold]{config.domain}[/]"),
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
