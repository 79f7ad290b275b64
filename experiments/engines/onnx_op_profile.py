"""Where a network's ONNX Runtime pass spends its time, per operator, and what chunking a large
batch changes (experiments/history/benchmarks-notebook.md, "Network engines and the core's
peak").

    python experiments/engines/onnx_op_profile.py [--model cube3-meta] [--batches 256 10000]

Runs the shipped model's cached fp32 export (what ``--engine onnx`` runs) on one thread with ONNX
Runtime's own profiler and prints each operator type's share and nanoseconds per state; then
races, in interleaved rounds, the network on 10,000 states in one call and in chunks against the
network's layer products alone, in one call and in the same chunks.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import onnxruntime as ort
import torch

import qsolve
from qsolve.networks import engines, peak
from qsolve.networks.heuristic import load_model


def op_profile(path: str, x: np.ndarray, batch: int, repeats: int) -> None:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.enable_profiling = True
    options.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "ort")
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    for _ in range(repeats):
        session.run(None, {"x": x[:batch]})
    with open(session.end_profiling()) as file:
        events = json.load(file)
    by_op: dict[str, float] = collections.defaultdict(float)
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"]  # microseconds
    total = sum(by_op.values())
    print(f"B = {batch}: {total / repeats / batch:.1f} µs per state in the operators")
    for op, us in sorted(by_op.items(), key=lambda item: -item[1]):
        print(f"  {op:20s} {100 * us / total:5.1f}%  {1000 * us / repeats / batch:8.0f} ns/state")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cube3-meta")
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 10_000])
    parser.add_argument("--chunks", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of the race")
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain(args.model)
    model, _ = load_model(qsolve.shipped_model(domain), domain)
    arch = model.arch
    digest = engines.weights_hash(model)
    path = str(engines.onnx_file(model, arch.input_dim, "fp32", digest))
    rng = np.random.default_rng(0)
    sample = domain.encode(domain.random_walk(rng.integers(0, 30, size=2000), rng))
    n = 10_000
    x = np.ascontiguousarray(np.tile(sample, (-(-max(n, *args.batches) // 2000), 1)))
    print(f"{args.model}: {arch}, {peak.flops_per_state(arch) / 1e6:.2f} MFLOP per state")
    for batch in args.batches:
        op_profile(path, x, batch, repeats=max(3, 20_000 // batch))

    engine = engines.OnnxEngine(model, arch.input_dim, "fp32", digest)
    runs = {"network, one call": lambda: engine(x[:n])}
    products = peak.gemm_runs(arch, n)
    runs["layer products, one call"] = products["onnxruntime", "fp32"]
    for rows in args.chunks:
        chunked = engines.Chunked(engine, rows)
        runs[f"network, chunks of {rows}"] = lambda chunked=chunked: chunked(x[:n])
        pieces = peak.gemm_runs(arch, rows)["onnxruntime", "fp32"]
        runs[f"layer products, chunks of {rows}"] = lambda p=pieces, k=-(-n // rows): [
            p() for _ in range(k)
        ]
    seconds = engines.race(runs, args.budget)
    flops = peak.flops_per_state(arch)
    print(f"{n} states, ONNX Runtime, one thread, fastest of interleaved rounds:")
    for name, s in seconds.items():
        print(f"  {name:34s} {1000 * s:7.1f} ms  {n * flops / s / 1e9:6.1f} GFLOP/s")
    whole, chunked = engine(x[:n]), engines.Chunked(engine, args.chunks[0])(x[:n])
    print(f"largest |one call - chunked| over the outputs: {np.abs(whole - chunked).max()}")


if __name__ == "__main__":
    main()
