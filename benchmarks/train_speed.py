"""Training speed: trained states per second with the batches made by numpy on the host (``--data
cpu``) against made by torch on the training device (``--data device``), in fp32 and with bf16
autocast passes (``--precision``), and where the time goes.

    python benchmarks/train_speed.py [--device cpu|cuda] [--steps 3] [--batch-size 500]
        [--width1 2000 --width2 1000 --blocks 2] [--domains cube3 puzzle24 lightsout7]
        [--targets walk td] [--data cpu device] [--precision fp32 bf16]
        [--first-layer ones dense]

Each row runs warm-up steps, then ``--steps`` timed Q-learning steps of one domain with one
target kind, with each domain's training recipe of the hard-set round (cube3: non-backtracking
walks of up to 26 moves; puzzle24: non-backtracking walks; lightsout7: press sets), and splits a
step into making the batch (walks, children; on the host: also the copy to the device), the
targets (the target network on every child for td) and the gradient step; "batch making alone"
is the rate at which the data path could feed a device that took no time.  ``--first-layer``:
``ones`` is training's first layer, the sum of the weight columns that the one-hot input's ones
select (``ResidualMLP.forward_ones``); ``dense`` builds the one-hot input and multiplies it, as
training did before, for the ratio between the two.  The host path makes
its batches in this process (``--workers 0``); a run with worker processes overlaps that part
with the device's work when the host has cores to spare.  On ``--device cuda`` the issue's aim is
1,000,000 trained states per second with walk targets (one H100, a (2000, 1000, 2 blocks)
network); run it there with ``--batch-size 10000 --steps 20``.
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
from qsolve.training.device_data import DeviceData, to_tensors
from qsolve.training.loop import gradient_step
from qsolve.training.targets import NEEDS_BOUNDS, NEEDS_CHILDREN, compute_targets

RECIPES = {
    "cube3": {"source": "nbwalk", "scramble_max": 26},
    "cube3-meta": {"source": "nbwalk"},
    "cube2": {"source": "nbwalk"},
    "puzzle8": {"source": "nbwalk"},
    "puzzle15": {"source": "nbwalk"},
    "puzzle24": {"source": "nbwalk"},
    "puzzle35": {"source": "nbwalk"},
    "puzzle48": {"source": "nbwalk", "scramble_max": 2500},
    "lightsout5": {"source": "subset", "scramble_max": 25},
    "lightsout7": {"source": "subset", "scramble_max": 49},
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _dense_forward_ones(self: ResidualMLP, ones: torch.Tensor) -> torch.Tensor:
    """``forward_ones`` by the one-hot input and the full product (``--first-layer dense``)."""
    dense = torch.zeros((ones.shape[0], self.arch.input_dim), device=ones.device)
    return self(dense.scatter_(1, ones, 1.0))


def measure(
    domain_name: str,
    targets: str,
    data: str,
    precision: str,
    first_layer: str,
    args: argparse.Namespace,
) -> dict[str, float]:
    """Seconds per part of a step and trained states and pairs per second."""
    kept = ResidualMLP.forward_ones
    if first_layer == "dense":
        ResidualMLP.forward_ones = _dense_forward_ones  # type: ignore[method-assign]
    try:
        return _measure(domain_name, targets, data, precision, args)
    finally:
        ResidualMLP.forward_ones = kept  # type: ignore[method-assign]


def _measure(
    domain_name: str, targets: str, data: str, precision: str, args: argparse.Namespace
) -> dict[str, float]:
    domain = get_domain(domain_name)
    config = TrainConfig(
        domain_name,
        "unused",
        batch_size=args.batch_size,
        width1=args.width1,
        width2=args.width2,
        blocks=args.blocks,
        targets=targets,
        precision=precision,
        **RECIPES.get(domain_name, {}),  # type: ignore[arg-type]
    )
    device = torch.device(args.device)
    torch.manual_seed(0)
    online = ResidualMLP(config.architecture(domain)).to(device)
    target = copy.deepcopy(online)
    optimizer = torch.optim.Adam(online.parameters(), lr=config.lr)
    assert config.scramble_max is not None
    made_here = DeviceData(domain, device) if data == "device" else None
    batch_args = (
        config.batch_size,
        config.scramble_max,
        config.actions_per_state,
        config.source,
        NEEDS_CHILDREN[targets],
        (),
        NEEDS_BOUNDS[targets],
    )
    split = {"data": 0.0, "targets": 0.0, "gradient": 0.0}
    states = pairs = 0
    for step in range(args.warmup + args.steps):
        _sync(device)
        t0 = time.perf_counter()
        if made_here is not None:
            batch = made_here.make_batch(0, step, *batch_args)
        else:
            batch = to_tensors(make_batch(domain, 0, step, *batch_args), device)
        _sync(device)
        t1 = time.perf_counter()
        y = compute_targets(domain, batch, online, target, config, device)
        _sync(device)
        t2 = time.perf_counter()
        gradient_step(domain, batch, y, online, optimizer, config, device)
        _sync(device)
        t3 = time.perf_counter()
        if step >= args.warmup:
            split["data"] += t1 - t0
            split["targets"] += t2 - t1
            split["gradient"] += t3 - t2
            states += len(batch.states)
            pairs += int(batch.trained.sum())
    total = sum(split.values())
    return {
        "states_per_s": states / total,
        "pairs_per_s": pairs / total,
        "batch_states_per_s": states / split["data"],
        "total": total,
        **split,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="default cpu")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per row (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (default 1)")
    parser.add_argument("--batch-size", type=int, default=500, help="states per step (default 500)")
    parser.add_argument("--width1", type=int, default=2000, help="first layer width (default 2000)")
    parser.add_argument(
        "--width2", type=int, default=1000, help="second layer and block width (default 1000)"
    )
    parser.add_argument("--blocks", type=int, default=2, help="residual blocks (default 2)")
    parser.add_argument(
        "--domains", nargs="+", default=["cube3", "puzzle24", "lightsout7"], choices=list(RECIPES)
    )
    parser.add_argument("--targets", nargs="+", default=["walk", "td"], choices=("walk", "td"))
    parser.add_argument("--data", nargs="+", default=["cpu", "device"], choices=("cpu", "device"))
    parser.add_argument(
        "--precision", nargs="+", default=["fp32"], choices=("fp32", "bf16"), help="default fp32"
    )
    parser.add_argument(
        "--first-layer",
        nargs="+",
        default=["ones"],
        choices=("ones", "dense"),
        help="the first layer as the sum of the ones' columns, or the dense product (default ones)",
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda":
        if not torch.cuda.is_available():
            parser.error("--device cuda: no CUDA device here")
        where = torch.cuda.get_device_name()
    else:
        where = f"CPU, {torch.get_num_threads()} threads"
    table = Table(
        title=f"Q-learning steps on {where}: network ({args.width1}, {args.width2}, "
        f"{args.blocks} blocks), {args.batch_size} states per step, {args.steps} timed steps"
    )
    columns = (
        "domain",
        "targets",
        "data",
        "precision",
        "first layer",
        "trained states/s",
        "trained pairs/s",
        "batch making alone: states/s",
        "batch share",
        "targets share",
        "gradient share",
    )
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < 5 else "right")
    for name in args.domains:
        for targets in args.targets:
            rates = {}
            for data in args.data:
                for precision in args.precision:
                    for first in args.first_layer:
                        r = measure(name, targets, data, precision, first, args)
                        rates[data, precision, first] = r["states_per_s"]
                        table.add_row(
                            name,
                            targets,
                            data,
                            precision,
                            first,
                            f"{r['states_per_s']:,.0f}",
                            f"{r['pairs_per_s']:,.0f}",
                            f"{r['batch_states_per_s']:,.0f}",
                            *(f"{r[k] / r['total']:.0%}" for k in ("data", "targets", "gradient")),
                        )
            first = args.first_layer[0]
            ratios = []
            if len(args.data) == 2:
                ratios += [
                    ("device / cpu", p, "", rates["device", p, first] / rates["cpu", p, first])
                    for p in args.precision
                ]
            if len(args.precision) == 2:
                ratios += [
                    (d, "bf16 / fp32", "", rates[d, "bf16", first] / rates[d, "fp32", first])
                    for d in args.data
                ]
            if len(args.first_layer) == 2:
                ratios += [
                    (d, p, "ones / dense", rates[d, p, "ones"] / rates[d, p, "dense"])
                    for d in args.data
                    for p in args.precision
                ]
            for i, (data, precision, first_layer, ratio) in enumerate(ratios):
                table.add_row(
                    "",
                    "",
                    data,
                    precision,
                    first_layer,
                    f"{ratio:.2f}x",
                    end_section=i == len(ratios) - 1,
                )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
