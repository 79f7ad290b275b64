"""Q* on cube3-meta before and after the refill change, and what ranking 1884 Q-values costs.

    python experiments/refill/refill_before_after.py [--depth 6] [--count 6] [--repeats 2]

"Before" is qsolve/search/qstar.py as of commit 71c7402 (read with ``git show``, so this runs in a
git checkout): a node popped past its top 32 actions was ranked again with a heuristic call and a
set difference, timed as "open list".  "After" is the current code.  Both run in this process on
the same scrambles with the shipped cube3-meta network, alternating, B = 1000, up to 100,000 nodes.
Then: microseconds per node for ranking the top 32 of 1884 Q-values with numpy (``top_actions``)
and with ``torch.topk``, on the network's own Q-values.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import qsolve
from qsolve.search import qstar
from qsolve.search.common import Limits

BEFORE = "71c7402"


def load_before() -> object:
    root = Path(__file__).resolve().parents[2]  # the checkout
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:src/qsolve/search/qstar.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "qstar_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("qstar_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_node_us(run, rows: int, repeats: int = 10) -> float:
    run()
    started = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - started) / repeats / rows * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=6, help="scramble length (default 6)")
    parser.add_argument("--count", type=int, default=6, help="scrambles (default 6)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating rounds (default 2)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain("cube3-meta")
    heuristic = qsolve.load_heuristic(None, domain)
    states = domain.random_walk(np.full(args.count, args.depth), np.random.default_rng(3))
    versions = {"before": load_before(), "after": qstar}
    print(f"Q* on cube3-meta, {args.count} scrambles of {args.depth} quarter turns, B = 1000")
    for round_ in range(args.repeats):
        for name, module in versions.items():
            started = time.perf_counter()
            nodes, shares = 0, {}
            for state in states:
                result = module.qstar_search(  # type: ignore[attr-defined]
                    domain, heuristic, state, batch_size=1000, limits=Limits(max_nodes=100_000)
                )
                nodes += result.nodes_generated
                for phase, seconds in result.timings.items():
                    shares[phase] = shares.get(phase, 0.0) + seconds
            total = time.perf_counter() - started
            split = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in shares.items() if v > 0)
            print(
                f"round {round_ + 1} {name:6s} {total:6.2f} s {nodes / total:9,.0f} nodes/s  {split}"
            )
    q = heuristic.q_values(domain.random_walk(np.full(1000, 20), np.random.default_rng(4)))
    q_torch = torch.from_numpy(q)
    numpy_us = per_node_us(lambda: qstar.top_actions(q, 32), len(q))
    torch_us = per_node_us(lambda: torch.topk(q_torch, 32, dim=1, largest=False), len(q))
    print(f"top 32 of 1884 Q-values: numpy {numpy_us:.1f} µs per node, torch.topk {torch_us:.1f}")


if __name__ == "__main__":
    sys.exit(main())
