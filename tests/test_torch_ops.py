"""The domains' torch operations (``Domain.torch_ops``) equal their numpy dynamics exactly (on the
CPU device, and on a CUDA device too where there is one)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qsolve.domains import DOMAINS, Domain, SlidingPuzzle, get_domain

CPU = torch.device("cpu")
DEVICES = [CPU, *([torch.device("cuda")] if torch.cuda.is_available() else [])]


@pytest.mark.parametrize("device", DEVICES, ids=str)
@pytest.mark.parametrize("name", sorted(DOMAINS))
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60))
def test_device_step_applicability_goal_and_encoding_equal_the_numpy_ones(name, device, seed, n):
    domain = get_domain(name)
    ops = domain.torch_ops(device)
    assert ops is not None
    rng = np.random.default_rng(seed)
    states = domain.random_walk(rng.integers(0, 12, size=n), rng)
    states[: n // 4] = domain.goal_states(n // 4, rng)  # some goals among them
    actions = rng.integers(0, domain.num_actions, size=n)  # inapplicable ones too
    on_device = torch.from_numpy(states).to(device)
    stepped = ops.step(on_device, torch.from_numpy(actions).to(device))
    assert stepped.dtype == on_device.dtype and stepped.device == on_device.device
    np.testing.assert_array_equal(stepped.cpu().numpy(), domain._step(states, actions))
    applicable = ops.applicable(on_device).cpu().numpy()
    np.testing.assert_array_equal(applicable, domain._applicable(states))
    np.testing.assert_array_equal(ops.is_goal(on_device).cpu().numpy(), domain._is_goal(states))
    np.testing.assert_array_equal(ops.encode(on_device).cpu().numpy(), domain._encode(states))
    if domain.has_goal_state:
        np.testing.assert_array_equal(ops.goal_states(3).cpu().numpy(), domain.goal_states(3))
    else:  # drawn from the same rooms by another generator: goals of the same form
        drawn = ops.goal_states(8, torch.Generator(device=device).manual_seed(seed)).cpu().numpy()
        assert drawn.shape == (8, domain.state_dim) and drawn.dtype == states.dtype
        assert domain.is_goal(drawn).all()
        domain.check_states(drawn)
    moves = rng.integers(0, domain.num_reverse, size=n)
    np.testing.assert_array_equal(
        ops.reverse_step(on_device, torch.from_numpy(moves).to(device)).cpu().numpy(),
        domain._reverse_step(states, moves),
    )
    np.testing.assert_array_equal(
        ops.reverse_applicable(on_device).cpu().numpy(), domain._reverse_applicable(states)
    )
    np.testing.assert_array_equal(ops.reverse_costs.cpu().numpy(), domain.reverse_costs)
    np.testing.assert_array_equal(ops.action_costs.cpu().numpy(), domain.action_costs)
    assert ops.every_action_applies == domain.every_action_applies


def test_cube3_meta_moves_are_the_composed_quarter_turns():
    meta = get_domain("cube3-meta")
    ops = meta.torch_ops(CPU)
    assert ops is not None
    states = torch.from_numpy(meta.goal_states(len(meta.sequences)))
    made = ops.step(states, torch.arange(len(meta.sequences)))
    quarter = get_domain("cube3")
    for i in (0, 11, 12, 500, 1883):
        expected = quarter.goal.copy()
        for a in meta.sequences[i]:
            expected = quarter._step(expected[None], np.array([a]))[0]
        np.testing.assert_array_equal(made[i].numpy(), expected)


def test_torch_ops_that_differ_from_the_numpy_dynamics_are_not_used():
    class Shuffled(SlidingPuzzle):
        """A sliding puzzle whose moves differ from the numpy ones the hook mirrors."""

        def __init__(self) -> None:
            super().__init__(3)

        def _step(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
            return states[:, ::-1].copy()

    class Renamed(SlidingPuzzle):
        def __init__(self) -> None:
            super().__init__(3)
            self.name = "renamed8"

    from qsolve.domains.check import torch_ops_differ
    from qsolve.training.device_data import device_ops

    # Declared (inherited) either way; training uses them only where they do what numpy does.
    shuffled = Shuffled()
    ops = shuffled.torch_ops(CPU)
    assert ops is not None and torch_ops_differ(shuffled, ops) == "step"
    assert device_ops(shuffled, CPU) is None
    assert device_ops(Renamed(), CPU) is not None  # same dynamics: they still apply
    assert Domain().torch_ops(CPU) is None


@pytest.mark.parametrize("device", DEVICES, ids=str)
@pytest.mark.parametrize("name", ["puzzle15", "cube2", "lightsout5"])
def test_a_walk_step_takes_the_best_scored_applicable_action(name, device):
    domain = get_domain(name)
    ops = domain.torch_ops(device)
    assert ops is not None
    rng = np.random.default_rng(2)
    states = domain.random_walk(rng.integers(0, 30, size=300), rng)
    noise = torch.rand((300, domain.num_actions), generator=torch.Generator().manual_seed(0))
    penalty = torch.zeros_like(noise)
    penalty[:, 0] = -2.0  # action 0 ruled out wherever another applies
    stepped, chosen = ops.walk_step(
        torch.from_numpy(states).to(device), noise.to(device), penalty.to(device)
    )
    scores = np.where(domain._applicable(states), noise.numpy(), 0.0) + penalty.numpy()
    chosen_here = chosen.cpu().numpy()
    np.testing.assert_array_equal(chosen_here, scores.argmax(axis=1))
    assert (chosen_here != 0).all()
    np.testing.assert_array_equal(stepped.cpu().numpy(), domain._step(states, chosen_here))


def test_check_domain_finds_torch_operations_that_differ_from_the_numpy_ones():
    from qsolve.domains import LightsOut, check_domain
    from qsolve.domains.torch_ops import XorOps
    from qsolve.errors import QsolveError

    class WrongPresses(LightsOut):
        """Lights Out whose device presses toggle the pressed cell alone."""

        def __init__(self) -> None:
            super().__init__(3)

        def _torch_ops(self, device: torch.device) -> XorOps:
            return XorOps(self, device, np.eye(9, dtype=np.uint8))

    with pytest.raises(QsolveError, match="torch_ops: step on the device differs"):
        check_domain(WrongPresses())
    assert check_domain(get_domain("lightsout5")) > 0
