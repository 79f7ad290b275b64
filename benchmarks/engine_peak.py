"""The machine's limit for the network: peak matrix-product speed at the network's layer sizes on
one core (numpy/OpenBLAS, torch, ONNX Runtime; fp32 and int8), and each engine's achieved GFLOP/s
at batches of 100, 1000 and 10000 states as a share of it.

    python benchmarks/engine_peak.py [--models cube3 cube3-meta puzzle15] [--batches 100 1000 10000]

Everything runs on one thread.  Where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (some machines
set them for older OpenBLAS builds), numpy runs a slower kernel; the script prints which kernel ran.
To measure numpy's own peak, unset both in that command only:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/engine_peak.py``.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

import qsolve
from qsolve.networks import engines, peak


def fmt(value: object) -> str:
    if isinstance(value, float):
        if np.isnan(value):
            return "-"
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def print_rows(title: str, rows: list[dict]) -> None:
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column, justify="left" if column in ("engine", "library") else "right")
    for row in rows:
        table.add_row(*(fmt(v) for v in row.values()))
    Console(width=160).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cube3", "cube3-meta", "puzzle15"])
    parser.add_argument("--batches", nargs="+", type=int, default=[100, 1000, 10_000])
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per batch size")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"CPU: {engines.machine_key()}")
    versions = f"torch {torch.__version__}"
    if engines.onnxruntime_available():
        import onnxruntime

        versions += f", onnxruntime {onnxruntime.__version__}"
    coretype = os.environ.get("OPENBLAS_CORETYPE", "unset")
    l2 = os.environ.get("OPENBLAS_L2_SIZE", "unset")
    print(f"numpy's OpenBLAS kernel: {peak.openblas_core()} (OPENBLAS_CORETYPE={coretype}, ")
    print(f"OPENBLAS_L2_SIZE={l2}); {versions}")
    for name in args.models:
        domain = qsolve.domain(name)
        folder = qsolve.shipped_model(domain)
        if folder is None:
            print(f"{name}: no shipped model")
            continue
        heuristic = qsolve.load_heuristic(folder, domain, device="cpu")  # engine auto: the default
        model = heuristic.model
        arch = model.arch
        rng = np.random.default_rng(0)
        sample = domain.encode(domain.random_walk(rng.integers(0, 30, size=2000), rng))
        peaks, rows = peak.measure(model, sample, args.batches, args.budget, heuristic.engine)
        label = (
            f"{name}: {arch.input_dim}-{arch.width1}-{arch.width2}x{arch.blocks} blocks-"
            f"{arch.output_dim}, {peak.flops_per_state(arch) / 1e6:.2f} MFLOP per state"
        )
        print_rows(f"{label}: matrix products at the layer sizes (one core)", peaks)
        print_rows(f"{label}: the network per engine", rows)


if __name__ == "__main__":
    main()
