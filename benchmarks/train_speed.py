"""Training speed on this CPU: examples per second (states x trained actions), where the time goes.

    python benchmarks/train_speed.py [--steps 5] [--batch-size 200] [--width1 1000 --width2 500]

Runs a few Q-learning steps for cube3 and puzzle15 at one fixed network size and splits each step
into data generation (random walks, children), target computation (the target network on every
child) and the gradient step (forward, backward, Adam).
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from rich.console import Console
from rich.table import Table

from qsolve.domains import get_domain
from qsolve.networks import ResidualMLP
from qsolve.training import TrainConfig, make_batch
from qsolve.training.loop import gradient_step
from qsolve.training.targets import compute_targets


def measure(domain_name: str, args: argparse.Namespace) -> dict[str, float]:
    domain = get_domain(domain_name)
    config = TrainConfig(
        domain_name,
        "unused",
        batch_size=args.batch_size,
        width1=args.width1,
        width2=args.width2,
        blocks=args.blocks,
    )
    device = torch.device("cpu")
    online = ResidualMLP(config.architecture(domain))
    target = copy.deepcopy(online)
    optimizer = torch.optim.Adam(online.parameters(), lr=config.lr)
    assert config.scramble_max is not None
    split = {"data": 0.0, "targets": 0.0, "gradient": 0.0}
    examples = 0
    for step in range(args.steps + 1):  # step 0 warms up
        t0 = time.perf_counter()
        batch = make_batch(
            domain, 0, step, config.batch_size, config.scramble_max, config.actions_per_state
        )
        t1 = time.perf_counter()
        y = compute_targets(domain, batch, online, target, config, device)
        t2 = time.perf_counter()
        gradient_step(domain, batch, y, online, optimizer, config, device)
        t3 = time.perf_counter()
        if step:
            split["data"] += t1 - t0
            split["targets"] += t2 - t1
            split["gradient"] += t3 - t2
            examples += int(batch.trained.sum())
    total = sum(split.values())
    return {
        "examples": examples / args.steps,
        "per_s": examples / total,
        **{k: v / total for k, v in split.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="timed steps per domain (default 5)")
    parser.add_argument("--batch-size", type=int, default=200, help="states per step (default 200)")
    parser.add_argument("--width1", type=int, default=1000, help="first layer width (default 1000)")
    parser.add_argument(
        "--width2", type=int, default=500, help="second layer and block width (default 500)"
    )
    parser.add_argument("--blocks", type=int, default=2, help="residual blocks (default 2)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    table = Table(
        title=f"Q-learning step on CPU ({torch.get_num_threads()} threads), "
        f"network ({args.width1}, {args.width2}, {args.blocks} blocks), "
        f"{args.batch_size} states per step"
    )
    for column in ("domain", "examples/step", "examples/s", "data", "targets", "gradient"):
        table.add_column(column, justify="left" if column == "domain" else "right")
    for name in ("cube3", "puzzle15"):
        r = measure(name, args)
        table.add_row(
            name,
            f"{r['examples']:.0f}",
            f"{r['per_s']:,.0f}",
            f"{r['data']:.0%}",
            f"{r['targets']:.0%}",
            f"{r['gradient']:.0%}",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
