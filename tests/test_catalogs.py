"""The catalogs (search algorithms, engines, target kinds): one record per entry, in the module
that implements it, from which the command line's choices and the config checks come."""

from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

import qsolve
from qsolve import search
from qsolve.cli import build_parser
from qsolve.errors import QsolveError
from qsolve.heuristics import get_heuristic
from qsolve.options import ENGINES, algorithm_names, check_algorithm


def _solve_choices() -> dict[str, object]:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest: action.choices for action in commands.choices["solve"]._actions}


def test_the_algorithms_come_from_their_catalog():
    assert algorithm_names() == tuple(search.ALGORITHMS) == qsolve.ALGORITHMS
    assert _solve_choices()["algorithm"] == tuple(search.ALGORITHMS)
    for name, record in search.ALGORITHMS.items():
        assert record.name == name and record.help and check_algorithm(name) == name
    with pytest.raises(QsolveError, match="unknown algorithm 'ida' \\(choose from qstar, astar"):
        check_algorithm("ida")


def test_each_algorithms_record_says_what_it_ranks_and_needs():
    manhattan = get_heuristic("manhattan", qsolve.domain("puzzle8"))
    ranks = {name: record.ranks_pairs(manhattan) for name, record in search.ALGORITHMS.items()}
    assert ranks == {"qstar": True, "astar": False, "beam": False}
    assert [name for name, record in search.ALGORITHMS.items() if record.beam] == ["beam"]


def test_the_engines_come_from_their_catalog():
    engines = pytest.importorskip("qsolve.networks.engines")
    assert ENGINES == ("auto", *engines.ENGINE_KINDS)
    assert engines.ENGINES is ENGINES
    assert [k.name for k in engines.ENGINE_KINDS.values() if k.cpu_only] == ["onnx"]


def test_the_target_kinds_come_from_their_catalog():
    pytest.importorskip("torch")
    from qsolve.training import config, data, targets

    choices = {f.name: f.metadata["choices"] for f in fields(config.TrainConfig)}
    assert choices["targets"] == tuple(targets.TARGET_KINDS) == ("td", "walk", "capped", "teacher")
    assert choices["source"] is data.SOURCES  # named where the sources are made
    assert targets.NEEDS_CHILDREN == {"td": True, "walk": False, "capped": True, "teacher": True}
    assert targets.NEEDS_BOUNDS == {"td": False, "walk": True, "capped": True, "teacher": False}
    assert [k.name for k in targets.TARGET_KINDS.values() if k.needs_teacher] == ["teacher"]
    with pytest.raises(QsolveError, match="--teacher and --targets teacher go together"):
        config.TrainConfig(domain="puzzle8", out="x", targets="teacher")


def test_the_sources_come_from_their_catalog():
    pytest.importorskip("torch")
    from qsolve.training import config, data

    assert data.SOURCES == tuple(data.SOURCE_KINDS) == ("walk", "nbwalk", "farwalk", "subset")
    assert [s.name for s in data.SOURCE_KINDS.values() if s.needs_press_masks] == ["subset"]
    for source in data.SOURCE_KINDS.values():
        assert source.help in config.TrainConfig.__dataclass_fields__["source"].metadata["help"]
    with pytest.raises(QsolveError, match="--source subset needs a Lights Out domain"):
        config.TrainConfig(domain="puzzle8", out="x", source="subset")
