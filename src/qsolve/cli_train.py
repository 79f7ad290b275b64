"""``qsolve train``: the command-line face of ``qsolve.training.train``; its options are the
fields of ``TrainConfig``, declared (with their help and checks) in one place."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qsolve.domains import DOMAINS


def add_parser(subparsers: Any) -> None:
    """Add the ``train`` subcommand to an argparse subparsers object."""
    from qsolve.training.config import add_arguments

    p = subparsers.add_parser("train", help="train a deep Q-network heuristic for a domain")
    p.add_argument(
        "domain", help=f"one of: {', '.join(DOMAINS)}; or FILE.py:Class, package.module:Class"
    )
    add_arguments(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train as ``args`` say; 0 when done, 130 when Ctrl-C stopped it (after saving), 1 when a
    rank of a data-parallel run was lost (after rank 0 saved the last whole step).

    Under torchrun, rank 0 alone reports; the other ranks print only their own failures.
    """
    from qsolve.errors import QsolveError
    from qsolve.training import train
    from qsolve.training.config import from_arguments
    from qsolve.training.distributed import PeerLost, environment_rank

    options = from_arguments(args)
    out = options.pop("out")
    main = environment_rank() == 0
    try:
        summary = train(args.domain, out, progress=not args.quiet and main, **options)
    except KeyboardInterrupt:  # a third Ctrl-C: stop without saving
        print(f"aborted; the last checkpoint in {out} is kept")
        return 130
    except PeerLost as error:
        print(f"qsolve: error: {error}", file=sys.stderr)
        return 1
    except QsolveError:
        if main:
            raise
        return 2  # rank 0 reports the same error
    if not main:  # rank 0 reports, and torchrun must not stop it before it has
        return 0
    rates = " ".join(f"{k}={v:.0%}" for k, v in summary.last_eval.items())
    print(
        f"{'interrupted' if summary.interrupted else 'trained'} {args.domain} "
        f"to step {summary.step} ({summary.seconds / 60:.1f} min, "
        f"{summary.examples_per_s:,.0f} examples/s, {summary.precision}); saved in {out}"
    )
    if rates:
        print(f"last evaluation: {rates}")
    if summary.interrupted:
        print(f"continue with: qsolve train {args.domain} --out {out} --resume")
    return 130 if summary.interrupted else 0
