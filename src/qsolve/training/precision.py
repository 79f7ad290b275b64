"""The arithmetic of training's network passes: bf16 autocast where it makes a step faster.

The weights and Adam's moments stay fp32 either way; bf16 changes only the matrix products of
the forward and backward passes (the network's last layer stays fp32, see ``ResidualMLP``).
On CUDA bf16 is always the faster choice; on a CPU it depends on the instruction set (AVX-512
with BF16 runs it about twice as fast as fp32, CPUs without it much slower), so ``auto``
measures it there.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import torch

from qsolve.networks.resnet import Architecture

FASTER = 1.2  # bf16 must beat fp32 by this factor on a CPU to be chosen


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """bf16 autocast when ``precision`` is ``bf16``, full precision otherwise."""
    return torch.autocast(
        device_type=device.type, dtype=torch.bfloat16, enabled=precision == "bf16"
    )


def resolve_precision(
    name: str, device: torch.device, arch: Architecture, saved: dict[str, Any] | None
) -> str:
    """``fp32`` or ``bf16`` for ``--precision name``: a resumed run keeps the choice it made
    (so that resuming stays exact); ``auto`` otherwise takes bf16 on CUDA, and on a CPU where a
    measured bf16 step of a layer of this network's width is ``FASTER`` than fp32."""
    if name != "auto":
        return name
    before = (saved or {}).get("precision")
    if before in ("fp32", "bf16"):
        return before
    if device.type == "cuda":
        return "bf16"
    return "bf16" if cpu_bf16_speedup(min(arch.width2, 1024)) >= FASTER else "fp32"


@functools.cache
def cpu_bf16_speedup(width: int, rows: int = 512) -> float:
    """fp32 time over bf16-autocast time of a forward and backward pass through a
    ``width`` x ``width`` layer on ``rows`` rows, on one thread of this CPU (best of five each,
    the two interleaved so that a change in load hits both).  One thread, because the ratio is
    the instruction set's: with several threads on a busy machine, waits for the slowest thread
    decide it instead."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _speedup(width, rows)
    finally:
        torch.set_num_threads(threads)


def _speedup(width: int, rows: int) -> float:
    generator = torch.Generator().manual_seed(0)
    layer = torch.nn.Linear(width, width)
    x = torch.randn(rows, width, generator=generator)

    def seconds(precision: str) -> float:
        start = time.perf_counter()
        with autocast(torch.device("cpu"), precision):
            out = layer(torch.relu(layer(x)))
        out.float().square().mean().backward()
        return time.perf_counter() - start

    best = {"fp32": float("inf"), "bf16": float("inf")}
    for _ in range(5):
        for precision in best:
            best[precision] = min(best[precision], seconds(precision))
    return best["fp32"] / best["bf16"]
