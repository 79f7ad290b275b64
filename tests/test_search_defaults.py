"""A model's recommended search settings (config.json "search") are the defaults of solve."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import qsolve
from qsolve.cli import main


@pytest.fixture
def model(tmp_path):
    folder = tmp_path / "puzzle8"
    shutil.copytree(qsolve.shipped_model(qsolve.domain("puzzle8")), folder)
    return folder


def with_search(folder, search):
    config = json.loads((folder / "config.json").read_text())
    config["search"] = search
    (folder / "config.json").write_text(json.dumps(config))


def test_left_open_options_take_the_models_settings_and_given_ones_win(model):
    domain = qsolve.domain("puzzle8")
    starts = domain.random_walk(np.full(5, 30), np.random.default_rng(3))
    with_search(model, {"weight": 0.0, "batch_size": 7})
    default = qsolve.solve(domain, starts, heuristic=str(model))
    explicit = qsolve.solve(domain, starts, heuristic=str(model), weight=0.0, batch_size=7)
    plain = qsolve.solve(domain, starts, heuristic=str(model), weight=1.0, batch_size=1)
    as_dicts = [[r.to_dict() | {"seconds": 0} for r in rs] for rs in (default, explicit, plain)]
    assert as_dicts[0] == as_dicts[1] != as_dicts[2]
    # A* keeps its own defaults: the settings are Q*'s.
    astar = qsolve.solve(domain, starts, heuristic=str(model), algorithm="astar")
    assert all(r.solved for r in astar)


def test_the_shipped_models_say_how_to_search_with_them():
    for name in ("puzzle8", "cube2", "puzzle15", "puzzle24", "cube3", "cube3-meta", "lightsout7"):
        config = json.loads((qsolve.shipped_model(qsolve.domain(name)) / "config.json").read_text())
        keys = set(config["search"]) - {"fallback_weight", "fallback_after"}
        assert keys == {"weight", "batch_size"}, name
        assert len(set(config["search"]) - keys) in (0, 2), name  # a fallback has both


@pytest.mark.parametrize(
    "search", [{"weight": 2.0}, {"batch_size": 0}, {"speed": 1}, [1, 2], {"weight": "x"}]
)
def test_a_bad_search_entry_is_a_one_line_error(model, search, capsys):
    with_search(model, search)
    code = main(["solve", "puzzle8", "--random-walk", "5", "--heuristic", str(model)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and '"search"' in err


def same(a, b):
    """Equal results, up to the seconds they took."""
    return a.to_dict() | {"seconds": 0} == b.to_dict() | {"seconds": 0}


def test_a_models_fallback_applies_unless_the_weight_or_optimality_is_given(model):
    domain = qsolve.domain("puzzle8")
    starts = domain.random_walk(np.array([20]), np.random.default_rng(1))
    with_search(
        model, {"weight": 1.0, "batch_size": 1, "fallback_weight": 0.3, "fallback_after": 2}
    )
    [default] = qsolve.solve(domain, starts, heuristic=str(model))
    [spelled] = qsolve.solve(
        domain, starts, heuristic=str(model), weight=1.0, fallback_weight=0.3, fallback_after=2
    )
    [weighted] = qsolve.solve(domain, starts, heuristic=str(model), weight=1.0)
    [optimal] = qsolve.solve(domain, starts, heuristic=str(model), optimal=True)
    assert default.fell_back and same(default, spelled)
    assert not weighted.fell_back and not optimal.fell_back
    # Given one half of the fallback, the model's other half completes it.
    [half] = qsolve.solve(domain, starts, heuristic=str(model), weight=1.0, fallback_after=2)
    assert same(half, spelled)


@pytest.mark.parametrize(
    "search",
    [
        {"fallback_weight": 0.3},
        {"fallback_after": 10},
        {"fallback_weight": 1.5, "fallback_after": 10},
        {"fallback_weight": 0.3, "fallback_after": 0},
    ],
)
def test_a_bad_fallback_in_a_model_is_a_one_line_error(model, search, capsys):
    with_search(model, search)
    code = main(["solve", "puzzle8", "--random-walk", "5", "--heuristic", str(model)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and '"search"' in err


class MisplacedTiles:
    """A user's heuristic, not a qsolve class: the number of misplaced tiles."""

    def values(self, states):
        goal = qsolve.domain("puzzle8").goal
        return ((states != goal) & (states != 0)).sum(axis=1).astype(float)


class BadShape:
    def q_values(self, states):
        return np.zeros((len(states), 2))


def test_any_object_with_values_or_q_values_is_a_heuristic():
    domain = qsolve.domain("puzzle8")
    starts = domain.random_walk(np.full(6, 40), np.random.default_rng(2))
    mine = qsolve.solve(domain, starts, heuristic=MisplacedTiles(), optimal=True)
    exact = qsolve.solve(domain, starts, heuristic="oracle", optimal=True)
    # Misplaced tiles never overestimates: with λ = 1 and --optimal the costs are the optimum.
    assert [r.cost for r in mine] == [r.cost for r in exact]
    with pytest.raises(qsolve.QsolveError, match=r"\[N, 4\]"):
        qsolve.solve(domain, starts[:1], heuristic=BadShape())
    with pytest.raises(qsolve.QsolveError, match="q_values"):
        qsolve.solve(domain, starts[:1], heuristic=42)


# Two states of DeepCubeA's puzzle24 test set with their optimal costs (its data).
HARD_PUZZLE24 = [
    ("3 19 24 9 8 11 7 12 2 4 17 23 20 18 6 16 5 1 14 21 0 15 10 13 22", 100),
    ("6 7 1 5 9 20 19 22 3 15 0 8 18 21 2 24 13 4 10 14 17 11 16 12 23", 86),
]


def test_the_shipped_puzzle24_model_solves_hard_states_with_its_defaults():
    domain = qsolve.domain("puzzle24")
    assert qsolve.shipped_model(domain) is not None
    starts = np.array([[int(t) for t in s.split()] for s, _ in HARD_PUZZLE24], dtype=np.uint8)
    results = qsolve.solve(domain, starts, max_nodes=1_000_000)
    for start, (_, optimum), result in zip(starts, HARD_PUZZLE24, results, strict=True):
        assert result.solved
        end = domain.apply_moves(start, result.actions)
        assert domain.is_goal(end[None])[0]
        assert optimum <= result.cost == len(result.actions)


def test_the_shipped_puzzle35_model_recommends_a_beam_and_its_solutions_replay():
    domain = qsolve.domain("puzzle35")
    heuristic = qsolve.load_heuristic("shipped", domain)
    assert heuristic.search_defaults == {"algorithm": "beam", "beam_width": 10000}
    starts = domain.random_walk(np.full(3, 60), np.random.default_rng(8))
    # The recommended beam, narrowed to keep the test short: the width given wins.
    results = qsolve.solve(domain, starts, heuristic=heuristic, beam_width=300)
    for start, result in zip(starts, results, strict=True):
        assert result.solved and result.cost == len(result.actions) <= 60
        assert domain.is_goal(domain.apply_moves(start, result.actions)[None])[0]
