"""A network raised to an admissible classical heuristic (config.json ``"floor"``): Q(s, a) is at
least c(s, a) + floor(child), dead ends are cut, and a bad floor is one clear error."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import qsolve
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import get_heuristic
from qsolve.networks import Architecture, ResidualMLP, load_heuristic
from qsolve.training.checkpoint import save_model
from qsolve.training.data import walks


def model_folder(path, domain_name: str, extra: dict | None = None):
    domain = get_domain(domain_name)
    torch.manual_seed(0)
    model = ResidualMLP(Architecture(domain.encoding_dim, domain.num_actions, 32, 16, 1))
    config = {
        "format": "qsolve-model/1",
        "domain": domain_name,
        "kind": "q",
        "architecture": model.arch.to_dict(),
        **(extra or {}),
    }
    path.mkdir()
    save_model(path, model, config)
    return path


def test_the_floor_raises_q_to_the_cost_plus_the_childs_bound_and_cuts_dead_ends(tmp_path):
    domain = get_domain("sokoban")
    plain = load_heuristic(model_folder(tmp_path / "plain", "sokoban"), domain, engine="torch")
    floored = load_heuristic(
        model_folder(tmp_path / "floored", "sokoban", {"floor": "pushes"}), domain, engine="torch"
    )
    assert floored.floor is not None and "floor pushes" in floored.name
    rng = np.random.default_rng(0)
    states, _, _ = walks(domain, rng.integers(0, 60, size=200), rng)
    children, applicable = domain.expand(states)
    n, a, d = children.shape
    bound = 1.0 + get_heuristic("pushes", domain).values(children.reshape(n * a, d)).reshape(n, a)
    expected = np.where(applicable, np.maximum(plain.q_values(states), bound), np.inf)
    np.testing.assert_array_equal(floored.q_values(states), expected.astype(np.float32))
    # Moves that push a box where no target can be reached are cut, and there are such moves.
    dead = applicable & np.isinf(bound)
    assert dead.any() and np.isinf(floored.q_values(states)[dead]).all()
    assert np.isfinite(plain.q_values(states)[dead]).all()


def test_a_floored_model_still_solves_and_the_search_replays(tmp_path):
    folder = model_folder(tmp_path / "m", "sokoban", {"floor": "pushes"})
    level = "#######/#.$--@#/#-----#/#######"
    [result] = qsolve.solve("sokoban", level, heuristic=str(folder), weight=1.0)
    domain = get_domain("sokoban")
    start = domain.parse_state(level)
    assert result.solved and result.cost == 3  # L L L
    assert domain.is_goal(domain.apply_moves(start, result.actions)[None])[0]


@pytest.mark.parametrize(
    ("floor", "match"),
    [(3, "must name a classical heuristic"), ("nope", "floor: unknown heuristic 'nope'")],
)
def test_a_bad_floor_is_one_clear_error(tmp_path, floor, match):
    folder = model_folder(tmp_path / "m", "sokoban", {"floor": floor})
    with pytest.raises(QsolveError, match=match):
        load_heuristic(folder, get_domain("sokoban"))


def test_a_floor_for_another_domain_names_the_file(tmp_path):
    folder = model_folder(tmp_path / "m", "puzzle8", {"floor": "pushes"})
    with pytest.raises(QsolveError, match=r"config.json: floor: .*only defined for sokoban"):
        load_heuristic(folder, get_domain("puzzle8"))
    assert json.loads((folder / "config.json").read_text())["floor"] == "pushes"
