"""The ``qsolve`` command line: a thin layer over the public API in ``qsolve.api``."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from qsolve import api, cli_pictures, cluster, options
from qsolve.cli_args import OneLineParser, add_solve_options, checked, path, solve_options
from qsolve.domains import DOMAINS, Domain, check_domain, get_domain, plugin_domains
from qsolve.errors import QsolveError
from qsolve.search import SearchResult
from qsolve.threads import set_torch_threads

SOLVE_EXIT_STATUS = """exit status:
  0    every instance solved
  1    an instance not solved (a limit ran out; on Ray, its task failed twice)
  2    bad input: an option, a state, a line of --file (the other lines are still solved),
       an output path that cannot be written
  130  interrupted (Ctrl-C), after printing what was done and writing --html"""
# More instances than this print one line each instead of a table each.
TABLES_UP_TO = 20
Start = tuple[str, "np.ndarray | QsolveError"]  # an instance's label, and its state or error


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

    solve = commands.add_parser(
        "solve",
        help="solve puzzle states with Q* or A* search",
        epilog=SOLVE_EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
        help="K random moves from the goal, never undoing the move before",
    )
    source.add_argument(
        "--file", type=path, help="one state a line; fields after the state are ignored"
    )
    solve.add_argument(
        "--count",
        type=checked(int, lambda v: options.check_count("the count", v)),
        help="instances for --random-walk (default 1); instance i is the same whatever the count",
    )
    solve.add_argument(
        "--seed",
        type=checked(int, options.check_seed),
        default=options.SEED,
        help=f"random seed for --random-walk (default {options.SEED})",
    )
    solve.add_argument(
        "--heuristic",
        help="zero, manhattan, oracle, pushes, a model folder, or shipped: the domain's shipped "
        "model (default: the shipped model, or where none is shipped or it is slower, the "
        "domain's classical heuristic: qsolve domains lists them)",
    )
    add_solve_options(solve)
    solve.add_argument(
        "--threads",
        type=checked(int, options.check_threads),
        default=options.SOLVE_THREADS,
        help=f"CPU threads for a network heuristic (default {options.SOLVE_THREADS}: search "
        "batches are small)",
    )
    solve.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per instance and line: its instance index, state and result",
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
) -> Iterator[tuple[str, np.ndarray | QsolveError]]:
    """(label, state or the error for it) for each instance in ``path``, as the domain splits
    the file (``Domain.split_file``: a state a line, ``#`` starting a comment; Sokoban: level
    collections); an error names the line, and the level where it has a name."""
    for number, label, item in domain.split_file(_lines(path, deadline)):
        where = f"{path}:{number}: " + ("" if label == f"line {number}" else f"{label}: ")
        try:
            if isinstance(item, QsolveError):
                raise item
            yield label, domain.parse_state(item)
        except QsolveError as error:
            yield label, QsolveError(f"{where}{error}")


def _random_walks(args: argparse.Namespace, domain: Domain, deadline: float) -> np.ndarray:
    """``[count, D]`` random-walk states, refused up front when they cannot fit in memory."""
    # Per instance: the state and its walk's scratch (a float per action), the length, and the
    # Python objects of its label and result.
    per_instance = 2 * domain.state_dim + 8 * domain.num_actions + 8 + 400
    count = 1 if args.count is None else args.count
    options.check_fits_in_memory(
        f"--count {count:,} (instances of {domain.name})", count * per_instance
    )
    return api.random_walk_instances(domain, args.random_walk, count, args.seed, deadline)


def _starts(
    args: argparse.Namespace, domain: Domain
) -> Iterator[tuple[str, np.ndarray | QsolveError]]:
    # Making the instances counts against the time limit too.
    deadline = time.monotonic() + args.time_limit
    if args.state is not None:
        yield "state", domain.parse_state(args.state)
    elif args.scramble is not None:
        if not domain.has_goal_state:
            raise QsolveError(
                f"--scramble needs a goal state to start from, and {domain.name}'s goal is a "
                "condition: give --state or --file"
            )
        try:
            yield (
                "scramble",
                domain.apply_moves(domain.goal_state, domain.parse_moves(args.scramble)),
            )
        except QsolveError as error:
            raise QsolveError(f"--scramble: {error}") from None
    elif args.random_walk is not None:
        for state in _random_walks(args, domain, deadline):
            yield f"random walk {args.random_walk}", state
    else:
        yield from _read_file(domain, args.file, deadline)


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
        for name, text in domain.notations(start, result.actions).items():
            console.print(f"{name.upper()}: {text}")
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


class Report:
    """What ``qsolve solve`` says about its instances, given in input order: a JSON line, a
    table or (past ``TABLES_UP_TO`` instances) a line each, then a summary; the page of
    ``--html``; the exit status; and, on a terminal's stderr, a progress bar."""

    def __init__(self, args: argparse.Namespace, domain: Domain, starts: list[Start]) -> None:
        self.args, self.domain, self.starts = args, domain, starts
        self.tables = len(starts) <= TABLES_UP_TO
        self.played: list[tuple[str, np.ndarray, SearchResult]] = []  # for --html
        self.bad = self.failed = self.searched = self.solved = 0
        self.cost = self.nodes = self.seconds = 0.0  # sums: of the solved costs, of all others
        self.progress: Any = None

    def __enter__(self) -> Report:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            # Printed results pass above the bar when they go to the terminal too.
            self.progress = Progress(
                "solving",
                BarColumn(),
                MofNCompleteColumn(),
                "{task.fields[solved]:,} solved",
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
                redirect_stdout=sys.stdout.isatty(),
            )
            self.progress.add_task("solve", total=len(self.starts), solved=0)
            self.progress.start()
        return self

    def __exit__(self, *error: object) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def add(self, index: int, outcome: SearchResult | str | QsolveError) -> None:
        """Instance ``index``'s result, why its task failed (on Ray), or the error of its input."""
        label, start = self.starts[index]
        if isinstance(outcome, SearchResult) and isinstance(start, np.ndarray):
            self._result(index, label, start, outcome)
        else:
            error = str(outcome) if isinstance(outcome, QsolveError) else f"{label}: {outcome}"
            if isinstance(outcome, QsolveError):
                self.bad += 1
            else:
                self.failed += 1
            print(f"qsolve: error: {error}", file=sys.stderr, flush=True)
            if self.args.json:
                print(json.dumps({"instance": index, "error": error, "source": label}), flush=True)
        if self.progress is not None:
            self.progress.update(0, advance=1, solved=self.solved)

    def _result(self, index: int, label: str, start: np.ndarray, result: SearchResult) -> None:
        self.searched += 1
        self.solved += result.solved
        self.cost += result.cost if result.solved else 0.0
        self.nodes += result.nodes_generated
        self.seconds += result.seconds
        if self.args.html is not None:
            self.played.append((label, start, result))
        if self.args.json:
            text = self.domain.format_state(start)
            written = cluster.notations(self.domain, start, result)
            print(json.dumps(cluster.record(index, text, result, written)), flush=True)
        elif self.tables:
            _print_result(self.domain, start, label, result)
        else:
            print(_result_line(index, label, result), flush=True)

    def run(self, solve: Callable[[], object]) -> int:
        """Call ``solve``, which gives this report every instance; then the summary and the
        page (after Ctrl-C too, of the instances done), and the exit status."""
        try:
            with self:
                solve()
        except KeyboardInterrupt:
            self.finish()
            raise
        self.finish()
        return self.status

    def finish(self) -> None:
        """After the last instance, or Ctrl-C: the summary and the page of what was done."""
        if not self.args.json and self.searched > 1:
            self._summary()
        if self.args.html is not None and self.played:
            cli_pictures.write_html(self.domain, self.args.html, self.played)

    def _summary(self) -> None:
        from rich.console import Console
        from rich.table import Table

        n, solved = self.searched, self.solved
        table = Table(
            "instances",
            "solved",
            "solved %",
            "mean cost",
            "mean nodes",
            "mean seconds",
            title="summary",
        )
        for column in table.columns:
            column.justify = "right"
        table.add_row(
            f"{n:,}",
            f"{solved:,}",
            f"{100 * solved / n:.1f}%",
            f"{self.cost / solved:.2f}" if solved else "-",
            f"{self.nodes / n:,.0f}",
            f"{self.seconds / n:.3f}",
        )
        Console().print(table)
        if self.bad or self.failed:
            print(
                f"(and {self.bad:,} instances of bad input, {self.failed:,} whose task failed: "
                "not counted above)"
            )

    @property
    def status(self) -> int:
        """2 after bad input, else 1 if an instance is not solved, else 0."""
        if self.bad:
            return 2
        return 1 if self.failed or self.solved < self.searched else 0


