"""The network input has one layout, ``Domain.encode``; training's device-side form equals it."""

import numpy as np
import torch

from qsolve.domains.sliding import SlidingPuzzle
from qsolve.networks.encoding import evaluate, one_hot, one_hot_tensor
from qsolve.networks.resnet import Architecture, ResidualMLP


class ReversedInput(SlidingPuzzle):
    """A domain with an encoding of its own: the one-hot columns in reverse order."""

    def _encode(self, states: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(super()._encode(states)[:, ::-1])


def test_the_one_hot_layout_is_entry_times_num_values_plus_value():
    domain = SlidingPuzzle(3)
    state = np.array([[1, 2, 3, 4, 5, 6, 7, 8, 0]], dtype=np.uint8)
    encoded = domain.encode(state)
    assert encoded.shape == (1, 81) and encoded.dtype == np.float32
    assert np.flatnonzero(encoded[0]).tolist() == [d * 9 + int(v) for d, v in enumerate(state[0])]
    assert np.array_equal(one_hot(domain, state, torch.device("cpu")).numpy(), encoded)


def test_a_domain_with_its_own_encoding_trains_on_that_encoding():
    domain = ReversedInput(3)
    states = domain.random_walk(np.arange(10), np.random.default_rng(0))
    made = one_hot(domain, states, torch.device("cpu"))
    assert made.dtype == torch.float32
    np.testing.assert_array_equal(made.numpy(), domain.encode(states))
    assert not np.array_equal(made.numpy(), SlidingPuzzle(3).encode(states))


def _network(domain: SlidingPuzzle, seed: int = 0) -> ResidualMLP:
    torch.manual_seed(seed)
    return ResidualMLP(Architecture(domain.goal.shape[0] * domain.num_values, 4, 64, 32, 1))


def test_a_network_on_the_columns_of_the_ones_equals_it_on_the_one_hot_input():
    domain = SlidingPuzzle(6)
    states = torch.from_numpy(domain.random_walk(np.arange(0, 400, 4), np.random.default_rng(1)))
    network = _network(domain)
    with torch.no_grad():
        dense = network(one_hot_tensor(domain, states))
        np.testing.assert_allclose(evaluate(network, domain, states), dense, rtol=1e-5, atol=1e-5)
        network.fc1.weight.mul_(-1.0)  # a changed weight (a replaced target network) is seen
        dense = network(one_hot_tensor(domain, states))
        np.testing.assert_allclose(evaluate(network, domain, states), dense, rtol=1e-5, atol=1e-5)
    # The gradients (training's online pass) are those of the one-hot input.
    network(one_hot_tensor(domain, states)).square().sum().backward()
    expected = [p.grad.clone() for p in network.parameters()]
    network.zero_grad()
    evaluate(network, domain, states).square().sum().backward()
    for got, want in zip((p.grad for p in network.parameters()), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_a_domain_with_its_own_encoding_is_evaluated_on_that_encoding():
    domain = ReversedInput(3)
    states = domain.random_walk(np.arange(10), np.random.default_rng(0))
    network = _network(domain)
    with torch.no_grad():
        got = evaluate(network, domain, torch.from_numpy(states))
        want = network(torch.from_numpy(domain.encode(states)))
    np.testing.assert_array_equal(got, want)
