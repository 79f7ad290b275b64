"""The ``qsolve`` command line: a thin layer over the public API in ``qsolve.api``."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from qsolve import api, cli_pictures, options
from qsolve.cli_args import OneLineParser, checked, path
from qsolve.domains import DOMAINS, Domain, check_domain, get_domain, plugin_domains
from qsolve.errors import QsolveError
from qsolve.search import SearchResult
from qsolve.threads import set_torch_threads


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="qsolve",
        description="Learn heuristics with deep Q-networks and solve puzzles with Q* search.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("domains", help="list the domains and their action counts")
    check = commands.add_parser(
        "check-domain", help="check that a domain keeps the contract search and training need"
    )
    check.add_argument("domain", help="a domain name, FILE.py:Class or package.module:Class")

    solve = commands.add_parser("solve", help="solve puzzle states with Q* or A* search")
    solve.add_argument(
        "domain", help=f"one of: {', '.join(DOMAINS)}; or FILE.py:Class, package.module:Class"
    )
    source = solve.add_mutually_exclusive_group(required=True)
    source.add_argument("--state", help="a state in the domain's text form")
    source.add_argument("--scramble", help="moves applied to the goal, e.g. \"R U R' U'\"")
    source.add_argument(
        "--random-walk",
        type=checked(int, lambda v: options.check_int("the random walk length", v, 0, 10**15)),
        metavar="K",
        help="K random moves from the goal",
    )
    source.add_argument(
        "--file", type=path, help="one state a line; fields after the state are ignored"
    )
    solve.add_argument(
        "--count",
        type=checked(int, lambda v: options.check_count("the count", v)),
        default=1,
        help="instances for --random-walk (default 1)",
    )
    solve.add_argument(
        "--seed",
        type=checked(int, options.check_seed),
        default=0,
        help="random seed for --random-walk (default 0)",
    )
    solve.add_argument(
        "--heuristic", help="zero, manhattan, oracle or a model folder (default: shipped model)"
    )
    solve.add_argument(
        "--algorithm",
        choices=api.ALGORITHMS,
        help="search algorithm: qstar, astar or beam (default: the model's recommended one, "
        "else qstar)",
    )
    solve.add_argument(
        "--beam-width",
        type=checked(int, options.check_beam_width),
        metavar="W",
        help="beam search: the W best new states kept per layer (default: the model's "
        "recommended width)",
    )
    solve.add_argument(
        "--batch-size",
        type=checked(int, options.check_batch_size),
        help="pairs (Q*) or nodes (A*) per iteration (default: the model's recommended setting, "
        "else 1)",
    )
    solve.add_argument(
        "--weight",
        type=checked(float, options.check_weight),
        help="weight λ on the path cost, in [0, 1] (default: the model's recommended setting, "
        "else 1)",
    )
    solve.add_argument(
        "--fallback-weight",
        type=checked(float, options.check_fallback_weight),
        help="start again with this weight when the search has generated --fallback-after nodes, "
        "or used half of --time-limit, unsolved (default: the model's recommended fallback unless "
        "--weight or --optimal is given)",
    )
    solve.add_argument(
        "--fallback-after",
        type=checked(int, lambda v: options.check_count("fallback after", v)),
        help="nodes generated before falling back to --fallback-weight",
    )
    solve.add_argument(
        "--time-limit",
        type=checked(float, options.check_time_limit),
        default=60.0,
        help="seconds per instance, and for making the instances (default 60)",
    )
    solve.add_argument(
        "--max-nodes",
        type=checked(int, lambda v: options.check_count("max nodes", v)),
        help="nodes generated per instance",
    )
    solve.add_argument(
        "--optimal", action="store_true", help="search on until the solution is provably shortest"
    )
    solve.add_argument(
        "--device", default="auto", help="device for a network heuristic: auto, cpu or cuda"
    )
    solve.add_argument(
        "--engine",
        default="auto",
        help="what runs a network heuristic: auto (the fastest exact one here), torch or onnx",
    )
    solve.add_argument(
        "--precision",
        choices=("auto", "fp32", "int8", "fp16", "bf16"),
        default="auto",
        help="network arithmetic: auto (fp32; int8 where the model says it was checked), fp32, "
        "int8 (linear layers quantized; CPU only), fp16 or bf16 (CUDA only)",
    )
    solve.add_argument(
        "--symmetries",
        choices=("auto", "on", "off"),
        default="auto",
        help="average a network over the domain's symmetries (Lights Out: the 8 of the square): "
        "auto (as the model says), on or off",
    )
    solve.add_argument(
        "--heuristic-batch",
        type=checked(int, lambda v: options.check_count("the heuristic batch", v)),
        default=100_000,
        help="most states per network call",
    )
    solve.add_argument(
        "--threads",
        type=checked(int, options.check_threads),
        default=1,
        help="CPU threads for a network heuristic (default 1: search batches are small)",
    )
    solve.add_argument(
        "--parallel",
        type=checked(int, lambda v: options.check_count("parallel", v)),
        default=32,
        help="searches run in lockstep, sharing each heuristic call (default 32; 1 = one at a time)",
    )
    solve.add_argument(
        "--json", action="store_true", help="one JSON object per instance, one per line"
    )
    cli_pictures.add_html_option(solve)
    solve.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="solve on Ray: alone, a local Ray on this machine's cores; auto or HOST:PORT, a "
        "running cluster (pip install 'qsolve[ray]')",
    )
    solve.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="also write each result to this JSON-lines file as it arrives; a rerun with the "
        "same file solves only the instances not in it",
    )

    bench = commands.add_parser("bench", help="run a benchmark suite: tables, CSV and plots")
    bench.add_argument(
        "suite",
        help="quick (random walks, under 5 minutes), paper or deepcubea (the DeepCubeA test "
        "sets), profile or peers",
    )
    bench.add_argument("--out", type=path, default=Path("bench-results"), help="output folder")
    bench.add_argument(
        "--domains",
        nargs="+",
        metavar="DOMAIN",
        help="only the Q*-against-A* tables of these domains: their random walks (quick), "
        "their DeepCubeA sets (paper, deepcubea)",
    )
    bench.add_argument(
        "--count",
        type=checked(int, lambda v: options.check_count("--count", v)),
        metavar="N",
        help="paper and deepcubea: the first N states of each DeepCubeA set (default: 10 of "
        "cube3 and cube3-meta, 20 of puzzle15 and lightsout7)",
    )

    cli_pictures.add_parsers(commands)

    try:
        from qsolve import cli_train
    except ImportError:  # training needs torch; solving with classical heuristics does not
        pass
    else:
        cli_train.add_parser(commands)
    return parser


# A state is a line of at most a few hundred characters; longer lines are refused unread.
MAX_LINE = 1 << 16
# What decoding leaves of bytes that are not text: lone surrogates (UTF-8 with
# surrogateescape), the replacement character (UTF-16).
ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
REPLACED = re.compile("\ufffd")


def _lines(path: Path, deadline: float) -> Iterator[tuple[int, str | QsolveError]]:
    """(line number, text or the error for that line) for each line of ``path``: UTF-8 (or
    UTF-16 with its byte-order mark), any line ending; a line that is not valid text, or is far
    too long, is an error of its own, and a UTF-8 byte-order mark is skipped."""
    try:
        with path.open("rb") as binary:
            head = binary.read(2)
        utf16 = head in (b"\xff\xfe", b"\xfe\xff")
        # Undecodable bytes become lone surrogates (or U+FFFD in UTF-16), found per line below.
        file = path.open(
            encoding="utf-16" if utf16 else "utf-8-sig",
            errors="replace" if utf16 else "surrogateescape",
            newline=None,
        )
    except OSError as error:
        raise QsolveError(f"cannot read {path}: {error.strerror or error}") from None
    with file:
        try:
            for number, raw in enumerate(iter(lambda: file.readline(MAX_LINE + 1), ""), 1):
                if time.monotonic() > deadline:
                    raise QsolveError(
                        f"the time limit ran out while reading {path} ({number - 1:,} lines read)"
                    )
                line: str | QsolveError = raw
                if len(raw) > MAX_LINE:
                    while raw and not raw.endswith("\n"):  # skip the rest of the line
                        raw = file.readline(MAX_LINE)
                        if time.monotonic() > deadline:
                            raise QsolveError(f"the time limit ran out while reading {path}")
                    line = QsolveError(f"the line is longer than {MAX_LINE:,} characters")
                else:
                    bad = (REPLACED if utf16 else ESCAPED_BYTE).search(raw)
                    if bad is not None:
                        what = (
                            "UTF-16 text"
                            if utf16
                            else f"UTF-8 text (byte 0x{ord(bad.group()) - 0xDC00:02x}"
                            f" at column {bad.start() + 1})"
                        )
                        line = QsolveError(f"the line is not {what}")
                yield number, line
        except (OSError, UnicodeError) as error:
            raise QsolveError(
                f"cannot read {path}: {getattr(error, 'strerror', None) or error}"
            ) from None


def _read_file(
    domain: Domain, path: Path, deadline: float = float("inf")
) -> Iterator[tuple[int, np.ndarray | QsolveError]]:
    """(line number, state or the error for that line) for each non-empty line of ``path``."""
    for number, line in _lines(path, deadline):
        try:
            if isinstance(line, QsolveError):
                raise line
            fields = line.split()
            if not fields:
                continue
            yield number, domain.parse_state(" ".join(fields[: domain.text_fields]))
        except QsolveError as error:
            yield number, QsolveError(f"{path}:{number}: {error}")


def _random_walks(args: argparse.Namespace, domain: Domain, deadline: float) -> np.ndarray:
    """``[count, D]`` random-walk states, refused up front when they cannot fit in memory."""
    # Per instance: the state and its walk's scratch (a float per action), the length, and the
    # Python objects of its label and result.
    per_instance = 2 * domain.state_dim + 8 * domain.num_actions + 8 + 400
    options.check_fits_in_memory(
        f"--count {args.count:,} (instances of {domain.name})", args.count * per_instance
    )
    rng = np.random.default_rng(args.seed)
    return domain.random_walk(np.full(args.count, args.random_walk), rng, deadline)


def _starts(
    args: argparse.Namespace, domain: Domain
) -> Iterator[tuple[str, np.ndarray | QsolveError]]:
    # Making the instances counts against the time limit too.
    deadline = time.monotonic() + args.time_limit
    if args.state is not None:
        yield "state", domain.parse_state(args.state)
    elif args.scramble is not None:
        try:
            yield "scramble", domain.apply_moves(domain.goal, domain.parse_moves(args.scramble))
        except QsolveError as error:
            raise QsolveError(f"--scramble: {error}") from None
    elif args.random_walk is not None:
        for state in _random_walks(args, domain, deadline):
            yield f"random walk {args.random_walk}", state
    else:
        for number, item in _read_file(domain, args.file, deadline):
            yield f"line {number}", item


def _print_result(domain: Domain, start: np.ndarray, label: str, result: SearchResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{domain.name}[/bold] {label}: {domain.format_state(start)}")
    if result.solved:
        console.print(
            f"solution ({len(result.moves)} moves): {' '.join(result.moves) or '(already solved)'}"
        )
        if result.meta_moves != result.moves:
            console.print(f"as {domain.name} actions: {' '.join(result.meta_moves)}")
    else:
        console.print(f"[red]not solved[/red] ({result.stop_reason.replace('_', ' ')})")
    if result.fell_back:
        console.print("(the first weight stalled: this search fell back to the fallback weight)")
    table = Table(show_header=True)
    for column in (
        "solved",
        "cost",
        "nodes",
        "iterations",
        "seconds",
        "nodes/s",
        "heuristic inputs",
    ):
        table.add_column(column, justify="right")
    rate = result.nodes_generated / result.seconds if result.seconds > 0 else float("nan")
    table.add_row(
        "yes" if result.solved else "no",
        f"{result.cost:g}" if result.solved else "-",
        f"{result.nodes_generated:,}",
        f"{result.iterations:,}",
        f"{result.seconds:.3f}",
        f"{rate:,.0f}",
        f"{result.heuristic_inputs:,}",
    )
    console.print(table)


def _solve(args: argparse.Namespace) -> int:
    domain = get_domain(args.domain)
    cli_pictures.check_html(domain, args.html)
    if "torch" in sys.modules or api.uses_network(args.heuristic, domain):
        set_torch_threads(args.threads)
    heuristic = api.load_heuristic(
        args.heuristic,
        domain,
        device=args.device,
        heuristic_batch=args.heuristic_batch,
        precision=args.precision,
        engine=args.engine,
        symmetries=options.SYMMETRIES[args.symmetries],
    )
    starts = list(_starts(args, domain))
    if args.ray is not None or args.out is not None:
        from qsolve import cluster

        return cluster.solve_command(args, domain, heuristic, starts, _print_result)
    good = [item for _, item in starts if not isinstance(item, QsolveError)]
    results = api.solve_iter(
        domain,
        np.array(good).reshape(len(good), domain.state_dim),
        heuristic=heuristic,
        algorithm=args.algorithm,
        batch_size=args.batch_size,
        weight=args.weight,
        optimal=args.optimal,
        time_limit=args.time_limit,
        max_nodes=args.max_nodes,
        parallel=args.parallel,
        fallback_weight=args.fallback_weight,
        fallback_after=args.fallback_after,
        beam_width=args.beam_width,
    )
    # Each result is printed as soon as it and those before it are final, bad lines in place.
    bad = 0
    played = []
    for label, item in starts:
        if isinstance(item, QsolveError):
            bad += 1
            print(f"qsolve: error: {item}", file=sys.stderr, flush=True)
            if args.json:
                print(json.dumps({"error": str(item), "source": label}), flush=True)
            continue
        result = next(results)
        played.append((label, item, result))
        if args.json:
            print(json.dumps(result.to_dict()), flush=True)
        else:
            _print_result(domain, item, label, result)
    if args.html is not None and played:
        cli_pictures.write_html(domain, args.html, played)
    return 2 if bad else 0


def _domains() -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table("domain", "actions", "state entries", "default heuristic")
    for name in DOMAINS:
        domain = get_domain(name)
        default = (
            "shipped Q network" if api.shipped_model(domain) else api.default_heuristic_name(domain)
        )
        table.add_row(name, str(domain.num_actions), str(domain.state_dim), default)
    for name, where in plugin_domains().items():
        table.add_row(name, "", "", f"installed: {where}")
    Console().print(table)
    return 0


def _check_domain(name: str) -> int:
    domain = get_domain(name)
    checks = check_domain(domain)
    print(f"{name}: the domain contract holds ({checks} checks passed)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "domains":
            return _domains()
        if args.command == "check-domain":
            return _check_domain(args.domain)
        if args.command == "solve":
            return _solve(args)
        if args.command == "bench":
            from qsolve.bench import run_bench

            command = "qsolve " + " ".join(argv or sys.argv[1:])
            path = run_bench(args.suite, args.out, command, args.domains, args.count)
            print(f"report written to {path}")
            return 0
        if args.command == "show":
            return cli_pictures.run_show(args)
        if args.command == "report":
            return cli_pictures.run_report(args)
        from qsolve import cli_train

        return cli_train.run(args)
    except QsolveError as error:
        print(f"qsolve: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qsolve: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as other command-line tools do, and
        # point stdout at /dev/null so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the status a shell reports for such a tool
    except OSError as error:  # a folder that cannot be made, a disk that is full ...
        where = f" ({error.filename})" if error.filename else ""
        print(f"qsolve: error: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    except MemoryError:
        print("qsolve: error: out of memory", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
