"""Checkpoints that survive a kill at any moment: every file is written whole, then renamed.

A training folder holds ``model.safetensors`` (half-precision weights, what ships), ``config.json``
(domain, kind, architecture, step, options) and ``resume.pt`` (full precision: online and target
networks, optimizer, step, RNG state), which ``--resume`` continues from.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import torch

from qsolve.errors import QsolveError
from qsolve.networks.heuristic import CONFIG_FILE, MODEL_FILE
from qsolve.networks.resnet import Architecture, ResidualMLP

RESUME_FILE = "resume.pt"
RESUME_KEYS = {"online", "target", "optimizer", "torch_rng", "progress", "config"}
METRICS_FILE = "metrics.csv"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    # The rename itself is durable only once the folder is synced.
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def save_model(folder: Path, model: ResidualMLP, config: dict[str, Any]) -> None:
    """The shippable model: half-precision weights and config.json."""
    from safetensors.torch import save

    weights = {
        k: v.detach().to("cpu", torch.float16).contiguous() for k, v in model.state_dict().items()
    }
    atomic_write(folder / MODEL_FILE, save(weights, metadata={"domain": str(config["domain"])}))
    atomic_write(folder / CONFIG_FILE, (json.dumps(config, indent=2) + "\n").encode())


def save_resume(folder: Path, state: dict[str, Any]) -> None:
    """The full-precision training state that ``--resume`` continues from."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write(folder / RESUME_FILE, buffer.getvalue())


def load_resume(folder: Path) -> dict[str, Any] | None:
    """The training state saved in ``folder``, or None when there is none."""
    file = folder / RESUME_FILE
    if not file.is_file():
        return None
    try:
        state: dict[str, Any] = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for damaged files
        raise QsolveError(
            f"{file} is corrupted and cannot be resumed from ({type(error).__name__})"
        ) from None
    return state


def check_resume(state: Any, folder: Path) -> None:
    """Raise QsolveError unless ``state`` (from ``load_resume``) is a whole training state."""
    missing = RESUME_KEYS - set(state) if isinstance(state, dict) else RESUME_KEYS
    if missing:
        raise QsolveError(
            f"{folder / RESUME_FILE} is not a qsolve training state "
            f"(missing {', '.join(sorted(missing))})"
        )


def prepare_folder(folder: Path, resume: bool, overwrite: bool) -> None:
    """Make ``folder`` ready for a run, before any training time is spent: it must be a writable
    folder; without ``resume`` it must not hold a model (unless ``overwrite``); temporary files
    that an interrupted save left behind are removed."""
    if folder.exists() and not folder.is_dir():
        raise QsolveError(f"--out {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test.{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise QsolveError(f"--out {folder} is not writable ({error.strerror})") from None
    for stale in folder.glob(".*.tmp*"):  # written by atomic_write or the plot, then killed
        stale.unlink(missing_ok=True)
    held = [f for f in (MODEL_FILE, CONFIG_FILE, RESUME_FILE) if (folder / f).exists()]
    if resume:
        if not held:
            raise QsolveError(f"--resume: no checkpoint in {folder}")
        return
    if held and not overwrite:
        raise QsolveError(
            f"{folder} already holds a model; continue it with --resume or replace it with "
            "--overwrite"
        )
    for name in (*held, METRICS_FILE):
        (folder / name).unlink(missing_ok=True)


def check_memory(arch: Architecture, config: Any) -> None:
    """Refuse, before allocating, a network whose training state cannot fit in memory."""
    # online + target + gradient + Adam's two moments, float32
    needed = 5 * 4 * arch.parameter_count()
    available = _memory_bytes()
    if needed > available:
        raise QsolveError(
            f"a network of width1={arch.width1}, width2={arch.width2}, blocks={arch.blocks} "
            f"needs about {needed / 2**30:.1f} GiB to train; this machine has "
            f"{available / 2**30:.1f} GiB"
        )


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 2**40
