"""The network input has one layout, ``Domain.encode``; training's device-side form equals it."""

import numpy as np
import torch

from qsolve.domains.sliding import SlidingPuzzle
from qsolve.networks.encoding import one_hot


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
