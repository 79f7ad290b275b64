"""The network heuristic and model folders: encoding, masking, chunking, and clear load errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.networks import Architecture, NetworkHeuristic, ResidualMLP, load_heuristic
from qsolve.training.checkpoint import save_model


def small_model(domain_name: str, kind: str = "q", seed: int = 0) -> ResidualMLP:
    domain = get_domain(domain_name)
    torch.manual_seed(seed)
    outputs = domain.num_actions if kind == "q" else 1
    return ResidualMLP(Architecture(domain.encoding_dim, outputs, 32, 16, 1))


def model_folder(tmp_path, domain_name: str = "puzzle8", kind: str = "q"):
    model = small_model(domain_name, kind)
    arch = model.arch.to_dict()
    save_model(
        tmp_path,
        model,
        {"format": "qsolve-model/1", "domain": domain_name, "kind": kind, "architecture": arch},
    )
    return tmp_path


def walks(domain_name: str, n: int = 50, seed: int = 0) -> np.ndarray:
    domain = get_domain(domain_name)
    rng = np.random.default_rng(seed)
    return domain.random_walk(rng.integers(0, 30, size=n), rng)


def test_outputs_are_non_negative_and_inf_exactly_where_inapplicable():
    domain = get_domain("puzzle8")
    states = walks("puzzle8")
    q = NetworkHeuristic(domain, small_model("puzzle8"), device="cpu").q_values(states)
    assert q.dtype == np.float32 and q.shape == (len(states), 4)
    assert np.array_equal(np.isinf(q), ~domain.applicable(states))
    assert np.all(q[np.isfinite(q)] >= 0)


@pytest.mark.parametrize("domain_name", ["puzzle8", "cube2", "lightsout5"])
def test_q_values_are_the_network_outputs_masked_by_applicability(domain_name):
    domain = get_domain(domain_name)
    states = walks(domain_name)
    network = NetworkHeuristic(domain, small_model(domain_name), device="cpu")
    # Domains where every action always applies skip the mask; the values are the same.
    assert network.every_action_applies == bool(domain.applicable(states).all())
    with torch.no_grad():
        raw = network.model(torch.from_numpy(domain.encode(states))).numpy()
    expected = np.where(domain.applicable(states), raw, np.float32(np.inf))
    assert np.allclose(network.q_values(states), expected, rtol=1e-5, atol=1e-5)
    assert np.array_equal(np.isinf(network.q_values(states)), np.isinf(expected))


def test_chunked_evaluation_matches_one_call():
    domain = get_domain("cube2")
    states = walks("cube2", n=37)
    model = small_model("cube2")
    whole = NetworkHeuristic(domain, model, device="cpu").q_values(states)
    chunked = NetworkHeuristic(domain, model, device="cpu", heuristic_batch=5).q_values(states)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)
    values = NetworkHeuristic(domain, model, device="cpu", heuristic_batch=5).values(states)
    expected = np.where(domain.is_goal(states), 0.0, whole.min(axis=1))
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-6)


def test_v_network_values_are_zero_at_the_goal_and_q_values_add_action_costs():
    domain = get_domain("puzzle8")
    heuristic = NetworkHeuristic(domain, small_model("puzzle8", "v"), kind="v", device="cpu")
    states = np.concatenate([domain.goal[None, :], walks("puzzle8", n=10)])
    values = heuristic.values(states)
    assert values[0] == 0.0 and np.all(values >= 0)
    children, mask = domain.expand(states)
    q = heuristic.q_values(states)
    child_values = heuristic.values(children.reshape(-1, domain.state_dim)).reshape(mask.shape)
    np.testing.assert_allclose(q[mask], (1.0 + child_values)[mask], rtol=1e-6)
    assert np.all(np.isinf(q[~mask]))


def test_round_trip_through_a_model_folder_in_half_precision(tmp_path):
    model_folder(tmp_path)
    domain = get_domain("puzzle8")
    loaded = load_heuristic(tmp_path, domain, device="cpu")
    states = walks("puzzle8")
    expected = NetworkHeuristic(domain, small_model("puzzle8"), device="cpu").q_values(states)
    np.testing.assert_allclose(loaded.q_values(states), expected, rtol=2e-2, atol=2e-2)
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())


def test_model_for_another_domain_is_rejected(tmp_path):
    model_folder(tmp_path, "puzzle15")
    with pytest.raises(QsolveError, match=r"was trained for puzzle15, not cube2"):
        load_heuristic(tmp_path, get_domain("cube2"))


def test_missing_folder_and_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(QsolveError, match="no model folder"):
        load_heuristic(tmp_path / "absent", get_domain("puzzle8"))
    with pytest.raises(QsolveError, match=r"model.safetensors and config.json expected"):
        load_heuristic(tmp_path, get_domain("puzzle8"))


def test_corrupted_weights_give_a_one_line_error(tmp_path):
    model_folder(tmp_path)
    file = tmp_path / "model.safetensors"
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])  # truncated, as by a failed copy
    with pytest.raises(QsolveError, match="corrupted") as info:
        load_heuristic(tmp_path, get_domain("puzzle8"))
    assert "\n" not in str(info.value)
    file.write_bytes(b"\x00" * 100)
    with pytest.raises(QsolveError, match="corrupted"):
        load_heuristic(tmp_path, get_domain("puzzle8"))


def test_corrupted_config_and_mismatched_architecture_are_clear_errors(tmp_path):
    model_folder(tmp_path)
    config_file = tmp_path / "config.json"
    config = json.loads(config_file.read_text())
    config_file.write_text("{not json")
    with pytest.raises(QsolveError, match=r"config\.json"):
        load_heuristic(tmp_path, get_domain("puzzle8"))
    config["architecture"]["width1"] = 64
    config_file.write_text(json.dumps(config))
    with pytest.raises(QsolveError, match="does not match"):
        load_heuristic(tmp_path, get_domain("puzzle8"))


def test_scale_in_config_multiplies_the_estimates(tmp_path):
    model_folder(tmp_path)
    domain = get_domain("puzzle8")
    states = walks("puzzle8")
    plain = load_heuristic(tmp_path, domain, device="cpu").q_values(states)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "scale": 0.5}))
    halved = load_heuristic(tmp_path, domain, device="cpu").q_values(states)
    np.testing.assert_allclose(halved, plain * 0.5, rtol=1e-6)
    explicit = load_heuristic(tmp_path, domain, device="cpu", scale=1.0).q_values(states)
    np.testing.assert_array_equal(explicit, plain)


def test_int8_precision_stays_close_to_fp32_and_keeps_the_mask(tmp_path):
    folder = model_folder(tmp_path, "cube2")
    domain = get_domain("cube2")
    states = walks("cube2", 200)
    fp32 = load_heuristic(folder, domain, device="cpu").q_values(states)
    int8 = load_heuristic(folder, domain, device="cpu", precision="int8").q_values(states)
    finite = np.isfinite(fp32)
    np.testing.assert_array_equal(np.isfinite(int8), finite)
    assert np.abs(int8[finite] - fp32[finite]).max() < 0.05 * np.abs(fp32[finite]).max()
    assert not np.array_equal(int8, fp32)  # the quantized network did run


def test_unknown_precision_is_a_clear_error(tmp_path):
    with pytest.raises(QsolveError, match="unknown precision"):
        load_heuristic(model_folder(tmp_path), get_domain("puzzle8"), precision="fp8")
