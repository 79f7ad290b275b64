"""``qsolve show`` and ``qsolve report``, and the ``--html`` player page of ``qsolve solve``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from qsolve import api
from qsolve.cli_args import non_negative_int
from qsolve.domains import DOMAINS, Domain, get_domain
from qsolve.errors import QsolveError
from qsolve.search import SearchResult


def add_parsers(commands: Any) -> None:
    """Add the ``show`` and ``report`` subcommands to an argparse subparsers object."""
    show = commands.add_parser("show", help="draw a state as an SVG or PNG picture")
    show.add_argument("domain", help=f"one of: {', '.join(DOMAINS)}")
    source = show.add_mutually_exclusive_group(required=True)
    source.add_argument("--state", help="a state in the domain's text form")
    source.add_argument("--scramble", help="moves applied to the goal, e.g. \"R U R' U'\"")
    source.add_argument(
        "--random-walk", type=non_negative_int, metavar="K", help="K random moves from the goal"
    )
    show.add_argument("--seed", type=int, default=0, help="random seed for --random-walk")
    show.add_argument(
        "--out", type=Path, required=True, help="picture file: .svg or .png (format from suffix)"
    )

    report = commands.add_parser("report", help="write an HTML page about a training run")
    report.add_argument("run", type=Path, help="a training folder (config.json, metrics.csv)")
    report.add_argument("--out", type=Path, help="the page to write (default RUN/report.html)")


def add_html_option(solve: argparse.ArgumentParser) -> None:
    """Add ``--html FILE`` to the ``solve`` subcommand."""
    solve.add_argument(
        "--html", type=Path, metavar="FILE", help="also write a page that plays the solutions"
    )


def check_html(domain: Domain, path: Path | None) -> None:
    """Fail before solving when ``--html`` cannot be honoured."""
    if path is None:
        return
    from qsolve.render.player import player_kind

    player_kind(domain)
    if path.suffix.lower() not in (".html", ".htm"):
        raise QsolveError(f"--html writes an HTML page: give a .html file name, not {path.name!r}")


def write_html(
    domain: Domain, path: Path, solved: list[tuple[str, np.ndarray, SearchResult]]
) -> None:
    """Write the player page for the (label, start, result) triples of ``qsolve solve``; the
    note goes to stderr, so that ``--json`` output stays one object a line."""
    from qsolve.render.player import Run, write_player

    write_player(domain, [Run(label, start, result) for label, start, result in solved], path)
    print(f"player written to {path}", file=sys.stderr)


def run_show(args: argparse.Namespace) -> int:
    """``qsolve show``: write the picture of one state."""
    from qsolve.render import picture, write_picture

    domain = get_domain(args.domain)
    if args.state is not None:
        state = domain.parse_state(args.state)
    elif args.scramble is not None:
        state = domain.apply_moves(domain.goal_state, domain.parse_moves(args.scramble))
    else:  # the first instance of ``qsolve solve`` with the same --random-walk and --seed
        state = api.random_walk_instances(domain, args.random_walk, 1, args.seed)[0]
    drawing = picture(domain, state)
    write_picture(drawing, args.out)
    print(f"picture written to {args.out}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    """``qsolve report``: write the HTML page of a training run."""
    from qsolve.render.report import write_report

    out = args.out if args.out is not None else args.run / "report.html"
    write_report(args.run, out)
    print(f"report written to {out}")
    return 0
