"""Argument types shared by the ``qsolve`` subcommands: each rejects bad values with one line.

The ranges themselves live in ``qsolve.options``, so that the API and the command line agree.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from qsolve import options
from qsolve.errors import QsolveError

Number = TypeVar("Number", int, float)


def non_negative_int(text: str) -> int:
    """A parser for integers from 0 up."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def checked(
    kind: Callable[[str], Number], check: Callable[[Number], object]
) -> Callable[[str], Number]:
    """A parser that reads ``kind`` from text and applies ``check`` (one of ``qsolve.options``)."""

    def parse(text: str) -> Number:
        try:
            value = kind(text)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        try:
            check(value)
        except QsolveError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return value

    return parse


def path(text: str) -> Path:
    """A parser for file and folder names: an empty name is refused (it would mean ``.``)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty name")
    return Path(text)


def weight(text: str) -> float:
    """A parser for the weight on the path cost, in [0, 1]."""
    return checked(float, lambda v: options.check_float("the weight", v, 0.0, 1.0))(text)


def add_solve_options(parser: argparse.ArgumentParser) -> None:
    """One flag per ``SolveOptions`` field, with its help, default, choices and check, so that
    the command line and the API take and refuse the same values."""
    defaults = options.SolveOptions()
    for f in fields(options.SolveOptions):
        meta, default = f.metadata, getattr(defaults, f.name)
        kwargs: dict[str, Any] = {"dest": f.name, "help": meta["help"]}
        if meta.get("catalog"):
            records = meta["catalog"]().values()
            kwargs["help"] += ": " + "; ".join(f"{r.name}, {r.help}" for r in records)
        if isinstance(default, bool):
            kwargs["action"] = "store_true"
        elif meta.get("names"):  # words for values (--symmetries auto/on/off)
            word = next(k for k, v in meta["names"].items() if v is default)
            kwargs.update(choices=tuple(meta["names"]), default=word)
        else:
            kwargs["default"] = default
            choices = meta.get("choices")
            if choices:
                kwargs["choices"] = choices() if callable(choices) else choices
            elif meta.get("check") and str(f.type).startswith(("int", "float")):
                kind = int if str(f.type).startswith("int") else float
                kwargs["type"] = checked(kind, meta["check"])
            # Other values are checked when the SolveOptions is made (--engine).
        if meta.get("metavar"):
            kwargs["metavar"] = meta["metavar"]
        if kwargs.get("default") is not None and "action" not in kwargs:
            kwargs["help"] += f" (default {kwargs['default']})"
        parser.add_argument(options.flag(f.name), **kwargs)


def solve_options(args: argparse.Namespace) -> options.SolveOptions:
    """The ``SolveOptions`` of parsed command-line ``args``."""
    values = {}
    for f in fields(options.SolveOptions):
        value = getattr(args, f.name)
        names = f.metadata.get("names")
        values[f.name] = names[value] if names else value
    return options.SolveOptions(**values)


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (``qsolve: error: ...``) and exit status 2;
    ``--help`` still prints the usage."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("qsolve").strip()
        self.exit(2, f"qsolve: error: {command + ': ' if command else ''}{message}\n")
