"""The solving options are declared once (``qsolve.options.SolveOptions``): the API, the command
line and the Ray path take their defaults, choices and checks from there."""

from __future__ import annotations

import inspect
from dataclasses import fields

import pytest

import qsolve
from qsolve import api, cluster
from qsolve.cli import build_parser
from qsolve.cli_args import solve_options
from qsolve.errors import QsolveError
from qsolve.options import (
    ENGINES,
    PRECISIONS,
    SEED,
    SOLVE_THREADS,
    SolveOptions,
    algorithm_names,
)

NAMES = [f.name for f in fields(SolveOptions)]


def test_the_api_the_parser_and_ray_share_one_default_per_option():
    declared = SolveOptions()
    args = build_parser().parse_args(["solve", "puzzle8", "--state", "1 2 3 4 5 6 7 8 0"])
    parsed = solve_options(args)
    for name in NAMES:
        # The same object, not an equal copy: each default is written once.
        assert getattr(parsed, name) is getattr(declared, name), name
    assert SolveOptions.of() == declared
    # load_heuristic's keywords take the options' defaults.
    for name, parameter in inspect.signature(api.load_heuristic).parameters.items():
        if name in NAMES:
            assert parameter.default is getattr(declared, name), name
    # Neither the API nor the Ray path declares a default of its own for any option.
    for function in (api.solve, api.solve_iter, cluster.solve_stream, cluster.solve_here):
        assert not set(inspect.signature(function).parameters) & set(NAMES), function.__name__
    # The process's torch threads (not a search option) have one default too.
    assert args.threads is SOLVE_THREADS
    assert inspect.signature(cluster.solve_stream).parameters["threads"].default is SOLVE_THREADS
    # So has the seed of --random-walk instances.
    assert args.seed is SEED
    assert inspect.signature(api.random_walk_instances).parameters["seed"].default is SEED


def test_the_defaults_chosen_where_they_had_drifted():
    options = SolveOptions()
    assert options.parallel == 32  # the command line's and Ray's; the API had 1
    assert options.precision == "auto"  # the API's and the command line's; Ray's had fp32
    assert options.device == "auto"  # likewise; Ray's had cpu
    assert options.time_limit == 60.0  # the command line's; the API had no limit


def test_the_choices_are_named_once():
    parser = build_parser()
    solve = parser._subparsers._group_actions[0].choices["solve"]  # type: ignore[union-attr]
    choices = {action.dest: action.choices for action in solve._actions}
    assert choices["algorithm"] == algorithm_names() == qsolve.ALGORITHMS
    assert choices["engine"] is None  # checked by SolveOptions: "unknown engine ..." (test_engines)
    assert choices["precision"] == PRECISIONS
    assert api.ENGINES is ENGINES and api.PRECISIONS is PRECISIONS


def test_the_keywords_build_the_options_and_refuse_unknown_ones():
    given = SolveOptions(algorithm="astar", batch_size=10)
    assert SolveOptions.of(given, weight=0.5) == SolveOptions(
        algorithm="astar", batch_size=10, weight=0.5
    )
    with pytest.raises(TypeError, match="unknown solve option"):
        qsolve.solve("puzzle8", [], heuristic="manhattan", batchsize=10)
    with pytest.raises(TypeError, match="options must be a SolveOptions"):
        qsolve.solve("puzzle8", [], "manhattan", "astar")  # type: ignore[arg-type]
    with pytest.raises(QsolveError, match="the batch size must be"):
        SolveOptions(batch_size=0)
    with pytest.raises(QsolveError, match="unknown engine"):
        SolveOptions(engine="tensorrt")


def test_options_and_keywords_solve_alike():
    state = "1 2 3 4 5 6 7 8 0"
    by_keywords = qsolve.solve("puzzle8", [state], heuristic="manhattan", algorithm="astar")
    by_options = qsolve.solve(
        "puzzle8", [state], "manhattan", SolveOptions(algorithm="astar", time_limit=None)
    )
    assert [r.moves for r in by_keywords] == [r.moves for r in by_options]
