"""Training batches made on the device (``DeviceData``, on the CPU device, and on a CUDA device
too where there is one): exact facts about their walks, press sets and bounds, and the same
children and targets as the numpy path."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from qsolve.cli import main
from qsolve.domains import DOMAINS, get_domain, register_domain
from qsolve.domains.sliding import SlidingPuzzle
from qsolve.errors import QsolveError
from qsolve.heuristics import get_heuristic
from qsolve.networks import ResidualMLP
from qsolve.training import Batch, TrainConfig, compute_targets, train
from qsolve.training.data import inverse_actions, tightest_bounds, with_children
from qsolve.training.device_data import DeviceData, TensorBatch, to_tensors
from qsolve.training.device_data import tightest_bounds as tightest_on_device

CPU = torch.device("cpu")
DEVICES = [CPU, *([torch.device("cuda")] if torch.cuda.is_available() else [])]


@pytest.fixture(params=DEVICES, ids=str)
def device(request: pytest.FixtureRequest) -> torch.device:
    return request.param


def device_batch(
    name: str, *args, device: torch.device = CPU, **kwargs
) -> tuple[TensorBatch, Batch]:
    """A batch made on the device, and the numpy batch of the same states, bounds and actions
    with its own applicability, goal tests and children."""
    domain = get_domain(name)
    made = DeviceData(domain, device).make_batch(*args, **kwargs)
    states, actions = made.states.cpu().numpy(), made.actions.cpu().numpy()
    applicable = domain._applicable(states)
    host = Batch(
        states=states,
        is_goal=domain._is_goal(states),
        actions=actions,
        trained=np.take_along_axis(applicable, actions, axis=1),
        costs=domain.action_costs[actions].astype(np.float32),
        children=np.empty((0, states.shape[1]), dtype=states.dtype),
        child_is_goal=np.empty(0, dtype=bool),
        child_applicable=None,
        bounds=made.bounds.cpu().numpy(),
        undo=made.undo.cpu().numpy(),
    )
    return made, with_children(domain, host) if len(made.children) else host


def assert_same_batch(made: TensorBatch, host: Batch) -> None:
    for field in ("states", "is_goal", "actions", "trained", "costs", "children", "child_is_goal"):
        np.testing.assert_array_equal(
            getattr(made, field).cpu().numpy(), getattr(host, field), field
        )
    if host.child_applicable is None:
        assert made.child_applicable is None
    else:
        assert made.child_applicable is not None
        np.testing.assert_array_equal(made.child_applicable.cpu().numpy(), host.child_applicable)
    np.testing.assert_array_equal(made.action_bounds().cpu().numpy(), host.action_bounds())


@pytest.mark.parametrize("name", ["puzzle8", "cube2"])
@pytest.mark.parametrize("source", ["walk", "nbwalk"])
def test_device_walk_bounds_are_never_below_the_true_distance(name, source, device):
    made, host = device_batch(name, 5, 0, 400, 30, None, source=source, device=device)
    assert_same_batch(made, host)
    oracle = get_heuristic("oracle", get_domain(name))
    exact_v = oracle.values(host.states)
    assert np.all(host.bounds >= exact_v) and np.any(host.bounds == exact_v)
    assert host.is_goal.any() and (host.bounds > 20).any()  # lengths from 0 to the limit
    exact_q = np.take_along_axis(oracle.q_values(host.states), host.actions, axis=1)
    bounds = made.action_bounds().cpu().numpy()
    assert np.all(bounds[host.trained] >= exact_q[host.trained])
    undone = host.undo[:, 0] >= 0
    assert np.all(bounds[undone].min(axis=1) == host.bounds[undone])


def test_device_bounds_are_each_states_smallest_among_its_copies_as_on_the_host(device):
    domain = get_domain("puzzle8")
    data = DeviceData(domain, device)
    data.seed(1, 0)
    states, bounds, undo = data.draw_states("walk", 6, 2000)  # short walks: many repeats
    made_b, made_u = tightest_on_device(states, bounds, undo)
    host_b, host_u = tightest_bounds(states.cpu().numpy(), bounds.cpu().numpy(), undo.cpu().numpy())
    np.testing.assert_array_equal(made_b.cpu().numpy(), host_b)
    np.testing.assert_array_equal(made_u.cpu().numpy(), host_u)
    assert (made_b < bounds).any()


@pytest.mark.parametrize("name", ["puzzle8", "cube2", "cube3"])
def test_device_nbwalks_never_take_a_move_followed_by_its_inverse(name, device):
    domain = get_domain(name)
    data = DeviceData(domain, device)
    data.seed(1, 0)
    lengths = torch.full((200,), 25, device=device)
    moves: list[torch.Tensor] = []
    states, cost, last = data.walks(lengths, backtrack=False, moves=moves)
    taken = torch.stack(moves, dim=1).cpu().numpy()  # [N, 25]
    assert (taken >= 0).all() and np.array_equal(last.cpu().numpy(), taken[:, -1])
    inverse = inverse_actions(domain)
    assert not np.any(inverse[taken[:, :-1]] == taken[:, 1:])
    assert np.all(cost.cpu().numpy() == 25)
    data.seed(1, 0)
    again, summed, _ = data.walks(lengths, backtrack=False)
    assert torch.equal(again, states) and torch.equal(summed, cost)
    # Replayed on the host, the moves lead to the walk's end states.
    replayed = domain.goal_states(200)
    for t in range(25):
        replayed = domain._step(replayed, taken[:, t])
    np.testing.assert_array_equal(replayed, states.cpu().numpy())
    moves = []
    data.walks(lengths, moves=moves)  # plain walks do undo themselves now and then
    taken = torch.stack(moves, dim=1).cpu().numpy()
    assert np.any(inverse[taken[:, :-1]] == taken[:, 1:])


def test_device_walks_of_sliding_tiles_take_applicable_moves_only(device):
    domain = get_domain("puzzle15")
    data = DeviceData(domain, device)
    data.seed(3, 0)
    moves: list[torch.Tensor] = []
    data.walks(torch.randint(0, 40, (300,), device=device), backtrack=False, moves=moves)
    states = domain.goal_states(300)
    for chosen in moves:
        chosen = chosen.cpu().numpy()
        active = chosen >= 0
        assert domain._applicable(states[active])[np.arange(active.sum()), chosen[active]].all()
        states[active] = domain._step(states[active], chosen[active])


def test_device_press_sets_have_their_size_as_optimal_cost(device):
    domain = get_domain("lightsout7")
    made, host = device_batch(
        "lightsout7", 2, 0, 500, 49, None, source="subset", children=False, device=device
    )
    assert_same_batch(made, host)
    sizes = (host.undo >= 0).sum(axis=1)
    assert sizes.min() == 0 and sizes.max() >= 45  # every size from 0 to 49 is drawn
    for row in range(0, 500, 50):  # the presses themselves make the board
        board = domain.goal_states(1)
        for press in host.undo[row][host.undo[row] >= 0]:
            board = domain._step(board, np.array([press]))
        np.testing.assert_array_equal(board[0], host.states[row])
    np.testing.assert_array_equal(domain.optimal_cost(host.states), sizes)
    np.testing.assert_array_equal(host.bounds, sizes)
    exact = get_heuristic("oracle", domain).q_values(host.states)
    config = TrainConfig("lightsout7", "unused", targets="walk", source="subset")
    y = compute_targets(domain, made, None, None, config, device).cpu().numpy()  # type: ignore[arg-type]
    live = ~host.is_goal
    np.testing.assert_array_equal(y[live], exact[live])


@pytest.mark.parametrize(
    "name, kind, targets, actions",
    [
        ("puzzle8", "q", "td", None),
        ("puzzle8", "q", "capped", None),
        ("puzzle8", "v", "capped", None),
        ("cube2", "q", "capped", None),
        ("cube3-meta", "q", "td", 8),
        ("lightsout5", "q", "td", None),
    ],
)
def test_device_targets_equal_the_numpy_paths_for_the_same_states_and_network(
    name, kind, targets, actions, device
):
    domain = get_domain(name)
    config = TrainConfig(name, "u", kind=kind, targets=targets, actions_per_state=actions)
    config.with_sizes((64, 32, 1))
    torch.manual_seed(0)
    arch = config.architecture(domain)
    online, target = ResidualMLP(arch).to(device), ResidualMLP(arch).to(device)
    made, host = device_batch(name, 4, 1, 300, 20, actions, source="nbwalk", device=device)
    assert_same_batch(made, host)
    y_made = compute_targets(domain, made, online, target, config, device)
    y_host = compute_targets(domain, host, online, target, config, device)
    torch.testing.assert_close(y_made, y_host, rtol=1e-6, atol=1e-6)


def test_device_greedy_actions_are_the_online_networks_best_unsampled_ones():
    from tests.test_training import OracleNetwork

    domain = get_domain("puzzle8")
    data = DeviceData(domain, CPU)
    batch = data.make_batch(4, 2, 200, 30, 3)
    greedy = data.with_greedy_actions(batch, OracleNetwork("puzzle8", "q"), 1)
    states, actions = batch.states.cpu().numpy(), batch.actions.cpu().numpy()
    q = get_heuristic("oracle", domain).q_values(states)
    q[np.arange(200)[:, None], actions[:, 1:]] = np.inf
    np.testing.assert_array_equal(
        q[np.arange(200), greedy.actions[:, 0].cpu().numpy()], q.min(axis=1)
    )
    np.testing.assert_array_equal(greedy.actions[:, 1:].cpu().numpy(), actions[:, 1:])
    _, host = device_batch("puzzle8", 4, 2, 200, 30, 3)
    host = with_children(domain, replace(host, actions=greedy.actions.cpu().numpy()))
    np.testing.assert_array_equal(greedy.children.cpu().numpy(), host.children)
    np.testing.assert_array_equal(greedy.child_is_goal.cpu().numpy(), host.child_is_goal)


def test_device_batches_are_a_function_of_seed_step_and_stream(device):
    data = DeviceData(get_domain("cube3"), device)
    a = data.make_batch(1, 5, 50, 20, None)
    b = DeviceData(get_domain("cube3"), device).make_batch(1, 5, 50, 20, None)
    c = data.make_batch(1, 6, 50, 20, None)
    assert torch.equal(a.states, b.states) and not torch.equal(a.states, c.states)
    ranks = [data.make_batch(1, 5, 50, 20, None, stream=(2, r)).states for r in (0, 1)]
    assert not torch.equal(ranks[0], ranks[1]) and not torch.equal(ranks[0], a.states)
    host = to_tensors(device_batch("cube3", 1, 5, 50, 20, None, device=device)[1], device)
    assert torch.equal(host.children, a.children)


def test_data_device_needs_a_domain_with_torch_operations(tmp_path):
    class Swapped(SlidingPuzzle):
        """The 8-puzzle with U and D, L and R swapped: the torch operations it inherits do
        something else, so training does not use them."""

        def __init__(self) -> None:
            super().__init__(3)

        def _step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
            return super()._step(states, actions ^ 1)

        def _applicable(self, states: np.ndarray) -> np.ndarray:
            return super()._applicable(states)[:, [1, 0, 3, 2]]

    register_domain("swapped8-test", Swapped)
    try:
        with pytest.raises(QsolveError, match="--data device: swapped8-test has no torch"):
            TrainConfig("swapped8-test", "unused", data="device")
        out = str(tmp_path / "refused")
        assert main(["train", "swapped8-test", "--out", out, "--data", "device", "--quiet"]) == 2
        # auto and cpu make its batches with numpy, as for any user domain
        summary = train(
            "swapped8-test", tmp_path, steps=2, device="cpu", eval_every=10_000,
            progress=False, width1=16, width2=8, blocks=1, batch_size=16, threads=1,
        )  # fmt: skip
        assert summary.step == 2
    finally:
        DOMAINS.pop("swapped8-test")


def test_data_auto_makes_batches_on_the_device_only_on_cuda():
    from qsolve.training.loop import data_on_device

    cube = get_domain("cube3")
    assert not data_on_device("auto", cube, CPU) and not data_on_device("cpu", cube, CPU)
    assert data_on_device("device", cube, CPU)
    if torch.cuda.is_available():
        assert data_on_device("auto", cube, torch.device("cuda"))


def test_the_walks_are_written_once_for_both_paths():
    from qsolve.training.data import BatchMaker, HostData

    # Each path gives its primitives (draws, the order the walks move in, a reverse step); the
    # walk itself is BatchMaker's.
    for maker in (HostData, DeviceData):
        assert "walks" not in vars(maker) and "walk_states" not in vars(maker)
    assert "walks" in vars(BatchMaker)
