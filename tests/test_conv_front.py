"""The convolutional front: its architecture round-trips through config.json, it reads the one-hot
input as the domain's grid, every engine computes the same values, and a resumed run keeps it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from qsolve import train
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.networks import Architecture, ResidualMLP, engines, load_heuristic
from qsolve.training.checkpoint import save_model

SOKOBAN = get_domain("sokoban")


def conv_model(seed: int = 0) -> ResidualMLP:
    torch.manual_seed(seed)
    return ResidualMLP(Architecture(SOKOBAN.encoding_dim, 4, 64, 32, 1, 8, 2, 10, 10))


def test_parameter_count_and_config_round_trip() -> None:
    model = conv_model()
    arch = model.arch
    assert arch.parameter_count() == sum(p.numel() for p in model.parameters())
    assert Architecture(**json.loads(json.dumps(arch.to_dict()))) == arch
    dense = Architecture(SOKOBAN.encoding_dim, 4, 64, 32, 1)
    assert "conv_channels" not in dense.to_dict()  # dense configs are written as before
    assert dense.parameter_count() == sum(p.numel() for p in ResidualMLP(dense).parameters())


def test_the_front_sees_the_board_as_a_picture_of_its_cell_values() -> None:
    # A convolution that copies channel v (the cells holding value v) reads the one-hot input
    # laid out as entry d's value at column d * V + v.
    model = conv_model()
    assert model.front is not None
    states = SOKOBAN.random_walk(np.array([5, 9]), np.random.default_rng(0))
    x = torch.from_numpy(SOKOBAN.encode(states))
    grid = x.reshape(2, 10, 10, 7).permute(0, 3, 1, 2)
    for value in range(7):
        assert torch.equal(grid[:, value].flatten(1), torch.from_numpy(states == value).float())


@pytest.mark.skipif(not engines.onnxruntime_available(), reason="onnxruntime is not installed")
def test_torch_and_onnx_give_the_same_values(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("QSOLVE_CACHE", str(tmp_path / "cache"))
    model = conv_model()
    config = {"format": "qsolve-model/1", "domain": "sokoban", "kind": "q"}
    (tmp_path / "m").mkdir()
    save_model(tmp_path / "m", model, config | {"architecture": model.arch.to_dict()})
    states = SOKOBAN.random_walk(np.arange(12), np.random.default_rng(1))
    q = {
        engine: load_heuristic(tmp_path / "m", SOKOBAN, engine=engine, precision="fp32").q_values(
            states
        )
        for engine in ("torch", "onnx")
    }
    finite = np.isfinite(q["torch"])
    assert np.array_equal(finite, np.isfinite(q["onnx"]))
    assert np.abs(q["torch"][finite] - q["onnx"][finite]).max() <= 1e-4


def test_training_with_a_front_resumes_with_it_and_refuses_a_domain_without_a_grid(tmp_path):
    out = tmp_path / "run"
    options = {"batch_size": 32, "eval_every": 2, "progress": False, "width1": 32, "width2": 16}
    train("sokoban", out, steps=2, conv_channels=4, conv_layers=1, blocks=0, **options)
    arch = json.loads((out / "config.json").read_text())["architecture"]
    assert (arch["conv_channels"], arch["conv_layers"], arch["grid_height"]) == (4, 1, 10)
    summary = train("sokoban", out, steps=4, resume=True, blocks=0, **options)
    assert summary.step == 4
    with pytest.raises(QsolveError, match="conv_channels"):
        train("sokoban", out, steps=6, resume=True, conv_channels=8, blocks=0, **options)
    with pytest.raises(QsolveError, match="not a grid"):
        train("cube2", tmp_path / "cube", steps=1, conv_channels=4, **options)
