"""A lightsout model's Q-values against the exact cost-to-go, by random-walk depth (docs/models.md, lightsout7).

    python experiments/lightsout7/lightsout_values.py MODEL_DIR [MODEL_DIR ...] [--domain lightsout7]

For each depth: the exact optimum h*(s) (the domain's GF(2) solver), the network's min_a Q(s, a)
(the heuristic Q* and A* would see), its spread over the actions, and how often argmin_a Q picks
a press of the optimal solution, beside the chance that a random press is one (h* / A).  A
network whose values sink far below h*, or flatten to one constant, has collapsed in training
even when its loss looks small.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

import numpy as np
from rich.console import Console
from rich.table import Table

from qsolve.domains import get_domain
from qsolve.domains.lightsout import LightsOut
from qsolve.errors import QsolveError
from qsolve.networks import load_heuristic

DEPTHS = [1, 2, 5, 13, 30, 50]


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def lightsout_domain(name: str) -> LightsOut:
    """The lightsout domain called ``name``; anything else is a one-line error (status 2)."""
    try:
        domain = get_domain(name)
    except QsolveError as error:
        fail(str(error))
    if not isinstance(domain, LightsOut):
        fail(f"{name} is not a lightsout domain")
    return domain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="model folders (model.safetensors, config.json)")
    parser.add_argument("--domain", default="lightsout7", help="a lightsout domain")
    parser.add_argument("--states", type=int, default=200, help="states per depth (default 200)")
    args = parser.parse_args()
    domain = lightsout_domain(args.domain)
    rng = np.random.default_rng(1)
    walks = {d: domain.random_walk(np.full(args.states, d), rng) for d in DEPTHS}
    table = Table(title=f"{args.domain}: network Q-values against the exact cost-to-go")
    columns = ["model", "depth", "h*", "min Q", "max Q", "argmin Q optimal", "random press optimal"]
    for column in columns:
        table.add_column(column, justify="right")
    for folder in args.models:
        try:
            heuristic = load_heuristic(folder, domain)
        except QsolveError as error:
            fail(str(error))
        for depth, states in walks.items():
            q = heuristic.q_values(states)
            best = np.argmin(q, axis=1)
            on_path = domain.presses(states)[np.arange(len(states)), best].astype(bool)
            optimum = domain.optimal_cost(states).mean()
            table.add_row(
                folder,
                str(depth),
                f"{optimum:.2f}",
                f"{q.min(axis=1).mean():.2f}",
                f"{q.max(axis=1).mean():.2f}",
                f"{on_path.mean():.0%}",
                f"{optimum / domain.num_actions:.0%}",  # chance level
            )
    Console().print(table)


if __name__ == "__main__":
    main()
