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
    python experiments/sliding/network_probes.py noise manhattan --sigmas 0 0.5 1 2 [--offset 0]
        # puzzle48: a beam of 10,000 over Manhattan plus noise of sd sigma that is a function of
        # the (state, action) (a hash, so a state always gets the same), 120 s
    python experiments/sliding/network_probes.py trace MODEL [--width 2000] [--offset 0]
        # puzzle48: one beam, 120 s; each layer's smallest and mean Manhattan distance and
        # smallest and mean estimate (min Q), every 15th layer
    python experiments/sliding/network_probes.py children MODEL --widths 3000 10000 \
            [--offset 100] [--count 10]
        # puzzle35: the beam ranking (node, action) pairs by Q (the default) at each width,
        # against ranking every new child by its own min Q at a third of the width (about as
        # many network inputs a layer): mean cost against DeepCubeA's, seconds, ONNX int8
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


class HashedNoise(Heuristic):
    """Manhattan distance plus Gaussian noise of sd ``sigma`` drawn from a hash of each (state,
    action): random, but the same every time the state is met."""

    def __init__(self, domain, sigma: float) -> None:
        super().__init__(domain)
        self.manhattan = qsolve.load_heuristic("manhattan", domain)
        self.sigma = sigma
        rng = np.random.default_rng(0)
        shape = (domain.state_dim, domain.num_actions)
        self.weights = rng.integers(1, 2**62, size=shape, dtype=np.uint64)

    def q_values(self, states: np.ndarray) -> np.ndarray:
        q = self.manhattan.q_values(states)
        h = (states.astype(np.uint64)[:, :, None] * self.weights[None]).sum(axis=1)  # wraps
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
        u1 = ((h >> np.uint64(11)) & np.uint64((1 << 26) - 1)).astype(np.float64) / (1 << 26)
        u2 = (h & np.uint64((1 << 11) - 1)).astype(np.float64) / (1 << 11)
        z = np.sqrt(-2 * np.log(u1 + 1e-9)) * np.cos(2 * np.pi * u2)
        return (q + self.sigma * z).astype(np.float32)


def noise(args: argparse.Namespace) -> None:
    domain = qsolve.domain("puzzle48")
    states, reference, _ = read_reference_set("puzzle48", 1, args.offset)
    for sigma in args.sigmas:
        [r] = qsolve.solve(
            domain, states, heuristic=HashedNoise(domain, sigma), algorithm="beam",
            beam_width=args.width, time_limit=120,
        )  # fmt: skip
        print(f"sigma {sigma:g}: solved {r.solved}, cost {r.cost:g} (DeepCubeA "
              f"{reference[0]:g}), {r.seconds:.1f} s", flush=True)  # fmt: skip


def trace(args: argparse.Namespace) -> None:
    domain = qsolve.domain("puzzle48")
    states, reference, _ = read_reference_set("puzzle48", 1, args.offset)
    net = qsolve.load_heuristic(args.model, domain, precision="int8")
    manhattan = qsolve.load_heuristic("manhattan", domain)
    layers = []

    class Traced(Heuristic):
        def q_values(self, states: np.ndarray) -> np.ndarray:
            q = net.q_values(states)
            m, v = manhattan.values(states), q.min(axis=1)
            layers.append((len(states), m.min(), m.mean(), v.min(), v.mean()))
            return q

    [r] = qsolve.solve(
        domain, states, heuristic=Traced(domain), algorithm="beam", beam_width=args.width,
        time_limit=120,
    )  # fmt: skip
    print(f"solved {r.solved}, cost {r.cost:g} (DeepCubeA {reference[0]:g}), {len(layers)} layers")
    print("layer states manhattan_min manhattan_mean estimate_min estimate_mean")
    for i in range(0, len(layers), 15):
        n, m_min, m_mean, v_min, v_mean = layers[i]
        print(i, n, f"{m_min:g}", f"{m_mean:.1f}", f"{v_min:.1f}", f"{v_mean:.1f}")


def children(args: argparse.Namespace) -> None:
    from qsolve.search.beam import beam_search

    domain = qsolve.domain(args.set)
    states, reference, _ = read_reference_set(args.set, args.count, args.offset)
    net = qsolve.load_heuristic(args.model, domain, precision="int8")
    beam_search(domain, net, states[0], 10)  # the engine built before the clock runs
    for width in args.widths:
        for pairs, w in ((False, max(1, round(width / 3))), (True, width)):
            costs, seconds = [], []
            for state in states:
                started = time.perf_counter()
                r = beam_search(domain, net, state, w, pairs=pairs)
                assert domain.is_goal(domain.apply_moves(state, r.actions)[None])[0]
                costs.append(r.cost)
                seconds.append(time.perf_counter() - started)
            ranked = "pairs by Q" if pairs else "children by min Q"
            print(
                f"W = {w:,}, {ranked}: mean cost {np.mean(costs):.2f} against DeepCubeA's "
                f"{reference.mean():.2f} ({np.mean(costs) / reference.mean():.4f}x), "
                f"{np.mean(seconds):.1f} s a state; costs {[int(c) for c in costs]}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    probes = {"reflect": reflect, "timing": timing, "walks": walks, "mix": mix, "noise": noise,
              "trace": trace, "children": children}  # fmt: skip
    parser.add_argument("probe", choices=tuple(probes))
    parser.add_argument("model")
    parser.add_argument("--set", default=None, help="puzzle35 (reflect, timing), puzzle48 (walks)")
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--offset", type=int, default=None, help="100 (timing), 0 (noise, trace)")
    parser.add_argument("--count", type=int, default=2)
    parser.add_argument("--beta", type=float, default=0.5)
    parser.add_argument("--sigmas", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0])
    parser.add_argument("--widths", type=int, nargs="+", default=[3000, 10_000])
    args = parser.parse_args()
    torch.set_num_threads(1)
    defaults = {"reflect": ("puzzle35", 0), "timing": ("puzzle35", 10_000),
                "walks": ("puzzle48", 1000), "mix": ("puzzle48", 3000),
                "noise": ("puzzle48", 10_000), "trace": ("puzzle48", 2000),
                "children": ("puzzle35", 0)}  # fmt: skip
    if args.offset is None:
        args.offset = 100 if args.probe in ("timing", "children") else 0
    args.set = args.set or defaults[args.probe][0]
    args.width = args.width or defaults[args.probe][1]
    probes[args.probe](args)


if __name__ == "__main__":
    main()
