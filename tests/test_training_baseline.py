"""Networks learnt as a residual over a classical heuristic (--baseline manhattan)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_training import TINY

from qsolve.api import load_heuristic
from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import get_heuristic
from qsolve.networks.encoding import evaluate, one_hot
from qsolve.networks.heuristic import load_model, make_baseline
from qsolve.training import TrainConfig, make_batch, train
from qsolve.training.targets import compute_targets

CPU = torch.device("cpu")
QUIET = {**TINY, "eval_every": 10_000, "progress": False}


def test_a_fresh_residual_starts_at_the_baseline_and_search_adds_it(tmp_path):
    domain = get_domain("puzzle8")
    train("puzzle8", tmp_path / "m", steps=1, lr=1e-9, baseline="manhattan", **QUIET)
    manhattan = get_heuristic("manhattan", domain)
    states = domain.random_walk(np.arange(1, 40), np.random.default_rng(2))
    q = load_heuristic(tmp_path / "m", domain, precision="fp32").q_values(states)
    base = manhattan.q_values(states)
    # The head starts at zero: every output is softplus(0), so Q ranks actions as Manhattan does.
    np.testing.assert_allclose(q, base + np.log(2.0), rtol=1e-5)
    assert np.array_equal(np.isinf(q), ~domain.applicable(states))

    train("puzzle8", tmp_path / "m", steps=20, resume=True, baseline="manhattan", **QUIET)
    network, config = load_model(tmp_path / "m", domain)
    assert config["baseline"] == "manhattan" and network.baseline.name == "manhattan"
    heuristic = load_heuristic(tmp_path / "m", domain, precision="fp32")
    with torch.no_grad():
        residual = network(one_hot(domain, states, CPU)).numpy()
    live = domain.applicable(states)
    np.testing.assert_allclose(heuristic.q_values(states)[live], (base + residual)[live], rtol=1e-5)
    assert np.all(residual >= 0)  # never below the baseline
    assert "over manhattan" in heuristic.name


@pytest.mark.parametrize("kind", ["q", "v"])
def test_targets_value_children_with_the_baseline_added(tmp_path, kind):
    domain = get_domain("puzzle8")
    train("puzzle8", tmp_path / "m", steps=5, baseline="manhattan", kind=kind, **QUIET)
    network, _ = load_model(tmp_path / "m", domain)
    batch = make_batch(domain, 3, 0, 50, 30, None)
    config = TrainConfig("puzzle8", "u", kind=kind, targets="td", baseline="manhattan")
    y = compute_targets(domain, batch, network, network, config, CPU).numpy()
    manhattan = get_heuristic("manhattan", domain)
    states = np.repeat(batch.states, batch.actions.shape[1], axis=0)
    children = domain.step(states, batch.actions.ravel())
    with torch.no_grad():
        raw = network(one_hot(domain, children, CPU)).numpy()
        added = evaluate(network, domain, torch.from_numpy(children)).numpy()
    if kind == "q":
        expected_child = raw + manhattan.q_values(children)
        expected_child[~domain.applicable(children)] = np.inf
        v_child = expected_child.min(axis=1)
    else:
        v_child = raw[:, 0] + manhattan.values(children)
    live = domain.applicable(children)
    if kind == "q":
        np.testing.assert_allclose(
            added[live], (raw + manhattan.q_values(children))[live], rtol=1e-6
        )
    v_child = np.where(domain.is_goal(children), 0.0, v_child).reshape(batch.actions.shape)
    expected = domain.action_costs[batch.actions] + v_child
    if kind == "v":
        expected = np.where(batch.trained, expected, np.inf).min(axis=1)
        expected[batch.is_goal] = 0
        np.testing.assert_allclose(y, expected, rtol=1e-5)
        return
    trained = batch.trained & ~batch.is_goal[:, None]
    np.testing.assert_allclose(y[trained], expected[trained], rtol=1e-5)


def test_a_baseline_is_checked_where_it_enters(tmp_path, capsys):
    with pytest.raises(QsolveError, match="dead ends"):
        TrainConfig("sokoban", "u", baseline="pushes")
    with pytest.raises(QsolveError, match="only defined for sliding puzzles"):
        TrainConfig("cube2", "u", baseline="manhattan")
    with pytest.raises(QsolveError, match="unknown heuristic"):
        TrainConfig("puzzle8", "u", baseline="nothing")
    with pytest.raises(QsolveError, match="cannot take --init-from"):
        TrainConfig("puzzle8", "u", baseline="manhattan", init_from="puzzle8")
    with pytest.raises(QsolveError, match="must name a classical heuristic"):
        make_baseline(3, get_domain("puzzle8"), "q", "config.json: baseline")
    # A run goes on only over the baseline it was trained over: either way round.
    train("puzzle8", tmp_path / "m", steps=2, baseline="manhattan", **QUIET)
    with pytest.raises(QsolveError, match="baseline"):
        train("puzzle8", tmp_path / "m", steps=4, resume=True, **QUIET)
    train("puzzle8", tmp_path / "plain", steps=2, **QUIET)
    with pytest.raises(QsolveError, match="baseline"):
        train("puzzle8", tmp_path / "plain", steps=4, resume=True, baseline="manhattan", **QUIET)
    with pytest.raises(QsolveError, match="residual over manhattan"):
        train("puzzle8", tmp_path / "w", steps=1, init_from=str(tmp_path / "m"), **QUIET)
    args = ["train", "cube2", "--out", str(tmp_path / "c"), "--baseline", "manhattan", "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--baseline" in err


def test_a_residual_run_trains_with_either_data_path(tmp_path):
    for data in ("cpu", "device"):  # the device path adds the baseline on the host
        run = train("puzzle8", tmp_path / data, steps=3, baseline="manhattan", data=data, **QUIET)
        assert run.step == 3
        network, _ = load_model(tmp_path / data, get_domain("puzzle8"))
        assert network.baseline.name == "manhattan"
