"""Each of a DeepCubeA set's states solved alone with fixed Q* settings, one line per state and a
JSON file with the solutions: the per-state nodes and seconds that ``benchmarks/hard_sets.py``
averages away (experiments/history/benchmarks-notebook.md, "cube3's λ and B on its hard states":
λ = 0.6 and 0.4 on the first 40 and 100 cube3 states, the data behind cube3's fallback).

    python experiments/cube3/solve_hard_states.py --weight 0.6 --count 40 --out L6.json
    python experiments/cube3/solve_hard_states.py --domain cube3-meta --model M --count 10 --out M.json
    python experiments/cube3/solve_hard_states.py --set lightsout7 --weight 0.6 --batch-size 1 \
        --precision fp32 --time-limit 10 --count 50 --symmetries off --out L.json
    python experiments/cube3/solve_hard_states.py --device cuda --precision fp32 --batch-size 10000 \
        --count 10 --out G.json          # on a CUDA GPU (JAxtar's Q* setting: B = 10,000)
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

import qsolve
from qsolve.bench import read_deepcubea
from qsolve.options import SYMMETRIES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="cube3")
    parser.add_argument("--domain", help="the domain to solve the set's states in (default: --set)")
    parser.add_argument("--model", help="model folder (default: the shipped model)")
    parser.add_argument(
        "--precision", default="int8", help="int8 on the CPU; fp32, bf16, fp16 on CUDA"
    )
    parser.add_argument("--device", default="cpu", help="where the network runs: cpu or cuda")
    parser.add_argument(
        "--symmetries",
        choices=("auto", "on", "off"),
        default="auto",
        help="average the network over the domain's symmetries (auto: as the model says)",
    )
    parser.add_argument("--weight", type=float, default=0.6)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--max-nodes", type=int, default=4_000_000)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--out", required=True, help="JSON file for the per-state results")
    args = parser.parse_args()
    torch.set_num_threads(1)
    domain = qsolve.domain(args.domain or args.set)
    states, optimal = read_deepcubea(args.set, args.count, args.offset)
    heuristic = qsolve.load_heuristic(
        args.model,
        domain,
        device=args.device,
        precision=args.precision,
        symmetries=SYMMETRIES[args.symmetries],
    )
    rows = []
    for state, best in zip(states, optimal, strict=True):
        started = time.perf_counter()
        [result] = qsolve.solve(
            domain,
            state[None, :],
            heuristic=heuristic,
            weight=args.weight,
            batch_size=args.batch_size,
            time_limit=args.time_limit,
            max_nodes=args.max_nodes,
        )
        rows.append(
            {
                "state": state.tolist(),
                "optimum": float(best),
                "solved": result.solved,
                "cost": result.cost if result.solved else None,
                "actions": [int(a) for a in result.actions],
                "nodes": result.nodes_generated,
                "seconds": time.perf_counter() - started,
            }
        )
        print(result.solved, result.cost, best, result.nodes_generated, flush=True)
    with open(args.out, "w") as out:
        json.dump(rows, out)
    solved = [r for r in rows if r["solved"]]
    if not solved:
        print(f"solved 0 of {len(rows)}")
        return
    print(
        f"solved {len(solved)} of {len(rows)}; mean cost {np.mean([r['cost'] for r in solved]):.2f}"
        f" against {np.mean([r['optimum'] for r in solved]):.2f}; most nodes solved "
        f"{max(r['nodes'] for r in solved):,}"
    )


if __name__ == "__main__":
    main()
