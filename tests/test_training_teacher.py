"""Teacher targets (--targets teacher --teacher M) and warm starts (--init-from M)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_training import TINY, OracleNetwork, state_of

from qsolve.cli import main
from qsolve.domains import get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import get_heuristic
from qsolve.networks.encoding import one_hot
from qsolve.networks.heuristic import load_model
from qsolve.networks.resnet import ResidualMLP
from qsolve.paths import MODELS_DIR
from qsolve.training import TrainConfig, make_batch, train
from qsolve.training.targets import compute_targets
from qsolve.training.teacher import Teacher, init_weights, load_teacher

CPU = torch.device("cpu")


class ZeroWhereBlocked(torch.nn.Module):
    """An exact network that answers 0 for actions that do not apply: only a teacher that masks
    them with the states' own applicability still gives exact targets."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.exact = OracleNetwork(name, "q")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = self.exact(x)
        return torch.where(q >= 1e6, 0.0, q)


@pytest.mark.parametrize("kind", ["q", "v"])
@pytest.mark.parametrize("name", ["puzzle8", "cube2"])  # some children's moves blocked / none
def test_targets_from_an_exact_teacher_are_exact(name, kind):
    domain = get_domain(name)
    batch = make_batch(domain, 5, 0, 300, 40, None)
    teacher = Teacher(ZeroWhereBlocked(name), "q", same_domain=True)  # type: ignore[arg-type]
    config = TrainConfig(name, "unused", kind=kind, targets="teacher", teacher=name)
    y = compute_targets(domain, batch, None, None, config, CPU, teacher).numpy()  # type: ignore[arg-type]
    oracle = get_heuristic("oracle", domain)
    if kind == "v":
        np.testing.assert_array_equal(y, oracle.values(batch.states))
        return
    exact = np.take_along_axis(oracle.q_values(batch.states), batch.actions, axis=1)
    trained = batch.trained & ~batch.is_goal[:, None]
    np.testing.assert_array_equal(y[trained], exact[trained])
    assert np.all(y[batch.is_goal] == 0)


def test_a_cube3_teacher_values_the_children_of_cube3_meta_actions():
    meta, cube3 = get_domain("cube3-meta"), get_domain("cube3")
    batch = make_batch(meta, 1, 0, 40, 20, 16)
    teacher = load_teacher("cube3-small", meta, CPU)
    assert teacher.kind == "q" and not teacher.same_domain
    config = TrainConfig("cube3-meta", "u", targets="teacher", teacher="cube3-small")
    y = compute_targets(meta, batch, None, None, config, CPU, teacher).numpy()  # type: ignore[arg-type]
    network, _ = load_model(MODELS_DIR / "cube3-small", cube3)
    states = np.repeat(batch.states, batch.actions.shape[1], axis=0)
    children = meta.step(states, batch.actions.ravel())
    with torch.no_grad():
        v = network(one_hot(cube3, children, CPU)).min(dim=1).values.numpy()
    v = np.where(cube3.is_goal(children), 0.0, v).reshape(batch.actions.shape)
    expected = meta.action_costs[batch.actions] + v
    live = ~batch.is_goal
    np.testing.assert_allclose(y[live], expected[live], rtol=1e-5)
    assert (meta.action_costs[batch.actions] == 3).any()  # meta-actions are among those checked


def test_a_classical_teacher_gives_c_plus_its_value_of_the_child(tmp_path):
    domain = get_domain("puzzle15")
    batch = make_batch(domain, 3, 0, 60, 50, None)
    teacher = load_teacher("manhattan", domain, CPU)
    assert teacher.kind == "classical" and teacher.network is None
    config = TrainConfig("puzzle15", "u", targets="teacher", teacher="manhattan")
    y = compute_targets(domain, batch, None, None, config, CPU, teacher).numpy()  # type: ignore[arg-type]
    manhattan = get_heuristic("manhattan", domain)
    states = np.repeat(batch.states, batch.actions.shape[1], axis=0)
    children = domain.step(states, batch.actions.ravel())
    expected = (1.0 + manhattan.values(children)).reshape(batch.actions.shape)
    expected[domain.is_goal(children).reshape(batch.actions.shape)] = 1.0
    trained = batch.trained & ~batch.is_goal[:, None]
    np.testing.assert_array_equal(y[trained], expected[trained])
    for data in ("cpu", "device"):  # a run trains on them with either data path
        run = train(
            "puzzle8", tmp_path / data, steps=3, targets="teacher", teacher="manhattan",
            data=data, batch_size=64, threads=1, eval_every=10_000, progress=False,
        )  # fmt: skip
        assert run.step == 3


