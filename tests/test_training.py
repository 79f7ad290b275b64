"""Training: exact targets, resume equivalence, atomic checkpoints, Ctrl-C, a real puzzle8 run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import qsolve
from qsolve.cli import main
from qsolve.domains import DOMAINS, get_domain
from qsolve.errors import QsolveError
from qsolve.heuristics import get_heuristic
from qsolve.networks import load_heuristic
from qsolve.networks.encoding import one_hot
from qsolve.search import Limits, qstar_search
from qsolve.training import TrainConfig, make_batch, train
from qsolve.training.checkpoint import RESUME_FILE, load_resume
from qsolve.training.loop import Callback, Trainer, with_greedy_actions
from qsolve.training.targets import compute_targets

TINY = {"width1": 32, "width2": 16, "blocks": 1, "batch_size": 64, "threads": 1}


class OracleNetwork(torch.nn.Module):
    """A stand-in Q (or V) network: reads states back from the one-hot input, answers exactly."""

    def __init__(self, domain_name: str, kind: str) -> None:
        super().__init__()
        self.domain = get_domain(domain_name)
        self.oracle = get_heuristic("oracle", self.domain)
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = self.domain
        states = x.view(len(x), d.state_dim, d.num_values).argmax(dim=2).numpy().astype(d.dtype)
        if self.kind == "v":
            return torch.from_numpy(self.oracle.values(states)[:, None]).float()
        q = self.oracle.q_values(states)
        return torch.from_numpy(np.where(np.isfinite(q), q, 1e6)).float()


@pytest.mark.parametrize("kind", ["q", "v"])
@pytest.mark.parametrize("double_q", [False, True])
@pytest.mark.parametrize("name", ["puzzle8", "cube2"])  # some children's moves blocked / none
def test_targets_from_an_exact_network_are_exact(kind, double_q, name):
    if kind == "v" and double_q:
        pytest.skip("double Q applies to Q networks")
    domain = get_domain(name)
    config = TrainConfig(name, "unused", kind=kind, double_q=double_q, batch_size=300)
    batch = make_batch(
        domain, seed=3, step=0, batch_size=300, scramble_max=40, actions_per_state=None
    )
    assert batch.is_goal.any()  # walks of length 0 are in the batch
    assert (batch.child_applicable is None) == (name == "cube2")
    exact = OracleNetwork(name, kind)
    y = compute_targets(domain, batch, exact, exact, config, torch.device("cpu")).numpy()  # type: ignore[arg-type]
    oracle = get_heuristic("oracle", domain)
    if kind == "v":
        np.testing.assert_array_equal(y, oracle.values(batch.states))
    else:
        q_exact = np.take_along_axis(oracle.q_values(batch.states), batch.actions, axis=1)
        trained = batch.trained & ~batch.is_goal[:, None]
        np.testing.assert_array_equal(y[trained], q_exact[trained])
        assert np.all(y[batch.is_goal] == 0)


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_the_network_input_made_on_the_device_is_the_domains_one_hot_encoding(name):
    domain = get_domain(name)
    states = domain.random_walk(np.arange(20), np.random.default_rng(0))
    made = one_hot(domain, states, torch.device("cpu"))
    assert made.dtype == torch.float32
    np.testing.assert_array_equal(made.numpy(), domain.encode(states))
    # Batches leave out the child mask exactly where the domain says every action applies.
    assert domain.every_action_applies == bool(domain.applicable(states).all())


def test_batches_depend_only_on_seed_and_step_and_sampled_actions_are_applicable():
    domain = get_domain("puzzle8")
    a = make_batch(domain, 1, 5, 50, 20, None)
    b = make_batch(domain, 1, 5, 50, 20, None)
    c = make_batch(domain, 1, 6, 50, 20, None)
    assert np.array_equal(a.states, b.states) and not np.array_equal(a.states, c.states)
    sampled = make_batch(domain, 1, 5, 50, 20, 2)
    assert sampled.actions.shape == (50, 2)
    # Every puzzle8 state has at least two applicable moves, and sampling prefers them.
    assert sampled.trained.all()


def state_of(out) -> dict:
    saved = load_resume(out)
    assert saved is not None
    return saved


def test_resume_gives_exactly_the_weights_of_an_uninterrupted_run(tmp_path):
    options = dict(
        TINY, seed=7, target_update=7, loss_threshold=0.5, eval_every=10_000, progress=False
    )
    train("puzzle8", tmp_path / "whole", steps=30, **options)
    train("puzzle8", tmp_path / "split", steps=13, **options)
    train("puzzle8", tmp_path / "split", steps=30, resume=True, **options)
    whole, split = state_of(tmp_path / "whole"), state_of(tmp_path / "split")
    for key in ("step", "since_target", "recent_loss", "target_updates", "last_loss"):
        assert whole["progress"][key] == split["progress"][key], key
    assert whole["progress"]["step"] == 30
    assert whole["progress"]["target_updates"] >= 2
    for net in ("online", "target"):
        for name, tensor in whole[net].items():
            assert torch.equal(tensor, split[net][name]), f"{net}.{name} differs"
    for a, b in zip(
        whole["optimizer"]["state"].values(), split["optimizer"]["state"].values(), strict=True
    ):
        assert torch.equal(a["exp_avg"], b["exp_avg"]) and torch.equal(
            a["exp_avg_sq"], b["exp_avg_sq"]
        )


def test_resume_without_size_options_keeps_the_checkpoints_architecture(tmp_path):
    train("puzzle8", tmp_path, steps=2, eval_every=10_000, progress=False, **TINY)
    options = {k: v for k, v in TINY.items() if k not in ("width1", "width2", "blocks")}
    summary = train(
        "puzzle8", tmp_path, steps=4, resume=True, eval_every=10_000, progress=False, **options
    )
    assert summary.step == 4
    arch = state_of(tmp_path)["config"]
    assert (arch["width1"], arch["width2"], arch["blocks"]) == (32, 16, 1)


def test_resume_from_shipped_weights_alone_counts_on_from_their_step(tmp_path):
    train("puzzle8", tmp_path, steps=3, eval_every=10_000, progress=False, **TINY)
    (tmp_path / RESUME_FILE).unlink()  # as shipped: weights and config.json only
    summary = train(
        "puzzle8", tmp_path, steps=5, resume=True, eval_every=10_000, progress=False, **TINY
    )
    assert summary.step == 5
    assert load_heuristic(tmp_path, get_domain("puzzle8")) is not None


@pytest.mark.parametrize("weights_only", [False, True])
def test_a_resumed_model_keeps_its_usage_settings_not_its_int8_check(tmp_path, weights_only):
    train("lightsout5", tmp_path, steps=3, eval_every=10_000, progress=False, **TINY)
    file = tmp_path / "config.json"
    usage = {"search": {"weight": 0.6, "batch_size": 10}, "symmetries": True}
    file.write_text(json.dumps({**json.loads(file.read_text()), **usage, "int8_checked": {}}))
    if weights_only:
        (tmp_path / RESUME_FILE).unlink()
    train("lightsout5", tmp_path, steps=5, resume=True, eval_every=10_000, progress=False, **TINY)
    config = json.loads(file.read_text())
    assert config["step"] == 5
    assert {key: config[key] for key in usage} == usage
    assert "int8_checked" not in config
    heuristic = load_heuristic(tmp_path, get_domain("lightsout5"))
    assert heuristic.symmetry_maps  # the continued network is averaged, as its config says


def test_worker_processes_make_the_same_batches(tmp_path):
    options = dict(TINY, seed=3, steps=6, eval_every=10_000, progress=False)
    train("cube2", tmp_path / "here", **options)
    train("cube2", tmp_path / "workers", workers=1, **options)
    here, workers = state_of(tmp_path / "here"), state_of(tmp_path / "workers")
    for name, tensor in here["online"].items():
        assert torch.equal(tensor, workers["online"][name]), name


def test_checkpoint_round_trip_loads_as_a_heuristic_close_to_the_trained_network(tmp_path):
    summary = train("puzzle8", tmp_path, steps=5, eval_every=5, progress=False, **TINY)
    assert (
        summary.step == 5
        and (tmp_path / "metrics.csv").is_file()
        and (tmp_path / "training.png").is_file()
    )
    domain = get_domain("puzzle8")
    heuristic = load_heuristic(tmp_path, domain, device="cpu")
    saved = state_of(tmp_path)
    full = load_heuristic(tmp_path, domain, device="cpu")
    full.model.load_state_dict(saved["online"])
    states = domain.random_walk(np.full(20, 15), np.random.default_rng(0))
    np.testing.assert_allclose(
        heuristic.q_values(states), full.q_values(states), rtol=1e-2, atol=1e-2
    )


def test_keep_evals_keeps_a_loadable_model_per_evaluation(tmp_path):
    train("puzzle8", tmp_path, steps=6, eval_every=3, keep_evals=True, progress=False, **TINY)
    kept = sorted(p.name for p in (tmp_path / "evals").iterdir())
    assert kept == ["step-3", "step-6"]
    domain = get_domain("puzzle8")
    states = domain.random_walk(np.full(10, 12), np.random.default_rng(0))
    early = load_heuristic(tmp_path / "evals" / "step-3", domain, device="cpu")
    last = load_heuristic(tmp_path / "evals" / "step-6", domain, device="cpu")
    final = load_heuristic(tmp_path, domain, device="cpu")
    assert json.loads((tmp_path / "evals" / "step-3" / "config.json").read_text())["step"] == 3
    np.testing.assert_array_equal(last.q_values(states), final.q_values(states))
    assert not np.array_equal(early.q_values(states), final.q_values(states))


def test_bad_options_and_missing_checkpoints_are_qsolve_errors(tmp_path):
    with pytest.raises(QsolveError, match="no checkpoint"):
        train("puzzle8", tmp_path, steps=1, resume=True, progress=False)
    with pytest.raises(QsolveError, match="unknown training option"):
        train("puzzle8", tmp_path, stepz=1)
    with pytest.raises(QsolveError, match="double-q"):
        train("puzzle8", tmp_path, kind="v", double_q=True)
    train("puzzle8", tmp_path, steps=1, progress=False, **TINY)
    with pytest.raises(QsolveError, match="width1"):
        train("puzzle8", tmp_path, steps=2, resume=True, progress=False, **{**TINY, "width1": 64})
    assert main(["train", "cube2", "--out", str(tmp_path / "none"), "--resume", "--quiet"]) == 2


SAVER = textwrap.dedent(
    """
    import sys, torch
    from pathlib import Path
    from qsolve.networks import Architecture, ResidualMLP
    from qsolve.training.checkpoint import save_model, save_resume
    folder = Path(sys.argv[1])
    model = ResidualMLP(Architecture(81, 4, 1024, 512, 2))
    config = {"format": "qsolve-model/1", "domain": "puzzle8", "kind": "q",
              "architecture": model.arch.to_dict()}
    print("ready", flush=True)
    while True:
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.01)
        save_model(folder, model, config)
        save_resume(folder, {"online": model.state_dict(), "big": torch.rand(2_000_000)})
    """
)


def test_a_kill_during_saving_leaves_a_loadable_checkpoint(tmp_path):
    domain = get_domain("puzzle8")
    for delay in (0.05, 0.3, 0.7):
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(tmp_path)], stdout=subprocess.PIPE
        )
        assert saver.stdout is not None and saver.stdout.readline().strip() == b"ready"
        while not (tmp_path / RESUME_FILE).exists():
            time.sleep(0.01)
        time.sleep(delay)
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        heuristic = load_heuristic(tmp_path, domain, device="cpu")
        assert heuristic.q_values(domain.goal[None, :]).shape == (1, 4)
        assert set(state_of(tmp_path)) == {"online", "big"}


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    command = [
        sys.executable, "-c", "import sys; from qsolve.cli import main; sys.exit(main())",
        "train", "puzzle8", "--out", str(tmp_path), "--steps", "1000000", "--eval-every", "20",
        "--width1", "32", "--width2", "16", "--blocks", "1", "--batch-size", "32",
        "--threads", "1", "--quiet",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ}
    )
    deadline = time.time() + 60
    while not (tmp_path / RESUME_FILE).exists() and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr
    assert b"--resume" in stdout
    assert state_of(tmp_path)["progress"]["step"] >= 20
    load_heuristic(tmp_path, get_domain("puzzle8"), device="cpu")


def test_a_minute_of_puzzle8_training_lets_qstar_solve_random_states_near_optimally(tmp_path):
    # About 50 s on one core: 2000 steps of 256 states, all four actions of each.
    options = {"width1": 256, "width2": 128, "blocks": 1, "batch_size": 256, "threads": 1}
    train(
        "puzzle8",
        tmp_path,
        steps=2000,
        target_update=50,
        eval_every=2000,
        progress=False,
        **options,
    )
    domain = get_domain("puzzle8")
    heuristic = load_heuristic(tmp_path, domain, device="cpu")
    rng = np.random.default_rng(2024)
    starts = domain.random_walk(np.full(30, 1000), rng)  # as good as uniformly random states
    optimal = get_heuristic("oracle", domain).values(starts)
    results = [
        qstar_search(domain, heuristic, s, batch_size=10, limits=Limits(max_nodes=20_000))
        for s in starts
    ]
    assert all(r.solved for r in results)
    for start, r in zip(starts, results, strict=True):
        assert domain.is_goal(domain.apply_moves(start, r.actions)[None, :])[0]
    excess = np.array([r.cost for r in results]) - optimal
    assert excess.min() >= 0 and excess.max() <= 4 and excess.mean() <= 1.0


def test_greedy_actions_are_the_online_networks_best_unsampled_ones():
    domain = get_domain("puzzle8")
    batch = make_batch(domain, seed=4, step=2, batch_size=200, scramble_max=30, actions_per_state=3)
    exact = OracleNetwork("puzzle8", "q")
    greedy = with_greedy_actions(domain, batch, exact, 1, torch.device("cpu"))  # type: ignore[arg-type]
    q = get_heuristic("oracle", domain).q_values(batch.states)
    q[np.arange(200)[:, None], batch.actions[:, 1:]] = np.inf
    picked = q[np.arange(200), greedy.actions[:, 0]]
    np.testing.assert_array_equal(picked, q.min(axis=1))
    np.testing.assert_array_equal(greedy.actions[:, 1:], batch.actions[:, 1:])
    expected = domain.step(np.repeat(batch.states, 3, axis=0), greedy.actions.reshape(-1))
    np.testing.assert_array_equal(greedy.children, expected)
    applicable = np.take_along_axis(domain.applicable(batch.states), greedy.actions, axis=1)
    np.testing.assert_array_equal(greedy.trained, applicable)
    config = TrainConfig("puzzle8", "unused", actions_per_state=3, greedy_actions=1)
    y = compute_targets(domain, greedy, exact, exact, config, torch.device("cpu")).numpy()  # type: ignore[arg-type]
    exact_q = np.take_along_axis(
        get_heuristic("oracle", domain).q_values(batch.states), greedy.actions, axis=1
    )
    mask = greedy.trained & ~batch.is_goal[:, None]
    np.testing.assert_array_equal(y[mask], exact_q[mask])


def test_the_scramble_ramp_grows_the_longest_walk_from_one_and_is_a_function_of_the_step():
    config = TrainConfig("lightsout7", "unused", scramble_max=50, scramble_ramp=100)
    limits = [config.walk_limit(step) for step in range(120)]
    assert limits[0] == 1 and limits[99] == 50 and set(limits[100:]) == {50}
    assert limits == sorted(limits)
    assert TrainConfig("lightsout7", "unused").walk_limit(0) == 50  # no ramp by default
    domain = get_domain("lightsout7")
    early = make_batch(domain, 0, 0, 200, config.walk_limit(0), None)
    assert domain.optimal_cost(early.states).max() <= 1
    with pytest.raises(QsolveError, match="scramble-ramp"):
        TrainConfig("lightsout7", "unused", scramble_ramp=-1)


def test_resume_with_a_scramble_ramp_gives_exactly_the_weights_of_an_uninterrupted_run(tmp_path):
    options = {**TINY, "seed": 3, "eval_every": 10_000, "scramble_ramp": 5}
    train("lightsout5", tmp_path / "whole", progress=False, steps=6, **options)
    train("lightsout5", tmp_path / "split", progress=False, steps=3, **options)
    train("lightsout5", tmp_path / "split", progress=False, steps=6, resume=True, **options)
    whole, split = state_of(tmp_path / "whole"), state_of(tmp_path / "split")
    for key, value in whole["online"].items():
        assert torch.equal(value, split["online"][key]), key


# -- sources and target kinds ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["puzzle8", "cube2"])
@pytest.mark.parametrize("source", ["walk", "nbwalk"])
def test_walk_bounds_are_never_below_the_true_distance(name, source):
    domain = get_domain(name)
    batch = make_batch(domain, 5, 0, 400, 30, None, source=source)
    oracle = get_heuristic("oracle", domain)
    exact_v = oracle.values(batch.states)
    assert np.all(batch.bounds >= exact_v) and np.any(batch.bounds == exact_v)
    exact_q = np.take_along_axis(oracle.q_values(batch.states), batch.actions, axis=1)
    bounds = batch.action_bounds()
    assert np.all(bounds[batch.trained] >= exact_q[batch.trained])
    # An undo action is trained at every state a walk left: its bound is the walk's own cost.
    undone = batch.undo[:, 0] >= 0
    assert np.all(bounds[undone].min(axis=1) == batch.bounds[undone])


@pytest.mark.parametrize("name", ["puzzle8", "cube2", "cube3"])
def test_non_backtracking_walks_never_take_a_move_followed_by_its_inverse(name):
    from qsolve.training.data import inverse_actions, walks

    domain = get_domain(name)
    moves: list[np.ndarray] = []
    walks(domain, np.full(200, 25), np.random.default_rng(1), backtrack=False, moves=moves)
    taken = np.stack(moves, axis=1)  # [N, 25]
    inverse = inverse_actions(domain)
    assert np.all(inverse >= 0) and np.all(inverse[inverse] == np.arange(domain.num_actions))
    assert not np.any(inverse[taken[:, :-1]] == taken[:, 1:])
    # Plain walks do undo themselves now and then.
    moves = []
    walks(domain, np.full(200, 25), np.random.default_rng(1), moves=moves)
    taken = np.stack(moves, axis=1)
    assert np.any(inverse[taken[:, :-1]] == taken[:, 1:])


def test_plain_walk_states_are_the_domains_random_walk_states():
    from qsolve.training.data import walks

    domain = get_domain("cube3-meta")
    lengths = np.random.default_rng(0).integers(0, 20, size=100)
    states, cost, _ = walks(domain, lengths, np.random.default_rng(4))
    np.testing.assert_array_equal(states, domain.random_walk(lengths, np.random.default_rng(4)))
    np.testing.assert_array_equal(cost, lengths)


def test_lights_out_boards_from_a_press_set_have_its_size_as_optimal_cost():
    domain = get_domain("lightsout7")
    batch = make_batch(domain, 2, 0, 500, 49, None, source="subset", children=False)
    sizes = (batch.undo >= 0).sum(axis=1)
    assert sizes.min() == 0 and sizes.max() >= 45  # every size from 0 to 49 is drawn
    np.testing.assert_array_equal(domain.optimal_cost(batch.states), sizes)
    np.testing.assert_array_equal(batch.bounds, sizes)
    # The press matrix is invertible, so the walk targets are the exact Q-values.
    exact = get_heuristic("oracle", domain).q_values(batch.states)
    config = TrainConfig("lightsout7", "unused", targets="walk", source="subset")
    y = compute_targets(domain, batch, None, None, config, torch.device("cpu")).numpy()  # type: ignore[arg-type]
    live = ~batch.is_goal
    np.testing.assert_array_equal(y[live], exact[live])
    with pytest.raises(QsolveError, match="subset"):
        TrainConfig("cube2", "unused", source="subset")


@pytest.mark.parametrize("kind", ["q", "v"])
def test_capped_targets_are_the_td_targets_capped_by_the_walk_bounds(kind):
    domain = get_domain("puzzle8")
    batch = make_batch(domain, 3, 1, 300, 40, None, source="nbwalk")
    exact = OracleNetwork("puzzle8", kind)
    cpu = torch.device("cpu")
    y = {
        t: compute_targets(
            domain, batch, exact, exact, TrainConfig("puzzle8", "u", kind=kind, targets=t), cpu
        )  # type: ignore[arg-type]
        for t in ("td", "walk", "capped")
    }
    np.testing.assert_array_equal(y["capped"].numpy(), torch.minimum(y["td"], y["walk"]).numpy())
    # With exact values the TD target is exact, so no walk bound can lower it.
    np.testing.assert_array_equal(y["capped"].numpy(), y["td"].numpy())
    assert torch.all(y["walk"] >= y["td"])


@pytest.mark.parametrize(
    "name, options",
    [
        ("puzzle8", {"targets": "capped", "source": "nbwalk"}),
        ("puzzle8", {"targets": "walk", "kind": "v"}),
        ("lightsout5", {"targets": "walk", "source": "subset"}),
        # batches made with torch on the (CPU) device
        ("puzzle8", {"targets": "capped", "source": "nbwalk", "data": "device"}),
        ("lightsout5", {"targets": "walk", "source": "subset", "data": "device"}),
        ("cube2", {"data": "device", "actions_per_state": 3, "greedy_actions": 1}),
        ("puzzle8", {"targets": "td", "kind": "v", "data": "device", "device": "cpu"}),
        # bf16 autocast passes (fp32 weights)
        ("puzzle8", {"targets": "capped", "source": "nbwalk", "precision": "bf16"}),
        (
            "cube2",
            {"data": "device", "greedy_actions": 1, "actions_per_state": 3, "precision": "bf16"},
        ),
    ],
)
def test_resume_with_new_target_kinds_gives_exactly_an_uninterrupted_run(tmp_path, name, options):
    options = {**TINY, **options, "seed": 2, "eval_every": 10_000, "progress": False}
    train(name, tmp_path / "whole", steps=8, **options)
    train(name, tmp_path / "split", steps=3, **options)
    train(name, tmp_path / "split", steps=8, resume=True, **options)
    whole, split = state_of(tmp_path / "whole"), state_of(tmp_path / "split")
    for key, value in whole["online"].items():
        assert torch.equal(value, split["online"][key]), key


def test_a_resumed_run_keeps_the_precision_it_chose(tmp_path):
    options = {**TINY, "seed": 3, "eval_every": 10_000, "progress": False}
    whole = train("puzzle8", tmp_path / "whole", steps=6, precision="bf16", **options)
    train("puzzle8", tmp_path / "split", steps=2, precision="bf16", **options)
    split = train("puzzle8", tmp_path / "split", steps=6, resume=True, precision="auto", **options)
    assert whole.precision == split.precision == "bf16"
    assert state_of(tmp_path / "split")["config"]["precision"] == "bf16"
    model = json.loads((tmp_path / "split" / "config.json").read_text())
    assert model["options"]["precision"] == "bf16"
    a, b = state_of(tmp_path / "whole"), state_of(tmp_path / "split")
    for key, value in a["online"].items():
        assert torch.equal(value, b["online"][key]), key


def test_bf16_passes_change_the_weights_and_auto_picks_a_precision(tmp_path):
    options = {**TINY, "seed": 3, "eval_every": 10_000, "progress": False}
    train("puzzle8", tmp_path / "fp32", steps=3, precision="fp32", **options)
    train("puzzle8", tmp_path / "bf16", steps=3, precision="bf16", **options)
    a, b = state_of(tmp_path / "fp32")["online"], state_of(tmp_path / "bf16")["online"]
    assert any(not torch.equal(a[key], b[key]) for key in a)  # bf16 really ran
    assert all(torch.allclose(a[key], b[key], atol=0.05) for key in a)  # and stayed close
    summary = train("puzzle8", tmp_path / "auto", steps=1, **options)
    assert summary.precision in ("fp32", "bf16")
    assert state_of(tmp_path / "auto")["config"]["precision"] == summary.precision


def test_walk_targets_warm_up_then_capped_targets_continue(tmp_path):
    options = {**TINY, "eval_every": 10_000, "progress": False}
    train("cube2", tmp_path, steps=5, targets="walk", source="nbwalk", **options)
    summary = train("cube2", tmp_path, steps=8, targets="capped", resume=True, **options)
    assert summary.step == 8
    assert state_of(tmp_path)["config"]["targets"] == "capped"


# -- nothing lost: interrupts, overwrites, folders -------------------------------------------


class InterruptAt(Callback):
    """Fault injection: sends this process ``times`` SIGINTs the first time ``point`` is reached."""

    def __init__(self, point: str, times: int = 1) -> None:
        self.point, self.times, self.fired = point, times, False

    def on_point(self, trainer: Trainer, point: str) -> None:
        if point == self.point and not self.fired:
            self.fired = True
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.parametrize("point", ["batch", "targets", "gradient", "evaluate"])
@pytest.mark.parametrize("times", [1, 2])
def test_an_interrupt_at_any_phase_of_a_step_saves_that_whole_step(tmp_path, point, times):
    options = {**TINY, "seed": 1, "eval_every": 3, "progress": False}
    train("puzzle8", tmp_path / "whole", steps=3, **options)
    interrupt = InterruptAt(point, times)
    summary = train("puzzle8", tmp_path / "stopped", steps=100, callbacks=[interrupt], **options)
    assert interrupt.fired and summary.interrupted
    stopped = state_of(tmp_path / "stopped")
    step = stopped["progress"]["step"]
    assert step == (3 if point == "evaluate" else 1)
    train("puzzle8", tmp_path / "same", steps=step, **options)
    same = state_of(tmp_path / "same")
    for net in ("online", "target"):
        for key, value in same[net].items():
            assert torch.equal(value, stopped[net][key]), key
    # Resuming finishes the run exactly as an uninterrupted one, metrics included.
    train("puzzle8", tmp_path / "stopped", steps=6, resume=True, **options)
    train("puzzle8", tmp_path / "whole", steps=6, resume=True, **options)
    for key, value in state_of(tmp_path / "whole")["online"].items():
        assert torch.equal(value, state_of(tmp_path / "stopped")["online"][key]), key
    rows = {
        run: [r.split(",")[0] for r in (tmp_path / run / "metrics.csv").read_text().splitlines()]
        for run in ("whole", "stopped")
    }
    assert rows["whole"] == rows["stopped"] == ["step", "3", "6"]


def test_a_third_interrupt_aborts_without_saving(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(
            "puzzle8", tmp_path, steps=100, eval_every=10_000, progress=False,
            callbacks=[InterruptAt("gradient", 3)], **TINY,
        )  # fmt: skip
    assert not (tmp_path / RESUME_FILE).exists()


def test_a_folder_holding_a_model_is_not_overwritten_without_overwrite(tmp_path):
    train("puzzle8", tmp_path, steps=2, eval_every=1, progress=False, **TINY)
    before = (tmp_path / "model.safetensors").read_bytes()
    with pytest.raises(QsolveError, match="--overwrite"):
        train("puzzle8", tmp_path, steps=2, seed=5, progress=False, **TINY)
    assert (tmp_path / "model.safetensors").read_bytes() == before
    assert (tmp_path / "metrics.csv").is_file()
    train(
        "puzzle8", tmp_path, steps=2, seed=5, overwrite=True, eval_every=10, progress=False, **TINY
    )
    assert (tmp_path / "model.safetensors").read_bytes() != before
    assert not (tmp_path / "metrics.csv").exists()


def test_bad_folders_are_refused_before_training(tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(QsolveError, match="is a file"):
        train("puzzle8", file, steps=1, progress=False, **TINY)
    with pytest.raises(QsolveError, match="empty"):
        train("puzzle8", "", steps=1, progress=False, **TINY)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(QsolveError, match="not writable"):
            train("puzzle8", locked, steps=1, progress=False, **TINY)


def test_stale_temporary_files_go_and_damaged_states_are_errors(tmp_path):
    train("puzzle8", tmp_path, steps=2, eval_every=10, progress=False, **TINY)
    stale = [tmp_path / ".resume.pt.999.tmp", tmp_path / ".model.safetensors.999.tmp"]
    for file in stale:
        file.write_bytes(b"half")
    (tmp_path / "metrics.csv").write_text("garbage\x00,1\n")
    train("puzzle8", tmp_path, steps=3, resume=True, eval_every=3, progress=False, **TINY)
    assert not any(f.exists() for f in stale)
    assert (tmp_path / "metrics.csv").read_text().splitlines()[1].startswith("3,")
    torch.save({}, tmp_path / RESUME_FILE)
    with pytest.raises(QsolveError, match="not a qsolve training state"):
        train("puzzle8", tmp_path, steps=4, resume=True, progress=False, **TINY)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"grad_clip": -1.0}, "grad-clip"),
        ({"grad_clip": float("nan")}, "grad-clip"),
        ({"lr": float("inf")}, "--lr"),
        ({"seed": -1}, "--seed"),
        ({"width1": 1_000_000_000}, "width1"),
        ({"batch_size": 1_000_000_000}, "batch-size"),
        ({"width1": 90_000, "width2": 90_000}, "GiB"),
        ({"steps": 2.5}, "whole number"),
        ({"targets": "bogus"}, "--targets"),
    ],
)
def test_out_of_range_options_are_one_sentence_errors(tmp_path, options, message):
    with pytest.raises(QsolveError, match=message):
        train("puzzle8", tmp_path, progress=False, **{**TINY, **options})
    assert not (tmp_path / "model.safetensors").exists()


def test_the_last_layer_stays_fp32_under_bf16_autocast():
    from qsolve.networks.resnet import Architecture, ResidualMLP

    torch.manual_seed(0)
    net = ResidualMLP(Architecture(20, 4, 32, 16, 1))
    with torch.no_grad():
        net.head.bias.fill_(100.0)  # costs near 100: bf16 would round them to multiples of 0.5
    x = torch.rand(64, 20)
    with torch.no_grad():
        exact = net(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = net(x)
    assert out.dtype == torch.float32
    assert torch.allclose(out, exact, rtol=0.01)
    assert not torch.equal(out * 2, (out * 2).round())  # finer than bf16's grid at 100


def test_the_public_train_passes_callbacks_to_the_trainer(tmp_path):
    class Record(Callback):
        def __init__(self) -> None:
            self.calls: list[str] = []

        def on_start(self, trainer: Trainer) -> None:
            self.calls.append("start")

        def on_step(self, trainer: Trainer, loss: float) -> None:
            self.calls.append(f"step {trainer.state.step}")

        def on_end(self, trainer: Trainer) -> None:
            self.calls.append("end")

    record = Record()
    summary = qsolve.train(
        "puzzle8", tmp_path / "run", steps=2, progress=False, callbacks=[record], **TINY
    )
    assert record.calls == ["start", "step 1", "step 2", "end"]
    assert not summary.interrupted


@pytest.mark.parametrize("backtrack", [True, False])
@pytest.mark.parametrize("name", ["puzzle8", "puzzle35"])
def test_compiled_sliding_walks_equal_the_numpy_loop(name, backtrack, monkeypatch):
    from qsolve.training.data import HostData, walk_kernels

    if walk_kernels() is None:
        pytest.skip("numba is not installed")
    domain = get_domain(name)
    lengths = np.random.default_rng(0).integers(0, 120, size=300)
    compiled = HostData(domain, rng=np.random.default_rng(5)).walks(lengths, backtrack)
    monkeypatch.setenv("QSOLVE_COMPILED", "0")
    looped = HostData(domain, rng=np.random.default_rng(5)).walks(lengths, backtrack)
    for got, want in zip(compiled, looped, strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert np.all(domain.solvable(compiled[0]))
