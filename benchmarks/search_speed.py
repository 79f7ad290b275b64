"""Nodes generated per second by Q* and A* with cheap heuristics, and the share of time spent
outside the heuristic (the search machinery: open list, duplicate detection, state generation).

    .venv/bin/python benchmarks/search_speed.py [--nodes 200000] [--batch-size 1000]

Each row searches one hard start state until the node budget is spent (an unsolved search), so
every row measures the same amount of work.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from rich.console import Console
from rich.table import Table

import qsolve
from qsolve.heuristics import Heuristic
from qsolve.search import Limits, astar_search, qstar_search


class Timed(Heuristic):
    """Wraps a heuristic and adds up the seconds spent inside it."""

    def __init__(self, inner: Heuristic) -> None:
        super().__init__(inner.domain)
        self.inner, self.seconds, self.name = inner, 0.0, inner.name

    def q_values(self, states: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.q_values(states)
        finally:
            self.seconds += time.perf_counter() - started

    def values(self, states: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.values(states)
        finally:
            self.seconds += time.perf_counter() - started


class HashedQ(Heuristic):
    """Cheap, network-like Q-values: deterministic pseudo-random numbers from the state's bytes.

    Unlike ``zero`` it has few ties, so each node's actions have a real ranking to sort.
    """

    name = "hashed"

    def __init__(self, domain: qsolve.Domain, seed: int = 0) -> None:
        super().__init__(domain)
        rng = np.random.default_rng(seed)
        self.coefficients = rng.integers(1, 2**31, (domain.state_dim, domain.num_actions)).astype(
            np.float32
        )

    def q_values(self, states: np.ndarray) -> np.ndarray:
        mixed = states.astype(np.float32) @ self.coefficients  # [N, A]
        q = self.domain.action_costs.astype(np.float32) + np.mod(mixed, 1000.0) / 50.0
        # The unchecked mask, as a network heuristic takes it: search hands over valid states.
        return np.where(self.domain.applicable(states), q, np.float32(np.inf))


def hard_start(domain: qsolve.Domain, moves: int) -> np.ndarray:
    return domain.random_walk(np.array([moves]), np.random.default_rng(0))[0]


def measure(search, domain, heuristic, start, batch_size: int, nodes: int) -> dict[str, float]:
    timed = Timed(heuristic)
    result = search(
        domain, timed, start, batch_size=batch_size, weight=1.0, limits=Limits(max_nodes=nodes)
    )
    outside = result.seconds - timed.seconds
    return {
        "nodes": result.nodes_generated,
        "seconds": result.seconds,
        "nodes_per_second": result.nodes_generated / result.seconds,
        "outside_share": outside / result.seconds,
        "outside_nodes_per_second": result.nodes_generated / outside,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200_000, help="node budget per row")
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="Q* pairs / A* nodes per iteration"
    )
    parser.add_argument(
        "--astar-meta-batch",
        type=int,
        default=100,
        help="A* batch on cube3-meta (1884 children each)",
    )
    args = parser.parse_args()

    rows = []
    for domain_name, heuristic_name, moves in [
        ("puzzle15", "manhattan", 500),
        ("puzzle15", "hashed", 500),
        ("cube3", "zero", 100),
        ("cube3-meta", "zero", 100),
        ("cube3-meta", "hashed", 100),
    ]:
        domain = qsolve.get_domain(domain_name)
        heuristic = (
            HashedQ(domain)
            if heuristic_name == "hashed"
            else qsolve.load_heuristic(heuristic_name, domain)
        )
        start = hard_start(domain, moves)
        for algorithm, search in (("Q*", qstar_search), ("A*", astar_search)):
            batch = (
                args.astar_meta_batch
                if (algorithm == "A*" and domain_name == "cube3-meta")
                else args.batch_size
            )
            row = measure(search, domain, heuristic, start, batch, args.nodes)
            rows.append((domain_name, domain.num_actions, heuristic_name, algorithm, batch, row))

    table = Table(
        title=f"Search speed, one process, {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )
    for column in (
        "domain",
        "actions",
        "heuristic",
        "algorithm",
        "B",
        "nodes",
        "seconds",
        "nodes/s",
        "outside h",
        "nodes/s outside h",
    ):
        table.add_column(column, justify="right")
    for domain_name, actions, heuristic_name, algorithm, batch, row in rows:
        table.add_row(
            domain_name,
            str(actions),
            heuristic_name,
            algorithm,
            str(batch),
            f"{row['nodes']:,}",
            f"{row['seconds']:.2f}",
            f"{row['nodes_per_second']:,.0f}",
            f"{row['outside_share']:.0%}",
            f"{row['outside_nodes_per_second']:,.0f}",
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