def test_a_classical_teacher_must_suit_the_domain(tmp_path):
    with pytest.raises(QsolveError, match="only defined for sliding puzzles"):
        train("cube2", tmp_path / "a", steps=1, targets="teacher", teacher="manhattan", **TINY)


def test_init_from_copies_the_trunk_and_the_rows_of_actions_named_alike():
    meta, cube3 = get_domain("cube3-meta"), get_domain("cube3")
    source, _ = load_model(MODELS_DIR / "cube3-small", cube3)
    arch = TrainConfig("cube3-meta", "u", width1=500, width2=250, blocks=2).architecture(meta)
    student = ResidualMLP(arch)
    assert init_weights(student, "cube3-small", meta, "q") == 12
    states = cube3.random_walk(np.arange(30), np.random.default_rng(0))
    with torch.no_grad():
        theirs = source(one_hot(cube3, states, CPU)).numpy()
        ours = student(one_hot(meta, states, CPU)).numpy()
    base = [meta.action_names.index(name) for name in cube3.action_names]
    np.testing.assert_allclose(ours[:, base], theirs, rtol=1e-5)
    new = np.setdiff1d(np.arange(meta.num_actions), base)
    # Each new action starts from the mean of the copied rows: one estimate for all of them.
    np.testing.assert_allclose(ours[:, new], ours[:, new[:1]].repeat(len(new), axis=1), rtol=1e-6)


@pytest.mark.parametrize("data", ["cpu", "device"])
def test_a_distilled_run_resumes_exactly_and_starts_from_its_init_model(tmp_path, data):
    options = {
        "data": data,
        "targets": "teacher",
        "teacher": "puzzle8",
        "init_from": "puzzle8",
        "batch_size": 64,
        "threads": 1,
        "seed": 4,
        "eval_every": 10_000,
        "progress": False,
    }
    first = train("puzzle8", tmp_path / "first", steps=1, **{**options, "lr": 1e-9})
    assert first.step == 1  # a new run: it counts from 0, not from the init model's step
    shipped, _ = load_model(MODELS_DIR / "puzzle8", get_domain("puzzle8"))
    for key, value in shipped.state_dict().items():  # one Adam step of 1e-9 from its weights
        torch.testing.assert_close(
            state_of(tmp_path / "first")["online"][key], value, atol=1e-6, rtol=0
        )
    train("puzzle8", tmp_path / "whole", steps=6, **options)
    train("puzzle8", tmp_path / "split", steps=2, **options)
    resumed = {k: v for k, v in options.items() if k != "init_from"}
    train("puzzle8", tmp_path / "split", steps=6, resume=True, **resumed)
    whole, split = state_of(tmp_path / "whole"), state_of(tmp_path / "split")
    for key, value in whole["online"].items():
        assert torch.equal(value, split["online"][key]), key


def test_teacher_and_init_options_are_checked_before_training(tmp_path, capsys):
    with pytest.raises(QsolveError, match="go together"):
        TrainConfig("puzzle8", "u", targets="teacher")
    with pytest.raises(QsolveError, match="go together"):
        TrainConfig("puzzle8", "u", teacher="puzzle8")
    with pytest.raises(QsolveError, match="--init-from starts a new run"):
        TrainConfig("puzzle8", "u", init_from="puzzle8", resume=True)
    with pytest.raises(QsolveError, match="a model of puzzle8 cannot be used for cube3-meta"):
        train("cube3-meta", tmp_path / "a", steps=1, targets="teacher", teacher="puzzle8", **TINY)
    with pytest.raises(QsolveError, match="no model folder at nowhere"):
        train("puzzle8", tmp_path / "b", steps=1, targets="teacher", teacher="nowhere", **TINY)
    with pytest.raises(QsolveError, match="sizes"):
        train("puzzle8", tmp_path / "c", steps=1, init_from="puzzle8", **TINY)
    with pytest.raises(QsolveError, match="empty"):
        train("puzzle8", tmp_path / "d", steps=1, targets="teacher", teacher=" ", **TINY)
    out = str(tmp_path / "e")
    args = ["train", "puzzle15", "--out", out, "--targets", "teacher", "--teacher", "puzzle8"]
    assert main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot be used for puzzle15" in err
