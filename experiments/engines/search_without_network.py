"""How long the peers suite's throughput searches take outside the network
(experiments/history/benchmarks-notebook.md, the peers section): qsolve's Q* on the throughput table's walks with a saved race network whose
outputs are replayed from memory after a first pass, so that only the search loop is timed.

    python experiments/engines/search_without_network.py --run RUN --domain cube3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from qsolve.api import solve
from qsolve.bench.instances import walks
from qsolve.bench.peers import DOMAINS, MAX_NODES, PER_DEPTH, TIME_LIMIT
from qsolve.domains import get_domain
from qsolve.networks import load_heuristic
from qsolve.threads import set_torch_threads


class Replayed:
    """An engine that records its answers in the first pass over the searches and replays them,
    call by call, in each later pass (the searches are deterministic, so the calls repeat in the
    same order; a call whose input differs from the recorded one is an error)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.name, self.precision = engine.name, engine.precision
        self.calls: list[tuple[np.ndarray, np.ndarray]] = []  # (first input row, answer)
        self.recording, self.next = True, 0

    def replay(self) -> None:
        """Start a pass that replays the recorded calls."""
        self.recording, self.next = False, 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.recording:
            self.calls.append((x[0].copy(), self.engine(x)))
            return self.calls[-1][1].copy()
        first, answer = self.calls[self.next]
        self.next += 1
        if len(answer) != len(x) or not np.array_equal(first, x[0]):
            raise RuntimeError("the searches asked for other states than in the first pass")
        return answer.copy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="the --out folder of bench peers")
    parser.add_argument("--domain", choices=tuple(DOMAINS), required=True)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    set_torch_threads(1)
    name = args.domain
    states = walks(name, DOMAINS[name], PER_DEPTH, seed=21)
    network = load_heuristic(args.run / f"peers-qsolve-{name}", get_domain(name), device="cpu")
    network.engine = replayed = Replayed(network.engine)
    best, nodes = float("inf"), 0
    for repeat in range(args.repeats + 1):  # the first pass fills the memory
        if repeat:
            replayed.replay()
        results = solve(
            name,
            states,
            heuristic=network,
            batch_size=100,
            weight=0.6,
            time_limit=TIME_LIMIT,
            max_nodes=MAX_NODES,
            parallel=1,  # one at a time, as measured before lockstep was the default
        )
        if repeat:
            best = min(best, sum(r.seconds for r in results))
        nodes = sum(r.nodes_generated for r in results)
    print(
        f"{name}: {nodes} nodes in {1000 * best:.1f} ms without the network (fastest of "
        f"{args.repeats}), {1e6 * best / nodes:.1f} µs per node"
    )


if __name__ == "__main__":
    main()
