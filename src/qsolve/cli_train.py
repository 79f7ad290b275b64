"""``qsolve train``: the command-line face of ``qsolve.training.train``."""

from __future__ import annotations

import argparse
from typing import Any

from qsolve.cli_args import non_negative_int, positive
from qsolve.domains import DOMAINS


def add_parser(subparsers: Any) -> None:
    """Add the ``train`` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser("train", help="train a deep Q-network heuristic for a domain")
    p.add_argument("domain", help=f"one of: {', '.join(DOMAINS)}")
    p.add_argument(
        "--out",
        required=True,
        help="folder for the model, checkpoint, metrics.csv and training.png",
    )
    p.add_argument(
        "--steps",
        type=positive(int),
        help="total training steps, across resumes (default 10000 without --minutes)",
    )
    p.add_argument(
        "--minutes", type=positive(float), help="stop after this many minutes of this run"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="random seed for walks and initial weights (default 0)"
    )
    p.add_argument(
        "--scramble-max",
        type=positive(int),
        help="longest random walk from the goal (default: per domain, 30 for cube3)",
    )
    p.add_argument(
        "--scramble-ramp",
        type=int,
        default=0,
        metavar="STEPS",
        help="grow the longest walk linearly from 1 to --scramble-max over the first STEPS steps "
        "(default 0: full length from the start)",
    )
    p.add_argument(
        "--batch-size",
        type=positive(int),
        default=1000,
        help="states per training step (default 1000)",
    )
    p.add_argument(
        "--lr", type=positive(float), default=1e-3, help="Adam learning rate (default 1e-3)"
    )
    p.add_argument(
        "--lr-decay",
        type=positive(float),
        default=1.0,
        help="multiply the learning rate by this every step (default 1: constant)",
    )
    p.add_argument(
        "--kind",
        choices=("q", "v"),
        default="q",
        help="q: a Q network for Q*; v: a V network, DeepCubeA style",
    )
    p.add_argument(
        "--double-q",
        action="store_true",
        help="double-Q targets: online network picks a', target values it",
    )
    p.add_argument(
        "--actions-per-state",
        type=positive(int),
        help="trained actions per state (default all; 32 for cube3-meta)",
    )
    p.add_argument(
        "--greedy-actions",
        type=int,
        default=0,
        help="of the trained actions per state, this many are the online network's best ones "
        "(the rest a uniform sample; default 0)",
    )
    p.add_argument(
        "--target-update",
        type=positive(int),
        default=100,
        help="replace the target network every U steps (default 100)",
    )
    p.add_argument(
        "--loss-threshold",
        type=float,
        default=0.05,
        help="replace the target early once the mean loss is below this; 0: off (default 0.05)",
    )
    p.add_argument(
        "--loss", choices=("mse", "huber"), default="mse", help="regression loss (default mse)"
    )
    p.add_argument(
        "--grad-clip",
        type=float,
        default=10.0,
        help="clip the gradient norm to this; 0 turns it off (default 10)",
    )
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="training device; bf16 autocast on cuda (default auto)",
    )
    p.add_argument(
        "--eval-every",
        type=positive(int),
        default=1000,
        help="evaluate, log and checkpoint every N steps (default 1000)",
    )
    p.add_argument(
        "--keep-evals",
        action="store_true",
        help="also keep the model of each evaluation in OUT/evals/step-N (a --heuristic folder)",
    )
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument(
        "--width1",
        type=positive(int),
        help="width of the first layer (default: per domain, 5000 for cube3)",
    )
    p.add_argument(
        "--width2",
        type=positive(int),
        help="width of the second layer and residual blocks (default: per domain, 1000 for cube3)",
    )
    p.add_argument(
        "--blocks",
        type=non_negative_int,
        help="residual blocks (default: per domain, 4 for cube3)",
    )
    p.add_argument(
        "--workers",
        type=non_negative_int,
        default=0,
        help="processes generating batches ahead of the gradient step (default 0)",
    )
    p.add_argument(
        "--threads",
        type=positive(int),
        help="torch CPU threads (default: cores not used by workers)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train as ``args`` say; 0 when done, 130 when Ctrl-C stopped it (after saving)."""
    from qsolve.training import train

    options = {
        "steps": args.steps,
        "minutes": args.minutes,
        "seed": args.seed,
        "scramble_max": args.scramble_max,
        "scramble_ramp": args.scramble_ramp,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "lr_decay": args.lr_decay,
        "kind": args.kind,
        "double_q": args.double_q,
        "actions_per_state": args.actions_per_state,
        "greedy_actions": args.greedy_actions,
        "target_update": args.target_update,
        "loss_threshold": args.loss_threshold or None,
        "loss": args.loss,
        "grad_clip": args.grad_clip or None,
        "device": args.device,
        "eval_every": args.eval_every,
        "keep_evals": args.keep_evals,
        "resume": args.resume,
        "width1": args.width1,
        "width2": args.width2,
        "blocks": args.blocks,
        "workers": args.workers,
        "threads": args.threads,
    }
    summary = train(args.domain, args.out, progress=not args.quiet, **options)
    rates = " ".join(f"{k}={v:.0%}" for k, v in summary.last_eval.items())
    print(
        f"{'interrupted' if summary.interrupted else 'trained'} {args.domain} "
        f"to step {summary.step} ({summary.seconds / 60:.1f} min, "
        f"{summary.examples_per_s:,.0f} examples/s); saved in {args.out}"
    )
    if rates:
        print(f"last evaluation: {rates}")
    if summary.interrupted:
        print(f"continue with: qsolve train {args.domain} --out {args.out} --resume")
    return 130 if summary.interrupted else 0
