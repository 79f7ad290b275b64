"""Q* with lightsout models on random walks of given lengths, against the exact optimum.

    python experiments/lightsout7/walk_solves.py MODEL_DIR [MODEL_DIR ...] --depths 13 25 \
        --count 10 --weight 1.0 --batch-size 1 --time-limit 10

Every model solves the same walks (seeded), each alone with the same settings; a row per model and
depth: solved, optimal (the domain's GF(2) solver), mean cost and gap to the optimum of the solved,
mean nodes and seconds (``qsolve.bench``'s ``summarize``).  One core (OMP_NUM_THREADS=1), as the
command line searches.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

import qsolve
from qsolve.bench.suites import summarize
from qsolve.domains.lightsout import LightsOut
from qsolve.errors import QsolveError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="model folders (model.safetensors, config.json)")
    parser.add_argument("--domain", default="lightsout7")
    parser.add_argument("--depths", type=int, nargs="+", default=[13, 25])
    parser.add_argument("--count", type=int, default=10, help="walks per depth")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--weight", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        domain = qsolve.domain(args.domain)
        if not isinstance(domain, LightsOut):
            raise QsolveError(f"{args.domain} is not a lightsout domain")
        heuristics = [qsolve.load_heuristic(folder, domain) for folder in args.models]
    except QsolveError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    rng = np.random.default_rng(args.seed)
    walks = {d: domain.random_walk(np.full(args.count, d), rng) for d in args.depths}
    title = f"{args.domain}: Q*, λ = {args.weight}, B = {args.batch_size}, {args.time_limit:g} s"
    table = Table(title=title)
    for column in ["model", "depth", "solved", "optimal", "mean cost", "cost gap", "nodes", "s"]:
        table.add_column(column, justify="right")
    for folder, heuristic in zip(args.models, heuristics, strict=True):
        for depth, states in walks.items():
            results = [
                qsolve.solve(
                    domain,
                    state[None, :],
                    heuristic=heuristic,
                    weight=args.weight,
                    batch_size=args.batch_size,
                    time_limit=args.time_limit,
                )[0]
                for state in states
            ]
            row = summarize({}, results, domain.optimal_cost(states))
            table.add_row(
                folder,
                str(depth),
                f"{row['solved %']:.0f}%",
                f"{row['optimal %']:.0f}%",
                f"{row['mean cost']:.2f}",
                f"{row['cost gap']:.2f}",
                f"{row['mean nodes']:,.0f}",
                f"{row['mean seconds']:.2f}",
            )
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
