"""Small probes of a sliding-puzzle network, behind the figures of
training-runs/cpu-puzzle35/ and cpu-puzzle48-manhattan/ (one core each):

    python experiments/sliding/network_probes.py reflect MODEL [--set puzzle35]
        # min-Q on the first 100 DeepCubeA states, alone and averaged with its value of the
        # board mirrored in the main diagonal (tiles relabelled, U<->L, D<->R): correlation
        # with DeepCubeA's cost
    python experiments/sliding/network_probes.py timing MODEL [--width 10000] [--offset 100]
        # where one beam search's time goes (SearchResult.timings), ONNX int8
    python experiments/sliding/network_probes.py walks MODEL [--set puzzle48] [--width 1000]
        # the beam on random walks of 60 and 120 moves (3 each): solved, cost, nodes
    python experiments/sliding/network_probes.py mix MODEL --beta 0.5 [--width 3000] [--count 2]
        # puzzle48: a beam ranking pairs by beta Q + (1 - beta)(1 + manhattan(child)), 120 s
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.bench import read_reference_set
from qsolve.heuristics.base import Heuristic


def mirror(domain, states: np.ndarray) -> np.ndarray:
    """The boards mirrored in the main diagonal, each tile renamed to the goal's tile at its
    mirrored cell: the goal maps to itself, so the cost-to-go is unchanged."""
    n, d = domain.size, domain.size**2
    cells = np.arange(d)
    mirrored = (cells % n) * n + cells // n
    rename = np.zeros(d, dtype=np.int64)
    rename[1:] = mirrored[:-1] + 1
    out = np.empty_like(states)
    out[:, mirrored] = rename[states]
    return out


def reflect(args: argparse.Namespace) -> None:
    domain = qsolve.domain(args.set)
    states, cost, _ = read_reference_set(args.set, 100)
    assert (mirror(domain, domain.goal[None]) == domain.goal).all()
    net = qsolve.load_heuristic(args.model, domain, precision="fp32", engine="torch")
    q = net.q_values(states)
    qt = net.q_values(mirror(domain, states))[:, [2, 3, 0, 1]]  # U<->L, D<->R
    for name, v in (("Q", q.min(1)), ("mirrored", qt.min(1)), ("mean", ((q + qt) / 2).min(1))):
        print(f"{name}: correlation {np.corrcoef(v, cost)[0, 1]:.4f}, mean {v.mean():.2f}")


def timing(args: argparse.Namespace) -> None:
    domain = qsolve.domain(args.set)
    states, _, _ = read_reference_set(args.set, 1, args.offset)
    net = qsolve.load_heuristic(args.model, domain, precision="int8")
    qsolve.solve(domain, states[:1], heuristic=net, max_nodes=20_000, time_limit=None)
    [r] = qsolve.solve(
        domain, states[:1], heuristic=net, algorithm="beam", beam_width=args.width, time_limit=None
    )
    phases = {k: round(v, 2) for k, v in r.timings.items()}
    print(f"cost {r.cost:g}, {r.nodes_generated:,} nodes, {r.seconds:.1f} s: {phases}")
    print(
        f"{r.heuristic_inputs:,} network inputs, {1e6 * r.timings['heuristic'] / r.heuristic_inputs:.1f} µs each"
    )


def walks(args: argparse.Namespace) -> None:
    domain = qsolve.domain(args.set)
    net = qsolve.load_heuristic(args.model, domain, precision="int8")
    for k in (60, 120):
        starts = domain.random_walk(np.full(3, k), np.random.default_rng(k))
        results = qsolve.solve(
            domain, starts, heuristic=net, algorithm="beam", beam_width=args.width, time_limit=60
        )
        print(k, [(r.solved, r.cost, r.nodes_generated) for r in results], flush=True)


def mix(args: argparse.Namespace) -> None:
    domain = qsolve.domain("puzzle48")
    net = qsolve.load_heuristic(args.model, domain, precision="int8")
    manhattan = qsolve.load_heuristic("manhattan", domain)
    beta = args.beta

    class Mixed(Heuristic):
        def q_values(self, states: np.ndarray) -> np.ndarray:
            q = np.asarray(net.q_values(states), dtype=np.float64)
            children, mask = domain.expand(states)
            m = 1.0 + manhattan.values(children.reshape(-1, children.shape[-1]))
            return np.where(mask, beta * q + (1 - beta) * m.reshape(mask.shape), np.inf)

    mixed = Mixed(domain)
    states, reference, _ = read_reference_set("puzzle48", args.count)
    for state, ref in zip(states, reference, strict=True):
        started = time.perf_counter()
        [r] = qsolve.solve(
            domain, state[None], heuristic=mixed, algorithm="beam", beam_width=args.width,
            time_limit=120,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        print(f"beta {beta}: solved {r.solved}, cost {r.cost:g} (DeepCubeA {ref:g}), "
              f"{r.nodes_generated:,} nodes, {seconds:.1f} s", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=("reflect", "timing", "walks", "mix"))
    parser.add_argument("model")
    parser.add_argument("--set", default=None, help="puzzle35 (reflect, timing), puzzle48 (walks)")
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--offset", type=int, default=100)
    parser.add_argument("--count", type=int, default=2)
    parser.add_argument("--beta", type=float, default=0.5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    defaults = {"reflect": ("puzzle35", 0), "timing": ("puzzle35", 10_000),
                "walks": ("puzzle48", 1000), "mix": ("puzzle48", 3000)}  # fmt: skip
    args.set = args.set or defaults[args.probe][0]
    args.width = args.width or defaults[args.probe][1]
    {"reflect": reflect, "timing": timing, "walks": walks, "mix": mix}[args.probe](args)


if __name__ == "__main__":
    main()
