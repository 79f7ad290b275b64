"""Layered beam search with the Q network on DeepCubeA states: per layer, rank every (state,
action) pair by g + Q(s, a), generate the best ``--width`` pairs' children, drop repeats, stop at
the first layer that holds the goal.  A probe of whether breadth, not the network, is what makes
cube3's solutions long (docs/benchmarks.md).

    python experiments/cube3/beam_probe.py --width 10000 --count 10
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.bench import read_deepcubea
from qsolve.domains import Domain
from qsolve.heuristics import Heuristic


def beam(
    domain: Domain,
    heuristic: Heuristic,
    start: np.ndarray,
    width: int,
    max_depth: int,
    rng_key: np.ndarray,
) -> tuple[list[int] | None, int]:
    """The first solution found (its actions) or None, and the nodes generated."""
    layers_parent: list[np.ndarray] = []
    layers_action: list[np.ndarray] = []
    states = start[None, :]
    g = np.zeros(1)
    seen = np.sort(states.astype(np.uint64) @ rng_key)
    nodes = 1
    for _ in range(max_depth):
        q = heuristic.q_values(states) + g[:, None]
        q[~domain.applicable(states)] = np.inf
        flat = q.ravel()
        take = min(len(flat), int(width * 1.5))
        pick = np.argpartition(flat, take - 1)[:take] if take < len(flat) else np.arange(len(flat))
        pick = pick[np.argsort(flat[pick], kind="stable")]
        parent, action = np.divmod(pick, domain.num_actions)
        children = domain.step(states[parent], action)
        keys = children.astype(np.uint64) @ rng_key
        _, first = np.unique(keys, return_index=True)
        first = np.sort(first)
        first = first[~np.isin(keys[first], seen)][:width]
        parent, action, children = parent[first], action[first], children[first]
        nodes += len(children)
        g = g[parent] + domain.action_costs[action]
        layers_parent.append(parent)
        layers_action.append(action)
        seen = np.union1d(seen, keys[first])
        goal = np.nonzero(domain.is_goal(children))[0]
        if len(goal):
            index = int(goal[0])
            moves = []
            for p, a in zip(reversed(layers_parent), reversed(layers_action), strict=True):
                moves.append(int(a[index]))
                index = int(p[index])
            return moves[::-1], nodes
        states = children
    return None, nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="cube3")
    parser.add_argument("--model")
    parser.add_argument("--precision", default="int8")
    parser.add_argument("--width", type=int, default=10000)
    parser.add_argument("--max-depth", type=int, default=40)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--offset", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain(args.set)
    states, optimal = read_deepcubea(args.set, args.count, args.offset)
    heuristic = qsolve.load_heuristic(args.model, domain, precision=args.precision)
    rng_key = np.random.default_rng(0).integers(1, 2**63, domain.state_dim, dtype=np.uint64)
    costs, optima, seconds = [], [], []
    for state, best in zip(states, optimal, strict=True):
        started = time.perf_counter()
        moves, nodes = beam(domain, heuristic, state, args.width, args.max_depth, rng_key)
        spent = time.perf_counter() - started
        if moves is not None:
            assert domain.is_goal(domain.apply_moves(state, moves)[None, :])[0]
            costs.append(len(moves))
            optima.append(best)
        seconds.append(spent)
        print(None if moves is None else len(moves), best, nodes, f"{spent:.1f}", flush=True)
    print(
        f"width {args.width}: solved {len(costs)} of {len(states)}; mean cost "
        f"{np.mean(costs):.2f} against {np.mean(optima):.2f}; {np.mean(seconds):.1f} s/state"
    )


if __name__ == "__main__":
    main()
