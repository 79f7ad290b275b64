"""Scaling out on this machine: data-parallel training with 1 and N ranks, and solving with Ray.

    python benchmarks/scaling.py [--ranks 1 2] [--steps 40] [--solve-count 200]

Training: ``qsolve train`` (one process) against ``torchrun --nproc-per-node N -m qsolve train``
with the same global batch, one CPU thread per rank (``--threads 1``); examples per second are
the trained (state, action) pairs of all ranks over rank 0's training time, startup and the final
save left out.  Scaling efficiency = speed with N ranks / (N x speed with 1).  Solving: instances
per second in one process and on local Ray instances of 1 and N workers (what ``qsolve solve
--ray`` runs), the best of ``--repeat`` alternating runs, Ray's startup shown apart.  On GPUs,
pass ``--device cuda`` (one rank per GPU).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from qsolve.bench.report import machine

SPEED = re.compile(r"\(([\d.]+) min, ([\d,]+) examples/s\)")


def train_speed(ranks: int, args: argparse.Namespace, folder: Path) -> float:
    """Examples per second of a fresh run with ``ranks`` processes."""
    out = folder / f"ranks-{ranks}"
    train = [
        "train", args.domain, "--out", str(out), "--steps", str(args.steps),
        "--eval-every", "1000000", "--batch-size", str(args.batch_size),
        "--width1", str(args.width1), "--width2", str(args.width2), "--blocks", str(args.blocks),
        "--threads", "1", "--device", args.device, "--quiet", "--overwrite",
    ]  # fmt: skip
    launcher = [sys.executable, "-m", "qsolve"]
    if ranks > 1:
        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        launcher += ["--nproc-per-node", str(ranks), "-m", "qsolve"]
    done = subprocess.run(launcher + train, capture_output=True, text=True)
    found = SPEED.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"training with {ranks} rank(s) failed:\n{done.stdout}\n{done.stderr}")
    return float(found.group(2).replace(",", ""))


def solve_speeds(args: argparse.Namespace, workers: list[int]) -> list[tuple[str, float, float]]:
    """(run, seconds to start Ray, instances per second once started) for one process and for
    local Ray instances of each worker count."""
    import logging

    import ray

    from qsolve import api, cluster
    from qsolve.domains import get_domain

    domain = get_domain(args.solve_domain)
    states = domain.random_walk(np.full(args.solve_count, 60), np.random.default_rng(0))
    search = {"heuristic": args.solve_heuristic, "parallel": 32, "time_limit": 60.0}
    single = api.solve(domain, states, **search)
    best: dict[str, tuple[float, float]] = {}  # run -> (Ray start, seconds solving), best of all
    for _ in range(args.repeat):  # the runs alternate, so a burst of load hits each alike
        started = time.perf_counter()
        api.solve(domain, states, **search)
        _keep(best, "one process", 0.0, time.perf_counter() - started)
        for n in workers:
            t0 = time.perf_counter()
            ray.init(num_cpus=n, include_dashboard=False, logging_level=logging.ERROR)
            t1 = time.perf_counter()
            outcomes = dict(cluster.solve_stream(domain, states, **search))
            t2 = time.perf_counter()
            ray.shutdown()
            same = all(
                {**outcomes[i].to_dict(), "seconds": 0} == {**r.to_dict(), "seconds": 0}  # type: ignore[union-attr]
                for i, r in enumerate(single)
            )
            if not same:
                raise SystemExit("Ray's results differ from the single-process ones")
            _keep(best, f"--ray, {n} worker(s)", t1 - t0, t2 - t1)
    rows = [(run, start, len(states) / seconds) for run, (start, seconds) in best.items()]
    return rows


def _keep(best: dict[str, tuple[float, float]], run: str, start: float, seconds: float) -> None:
    if run not in best or seconds < best[run][1]:
        best[run] = (start, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--domain", default="puzzle15")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--width1", type=int, default=512)
    parser.add_argument("--width2", type=int, default=256)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--solve-domain", default="puzzle15")
    parser.add_argument("--solve-heuristic", default="manhattan")
    parser.add_argument("--solve-count", type=int, default=200, help="0: skip the Ray part")
    parser.add_argument("--repeat", type=int, default=2, help="solving runs of each kind (best)")
    args = parser.parse_args()

    console = Console()
    console.print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        speeds = {n: train_speed(n, args, folder) for n in args.ranks}
        table = Table(
            "ranks", "examples/s", "speed-up", "efficiency",
            title=f"training {args.domain}: batch {args.batch_size}, {args.width1}/{args.width2}"
            f"/{args.blocks}, {args.steps} steps, 1 thread a rank, {args.device}",
        )  # fmt: skip
        base = speeds[args.ranks[0]] / args.ranks[0]
        for n, speed in speeds.items():
            table.add_row(
                str(n), f"{speed:,.0f}", f"{speed / base:.2f}x", f"{speed / base / n:.0%}"
            )
        console.print(table)

        if args.solve_count:
            table = Table(
                "run", "Ray start (s)", "instances/s",
                title=f"solving {args.solve_count} {args.solve_domain} random walks of 60 "
                f"({args.solve_heuristic}), best of {args.repeat}; the same results in every run",
            )  # fmt: skip
            for run, start, speed in solve_speeds(args, sorted({1, max(args.ranks)})):
                table.add_row(run, f"{start:.1f}" if start else "-", f"{speed:.1f}")
            console.print(table)


if __name__ == "__main__":
    main()
