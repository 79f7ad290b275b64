"""Whether chunks pay at B = 1000: the shipped cube3-meta network's ONNX Runtime fp32 engine on
1000 states in one call and in chunks of 128, 256 and 500 rows, against its layer products alone
(numpy, torch, ONNX Runtime; one call and the same chunks), all in interleaved rounds on one
thread.  Written up in experiments/history/benchmarks-notebook.md, "Network engines and the
core's peak".

    python experiments/engines/chunks_near_1000.py [--model cube3-meta] [--rounds 2] [--budget 6]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from collections.abc import Callable
from functools import partial

import numpy as np
import torch

import qsolve
from qsolve.networks import engines, peak

BATCH = 1000
CHUNKS = (128, 256, 500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cube3-meta")
    parser.add_argument("--rounds", type=int, default=2, help="races, each printed")
    parser.add_argument("--budget", type=float, default=6.0, help="seconds per race")
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain(args.model)
    model = qsolve.load_heuristic(qsolve.shipped_model(domain), domain, device="cpu").model
    onnx = engines.OnnxEngine(model, model.arch.input_dim, "fp32", engines.weights_hash(model))
    rng = np.random.default_rng(0)
    x = domain.encode(domain.random_walk(rng.integers(0, 30, size=BATCH), rng))
    one_call = onnx(x)
    runs: dict[str, Callable[[], object]] = {"network, one call": partial(onnx, x)}
    for rows in CHUNKS:
        chunked = engines.Chunked(onnx, rows)
        assert np.array_equal(chunked(x), one_call)  # fp32 rows are computed alone
        runs[f"network, chunks of {rows}"] = partial(chunked, x)
    products = []
    for rows in (BATCH, *CHUNKS):
        pieces = -(-BATCH // rows)
        for (library, precision), run in peak.gemm_runs(model.arch, rows).items():
            if precision == "fp32":
                label = f"products {library}" + ("" if rows == BATCH else f", chunks of {rows}")
                runs[label] = peak._chain([run] * pieces)
                products.append(label)
    flops = peak.flops_per_state(model.arch)
    print(f"CPU: {engines.machine_key()}; {args.model}, B = {BATCH}, one thread")
    for race in range(1, args.rounds + 1):
        seconds = engines.race(runs, args.budget)
        fastest = min(seconds[label] for label in products)
        print(f"race {race}: fp32 peak {BATCH * flops / fastest / 1e9:.1f} GFLOP/s")
        for label, s in seconds.items():
            print(
                f"  {label:45s} {1e6 * s / BATCH:6.1f} µs per state "
                f"{BATCH * flops / s / 1e9:6.1f} GFLOP/s {100 * fastest / s:5.1f}% of the peak"
            )


if __name__ == "__main__":
    main()
