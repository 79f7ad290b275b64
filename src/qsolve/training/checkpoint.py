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
from qsolve.networks.resnet import ResidualMLP

RESUME_FILE = "resume.pt"


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
