"""How fast a lightsout network learns with exact targets instead of bootstrapped ones (docs/models.md, lightsout7).

    python experiments/lightsout7/lightsout_supervised.py [--minutes 10] [--train-on walks|uniform]
        [--scramble-max 50] [--width1 500 --width2 250 --blocks 2] [--lr 1e-3]

Trains the Q network that `qsolve train` would build, but regresses it on the exact Q-values
Q*(s, a) = c(s, a) + h*(child) from the domain's GF(2) solver instead of bootstrapped targets, on
batches of fresh states: random walks of 0 to --scramble-max presses from the goal (as in
training) or uniformly random boards (what the DeepCubeA set is).  Every --report-every seconds
it prints how often argmin Q picks a press of an optimal solution on held-out walks of several
depths and on uniform boards.  This separates the two things Q-learning must do: if the network
learns slowly even from exact values, the function is what is hard to learn, not the targets.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from lightsout_values import fail, lightsout_domain  # this folder's script
from rich.console import Console
from rich.table import Table

from qsolve.domains.lightsout import LightsOut
from qsolve.heuristics import Oracle
from qsolve.networks.encoding import one_hot as encode
from qsolve.networks.resnet import Architecture, ResidualMLP

DEPTHS = [1, 5, 13, 30]


def uniform_boards(domain: LightsOut, count: int, rng: np.random.Generator) -> np.ndarray:
    """``[count, D]`` boards made by a uniformly random set of presses (uniform over the
    solvable boards)."""
    presses = rng.integers(0, 2, (count, domain.num_actions), dtype=np.int64)
    return ((presses @ domain.press_masks.astype(np.int64)) & 1).astype(domain.dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="lightsout7", help="a lightsout domain")
    parser.add_argument("--minutes", type=float, default=10.0, help="training time (default 10)")
    parser.add_argument("--train-on", choices=["walks", "uniform"], default="walks")
    parser.add_argument("--scramble-max", type=int, default=50, help="longest training walk")
    parser.add_argument("--batch-size", type=int, default=1000, help="states per step")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--width1", type=int, default=500)
    parser.add_argument("--width2", type=int, default=250)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--report-every", type=float, default=120.0, help="seconds")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    domain = lightsout_domain(args.domain)
    if domain.rank < domain.num_actions:
        fail(f"{args.domain} has a singular press matrix; uniform boards need an invertible one")
    if args.minutes <= 0 or args.scramble_max < 1 or args.batch_size < 1:
        fail("--minutes, --scramble-max and --batch-size must be positive")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    held_out_rng = np.random.default_rng(10_000 + args.seed)
    held_out = {f"walk {d}": domain.random_walk(np.full(500, d), held_out_rng) for d in DEPTHS}
    held_out["uniform"] = uniform_boards(domain, 500, held_out_rng)
    held_out_presses = {name: domain.presses(states) for name, states in held_out.items()}

    arch = Architecture(
        input_dim=domain.encoding_dim,
        output_dim=domain.num_actions,
        width1=args.width1,
        width2=args.width2,
        blocks=args.blocks,
    )
    net = ResidualMLP(arch)
    oracle = Oracle(domain)  # q_values: c(s, a) + h*(child), exactly
    cpu = torch.device("cpu")
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)

    table = Table(
        title=f"{args.domain}, exact targets, trained on {args.train_on}"
        + (f" ≤ {args.scramble_max}" if args.train_on == "walks" else "")
        + f", ({args.width1}, {args.width2}, {args.blocks} blocks): argmin Q optimal"
    )
    for column in ["seconds", "step", "loss", *held_out]:
        table.add_column(column, justify="right")

    def report(seconds: float, step: int, loss: float) -> None:
        row = [f"{seconds:.0f}", str(step), f"{loss:.3f}"]
        with torch.inference_mode():
            for name, states in held_out.items():
                best = net(encode(domain, states, cpu)).argmin(dim=1).numpy()
                on_path = held_out_presses[name][np.arange(len(states)), best]
                row.append(f"{on_path.mean():.0%}")
        table.add_row(*row)
        print("  ".join(row), flush=True)

    start = time.perf_counter()
    step, loss_value, next_report = 0, float("nan"), 0.0
    while (elapsed := time.perf_counter() - start) < args.minutes * 60:
        if elapsed >= next_report:
            report(elapsed, step, loss_value)
            next_report += args.report_every
        if args.train_on == "uniform":
            states = uniform_boards(domain, args.batch_size, rng)
        else:
            states = domain.random_walk(
                rng.integers(0, args.scramble_max + 1, args.batch_size), rng
            )
        target = torch.from_numpy(oracle.q_values(states).astype(np.float32))
        loss = F.mse_loss(net(encode(domain, states, cpu)), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        loss_value = loss.item()
    report(time.perf_counter() - start, step, loss_value)
    Console().print(table)


if __name__ == "__main__":
    main()
