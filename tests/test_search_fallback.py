"""A search that stalls with its first weight starts again with the fallback weight."""

from __future__ import annotations

import json

import numpy as np
import pytest

import qsolve
from qsolve.cli import main


def hard_start():
    """A 15-puzzle state that Q* with Manhattan distance and λ = 1 needs thousands of nodes for."""
    domain = qsolve.domain("puzzle15")
    return domain, domain.random_walk(np.array([200]), np.random.default_rng(0))


def same(a, b):
    """Equal results, up to the seconds they took."""
    return a.to_dict() | {"seconds": 0} == b.to_dict() | {"seconds": 0}


def replays(domain, start, result):
    return domain.is_goal(domain.apply_moves(start, list(result.actions))[None])[0]


@pytest.mark.parametrize("algorithm", ["qstar", "astar"])
def test_a_stalled_search_is_the_fallback_search_after_the_first_ones_nodes(algorithm):
    domain, starts = hard_start()
    options = {"heuristic": "manhattan", "algorithm": algorithm, "batch_size": 10}
    [first] = qsolve.solve(domain, starts, weight=1.0, max_nodes=300, **options)
    [alone] = qsolve.solve(domain, starts, weight=0.2, **options)
    [both] = qsolve.solve(
        domain, starts, weight=1.0, fallback_weight=0.2, fallback_after=300, **options
    )
    assert not first.solved and first.stop_reason == "max_nodes"
    assert both.solved and both.fell_back and replays(domain, starts[0], both)
    # The fallback search is the plain search with the fallback weight, started afresh; the
    # counts add up over both searches.
    assert (both.actions, both.cost) == (alone.actions, alone.cost)
    assert both.nodes_generated == first.nodes_generated + alone.nodes_generated
    assert both.iterations == first.iterations + alone.iterations
    assert both.heuristic_inputs == first.heuristic_inputs + alone.heuristic_inputs
    assert both.to_dict()["fell_back"] is True and "fell_back" not in alone.to_dict()


def test_a_search_solved_before_the_fallback_is_the_plain_search():
    domain, starts = hard_start()
    options = {"heuristic": "manhattan", "batch_size": 10, "weight": 0.5}
    [plain] = qsolve.solve(domain, starts, **options)
    [guarded] = qsolve.solve(
        domain, starts, fallback_weight=0.0, fallback_after=plain.nodes_generated + 10, **options
    )
    assert plain.solved and not guarded.fell_back and same(plain, guarded)


def test_the_callers_limits_cover_both_searches():
    domain, starts = hard_start()
    options = {"heuristic": "manhattan", "batch_size": 10, "weight": 1.0, "fallback_weight": 0.2}
    # A node limit under the fallback's: the first search stops at it, no fallback.
    [capped] = qsolve.solve(domain, starts, max_nodes=200, fallback_after=300, **options)
    assert not capped.solved and not capped.fell_back and capped.stop_reason == "max_nodes"
    # A node limit just above it: the fallback search gets only what is left.
    [rest] = qsolve.solve(domain, starts, max_nodes=400, fallback_after=300, **options)
    assert rest.fell_back and rest.stop_reason == "max_nodes" and rest.nodes_generated < 420
    # Many states in lockstep: each does what it does alone.
    walks = domain.random_walk(np.array([200, 200, 30]), np.random.default_rng(9))
    alone = qsolve.solve(domain, walks, fallback_after=300, **options)
    lockstep = qsolve.solve(domain, walks, fallback_after=300, parallel=3, **options)
    assert all(same(a, b) for a, b in zip(alone, lockstep, strict=True))


def test_the_first_search_gets_half_the_time_limit():
    domain, starts = hard_start()
    options = {"heuristic": "manhattan", "batch_size": 10, "weight": 1.0, "fallback_weight": 0.2}
    [result] = qsolve.solve(domain, starts, time_limit=1.0, fallback_after=10**9, **options)
    # λ = 1 does not solve this state in 0.5 s; λ = 0.2 then does, in what is left of the second.
    assert result.fell_back and result.solved and replays(domain, starts[0], result)
    assert 0.5 <= result.seconds


@pytest.mark.parametrize(
    "options",
    [
        ["--fallback-weight", "0.3"],  # no node count, and the heuristic recommends none
        ["--fallback-after", "100"],
        ["--fallback-weight", "-1", "--fallback-after", "100"],
        ["--fallback-weight", "0.3", "--fallback-after", "0"],
        ["--fallback-weight", "0.3", "--fallback-after", "100", "--optimal"],
    ],
)
def test_bad_fallback_options_are_a_one_line_error(options, capsys):
    args = ["solve", "puzzle8", "--random-walk", "5", "--heuristic", "manhattan"]
    try:
        code = main(args + options)
    except SystemExit as exit:  # rejected by the argument parser
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "fallback" in err


def test_the_command_line_says_when_it_fell_back(capsys):
    args = ["solve", "puzzle15", "--random-walk", "200", "--heuristic", "manhattan"]
    args += ["--weight", "1", "--batch-size", "10", "--fallback-weight", "0.2"]
    assert main([*args, "--fallback-after", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert out["solved"] and out["fell_back"] is True
    assert main([*args, "--fallback-after", "300"]) == 0
    assert "fell back" in capsys.readouterr().out
