"""Does the Q* loop keep up with the network?  Nodes per second and the share of search time spent
outside the heuristic, with Q*'s compiled kernels (numba) and with its numpy fallback, in one run.

    python benchmarks/search_loop.py [--nodes 200000] [--network-nodes 30000] [--repeats 2]

Rows: Q* with the zero heuristic on cube3-meta (1884 actions; target ≥ 150,000 nodes/s on one
core) and Q* with the shipped cube3 and cube3-meta networks (target: ≤ 25% of the time outside the
network; the int8 row stands for a faster network), B = 1000, each search from a 100-move scramble run to its node budget.  Compiled and
numpy rows alternate, so that the machine's load falls on both; CPU-time rates (one thread: the
process's CPU seconds) read what one free core would give on a busy machine.  Each search is
given its backend (``qstar_search(..., compiled=...)``), and the warm-up loads the kernels.  Then
the one-time cost of the compiled kernels in a fresh process (numba's import and the cached code's
load; never paid by a search with a node budget under ``kernels.SMALL_SEARCH`` unless an earlier
one loaded them), and with an empty cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.heuristics import Heuristic
from qsolve.search import Limits, qstar_search

try:
    from qsolve.search import kernels
except ImportError:  # a qsolve from before the compiled kernels: one row per case
    kernels = None  # type: ignore[assignment]


class Timed(Heuristic):
    """Wraps a heuristic and adds up the seconds spent inside it."""

    def __init__(self, inner: Heuristic) -> None:
        super().__init__(inner.domain)
        self.inner, self.seconds = inner, 0.0

    def q_values(self, states: np.ndarray) -> np.ndarray:
        started = time.process_time()
        try:
            return self.inner.q_values(states)
        finally:
            self.seconds += time.process_time() - started


def cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def run(domain: qsolve.Domain, heuristic: Heuristic, start: np.ndarray, nodes: int, mode: str):
    timed = Timed(heuristic)
    limits = Limits(max_nodes=nodes)
    backend = {} if kernels is None else {"compiled": mode == "compiled"}
    started = time.process_time()
    result = qstar_search(domain, timed, start, batch_size=1000, limits=limits, **backend)
    return result.nodes_generated, result.seconds, time.process_time() - started, timed.seconds


LOAD = (  # the kernels' first search in a fresh process, after importing qsolve
    "import time, numpy as np, qsolve; from qsolve.search import Limits, qstar_search; "
    "d = qsolve.get_domain('cube2'); h = qsolve.load_heuristic('zero', d); "
    "s = d.random_walk(np.array([5]), np.random.default_rng(0))[0]; t = time.perf_counter(); "
    "qstar_search(d, h, s, 8, limits=Limits(max_nodes=2000), compiled=True); "
    "print(time.perf_counter() - t)"
)


def load_seconds(cache_dir: str | None) -> float:
    env = dict(os.environ, QSOLVE_COMPILED="1")
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run(
        [sys.executable, "-c", LOAD], env=env, check=True, capture_output=True, text=True
    )
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200_000, help="budget, zero heuristic")
    parser.add_argument("--network-nodes", type=int, default=30_000, help="budget, networks")
    parser.add_argument("--repeats", type=int, default=2, help="alternating rounds")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if kernels is not None and kernels.compiled() is None:
        sys.exit("search_loop.py: error: numba is not installed (pip install 'qsolve[fast]')")
    modes = ("numpy", "compiled") if kernels is not None else ("this qsolve",)
    cases = []
    for domain_name, spec, precision, nodes in (
        ("cube3-meta", "zero", "fp32", args.nodes),
        ("cube3", None, "fp32", args.network_nodes),
        ("cube3", None, "int8", args.network_nodes),
        ("cube3-meta", None, "fp32", args.network_nodes),
    ):
        domain = qsolve.get_domain(domain_name)
        heuristic = qsolve.load_heuristic(spec, domain, precision=precision)
        start = domain.random_walk(np.array([100]), np.random.default_rng(0))[0]
        label = "zero" if spec == "zero" else f"shipped {domain_name} network, {precision}"
        cases.append((domain_name, label, domain, heuristic, start, nodes))
    for case in cases:  # warm up: torch, and the compiled kernels' first calls
        run(*case[2:5], 5_000, "compiled")
    totals: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(args.repeats):
        for domain_name, label, domain, heuristic, start, nodes in cases:
            for mode in modes:
                sums = totals.setdefault((domain_name, label, mode), [0.0, 0.0, 0.0, 0.0])
                for i, value in enumerate(run(domain, heuristic, start, nodes, mode)):
                    sums[i] += value
    print(f"Q*, B = 1000, one core, {cpu()}; {args.repeats} alternating rounds summed\n")
    print(
        "| domain | heuristic | Q* kernels | nodes/s (wall) | nodes/s (CPU time) "
        "| outside the heuristic (CPU time) | speed-up (CPU time) |"
    )
    print("|---|---|---|---|---|---|---|")
    for (domain_name, label, mode), (nodes, wall, cpu_seconds, inside) in totals.items():
        base_nodes, _, base_cpu, _ = totals[(domain_name, label, modes[0])]
        speedup = (nodes / cpu_seconds) / (base_nodes / base_cpu)
        print(
            f"| {domain_name} | {label} | {mode} | {nodes / wall:,.0f} | {nodes / cpu_seconds:,.0f} "
            f"| {(cpu_seconds - inside) / cpu_seconds:.0%} | {speedup:.2f}x |"
        )
    if kernels is None:
        return
    with tempfile.TemporaryDirectory() as empty:
        cold = load_seconds(empty)
    warm = load_seconds(None)
    print(
        f"\nFirst use of the compiled kernels in a process: {warm:.2f} s with numba's cache, "
        f"{cold:.2f} s compiling into an empty cache; a search with a node budget under "
        f"{kernels.SMALL_SEARCH:,} nodes never loads numba (unless an earlier one did)."
    )


if __name__ == "__main__":
    main()
