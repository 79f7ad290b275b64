"""Averaging a network over a domain's symmetries: the Lights Out symmetries as exact facts of
the press algebra, the averaged heuristic's invariance, and where the option enters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import qsolve
from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.domains.lightsout import LightsOut
from qsolve.errors import QsolveError
from qsolve.networks import Architecture, NetworkHeuristic, ResidualMLP, load_heuristic
from qsolve.training.checkpoint import save_model

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def boards(domain: LightsOut, seed: int, n: int = 40) -> np.ndarray:
    """Uniformly random boards (every one solvable on 7x7, whose press matrix is invertible)."""
    rng = np.random.default_rng(seed)
    states = rng.integers(0, 2, size=(n, domain.state_dim)).astype(domain.dtype)
    return states[domain.solvable(states)]


def network(domain_name: str, kind: str = "q", seed: int = 0) -> ResidualMLP:
    domain = get_domain(domain_name)
    torch.manual_seed(seed)
    outputs = domain.num_actions if kind == "q" else 1
    return ResidualMLP(Architecture(domain.encoding_dim, outputs, 32, 16, 1))


def model_folder(path, domain_name: str, extra: dict | None = None):
    model = network(domain_name)
    config = {
        "format": "qsolve-model/1",
        "domain": domain_name,
        "kind": "q",
        "architecture": model.arch.to_dict(),
        **(extra or {}),
    }
    save_model(path, model, config)
    return path


def test_the_identity_comes_first_and_other_domains_have_only_it():
    lights = LightsOut(7)
    maps = lights.symmetries()
    assert len(maps) == 8
    np.testing.assert_array_equal(maps[0][0], np.arange(49))
    assert len({tuple(cells) for cells, _ in maps}) == 8  # 8 distinct maps
    for cells, actions in maps:
        assert sorted(cells.tolist()) == list(range(49))  # each a permutation
        np.testing.assert_array_equal(cells, actions)
    for name in ("puzzle8", "cube2"):
        [(cells, actions)] = get_domain(name).symmetries()
        np.testing.assert_array_equal(cells, np.arange(get_domain(name).state_dim))


@settings(max_examples=30, deadline=None)
@given(seed=seeds, size=st.sampled_from([3, 4, 5, 7]))
def test_a_symmetry_commutes_with_every_press_and_keeps_the_optimal_cost(seed, size):
    domain = LightsOut(size)
    rng = np.random.default_rng(seed)
    states = domain.random_walk(rng.integers(0, 30, size=32), rng)
    presses = rng.integers(0, domain.num_actions, size=32)
    for cells, actions in domain.symmetries():
        mapped = states[:, cells]
        # action i on the mapped board is action actions[i] on the board
        np.testing.assert_array_equal(
            domain.step(states, actions[presses])[:, cells], domain.step(mapped, presses)
        )
        np.testing.assert_array_equal(domain.optimal_cost(mapped), domain.optimal_cost(states))


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_the_averaged_q_values_are_invariant_and_the_mean_of_the_mapped_ones(seed):
    domain = LightsOut(7)
    states = boards(domain, seed)
    plain = NetworkHeuristic(domain, network("lightsout7"), device="cpu")
    averaged = NetworkHeuristic(domain, network("lightsout7"), device="cpu", symmetries=True)
    q = averaged.q_values(states)
    by_hand = np.zeros_like(q)
    for cells, actions in domain.symmetries():
        by_hand[:, actions] += plain.q_values(states[:, cells])
    np.testing.assert_allclose(q, by_hand / 8, rtol=1e-5, atol=1e-5)
    for cells, actions in domain.symmetries():
        np.testing.assert_allclose(
            averaged.q_values(states[:, cells]), q[:, actions], rtol=1e-5, atol=1e-5
        )
    np.testing.assert_allclose(averaged.values(states), q.min(axis=1), rtol=1e-6)


def test_chunks_smaller_than_the_mapped_batch_give_the_same_values():
    domain = LightsOut(7)
    states = boards(domain, 1)
    whole = NetworkHeuristic(domain, network("lightsout7"), device="cpu", symmetries=True)
    chunked = NetworkHeuristic(
        domain, network("lightsout7"), device="cpu", heuristic_batch=7, symmetries=True
    )
    np.testing.assert_allclose(chunked.q_values(states), whole.q_values(states), rtol=1e-6)


def test_a_model_says_whether_to_average_and_the_caller_can_override(tmp_path):
    domain = LightsOut(7)
    states = boards(domain, 2)
    folder = model_folder(tmp_path, "lightsout7", {"symmetries": True})
    assert len(load_heuristic(folder, domain, device="cpu").symmetry_maps) == 8
    assert load_heuristic(folder, domain, device="cpu", symmetries=False).symmetry_maps == []
    on = qsolve.load_heuristic(str(folder), domain, device="cpu").q_values(states)
    off = qsolve.load_heuristic(str(folder), domain, device="cpu", symmetries=False)
    assert not np.allclose(on, off.q_values(states))


def test_symmetries_where_there_are_none_or_no_network_are_clear_errors(tmp_path):
    with pytest.raises(QsolveError, match="puzzle8 has no symmetries"):
        NetworkHeuristic(get_domain("puzzle8"), network("puzzle8"), device="cpu", symmetries=True)
    with pytest.raises(QsolveError, match="only a trained model"):
        qsolve.load_heuristic("manhattan", "puzzle8", symmetries=True)
    with pytest.raises(QsolveError, match="True, False or None"):
        qsolve.load_heuristic(None, "puzzle8", symmetries="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_bad_symmetries_entry_in_a_model_is_a_one_line_error(tmp_path, value, capsys):
    folder = model_folder(tmp_path, "lightsout5", {"symmetries": value})
    code = main(["solve", "lightsout5", "--random-walk", "3", "--heuristic", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and '"symmetries"' in err


def test_the_command_line_turns_them_on_and_off(tmp_path, capsys):
    folder = model_folder(tmp_path, "lightsout5")
    base = ["solve", "lightsout5", "--random-walk", "4", "--seed", "3", "--json"]
    base += ["--heuristic", str(folder), "--batch-size", "1"]
    for flag in ("on", "off", "auto"):
        assert main([*base, "--symmetries", flag]) == 0
    assert main(["solve", "puzzle8", "--random-walk", "3", "--symmetries", "on"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("has no symmetries to average the network over")


def test_the_shipped_lightsout7_model_solves_uniform_boards_optimally_with_its_defaults():
    domain = LightsOut(7)
    states = boards(domain, 5, n=6)
    results = qsolve.solve(domain, states, time_limit=60)
    for state, result in zip(states, results, strict=True):
        assert result.solved
        np.testing.assert_array_equal(domain.apply_moves(state, result.actions), domain.goal)
        assert result.cost == domain.optimal_cost(state[None])[0]