def _result_line(index: int, label: str, result: SearchResult) -> str:
    """Instance ``index`` on one line, for runs of many instances."""
    stats = f"{result.nodes_generated:,} nodes, {result.seconds:.3f} s"
    if not result.solved:
        return f"{index} ({label}): not solved ({result.stop_reason.replace('_', ' ')}), {stats}"
    moves = " ".join(result.moves) or "(already solved)"
    return f"{index} ({label}): cost {result.cost:g}, {stats}: {moves}"


def _check_writable(option: str, path: Path) -> None:
    """QsolveError unless ``path`` can be written: before any search, so that a wrong name costs
    none of them."""
    if path.is_dir():
        raise QsolveError(f"cannot write {option} {path}: it is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise QsolveError(f"cannot write {option} {path}: no folder {folder}")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise QsolveError(f"cannot write {option} {path}: permission denied")


def _solve(args: argparse.Namespace) -> int:
    domain = get_domain(args.domain)
    if args.count is not None and args.random_walk is None:
        raise QsolveError(
            "--count goes with --random-walk only (--state and --scramble give one instance, "
            "--file one a line)"
        )
    cli_pictures.check_html(domain, args.html)
    for option, output in (("--html", args.html), ("--out", args.out)):
        if output is not None:
            _check_writable(option, output)
    chosen = solve_options(args)
    if "torch" in sys.modules or api.uses_network(args.heuristic, domain):
        set_torch_threads(args.threads)
    searched = api.reduction_target(domain, chosen.reduce_to, args.heuristic) or domain
    heuristic = api.load_heuristic(args.heuristic, searched, **chosen.heuristic_options())
    starts = list(_starts(args, domain))
    report = Report(args, domain, starts)
    if args.ray is not None or args.out is not None:
        return report.run(
            lambda: cluster.solve_command(args, domain, heuristic, starts, report.add, chosen)
        )
    good = [item for _, item in starts if not isinstance(item, QsolveError)]
    results = api.solve_iter(
        domain,
        np.array(good).reshape(len(good), domain.state_dim),
        heuristic=heuristic,
        options=chosen,
    )

    def report_all() -> None:
        # Each result is reported as soon as it and those before it are final, bad lines in place.
        for index, (_, item) in enumerate(starts):
            report.add(index, item if isinstance(item, QsolveError) else next(results))

    return report.run(report_all)


def _domains() -> int:
    from rich.console import Console
    from rich.table import Table

    def described(domain: Domain) -> list[str]:
        shipped = api.shipped_model(domain) is not None
        inner = api.reduction_target(domain, None)
        if shipped and domain.model_is_default:
            default = "shipped Q network"
        elif inner is not None:
            default = f"reduced to {inner.name}, with its shipped model (or --reduce-to off)"
        else:
            default = domain.default_heuristic + (" (or --heuristic shipped)" if shipped else "")
        return [str(domain.num_actions), str(domain.state_dim), default]

    table = Table("domain", "actions", "state entries", "default heuristic")
    for name in DOMAINS:
        table.add_row(name, *described(get_domain(name)))
    for name, where in plugin_domains().items():
        try:
            row = described(get_domain(name))
            row[2] += f" (installed: {where})"
        except QsolveError as error:  # the package's module or class cannot be loaded
            row = ["-", "-", str(error).splitlines()[0]]
        except Exception as error:  # a domain's code may raise anything
            row = ["-", "-", f"cannot load the domain {where!r}: {type(error).__name__}: {error}"]
        table.add_row(name, *row)
    Console().print(table)
    return 0


def _check_domain(name: str) -> int:
    domain = get_domain(name)
    checks = check_domain(domain)
    print(f"{name}: the domain contract holds ({checks} checks passed)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        # No command: the help, which lists them, on stderr and status 2 (a usage error).
        parser.print_help(sys.stderr)
        return 2
    args = parser.parse_args(argv)
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
